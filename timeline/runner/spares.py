"""Spares: sandboxes started ahead of their run, so a run pays neither bwrap, the cgroup move
nor the interpreter's start (nor `import fastapi`: 280 ms of a cold FastAPI run).

A spare is made exactly as a cold run's sandbox (process.launch: the same bwrap, seccomp filter,
cgroup entered before the interpreter starts, a uid and work directory of its own), then the
harness imports what its runtime's programs import (WARM) and waits on a socket. A run is
dispatched to it by writing the run's spec and body into its work directory, the run's limits
into its cgroup, and one byte to the socket: the harness then reads the spec and goes on as in a
cold run (limits, fork, drop to the run's uid, the user's code). The clock starts there. A spare
serves one run and is then killed and released like any run; a thread starts its replacement.

Per runtime, RUNNER_SPARES says how many wait (config.py); RUNNER_SPARE_MAX_AGE how long one may
wait before it is replaced. A spare found dead is discarded and the run starts cold. Spares are
stopped when the process ends (stop_all: atexit, the ASGI lifespan, a Celery worker's shutdown);
what a killed process left is swept as any dead worker's runs (leftovers.py).
"""

import atexit
import dataclasses
import logging
import os
import selectors
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

from . import identity, leftovers, process
from .bwrap import write_accounts

# What each runtime's spares import before their run: the frameworks the samples use, and the
# modules their first request imports (anyio's streams for Starlette, idna for a Host header).
# Imports only: nothing runs that a cold run would not have run the same way.
WARM = {
    # wsgiref's handler and validator: how a submission's requests are served (batch runs).
    "wsgi": ("flask", "encodings.idna", "wsgiref.handlers", "wsgiref.validate"),
    "asgi": (
        "fastapi",
        # Where Starlette runs a plain `def` endpoint (a worker thread): 10 ms of a first request.
        "anyio._backends._asyncio",
        "anyio._core._sockets",
        "anyio._core._streams",
        "anyio.streams.stapled",
        "queue",
    ),
}
START_WAIT = 10.0  # seconds a spare may take to be ready before it is given up
RETRY_AFTER = 2.0  # seconds before the filler tries again after a spare failed to start
# Tests: a run that finds no spare starts one and runs in it, so every run takes the spare path.
START_AT_RUN = {"on": False}
# Runs of this process served by a spare, and those that wanted one and started cold.
COUNTS = {"spare": 0, "cold": 0}
log = logging.getLogger(__name__)


def key_of(config, held, hosts, runtime, script):
    """What a spare must share with a run to serve it: everything fixed at its start (the
    sandbox's command, where its cgroup and uid come from). Limits are the run's, at dispatch."""
    fixed = dataclasses.replace(
        config,
        **dict.fromkeys(("timeout", "output_bytes", "memory_bytes", "processes"), 0),
        **dict.fromkeys(("file_bytes", "open_files", "cpus", "max_concurrent"), 0),
        **dict.fromkeys(("slot_wait", "rate_limit", "rate_window", "spare_max_age"), 0),
        spares=(),
    )
    return (fixed, held.cgroups.available, held.seccomp, str(hosts), runtime, script)


def cgroup_limits(config):
    return (config.memory_bytes, config.processes + 2, config.cpus)


