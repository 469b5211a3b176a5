"""Settings for the test suite: fast hashing, plain static storage, an in-memory cache."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each test run keeps its content version in its own in-memory cache, not in a shared file.
PAGE_CACHE_VERSION_FILE = None
