"""ASGI lifespan (historyweb/lifespan.py): the site answers the server's lifespan events and
runs the callbacks apps registered to stop, once, as soon as the server is told to stop."""

import asyncio
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from historyweb import lifespan
from historyweb.asgi import application
from timeline.live import channel


def run(coroutine):
    # In a thread of its own: the browser tests' Playwright keeps a loop in the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=20)


async def lifespan_events(app, messages):
    """Send `messages` to `app` as a lifespan scope; what it sent back."""
    incoming, sent = list(messages), []

    async def receive():
        return {"type": incoming.pop(0)}

    async def send(message):
        sent.append(message["type"])

    await asyncio.wait_for(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send), 5)
    return sent


def test_the_site_registers_the_live_hubs_stop():
    assert isinstance(application, lifespan.LifespanApp)
    assert channel.stop_hub in application.callbacks


def test_lifespan_events_are_answered_and_stop_runs_once_at_shutdown():
    calls = []
    app = lifespan.LifespanApp(None, callbacks=[lambda: calls.append("a"), lambda: 1 / 0])
    app.callbacks.append(lambda: calls.append("b"))  # one that fails does not stop the others
    assert run(lifespan_events(app, ["lifespan.startup"] + ["lifespan.shutdown"])) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert calls == ["a", "b"]
    app.stop()
    assert calls == ["a", "b"]


def test_start_callbacks_run_once_in_the_background_at_startup():
    ran, release = [], threading.Event()

    def slow():
        release.wait(5)  # startup is answered while a start callback still works
        ran.append("slow")

    app = lifespan.LifespanApp(
        None, callbacks=[], start_callbacks=[slow, lambda: 1 / 0, lambda: ran.append("b")]
    )
    assert run(lifespan_events(app, ["lifespan.startup", "lifespan.shutdown"])) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert ran == []
    release.set()
    deadline = time.monotonic() + 5
    while len(ran) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ran == ["slow", "b"]  # one that fails does not stop the next


def test_the_site_sweeps_dead_workers_runs_when_it_starts():
    from timeline.runner import sandbox

    assert sandbox.sweep_at_start in application.start_callbacks


def test_other_scopes_go_to_the_site():
    seen = []

    async def site(scope, receive, send):
        seen.append(scope["type"])

    run(lifespan.LifespanApp(site)({"type": "http"}, None, None))
    assert seen == ["http"]


@pytest.fixture
def stop_signals():
    """The process's SIGTERM and SIGINT handlers, as they were before the test."""
    saved = {number: signal.getsignal(number) for number in lifespan.STOP_SIGNALS}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_a_servers_sigterm_runs_the_callbacks_then_the_servers_own_handler(stop_signals):
    """uvicorn sends lifespan's shutdown only once every response has ended, and a follower's
    stream lasts 30 minutes: the callbacks must run when the signal comes, not then."""
    order = []
    stopped = threading.Event()

    def servers_handler(number, frame):  # uvicorn's: begin the graceful shutdown
        order.append(("server", number))

    def callback():
        order.append("callback")
        stopped.set()

    signal.signal(signal.SIGTERM, servers_handler)
    loop = asyncio.new_event_loop()  # the server's loop, in a thread here
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        app = lifespan.LifespanApp(None, callbacks=[callback])
        app.chain_signals(loop)
        signal.raise_signal(signal.SIGTERM)
        assert stopped.wait(5)
        assert order.count(("server", signal.SIGTERM)) == 1 and order.count("callback") == 1
        signal.raise_signal(signal.SIGTERM)  # a second signal: the server's, no second stop
        time.sleep(0.1)
        assert order.count(("server", signal.SIGTERM)) == 2 and order.count("callback") == 1
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_the_default_action_is_left_alone(stop_signals):
    """No server handles the signal: nothing to chain onto (the process just dies)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    loop = asyncio.new_event_loop()
    lifespan.LifespanApp(None, callbacks=[]).chain_signals(loop)
    loop.close()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
