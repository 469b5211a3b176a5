"""Throttling: who counts as one client, and fixed-window counters atomic across workers and
servers. Edited runs (timeline/runner/service.py) and going live (timeline/views/live.py) are
limited with them.

Each client gets one counter per window (`rate:<client>:<window number>`), stored in the `rate`
cache alias with the window's remaining time, so counters expire with their window.

- With Redis: INCR and EXPIRE ... NX in one MULTI/EXEC transaction. Every increment is one
  atomic INCR, so concurrent runs on any number of servers are counted exactly.
- Without Redis (the file cache of one machine): the read and the write happen under an
  exclusive flock() on a lock file beside the runner's slots, which serialises every worker of
  the machine. Django's file cache alone is not atomic (`incr` is a get then a set).

When the store fails (Redis down or timing out, a full disk), hit() raises RateStoreUnavailable,
a 503: what it limits decides whether to refuse (edited runs fail closed: an unlimited run
costs a sandbox) or to go on without counting (going live fails open).
"""

import fcntl
import hashlib
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from historyweb.errors import ServiceError, disk_full
from historyweb.redis_client import redis_client

ALIAS = "rate"
# Seconds a client is told to wait when the store cannot count.
STORE_RETRY = 5

logger = logging.getLogger(__name__)


class RateStoreUnavailable(ServiceError):
    """The counters cannot be reached, so nothing can be counted. `disk_full` when the store
    is a file cache on a disk with no room left."""

    status = 503
    disk_full = False


def client_id(request):
    """Who the rate limit counts. Behind a proxy, set RUNNER_CLIENT_IP_HEADER (for example
    "HTTP_X_REAL_IP") to a header the proxy sets and clients cannot forge."""
    header = getattr(settings, "RUNNER_CLIENT_IP_HEADER", None)
    value = request.META.get(header, "") if header else ""
    value = value.split(",")[-1].strip()
    return value or request.META.get("REMOTE_ADDR") or "unknown"


def window_key(client, window, now, bucket=""):
    # Hashed: a client id is whatever a header said, and cache keys must stay short and plain.
    digest = hashlib.sha256(client.encode("utf-8", "replace")).hexdigest()[:32]
    return f"rate:{bucket}{digest}:{int(now // window)}"


def remaining(window, now):
    """Seconds until this window ends (at least 1)."""
    return max(1, int(window - now % window) + 1)


def hit(client, window, lock_dir, now=None, *, amount=1, bucket=""):
    """Count `amount` units for `client` in the current window of `window` seconds; return the
    count so far, these included. Each `bucket` ("" or a prefix such as "check:") is a limit of
    its own. Raises RateStoreUnavailable when the store fails."""
    now = time.time() if now is None else now
    try:
        return _count(client, window, lock_dir, now, amount, bucket)
    except Exception as exc:  # whatever failed, nothing was counted
        logger.warning("The rate-limit store failed", exc_info=True)
        error = RateStoreUnavailable(
            "The rate limit cannot be counted right now. Try again in a moment.",
            retry_after=STORE_RETRY,
        )
        error.disk_full = disk_full(exc)
        raise error from exc


def _count(client, window, lock_dir, now, amount=1, bucket=""):
    key, ttl = window_key(client, window, now, bucket), remaining(window, now)
    cache = caches[ALIAS]
    if isinstance(cache, RedisCache) and redis_client() is not None:
        name = cache.make_and_validate_key(key)
        return _redis_count(redis_client(), name, ttl, amount)
    with _locked(Path(lock_dir) / "rate.lock"):
        count = int(cache.get(key, 0)) + amount
        cache.set(key, count, timeout=ttl)
    return count


def _redis_count(client, name, ttl, amount=1):
    """INCRBY with EXPIRE in one transaction. A connection dropped under it is tried once more on
    a fresh one: one lost socket is not an outage (a second failure is, and is raised). The
    retry may count the event twice, which errs on the side of the limit."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    for attempt in (1, 2):
        try:
            with client.pipeline(transaction=True) as pipe:
                count, _ = pipe.incrby(name, amount).expire(name, ttl, nx=True).execute()
            return int(count)
        except RedisConnectionError:
            if attempt == 2:
                raise
            logger.info("A rate-limit connection to Redis dropped; trying a fresh one")


@contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
