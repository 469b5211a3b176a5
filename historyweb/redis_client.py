"""Redis, when REDIS_URL is set: one client per process, and publish/subscribe for live sessions.

The cache aliases (historyweb/caches.py) reach Redis through Django's RedisCache; this client is
for what a cache cannot do: an atomic INCR with EXPIRE in one transaction, and pub/sub. Without
REDIS_URL, redis_client() is None and publish() returns False, so a caller can fall back to
what works on one machine.
"""

import functools
import json

from django.conf import settings

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


def publish(channel, message):
    """Send `message` (JSON-able) to every subscriber of `channel`, on every server.

    Returns False without Redis (nothing was sent), else True."""
    client = redis_client()
    if client is None:
        return False
    client.publish(CHANNEL_PREFIX + channel, json.dumps(message))
    return True


def subscribe(channel, timeout=15.0):
    """Yield each message published on `channel` (decoded JSON), or None after `timeout`
    seconds without one (a chance to send a keep-alive). The caller stops by closing the
    generator. Raises RuntimeError without Redis."""
    client = redis_client()
    if client is None:
        raise RuntimeError("subscribe() needs REDIS_URL")
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL_PREFIX + channel)
    try:
        while True:
            message = pubsub.get_message(timeout=timeout)
            if message is None:
                yield None
            elif message["type"] == "message":
                yield json.loads(message["data"])
    finally:
        pubsub.close()
