"""Settings for the test suite: fast hashing, plain static storage, in-memory caches."""

from historyweb.caches import local_settings

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The same aliases in memory: tests/test_cache_backends.py runs the same semantics on the file
# cache and on Redis, which production uses. REDIS_URL from the environment is ignored here.
REDIS_URL = ""
# Runs in process unless a test names a broker (tests/test_runner_pool*.py).
RUNNER_BROKER_URL = CELERY_BROKER_URL = CELERY_RESULT_BACKEND = ""
CACHES = local_settings()
# Each test run keeps its content version in its own in-memory cache, not in a shared file.
PAGE_CACHE_VERSION_FILE = None
PAGE_CACHE_VERSION_TTL = 0.0  # a test's edit through the ORM shows on its next request
