"""The pages cache as the page cache and the content version use it: a failure is a miss.

Any error of the shared store (Redis down or timing out, a full disk) is logged and treated as
a miss, so the cache is never needed: the page is rendered instead.
"""

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT

logger = logging.getLogger(__name__)


class _Shared:
    """The pages cache, as the page cache uses it: an error (Redis down or timing out, a full
    disk) is a miss, logged, and the store is then left alone for RETRY_SECONDS, so an outage
    costs one failed call per worker per interval, not one per request."""

    RETRY_SECONDS = 1.0

    def __init__(self):
        self.down_until = float("-inf")

    def get(self, key):
        return self._call("get", key)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT):
        """Store `value`; False when the store failed or is being left alone."""
        return self._call("set", key, value, timeout) is not _FAILED

    def add(self, key, value, timeout):
        """Store `value` unless `key` is held: True when stored, False when held by another,
        None when the store failed or is being left alone."""
        result = self._call("add", key, value, timeout)
        return None if result is _FAILED else bool(result)

    def delete(self, key):
        self._call("delete", key)

    def _call(self, method, *args):
        failed = None if method == "get" else _FAILED
        if time.monotonic() < self.down_until:
            return failed
        try:
            return getattr(caches["pages"], method)(*args)
        except Exception:  # any failure of a cache is a miss: the page is rendered instead
            self.down_until = time.monotonic() + self.RETRY_SECONDS
            logger.warning(
                "The pages cache failed; pages are served uncached for %s s",
                self.RETRY_SECONDS,
                exc_info=True,
            )
            return failed

    def reset(self):
        self.down_until = float("-inf")


_FAILED = object()
shared_store = _Shared()
