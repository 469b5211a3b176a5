"""Redis, when REDIS_URL is set: one client per process.

The cache aliases (historyweb/caches.py) reach Redis through Django's RedisCache; this client is
for what a cache cannot do: an atomic INCR with EXPIRE in one transaction (the rate limit)
and the live sessions' pub/sub (timeline/live/channel.py). Without REDIS_URL, redis_client() is
None, so a caller can fall back to what works on one machine.
"""

import functools

from django.conf import settings

# Every pub/sub channel name starts with this, apart from other users of the same Redis.
CHANNEL_PREFIX = "historyweb:"


@functools.cache
def _client(url):
    import redis

    # health_check_interval keeps a long-lived subscription from hanging on a dead connection.
    return redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)


def redis_client():
    """The process's Redis client, or None without REDIS_URL."""
    url = getattr(settings, "REDIS_URL", "")
    return _client(url) if url else None
