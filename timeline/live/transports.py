"""How a live message reaches every worker process (the hub in live/channel.py listens on one).

* `REDIS_URL` set: Redis pub/sub, so any number of app servers share the session.
* otherwise: UNIX datagram sockets in one directory, one per process; a publisher sends each
  message to every socket there. That reaches every worker on this machine (gunicorn's
  workers, runserver's process) with no polling and no extra service.

A transport's `receive(timeout)` gives the next raw message, or None after `timeout` quiet
seconds, and raises when it is no longer listening: the hub then re-opens it and replays from
the database what it may have missed.
"""

import hashlib
import logging
import os
import secrets
import socket
import tempfile
import time
from pathlib import Path

from django.conf import settings

from historyweb.redis_client import CHANNEL_PREFIX

log = logging.getLogger(__name__)

REDIS_CHANNEL = CHANNEL_PREFIX + "live"
MAX_MESSAGE_BYTES = 8 * 1024  # a state or run event is a few dozen bytes


class ChannelDown(Exception):
    """The transport is not listening: its connection dropped or was re-made under it."""


class SocketTransport:
    """UNIX datagram sockets in one directory: one per process, each publisher sends to all."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.sock = None

    def open(self):
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(path))
        os.chmod(path, 0o600)
        self.sock, self.path = sock, path

    def receive(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(MAX_MESSAGE_BYTES)
        except TimeoutError:
            return None

    def publish(self, raw):
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.setblocking(False)
        try:
            for path in self.directory.glob("*.sock"):
                try:
                    sender.sendto(raw, str(path))
                except (ConnectionRefusedError, FileNotFoundError):
                    # A process that died without cleaning up: nobody reads this socket.
                    path.unlink(missing_ok=True)
                except BlockingIOError:
                    # That process is behind; its resync catches the change up.
                    log.warning("live: socket %s is full, dropped a message", path.name)
        finally:
            sender.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.path.unlink(missing_ok=True)
            self.sock = None


def pubsub_client(url):
    """A client of the channel's own. redis-py retries nothing here: a failed publish fails at
    once (the hub falls back), and a dropped subscription is never silently re-made inside
    redis-py, where the messages missed meanwhile would go unnoticed; the hub re-subscribes."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=10,  # a subscription on a dead connection is found out by PING
        retry=Retry(NoBackoff(), 0),
    )


class RedisTransport:
    """Redis pub/sub on one channel: every process of every app server subscribes once."""

    def __init__(self, url):
        self.url = url
        self.client = None
        self.pubsub = None
        self.reconnected = False

    def _client(self):
        if self.client is None:
            self.client = pubsub_client(self.url)
        return self.client

    def open(self):
        pubsub = self._client().pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(REDIS_CHANNEL)
        except Exception:
            pubsub.close()
            raise
        self.reconnected = False
        pubsub.connection.register_connect_callback(self._on_reconnect)
        self.pubsub = pubsub

    def _on_reconnect(self, connection):
        self.reconnected = True

    def receive(self, timeout):
        # get_message() gives None for a subscription's confirmation and a health check's
        # answer too: only the deadline says the channel was quiet.
        deadline = time.monotonic() + timeout
        while True:
            message = self._listening().get_message(timeout=max(0.0, deadline - time.monotonic()))
            if message is not None:
                return message["data"]
            if time.monotonic() >= deadline:
                return None

    def _listening(self):
        """The subscription, checked rather than assumed: an unsubscribed PubSub's get_message()
        returns None for ever, as if all were quiet, and a connection re-made under it may
        have missed messages."""
        pubsub = self.pubsub
        if pubsub is None or pubsub.connection is None or not pubsub.subscribed:
            raise ChannelDown("not subscribed to Redis")
        if self.reconnected:
            raise ChannelDown("the Redis connection was re-made")
        return pubsub

    def publish(self, raw):
        self._client().publish(REDIS_CHANNEL, raw)

    def close(self):
        pubsub, self.pubsub = self.pubsub, None
        if pubsub is not None:
            if pubsub.connection is not None:
                pubsub.connection.deregister_connect_callback(self._on_reconnect)
            pubsub.close()


def socket_directory():
    """Where the local sockets live. AF_UNIX paths are limited to 107 bytes, so a deep var/
    falls back to a short directory named after it (still one per installation)."""
    configured = getattr(settings, "LIVE_SOCKET_DIR", None)
    directory = Path(configured or Path(settings.VAR_DIR) / "live")
    if len(str(directory)) > 70:
        digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
        directory = Path(tempfile.gettempdir()) / f"historyweb-live-{digest}"
    return directory


def make_transport():
    url = getattr(settings, "REDIS_URL", "")
    return RedisTransport(url) if url else SocketTransport(socket_directory())
