"""Start the harness in a bubblewrap sandbox and collect what it wrote, within time and size caps.

Every run is a fresh `bwrap` process: no network, own PID namespace (whatever the run starts dies
with it), read-only system and interpreter, a small private /tmp and /dev/shm, a clean
environment. The per-process limits (CPU, memory, processes, file size, open files) are set by
the harness inside the sandbox before the user's code is loaded, so no `preexec_fn` runs in
Django's threads. The run as a whole is held by its own cgroup (cgroups.py: memory including
tmpfs and shared memory, pids, CPU), a seccomp filter (seccomp.py) and a uid of its own
(identity.py).
"""

import json
import logging
import marshal
import os
import selectors
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from historyweb.errors import ServiceError, refuse_if_no_room_to_run

from . import cgroups, leftovers, seccomp
from .bwrap import SANDBOX_WORK, account_files, build_command, hosts_file
from .config import get_config
from .harness import message_cap
from .identity import run_identity

INSTALL_HINT = (
    "Running samples needs bubblewrap, which is not installed on this server. "
    "Install it with `sudo apt-get install bubblewrap` (Debian/Ubuntu) or `sudo dnf install "
    "bubblewrap` (Fedora), then try again."
)

log = logging.getLogger(__name__)


class SandboxUnavailable(ServiceError):
    """bubblewrap is missing or cannot build the sandbox: running fails closed (503)."""

    status = 503


@dataclass
class RawRun:
    stdout: bytes
    stderr: bytes
    # The harness supervisor's message, as sent: untrusted until report.py has validated it.
    report: bytes
    returncode: int | None
    timed_out: bool
    overflowed: bool
    duration_ms: float
    # From the run's cgroup (None/False where there was none): whether the kernel killed a
    # process of it for the memory limit (the run was then stopped whole), and its peak memory.
    memory_exceeded: bool = False
    peak_memory_bytes: int | None = None
    # From the cgroup's own counters: whether the run's memory reached its limit at all (a
    # charge refused, an OOM), killed or not. What makes a MemoryError the memory limit.
    memory_limit_reached: bool = False
    # Whether bwrap said, on its --info-fd, that it made the sandbox (reported its child's
    # pid). Without that nothing of the program ran: whatever is on stderr is bwrap's own.
    started: bool = True


class Containment:
    """What holds a run as a whole on this host: where cgroups go, and the seccomp filter."""

    def __init__(self, config):
        self.cgroups = cgroups.layout_for(config.cgroup_parent)
        try:
            self.seccomp = seccomp.filter_bytes()
            self.seccomp_problem = ""
        except seccomp.SeccompUnavailable as exc:
            self.seccomp = None
            self.seccomp_problem = str(exc)

    def problems(self):
        found = []
        if not self.cgroups.available:
            found.append(f"no cgroup per run: {self.cgroups.problem}")
        if self.seccomp is None:
            found.append(self.seccomp_problem)
        return found


def sweep_at_start():
    """What dead workers left, swept as this worker starts: by the time it is killed and
    replaced, the learner's code it held is not left on the disk until some later run."""
    try:
        config = get_config()
        return leftovers.maybe_sweep(config, containment(config).cgroups)
    except Exception:  # a worker that cannot sweep still serves; its first run tries again
        log.warning("sweeping dead workers' runs at start failed", exc_info=True)
        return None


def containment(config):
    return Containment(config)


def run_in_sandbox(config, spec, body=b""):
    """Run the harness on `spec`; returns a RawRun. Raises SandboxUnavailable without bwrap, or
    without a cgroup and seccomp filter where RUNNER_REQUIRE_CONTAINMENT is set."""
    if not config.bwrap:
        raise SandboxUnavailable(INSTALL_HINT)
    held = containment(config)
    if config.require_containment and held.problems():
        raise SandboxUnavailable("Runs are switched off: " + "; ".join(held.problems()))
    spec = dict(spec)
    spec["body_path"] = f"{SANDBOX_WORK}/body"
    spec["limits"] = {
        "cpu_seconds": max(1, int(config.timeout) + 1),
        "memory_bytes": config.memory_bytes,
        "processes": config.processes,
        "file_bytes": config.file_bytes,
        "open_files": config.open_files,
        "output_bytes": config.output_bytes,
    }
    hosts = hosts_file(config)
    leftovers.maybe_sweep(config, held.cgroups)
    with (
        run_identity(config, held.cgroups) as (uid, cgroup),
        _work_dir() as work_dir,
    ):
        spec["uid"] = uid
        work_dir.chmod(0o755)  # the harness reads it after dropping to an unprivileged uid
        # marshal: the harness reads it without importing json (and with it, re).
        try:
            files = {"spec": marshal.dumps(spec), "body": body}
            files.update((name, text.encode()) for name, text in account_files(uid).items())
            for name, data in files.items():
                (work_dir / name).write_bytes(data)
                (work_dir / name).chmod(0o644)
        except OSError as exc:
            refuse_if_no_room_to_run(exc)
            raise
        script = spec.get("runtime") in ("python", "cgi") and "batch" not in spec
        return execute(config, work_dir, hosts, cgroup, held.seccomp, script=script)


@contextmanager
def _work_dir():
    """A new run's work directory, removed after it (a 503 when there is no room to make it)."""
    try:
        work = tempfile.TemporaryDirectory(prefix=leftovers.work_prefix())
    except OSError as exc:
        refuse_if_no_room_to_run(exc)
        raise
    with work as path:
        yield Path(path)


