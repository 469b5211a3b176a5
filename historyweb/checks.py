"""System checks for deployment settings that Django's own checks do not know about."""

from django.conf import settings
from django.core.checks import Warning, register


@register()
def client_ip_header_behind_a_proxy(app_configs, **kwargs):
    """Behind a proxy REMOTE_ADDR is the proxy, so without RUNNER_CLIENT_IP_HEADER every visitor
    shares one rate-limit bucket: ten edited runs a minute for the whole audience."""
    if settings.SECURE_PROXY_SSL_HEADER and not getattr(settings, "RUNNER_CLIENT_IP_HEADER", None):
        return [
            Warning(
                "SECURE_PROXY_SSL_HEADER is set (the site is behind a proxy) but "
                "RUNNER_CLIENT_IP_HEADER is not: every visitor shares one rate-limit bucket.",
                hint="Set RUNNER_CLIENT_IP_HEADER to the header your proxy sets to the client's "
                "address and that clients cannot forge, e.g. X-Real-IP (see README, Deploying).",
                id="historyweb.W001",
            )
        ]
    return []
