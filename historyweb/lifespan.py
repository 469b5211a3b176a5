"""ASGI lifespan for the site: apps register what must happen when a worker starts and when it
stops.

Django's ASGI handler refuses lifespan events, so the server never tells the site it stops.
`LifespanApp` answers them and, on the way out, runs the callbacks apps registered with
`on_stop` (the live hub's "bye" to its open streams, for instance).

Lifespan's "shutdown" alone comes too late for long responses: uvicorn sends it only after
every open response has finished, and an event stream runs for up to 30 minutes, so gunicorn
kills the worker after its graceful timeout first. So at start-up `LifespanApp` also chains
onto the server's own handlers of SIGTERM and SIGINT: the callbacks run as soon as the server
is told to stop, while it waits for open responses to end, and that is what ends them.

Each stop callback runs once, in a thread of its own (it may block), whichever comes first.
Start callbacks (`on_start`) run once, in a thread of their own, when the worker has started:
the worker answers requests meanwhile.
"""

import asyncio
import logging
import signal
import threading

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)  # what uvicorn shuts down gracefully on

_on_stop = []
_on_start = []


def on_start(callback):
    """Call `callback()` once, in the background, when this process's server has started."""
    if callback not in _on_start:
        _on_start.append(callback)
    return callback


def on_stop(callback):
    """Call `callback()` once when this process's server begins to stop."""
    if callback not in _on_stop:
        _on_stop.append(callback)
    return callback


class LifespanApp:
    """An ASGI app that answers lifespan events and hands everything else to `app`."""

    def __init__(self, app, callbacks=_on_stop, start_callbacks=_on_start):
        self.app = app
        self.callbacks = callbacks
        self.start_callbacks = start_callbacks
        self.lock = threading.Lock()
        self.stopped = False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.chain_signals(asyncio.get_running_loop())
                self.start_in_thread()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                thread = self.stop_in_thread()
                # Wait without holding the loop, which may still be serving.
                while thread.is_alive():
                    await asyncio.sleep(0.02)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def stop(self):
        """Run every callback, once in the process's life."""
        with self.lock:
            if self.stopped:
                return
            self.stopped = True
        for callback in list(self.callbacks):
            try:
                callback()
            except Exception:
                log.exception("lifespan: a stop callback failed")

    def start_in_thread(self):
        def start():
            for callback in list(self.start_callbacks):
                try:
                    callback()
                except Exception:
                    log.exception("lifespan: a start callback failed")

        thread = threading.Thread(target=start, name="lifespan-start", daemon=True)
        thread.start()
        return thread

    def stop_in_thread(self):
        thread = threading.Thread(target=self.stop, name="lifespan-stop", daemon=True)
        thread.start()
        return thread

    def chain_signals(self, loop):
        """Stop as soon as the server's own SIGTERM/SIGINT handler is called, then call it.

        Only a server's handler (a Python callable) is chained: with the default action the
        process would die at once anyway, and signals can only be caught in the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return
        for number in STOP_SIGNALS:
            previous = signal.getsignal(number)
            if callable(previous):
                signal.signal(number, self._handler(loop, previous))

    def _handler(self, loop, previous):
        def handle(number, frame):
            # A signal handler may interrupt the loop's thread anywhere, even inside a lock a
            # callback needs: it only asks the loop to start the thread, then lets the server
            # begin its graceful shutdown.
            try:
                loop.call_soon_threadsafe(self.stop_in_thread)
            except RuntimeError:  # the loop has closed
                pass
            previous(number, frame)

        return handle
