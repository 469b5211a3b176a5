"""The channel that carries live-session events to every worker process, and inside each to
its open streams.

Every process has one `Hub`: one listener thread receives every live message and hands it to
the streams this process holds for that session (asyncio streams under the ASGI server,
blocked threads under runserver). The listener is one thread per process, never one per
follower. How messages reach every process depends on the set-up:

* `REDIS_URL` set: Redis pub/sub, so any number of app servers share the session.
* otherwise: UNIX datagram sockets in one directory, one per process; a publisher sends each
  message to every socket there. That reaches every worker on this machine (gunicorn's
  workers, runserver's process) with no polling and no extra service.

Messages can be lost (a full socket buffer, a Redis reconnect), so the listener also re-reads
the state of the sessions it serves from the database every few seconds and passes on any
change it missed. A message is JSON: {"code", "event", "seq", "data"}.
"""

import asyncio
import collections
import hashlib
import json
import logging
import os
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from historyweb.redis_client import CHANNEL_PREFIX, redis_client

from .state import current_states

log = logging.getLogger(__name__)

REDIS_CHANNEL = CHANNEL_PREFIX + "live"
MAX_MESSAGE_BYTES = 8 * 1024  # a state or run event is a few dozen bytes
QUEUE_LENGTH = 64  # a stream that falls this far behind loses its oldest events
RESYNC_SECONDS = 5.0


def encode(code, event, seq, data):
    return json.dumps({"code": code, "event": event, "seq": seq, "data": data}).encode()


def decode(raw):
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(message, dict) or not isinstance(message.get("code"), str):
        return None
    return message


# ---- Subscribers: one per open stream ---------------------------------------------------------


class ThreadSubscriber:
    """A stream served by a thread (runserver, any WSGI server): waits on a condition."""

    def __init__(self, code):
        self.code = code
        self.items = collections.deque(maxlen=QUEUE_LENGTH)
        self.ready = threading.Condition()

    def deliver(self, message):
        with self.ready:
            self.items.append(message)
            self.ready.notify()

    def get(self, timeout):
        """The next message, or None after `timeout` seconds without one."""
        with self.ready:
            if not self.items:
                self.ready.wait(timeout)
            return self.items.popleft() if self.items else None


class AsyncSubscriber:
    """A stream served by the event loop (the ASGI server): no thread while it waits."""

    def __init__(self, code):
        self.code = code
        self.loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue(maxsize=QUEUE_LENGTH)

    def deliver(self, message):
        # Called from the listener thread: hand over to the loop that owns the queue.
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # the loop has closed; the stream is gone
            pass

    def _put(self, message):
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(message)

    async def get(self, timeout):
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


def _put_all(subscribers, message):
    for subscriber in subscribers:
        subscriber._put(message)


# ---- Transports: how a message reaches every process ------------------------------------------


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
        sock.settimeout(RESYNC_SECONDS)
        self.sock, self.path = sock, path

    def receive(self):
        """The next raw message, or None when RESYNC_SECONDS pass without one."""
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


class RedisTransport:
    """Redis pub/sub on one channel: every process of every app server subscribes once."""

    def __init__(self, client):
        self.client = client  # the process's client (historyweb/redis_client.py)
        self.pubsub = None

    def open(self):
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(REDIS_CHANNEL)

    def receive(self):
        message = self.pubsub.get_message(timeout=RESYNC_SECONDS)
        return message["data"] if message else None

    def publish(self, raw):
        self.client.publish(REDIS_CHANNEL, raw)

    def close(self):
        if self.pubsub is not None:
            self.pubsub.close()


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
    client = redis_client()
    return RedisTransport(client) if client is not None else SocketTransport(socket_directory())


# ---- The hub: one per process -----------------------------------------------------------------


def bye(code):
    """The message that ends a stream: this process is stopping."""
    return {"code": code, "event": "bye"}


