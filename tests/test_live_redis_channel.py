"""The live channel's Redis transport on its own (timeline/live/transports.py), in this process on
a redis-server of each test's own: what it carries, and how it says it is no longer listening.
The hub through real outages is in test_live_redis_outage.py."""

import socket
import threading
import time

import pytest
import redis

from timeline.live import transports

from .conftest import store_or_skip
from .test_redis_faults import restartable_redis


@pytest.fixture
def redis_url():
    with store_or_skip(restartable_redis()) as process:
        # Its socket file exists a moment before it accepts connections.
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis.from_url(process.url) as client:
                    client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server never answered"
                time.sleep(0.02)
        yield process.url


@pytest.fixture
def listening(redis_url):
    transport = transports.RedisTransport(redis_url)
    transport.open()
    yield transport
    transport.close()


def test_a_message_published_reaches_every_subscriber_and_quiet_is_none(redis_url, listening):
    other = transports.RedisTransport(redis_url)
    other.open()
    try:
        transports.RedisTransport(redis_url).publish(b'{"code": "abc"}')
        assert listening.receive(2) == other.receive(2) == b'{"code": "abc"}'
        started = time.monotonic()
        assert listening.receive(0.3) is None
        assert 0.25 <= time.monotonic() - started < 2  # quiet for its whole timeout, no more
        # A message that comes after the timeout is the next call's, not a longer wait's.
        later = threading.Timer(0.8, other.publish, args=(b"later",))
        later.start()
        try:
            assert listening.receive(0.3) is None
            assert listening.receive(5) == b"later"
        finally:
            later.join()
    finally:
        other.close()


def test_a_transport_subscribed_to_nothing_says_so_instead_of_waiting(listening):
    """redis-py's get_message() on a PubSub subscribed to nothing returns None, like a quiet
    channel, for ever: the root of lost live events."""
    listening.pubsub.unsubscribe()
    listening.pubsub.get_message(timeout=1)  # the server's confirmation
    with pytest.raises(transports.ChannelDown, match="^not subscribed to Redis$"):
        listening.receive(0.1)


def test_a_connection_made_again_under_the_subscription_is_not_listening(listening):
    """Messages published while it was being re-made were missed: the hub must replay."""
    connection = listening.pubsub.connection
    connection.disconnect()
    connection.connect()
    with pytest.raises(transports.ChannelDown, match="^the Redis connection was re-made$"):
        listening.receive(0.1)


def test_a_closed_transport_is_not_listening_and_forgets_its_connection(listening):
    connection = listening.pubsub.connection
    listening.close()
    assert listening.pubsub is None
    with pytest.raises(transports.ChannelDown, match="^not subscribed to Redis$"):
        listening.receive(0.1)
    connection.connect()  # a connection made again after the close no longer concerns it
    assert not listening.reconnected
    listening.close()  # twice is harmless


def test_opening_again_after_a_re_made_connection_listens_again(redis_url, listening):
    listening.pubsub.connection.disconnect()
    listening.pubsub.connection.connect()
    listening.close()
    listening.open()
    transports.RedisTransport(redis_url).publish(b"again")
    assert listening.receive(2) == b"again"


def test_a_redis_that_stops_answering_fails_a_publish_within_seconds():
    """A publish is not retried or waited on for ever: the hub falls back to its own streams."""
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        transport = transports.RedisTransport(f"redis://127.0.0.1:{port}/0")
        started = time.monotonic()
        with pytest.raises(redis.RedisError):
            transport.publish(b"x")
        assert time.monotonic() - started < 5  # socket_timeout (2 s), once


def test_a_subscription_refused_leaves_nothing_open(monkeypatch, redis_url):
    transport = transports.RedisTransport(redis_url)
    closed = []
    real = redis.client.PubSub.close
    monkeypatch.setattr(redis.client.PubSub, "close", lambda self: closed.append(1) or real(self))
    monkeypatch.setattr(
        redis.client.PubSub,
        "subscribe",
        lambda self, *a, **k: (_ for _ in ()).throw(redis.ConnectionError("refused")),
    )
    with pytest.raises(redis.ConnectionError):
        transport.open()
    assert closed and transport.pubsub is None
