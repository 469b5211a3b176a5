"""The channel that carries live-session events to every worker process, and inside each to
its open streams.

Every process has one `Hub`: one listener thread receives every live message and hands it to
the streams this process holds for that session (asyncio streams under the ASGI server,
blocked threads under runserver). The listener is one thread per process, never one per
follower. Messages reach every process through Redis pub/sub or local UNIX sockets
(live/transports.py).

The database is the truth, the channel only news of it. Messages can be lost (a full socket
buffer, a Redis outage), so the listener re-reads the state of the sessions it serves from the
database every few seconds of quiet and passes on any change it missed. When the channel goes
down, it re-subscribes with backoff for as long as it takes, re-reading the database every
second meanwhile (followers keep getting moves), and once subscribed again it replays from the
database what changed. A remote's request to run is in no database: one sent while the channel
is down is refused (the remote says so), and one sent while this process was re-subscribing is
not replayed. The result the projector then shows is part of the state (live/runs.py), so it is.
A message is JSON: {"code", "event", "seq", "data"}.
"""

import asyncio
import collections
import json
import logging
import random
import threading
import time

from django.conf import settings

from historyweb.errors import ServiceError

from .state import current_states
from .transports import make_transport

log = logging.getLogger(__name__)

QUEUE_LENGTH = 64  # a stream that falls this far behind loses its oldest events
POINTER = "pointer"  # the speaker's pointer (live/pointer.py): a stream holds only the latest


def older(message, than):
    """A pointer move that its own sender made before `than` (live/pointer.py's "n")."""
    data, other = message.get("data") or {}, than.get("data") or {}
    if not isinstance(data, dict) or not isinstance(other, dict) or "sender" not in data:
        return False
    same = data.get("sender") == other.get("sender")
    return same and isinstance(data.get("n"), int) and data["n"] < (other.get("n") or 0)


class PointerSlot:
    """The latest pointer message not yet sent on a stream. A newer one replaces it (latest
    wins), so a stream that falls behind skips pointer positions, never states or runs."""

    def __init__(self):
        self.message = None

    def put(self, message):
        """Keep `message`; True if the stream must be woken (no pointer was waiting)."""
        waiting = self.message is not None
        if not waiting or not older(message, self.message):
            self.message = message
        return not waiting

    def take(self, item):
        """The item the stream gets in place of the queued mark `item`."""
        if item is not POINTER:
            return item
        message, self.message = self.message, None
        return message


BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0  # seconds between attempts to re-subscribe


def resync_seconds():
    """Quiet seconds after which the database is re-read, in case news was lost."""
    return getattr(settings, "LIVE_RESYNC_SECONDS", 5.0)


def fallback_seconds():
    """While the channel is down, the database is re-read this often instead."""
    return getattr(settings, "LIVE_FALLBACK_SECONDS", 1.0)


def backoff_delays(first=BACKOFF_FIRST, cap=BACKOFF_MAX):
    """The waits between attempts, forever: doubling up to `cap`, each somewhere in its upper
    half, so that the workers of a fleet do not all reconnect in step."""
    delay = first
    while True:
        yield random.uniform(delay / 2, delay)
        delay = min(delay * 2, cap)


class NotDelivered(ServiceError):
    """A run the channel could not carry: it is in no database, so nothing would replay it."""

    status = 503

    def __init__(self):
        super().__init__(
            "Not run: the live channel is down, so the presenting deck was not told. "
            "Try again in a few seconds.",
            retry_after=2,
        )


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

        self.pointer = PointerSlot()

    def deliver(self, message):
        with self.ready:
            if message.get("event") == POINTER and not self.pointer.put(message):
                return
            if len(self.items) == QUEUE_LENGTH:  # the oldest goes: a pointer mark with its slot
                self.pointer.take(self.items.popleft())
            self.items.append(POINTER if message.get("event") == POINTER else message)
            self.ready.notify()

    def get(self, timeout):
        """The next message, or None after `timeout` seconds without one."""
        with self.ready:
            if not self.items:
                self.ready.wait(timeout)
            return self.pointer.take(self.items.popleft()) if self.items else None


class AsyncSubscriber:
    """A stream served by the event loop (the ASGI server): no thread while it waits."""

    def __init__(self, code):
        self.code = code
        self.loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue(maxsize=QUEUE_LENGTH)
        self.pointer = PointerSlot()

    def deliver(self, message):
        # Called from the listener thread: hand over to the loop that owns the queue.
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # the loop has closed; the stream is gone
            pass

    def _put(self, message):
        if message.get("event") == POINTER:
            if not self.pointer.put(message):
                return  # a mark is queued already: it now brings this one
            message = POINTER
        if self.queue.full():
            self.pointer.take(self.queue.get_nowait())
        self.queue.put_nowait(message)

    async def get(self, timeout):
        try:
            return self.pointer.take(await asyncio.wait_for(self.queue.get(), timeout))
        except TimeoutError:
            return None


def _put_all(subscribers, message):
    for subscriber in subscribers:
        subscriber._put(message)


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
        self.down = False  # the channel is down: the database is re-read every second
        self.woken = threading.Event()  # ends a wait between attempts when the hub stops

    def publish(self, code, event, seq, data):
        try:
            self.transport.publish(encode(code, event, seq, data))
        except Exception as error:
            log.warning("live: publishing failed (%s)", error)
            if event == "run":
                raise NotDelivered() from error
            # The move is in the database already: the other processes re-read it while their
            # channel is down, and this one's own followers need not wait for that.
            self.dispatch({"code": code, "event": event, "seq": seq, "data": data})

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
            # Subscribed before the first stream reads its state, so no change falls between;
            # if the channel is down, the listener keeps trying and re-reads meanwhile.
            opened = self._open()
            self.thread = threading.Thread(
                target=self._listen, args=(opened,), name="live-hub", daemon=True
            )
            self.thread.start()

    def _open(self):
        try:
            self.transport.close()
            self.transport.open()
        except Exception as error:
            log.warning("live: subscribing failed (%s)", error)
            return False
        return True

    def _listen(self, opened=True):
        if not opened:
            self._recover()
        while not self.stopping:
            try:
                raw = self.transport.receive(resync_seconds())
            except Exception as error:
                if self.stopping:
                    return
                log.warning("live: the channel is down (%s); re-subscribing", error)
                self._recover()
                continue
            if raw is None:
                self._resync()
                continue
            message = decode(raw)
            if message is not None:
                self.dispatch(message)

    def _recover(self):
        """Re-open the transport, trying with backoff for as long as it takes; meanwhile the
        database is re-read every fallback_seconds(). Once subscribed, what changed while the
        channel was down is replayed from the database."""
        self.down = True
        delays = backoff_delays()
        next_try = next_read = time.monotonic()
        while not self.stopping:
            now = time.monotonic()
            if now >= next_read:
                self._resync()
                next_read = now + fallback_seconds()
            if now >= next_try:
                if self._open():
                    break
                next_try = time.monotonic() + next(delays)
            self.woken.wait(max(0.0, min(next_try, next_read) - time.monotonic()))
        self.down = False
        if self.stopping:  # stop() may have closed the transport before it was re-opened
            self.transport.close()
            return
        self._resync()

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
        self.woken.set()
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
