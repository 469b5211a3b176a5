"""bwrap's process for one run: started with its pipes, admitted into the run's cgroup, read
within the time and size caps, and killed whole when it must stop.

A cold run does all of it at once (execute). A spare (spares.py) is launched and admitted ahead
of its run, and collected when the run is dispatched to it: the clock starts then.
"""

import json
import marshal
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

from historyweb.errors import ServiceError, refuse_if_no_room_to_run

from .bwrap import build_command, harness_bytecode
from .harness import message_cap

INSTALL_HINT = (
    "Running samples needs bubblewrap, which is not installed on this server. "
    "Install it with `sudo apt-get install bubblewrap` (Debian/Ubuntu) or `sudo dnf install "
    "bubblewrap` (Fedora), then try again."
)


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


def write_inputs(work_dir, spec, body):
    """The run's spec and request body, where the harness reads them (/sample)."""
    work_dir.chmod(0o755)  # the harness reads it after dropping to an unprivileged uid
    # marshal: the harness reads it without importing json (and with it, re).
    try:
        for name, data in (("spec", marshal.dumps(spec)), ("body", body)):
            (work_dir / name).write_bytes(data)
            (work_dir / name).chmod(0o644)
    except OSError as exc:
        refuse_if_no_room_to_run(exc)
        raise


def seccomp_pipe(program):
    """A pipe holding the filter, for `bwrap --seccomp FD` (a few hundred bytes: it fits the
    pipe's buffer, so the write never blocks)."""
    read_end, write_end = os.pipe()
    os.write(write_end, program)
    os.close(write_end)
    return read_end


@dataclass
class Launched:
    """A started bwrap: its process and the host's ends of its pipes. `block_w` is the cgroup's
    go-ahead, None once the sandbox is in its cgroup (or has none); `info` is what bwrap said."""

    process: subprocess.Popen
    result_r: int
    info_r: int
    block_w: int | None
    info: bytearray


def execute(config, work_dir, hosts, cgroup=None, seccomp_program=None, script=False):
    """A cold run: bwrap started now, the clock with it."""
    started = time.monotonic()
    launched = launch(config, work_dir, hosts, cgroup, seccomp_program, script)
    return collect(config, launched, cgroup, started)


def launch(config, work_dir, hosts, cgroup=None, seccomp_program=None, script=False, **spare):
    """Start bwrap; with a cgroup it waits (--block-fd) until admit() has moved it in. A spare
    (`go_fd`, `warm`): the harness imports `warm`, then waits on go_fd for its run (spares.py)."""
    go_fd = spare.get("go_fd")
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
        bytecode=harness_bytecode(config),
        **spare,
    )
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=passed + ([go_fd] if go_fd is not None else []),
            start_new_session=True,  # one process group to kill, and no terminal
        )
    except OSError as exc:
        for fd in (result_r, info_r, *passed, *([block_w] if block_w else [])):
            os.close(fd)
        raise SandboxUnavailable(f"{INSTALL_HINT} ({exc})") from exc
    for fd in passed:
        os.close(fd)
    for fd in (result_r, info_r, process.stdout.fileno(), process.stderr.fileno()):
        os.set_blocking(fd, False)
    return Launched(process, result_r, info_r, block_w, bytearray())


def admit(launched, cgroup):
    """Once bwrap has told the sandbox's pid: move it into its cgroup and let it start. True
    once done (or nothing to do); OSError if the move failed."""
    if launched.block_w is None:
        return True
    pid = child_pid(launched.info)
    if not pid:
        return False
    cgroup.enter(pid)
    os.write(launched.block_w, b"go")  # bwrap reads a byte and starts the interpreter
    os.close(launched.block_w)
    launched.block_w = None
    return True


def collect(config, launched, cgroup=None, started=None):
    """Read the run until it ends, or until its time (from `started`, else now), its output cap
    or its cgroup's memory limit stops it; a RawRun."""
    started = time.monotonic() if started is None else started
    process, result_r, info_r = launched.process, launched.result_r, launched.info_r
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
    buffers[info_r] = launched.info
    timed_out = overflowed = memory_hit = False
    entry_error = None
    deadline = started + config.timeout
    # With a cgroup, look at its OOM count between reads: under cgroup v1 the kernel kills one
    # process at a time, and the rest of the run is stopped here.
    tick = 0.1 if cgroup is not None else None
    with selectors.DefaultSelector() as selector:
        for fd in caps:
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
                if fd == info_r:
                    try:
                        admit(launched, cgroup)
                    except OSError as exc:
                        entry_error = exc
                        break
            if overflowed or entry_error:
                break
            if cgroup is not None and cgroup.memory_limit_hit():
                memory_hit = True
                break
    if timed_out or overflowed or memory_hit or entry_error:
        kill_sandbox(process, buffers[info_r], cgroup)
    if launched.block_w is not None:
        # Only now that it is dead: closing unread would let a blocked sandbox start uncontained.
        os.close(launched.block_w)
        launched.block_w = None
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
