"""A fixed-window rate limit counted in the cache, shared by every worker that shares it."""

import time

from django.core.cache import cache


def count_hit(name, client, limit, window):
    """Count one hit; returns 0 while within `limit` per `window` seconds, else the seconds
    until the window ends (for Retry-After)."""
    slot = int(time.time() // window)
    key = f"rate:{name}:{client}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count <= limit:
        return 0
    return window - int(time.time() % window) or 1
