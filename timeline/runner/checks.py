"""`manage.py check` for the runner.

- Whether runs can be held as a whole here (a cgroup each, a seccomp filter), unless runner
  hosts take them (RUNNER_BROKER_URL: they make this check as they start). In production
  (RUNNER_REQUIRE_CONTAINMENT) a missing piece is an error, and runs refuse to start; in
  development it is a warning that says what a run may then take.
- Whether the rate limit on edited runs can tell visitors apart behind a proxy.
"""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_containment(app_configs=None, **kwargs):
    from . import pool
    from .config import get_config
    from .sandbox import containment

    if pool.enabled():
        return []  # runner hosts hold the runs and check this as they start (tasks.py)
    config = get_config()
    if not config.bwrap:
        return []  # runs fail closed with the install hint; nothing more to hold
    problems = containment(config).problems()
    if not problems:
        return []
    hint = (
        "See 'Running samples in production' in README.md: cgroup v2 with a systemd service "
        "that has Delegate=yes and DelegateSubgroup=app, and libseccomp2."
    )
    if config.require_containment:
        return [
            checks.Error(
                "Runs cannot be held as a whole, so none will start: " + "; ".join(problems),
                hint=hint,
                id="timeline.E010",
            )
        ]
    return [
        checks.Warning(
            "Runs are not held as a whole (" + "; ".join(problems) + "): one run can take more "
            f"than RUNNER_MEMORY_LIMIT ({config.memory_bytes // (1024 * 1024)} MiB) with "
            "forks, tmpfs or shared memory, and keep state between runs.",
            hint=hint,
            id="timeline.W010",
        )
    ]


@checks.register()
def client_ip_header_behind_a_proxy(app_configs, **kwargs):
    """Behind a proxy REMOTE_ADDR is the proxy, so without RUNNER_CLIENT_IP_HEADER every visitor
    shares one rate-limit bucket: ten edited runs a minute for the whole audience."""
    if settings.SECURE_PROXY_SSL_HEADER and not getattr(settings, "RUNNER_CLIENT_IP_HEADER", None):
        return [
            checks.Warning(
                "SECURE_PROXY_SSL_HEADER is set (the site is behind a proxy) but "
                "RUNNER_CLIENT_IP_HEADER is not: every visitor shares one rate-limit bucket.",
                hint="Set RUNNER_CLIENT_IP_HEADER to the header your proxy sets to the client's "
                "address and that clients cannot forge, e.g. X-Real-IP (see README, Deploying).",
                id="historyweb.W001",
            )
        ]
    return []
