"""The cache aliases: one per purpose, each with its own size and lifetime.

- default: nothing of ours (Django's own odds and ends)
- pages: whole pages and the content version
- runs: results of unedited samples
- rate: edited-run counters, one per client per window
- live: live sessions (the deck a presenter steers, its followers)

Sizes and lifetimes are in PURPOSES below. Without REDIS_URL each alias is a file cache; with
it, each is Redis.

A file cache lives under var/cache/<alias>/ and is shared by every worker of one machine (a
per-process memory cache is not: each worker would count and cache on its own). Separate aliases
mean a flood of one kind cannot cull another: Django's file cache deletes a random third of its
entries past MAX_ENTRIES, so pages must never share a directory with counters or run results.

With Redis, every alias uses one server under its own key prefix; Redis has no MAX_ENTRIES, so
sizes are held by the keys (one per page and canonical query, one per sample version, one per
client and window) and their timeouts. Never call clear() on a Redis alias: it flushes the whole
database, every purpose at once.
"""

DAY = 24 * 60 * 60

# alias: (TIMEOUT in seconds or None, MAX_ENTRIES for the file cache)
PURPOSES = {
    "default": (5 * 60, 1_000),
    # A page is stored per content version; old versions' pages are never asked for again, and
    # expire within a day.
    "pages": (DAY, 2_000),
    # Outcomes the code decides; the key holds the interpreter, packages and harness versions.
    "runs": (30 * DAY, 5_000),
    # Each counter is stored with its window's remaining time (historyweb/throttle.py).
    "rate": (2 * 60, 20_000),
    # A talk and its questions, with room to spare.
    "live": (12 * 60 * 60, 2_000),
}


def cache_settings(redis_url, cache_dir):
    """The CACHES setting: file caches in `cache_dir`, or every alias in Redis at `redis_url`."""
    caches = {}
    for alias, (timeout, max_entries) in PURPOSES.items():
        if redis_url:
            caches[alias] = {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": f"historyweb:{alias}",
                "TIMEOUT": timeout,
                # Fail fast when Redis is gone rather than hang every worker on it.
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        else:
            caches[alias] = {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(cache_dir / alias),
                "TIMEOUT": timeout,
                "OPTIONS": {"MAX_ENTRIES": max_entries},
            }
    return caches


def local_settings():
    """In-memory aliases for the test suite: same names and timeouts, nothing on disk."""
    return {
        alias: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": alias,
            "TIMEOUT": timeout,
            "OPTIONS": {"MAX_ENTRIES": max_entries},
        }
        for alias, (timeout, max_entries) in PURPOSES.items()
    }