class Hub:
    def __init__(self, transport, resync=None):
        self.transport = transport
        self.resync = resync  # callable(codes) -> {code: (seq, data)}; the database's view
        self.subscribers = collections.defaultdict(set)
        self.last_seq = {}
        self.lock = threading.Lock()
        self.thread = None
        self.stopping = False

    def publish(self, code, event, seq, data):
        self.transport.publish(encode(code, event, seq, data))

    def subscribe(self, subscriber):
        self._start()
        with self.lock:
            self.subscribers[subscriber.code].add(subscriber)
            stopping = self.stopping
        if stopping:  # a stream that opened as the process began to stop: ends at once
            subscriber.deliver(bye(subscriber.code))

    def unsubscribe(self, subscriber):
        with self.lock:
            subscribers = self.subscribers.get(subscriber.code)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self.subscribers[subscriber.code]
                    self.last_seq.pop(subscriber.code, None)

    def listening(self):
        with self.lock:
            return sum(len(s) for s in self.subscribers.values())

    def dispatch(self, message):
        code = message["code"]
        with self.lock:
            targets = list(self.subscribers.get(code, ()))
            if message.get("event") == "state" and isinstance(message.get("seq"), int):
                self.last_seq[code] = max(self.last_seq.get(code, 0), message["seq"])
        # One wake-up per event loop, not one per stream: a worker may hold hundreds.
        by_loop = collections.defaultdict(list)
        for subscriber in targets:
            if isinstance(subscriber, AsyncSubscriber):
                by_loop[subscriber.loop].append(subscriber)
            else:
                subscriber.deliver(message)
        for loop, subscribers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_put_all, subscribers, message)
            except RuntimeError:  # that loop has closed; its streams are gone
                pass

    def _start(self):
        with self.lock:
            if self.thread is not None or self.stopping:
                return
            self.transport.open()
            self.thread = threading.Thread(target=self._listen, name="live-hub", daemon=True)
            self.thread.start()

    def _listen(self):
        while not self.stopping:
            try:
                raw = self.transport.receive()
            except Exception:  # a dropped Redis connection: retry, resync catches up
                if self.stopping:
                    return
                log.exception("live: receiving failed; retrying")
                self._reopen()
                raw = None
            if raw is None:
                self._resync()
                continue
            message = decode(raw)
            if message is not None:
                self.dispatch(message)

    def _reopen(self):
        time.sleep(1)
        try:
            self.transport.close()
            self.transport.open()
        except Exception:
            log.exception("live: reconnecting failed")

    def _resync(self):
        if self.resync is None:
            return
        with self.lock:
            codes = list(self.subscribers)
        if not codes:
            return
        try:
            states = self.resync(codes)
        except Exception:
            log.exception("live: resync failed")
            return
        for code, (seq, data) in states.items():
            if seq > self.last_seq.get(code, -1):
                self.dispatch({"code": code, "event": "state", "seq": seq, "data": data})

    def stop(self, wait=0.0):
        """Stop listening and end every open stream (browsers reconnect elsewhere)."""
        with self.lock:
            self.stopping = True
            subscribers = [s for group in self.subscribers.values() for s in group]
        for subscriber in subscribers:
            subscriber.deliver(bye(subscriber.code))
        self.transport.close()
        deadline = time.monotonic() + wait
        while self.listening() and time.monotonic() < deadline:
            time.sleep(0.02)


_hub = None
_hub_lock = threading.Lock()


def hub():
    """This process's hub, made on first use (after settings are loaded)."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = Hub(make_transport(), resync=current_states)
        return _hub


def stop_hub():
    """The server is stopping: end this process's open streams, so it need not wait for them
    (registered with historyweb.lifespan by the app's config)."""
    with _hub_lock:
        current = _hub
    if current is not None:
        current.stop()


def reset_hub(wait=2.0):
    """Tests that change REDIS_URL or the socket directory start a fresh hub."""
    global _hub
    with _hub_lock:
        if _hub is not None:
            _hub.stop(wait)
        _hub = None