def seccomp_pipe(program):
    """A pipe holding the filter, for `bwrap --seccomp FD` (a few hundred bytes: it fits the
    pipe's buffer, so the write never blocks)."""
    read_end, write_end = os.pipe()
    os.write(write_end, program)
    os.close(write_end)
    return read_end


def execute(config, work_dir, hosts, cgroup=None, seccomp_program=None, script=False):
    result_r, result_w = os.pipe()
    info_r, info_w = os.pipe()
    passed = [result_w, info_w]
    seccomp_fd = None
    if seccomp_program:
        seccomp_fd = seccomp_pipe(seccomp_program)
        passed.append(seccomp_fd)
    block_r = block_w = None
    if cgroup is not None:
        block_r, block_w = os.pipe()
        passed.append(block_r)
    command = build_command(
        config,
        work_dir,
        result_w,
        info_w,
        hosts,
        seccomp_fd=seccomp_fd,
        block_fd=block_r,
        script=script,
    )
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=passed,
            start_new_session=True,  # one process group to kill, and no terminal
        )
    except OSError as exc:
        for fd in (result_r, info_r, *passed, *([block_w] if block_w else [])):
            os.close(fd)
        raise SandboxUnavailable(f"{INSTALL_HINT} ({exc})") from exc
    for fd in passed:
        os.close(fd)
    out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
    caps = {
        out_fd: config.output_bytes,
        err_fd: config.output_bytes,
        # The supervisor's message: the largest the harness writes at this output cap, and no
        # more (a message cut there is no message), so reading and parsing it cost at most that.
        result_r: message_cap(config.output_bytes),
        info_r: 64 * 1024,
    }
    buffers = {fd: bytearray() for fd in caps}
    timed_out = overflowed = memory_hit = False
    entry_error = None
    deadline = started + config.timeout
    # With a cgroup, look at its OOM count between reads: under cgroup v1 the kernel kills one
    # process at a time, and the rest of the run is stopped here.
    tick = 0.1 if cgroup is not None else None
    with selectors.DefaultSelector() as selector:
        for fd in caps:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in selector.select(min(remaining, tick or remaining)):
                fd = key.fd
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(fd)
                    continue
                buffers[fd] += data
                if len(buffers[fd]) > caps[fd]:
                    del buffers[fd][caps[fd] :]
                    # A cut report is simply invalid; only the program's own streams overflow.
                    overflowed = overflowed or fd in (out_fd, err_fd)
                    if fd not in (out_fd, err_fd):
                        selector.unregister(fd)
                        continue
                if fd == info_r and block_w is not None and child_pid(buffers[info_r]):
                    try:
                        cgroup.enter(child_pid(buffers[info_r]))
                    except OSError as exc:
                        entry_error = exc
                        break
                    os.write(block_w, b"go")  # bwrap reads a byte and starts the interpreter
                    os.close(block_w)
                    block_w = None
            if overflowed or entry_error:
                break
            if cgroup is not None and cgroup.memory_limit_hit():
                memory_hit = True
                break
    if timed_out or overflowed or memory_hit or entry_error:
        kill_sandbox(process, buffers[info_r], cgroup)
    if block_w is not None:
        # Only now that it is dead: closing unread would let a blocked sandbox start uncontained.
        os.close(block_w)
    try:
        returncode = process.wait(timeout=max(0.5, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_sandbox(process, buffers[info_r], cgroup)
        returncode = process.wait()
    duration_ms = (time.monotonic() - started) * 1000
    if memory_hit:
        # What the run printed before it was stopped, still in the pipes: the sandbox is dead,
        # so they end.
        for fd in (out_fd, err_fd):
            drain(fd, buffers[fd], caps[fd])
    for fd in (result_r, info_r):
        os.close(fd)
    process.stdout.close()
    process.stderr.close()
    if entry_error:
        raise SandboxUnavailable(f"The run could not enter its cgroup: {entry_error}")
    peak = None
    reached = memory_hit
    if cgroup is not None:
        memory_hit = memory_hit or bool(cgroup.memory_limit_hit())
        reached = memory_hit or cgroup.memory_limit_reached()
        peak = cgroup.memory_peak()
    return RawRun(
        stdout=bytes(buffers[out_fd]),
        stderr=bytes(buffers[err_fd]),
        report=bytes(buffers[result_r]),
        returncode=returncode,
        timed_out=timed_out,
        overflowed=overflowed,
        duration_ms=duration_ms,
        memory_exceeded=memory_hit,
        peak_memory_bytes=peak,
        memory_limit_reached=reached,
        started=child_pid(buffers[info_r]) is not None,
    )


def drain(fd, buffer, cap):
    while len(buffer) < cap:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        if not data:
            return
        buffer += data[: cap - len(buffer)]


def child_pid(info):
    """The sandbox's pid, from bwrap's --info-fd JSON once it is complete."""
    try:
        found = json.loads(bytes(info).decode())
    except ValueError:
        return None
    pid = found.get("child-pid") if isinstance(found, dict) else None
    return pid if isinstance(pid, int) and pid > 0 else None


def kill_sandbox(process, info, cgroup=None):
    """Kill the sandbox's init first (the kernel then kills its whole PID namespace and bwrap
    reaps it, leaving no zombie), then bwrap's process group in case it had not started yet,
    then whatever is left in the run's cgroup."""
    try:
        kill_by_init(process, info)
    finally:
        if cgroup is not None:
            cgroup.kill()


def kill_by_init(process, info):
    child = child_pid(info)
    if child:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=1)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