class Spare:
    """One started sandbox waiting for its run."""

    def __init__(self, config, held, hosts, runtime, script):
        self.config = config
        self.born = time.monotonic()
        self.ready = self.dead = self.used = False
        self.launched = self.work_dir = self.channel = None
        self.limits = cgroup_limits(config)
        self.uid, self.cgroup = identity.allocate(config, held.cgroups)
        try:
            self.work_dir = Path(tempfile.mkdtemp(prefix=leftovers.work_prefix()))
            self.work_dir.chmod(0o755)  # read by the harness as an unprivileged uid
            write_accounts(self.work_dir, self.uid)  # bound as bwrap starts
            self.channel, theirs = socket.socketpair()
            try:
                self.launched = process.launch(
                    config,
                    self.work_dir,
                    hosts,
                    self.cgroup,
                    held.seccomp,
                    script,
                    go_fd=theirs.fileno(),
                    warm=WARM.get(runtime, ()),
                )
            finally:
                theirs.close()
            self.admit()
        except BaseException:
            self.close()
            raise

    def admit(self):
        """Into its cgroup before its interpreter starts, as a cold run (process.admit)."""
        deadline = time.monotonic() + START_WAIT
        with selectors.DefaultSelector() as selector:
            selector.register(self.launched.info_r, selectors.EVENT_READ)
            while not process.admit(self.launched, self.cgroup):
                if time.monotonic() > deadline or not selector.select(START_WAIT):
                    raise process.SandboxUnavailable("A spare did not start in time.")
                try:
                    data = os.read(self.launched.info_r, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    raise process.SandboxUnavailable("A spare's sandbox could not be made.")
                self.launched.info += data

    def wait_ready(self, timeout=START_WAIT):
        """Whether its imports are done and it waits for its run (False: dead or too slow)."""
        self.channel.settimeout(timeout)
        try:
            self.take_word()
        except TimeoutError:
            pass
        return self.ready and not self.dead

    def take_word(self):
        try:
            word = self.channel.recv(1)
        except BlockingIOError:
            return
        except OSError:
            word = b""
        self.ready = word == b"r"
        self.dead = self.dead or not word

    def alive(self):
        if self.dead or self.launched.process.poll() is not None:
            self.dead = True
            return False
        self.channel.setblocking(False)
        if not self.ready:
            self.take_word()
        else:
            try:
                # Nothing to read while it waits; an end of file if its harness went away.
                self.dead = self.channel.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                pass
            except OSError:
                self.dead = True
        return not self.dead

    def run(self, config, spec, body):
        """The run, in this spare: a RawRun, or None if the spare could not take it (dead)."""
        self.used = True
        if not self.alive():
            return None
        if self.cgroup is not None and cgroup_limits(config) != self.limits:
            try:
                self.cgroup.set_limits(*cgroup_limits(config))
            except OSError:
                return None
        spec["uid"] = self.uid
        process.write_inputs(self.work_dir, spec, body)
        started = time.monotonic()
        try:
            self.channel.setblocking(True)
            self.channel.sendall(b"g")
        except OSError:
            return None
        try:
            return process.collect(config, self.launched, self.cgroup, started)
        finally:
            self.launched = None  # collect() closed its pipes and reaped it

    def expired(self, max_age):
        return time.monotonic() - self.born > max_age

    def close(self):
        """Stop it (if it still waits) and give back its cgroup, uid and work directory."""
        launched = self.launched
        if self.channel is not None:
            self.channel.close()  # a waiting harness reads nothing and ends
        if launched is not None:
            process.kill_sandbox(launched.process, launched.info, self.cgroup)
            launched.process.wait()
            fds = (launched.result_r, launched.info_r, launched.block_w)
            for fd in (fd for fd in fds if fd is not None):
                os.close(fd)
            launched.process.stdout.close()
            launched.process.stderr.close()
        self.launched = None
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        identity.release(self.config, self.uid, self.cgroup)


@dataclasses.dataclass
class Want:
    count: int
    start: tuple  # Spare's arguments


class Pool:
    """This process's spares, and the thread that keeps them filled."""

    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.Condition()
        self.waiting = {}  # key -> [Spare]
        self.wanted = {}  # key -> Want
        self.doomed = []  # spares to close, off the runs' path
        self.busy = False  # the filler is starting a spare
        self.max_age = 300.0
        self.thread = None

    def take(self, config, held, hosts, runtime, script):
        count = dict(config.spares).get(runtime, 0)
        if not count:
            return None
        key = key_of(config, held, hosts, runtime, script)
        with self.lock:
            self.max_age = config.spare_max_age
            if not START_AT_RUN["on"]:
                self.wanted[key] = Want(count, (config, held, hosts, runtime, script))
            waiting = self.waiting.setdefault(key, [])
            spare = None
            while waiting and spare is None:
                candidate = waiting.pop(0)
                fresh = not candidate.expired(config.spare_max_age) and candidate.alive()
                if fresh:
                    spare = candidate
                else:
                    self.doomed.append(candidate)
            self.start_filler()
            self.lock.notify_all()
        if spare is None and START_AT_RUN["on"]:
            spare = self.start_one((config, held, hosts, runtime, script))
        return spare

    def retire(self, spare):
        """A used (or dead) spare, closed by the filler, off the run's path."""
        with self.lock:
            self.doomed.append(spare)
            self.start_filler()
            self.lock.notify_all()

    def start_filler(self):
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self.fill, name="runner-spares", daemon=True)
            self.thread.start()

    def needed(self):
        """The next spare to start (its key and Want), or None; under the lock."""
        for key, want in self.wanted.items():
            waiting = self.waiting.setdefault(key, [])
            for spare in [s for s in waiting if s.expired(self.max_age)]:
                waiting.remove(spare)
                self.doomed.append(spare)
            if len(waiting) < want.count:
                return key, want
        return None

    def fill(self):
        while True:
            with self.lock:
                doomed, self.doomed = self.doomed, []
                todo = None if doomed else self.needed()
                if not doomed and todo is None:
                    self.lock.wait(timeout=max(1.0, self.max_age / 4))
                    continue
                self.busy = True  # stop() waits for what is being closed or started
            for spare in doomed:
                self.close_quietly(spare)
            spare = self.start_one(todo[1].start) if todo else None
            with self.lock:
                self.busy = False
                if spare is not None and todo[0] in self.wanted:
                    self.waiting.setdefault(todo[0], []).append(spare)
                elif spare is not None:
                    self.doomed.append(spare)
                self.lock.notify_all()
            if todo and spare is None:
                time.sleep(RETRY_AFTER)

    def start_one(self, start):
        """A new spare (Spare's arguments), ready; None if it could not start."""
        try:
            spare = Spare(*start)
        except Exception:
            log.warning("Could not start a spare sandbox", exc_info=True)
            return None
        # One at a time, each ready before the next: spares never crowd the runs.
        spare.wait_ready()
        return spare

    def close_quietly(self, spare):
        try:
            spare.close()
        except Exception:
            log.warning("Could not release a spare sandbox", exc_info=True)

    def stop(self, wait=START_WAIT * 2):
        """Stop every spare (and the one being started) and release what they hold."""
        if self.pid != os.getpid():
            return  # a forked child's atexit: its parent's spares are the parent's to stop
        with self.lock:
            self.wanted.clear()
            self.lock.wait_for(lambda: not self.busy, timeout=wait)
            spares = [s for waiting in self.waiting.values() for s in waiting] + self.doomed
            self.waiting.clear()
            self.doomed = []
        for spare in spares:
            self.close_quietly(spare)


POOL = {"pool": None}


def pool():
    """This process's pool: a forked child (a Celery worker process) starts its own, and never
    touches its parent's spares."""
    current = POOL["pool"]
    if current is None or current.pid != os.getpid():
        current = POOL["pool"] = Pool()
        atexit.register(current.stop)
    return current


def run(config, held, hosts, spec, body, script):
    """The run in a spare of its runtime: a RawRun, or None to start it cold (no spares for
    it, none ready, or the one taken had died)."""
    runtime = spec.get("runtime")
    if runtime == "cgi" and not script:
        return None  # a CGI batch is driven by the harness as the main script: no spares
    if not dict(config.spares).get(runtime):
        return None
    spare = pool().take(config, held, hosts, runtime, script)
    try:
        raw = spare.run(config, spec, body) if spare is not None else None
    finally:
        if spare is not None:
            pool().retire(spare)
    COUNTS["cold" if raw is None else "spare"] += 1
    return raw


def stop_all():
    """Every spare of this process stopped (a process that made none makes no pool)."""
    current = POOL["pool"]
    if current is not None and current.pid == os.getpid():
        current.stop()
