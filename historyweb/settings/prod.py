"""Production: behind a TLS-terminating proxy; every secret comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from historyweb.databases import database_settings

from .base import *  # noqa: F403
from .base import SECRET_KEY, SQLITE_URL, STORAGES, env_bool

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")

DEBUG = False
# On PostgreSQL each worker draws from a pool of at most 8 connections unless
# DATABASE_POOL_MAX_SIZE says otherwise (README, Deploying).
DATABASES = {"default": database_settings(SQLITE_URL, pool_size=8)}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "historyweb.storage.StaticFilesStorage"},
}

# The proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Runs are held whole (a cgroup each, a seccomp filter): without them no run starts, and
# `manage.py check` fails. See "Running samples in production" in README.md.
RUNNER_REQUIRE_CONTAINMENT = env_bool("RUNNER_REQUIRE_CONTAINMENT", default=True)
