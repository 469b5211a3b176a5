"""Server-sent events for one live session: the current state first, then every change.

One loop (`_events`) decides what goes out and when the stream ends; it never waits itself.
Two thin drivers wait for it: an async generator for the ASGI server (production: hundreds
of followers wait on the event loop, no thread each) and a plain generator for runserver and
other WSGI servers, where each stream holds a thread. Django would buffer either form whole
under the other kind of server, so the view picks by the request it gets.

Each state event carries the session's sequence number as its id, so a follower that
reconnects (EventSource sends Last-Event-ID) gets the current state straight away.

A stream reads the database once, on opening, and then only waits for news from the channel,
for up to half an hour. So it lets go of what the read took before it waits: the thread's
connection is closed (or handed back to its pool), and under the ASGI server the thread Django
gave the request is let go too. An open stream holds neither a connection nor a thread.
"""

import json
import random
import time
from contextlib import contextmanager

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings

from historyweb.databases import hand_back_connections

from ..models import LiveSession
from . import channel
from .sessions import is_closed
from .state import state_of

KEEPALIVE_SECONDS = 15  # a comment line, so proxies and phones keep the connection open
RETRY_MS = 2000
MAX_SENDERS = 16


def stream_seconds():
    """A stream closes after this long and the browser reconnects: expiry is checked again."""
    return getattr(settings, "LIVE_STREAM_SECONDS", 30 * 60)


def event(name, seq, data):
    return f"id: {seq}\nevent: {name}\ndata: {json.dumps(data)}\n\n".encode()


def opening(session):
    return f"retry: {RETRY_MS}\n".encode() + event("state", session.seq, state_of(session))


def farewell():
    """The last event of a stream whose process is stopping (a deploy). The browser reconnects
    by itself after `retry` ms, to another worker or the new process, and gets the current
    state first. The delay is spread so that a crowd does not reconnect all at once."""
    retry = random.randint(RETRY_MS // 4, RETRY_MS)
    return f"retry: {retry}\nevent: bye\ndata: {{}}\n\n".encode()


class Forwarder:
    """Which messages go out: newer states only, every run, and newer pointer positions."""

    def __init__(self, seq):
        self.seq = seq
        self.done = False
        self.pointer_number = 0
        self.senders = {}  # each pointer sender's last "n" sent on this stream

    def render(self, message):
        name, seq, data = message.get("event"), message.get("seq"), message.get("data")
        if self.done:
            return b""
        if name == "bye":
            self.done = True
            return farewell()
        if not isinstance(seq, int) or not isinstance(data, dict):
            return b""
        if name == "state":
            if seq <= self.seq:
                return b""
            self.seq = seq
            self.done = bool(data.get("ended"))
            return event("state", seq, data)
        if name == "run":
            return event("run", self.seq, data)
        if name == "pointer":
            return self.pointer(seq, data)
        return b""

    def pointer(self, number, data):
        """The speaker's pointer (live/pointer.py): only a newer one than the last sent (by
        its sender's count if it has one, else by the server's clock), and with no id, so a
        reconnecting browser still asks from the last state it had."""
        sender, n = data.get("sender"), data.get("n")
        if isinstance(sender, str) and isinstance(n, int):
            if n <= self.senders.get(sender, -1):
                return b""
            if len(self.senders) >= MAX_SENDERS:  # a bound on what a stream remembers
                self.senders.clear()
            self.senders[sender] = n
        elif number <= self.pointer_number:
            return b""
        self.pointer_number = max(number, self.pointer_number)
        return f"event: pointer\ndata: {json.dumps(data)}\n\n".encode()


def _load(code):
    """The session's row; then this thread's connections go back. A transaction the caller
    holds open (a test's) is the caller's to end: its connection stays."""
    try:
        return LiveSession.objects.filter(code=code).first()
    finally:
        hand_back_connections()


async def read_session(code):
    """The session's row, read in the request's thread, whose connection is closed after."""
    return await sync_to_async(_load)(code)


def _let_go_of_request_thread():
    """Django's ASGI handler runs each request's blocking parts (signals, sync middleware, the
    ORM) in a thread of the request's own, kept until the response has been sent: for a stream,
    its whole life. Once the stream has read what it needs, that thread is let go (it ends when
    idle); the response's closing at the end gets a fresh one. Outside such a request (tests,
    WSGI) there is none to let go."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    executors = getattr(SyncToAsync, "context_to_thread_executor", None)
    if context is None or executors is None:
        return
    executor = executors.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)


WAIT = object()  # what the stream yields when it wants the next message


def _events(session):
    """The stream's one loop, for both kinds of server: the state now, then each change, until
    the session ends or the stream has run its time.

    It waits for nothing itself. It yields WAIT when it wants the next message, which the
    server's side (async_events, thread_events) waits for and sends in: None after
    KEEPALIVE_SECONDS of quiet. Everything else it yields is bytes to send."""
    if session is None or is_closed(session):
        return
    forwarder = Forwarder(session.seq)
    yield opening(session)
    deadline = time.monotonic() + stream_seconds()
    while not forwarder.done and time.monotonic() < deadline:
        message = yield WAIT
        chunk = forwarder.render(message) if message else b": keep-alive\n\n"
        if chunk:
            yield chunk


def _resume(events, reply):
    """The stream's next output (given the message it waited for), or None once it is over."""
    try:
        return events.send(reply)
    except StopIteration:
        return None


@contextmanager
def _subscribed(subscriber):
    # Subscribed before the state is read, so no change falls in between.
    hub = channel.hub()
    hub.subscribe(subscriber)
    try:
        yield
    finally:
        hub.unsubscribe(subscriber)


async def async_events(code):
    subscriber = channel.AsyncSubscriber(code)
    with _subscribed(subscriber):
        events = _events(await read_session(code))
        _let_go_of_request_thread()
        reply = None
        while (output := _resume(events, reply)) is not None:
            reply = None
            if output is WAIT:
                reply = await subscriber.get(KEEPALIVE_SECONDS)
            else:
                yield output


def thread_events(code):
    subscriber = channel.ThreadSubscriber(code)
    with _subscribed(subscriber):
        events = _events(_load(code))
        reply = None
        while (output := _resume(events, reply)) is not None:
            reply = None
            if output is WAIT:
                reply = subscriber.get(KEEPALIVE_SECONDS)
            else:
                yield output
