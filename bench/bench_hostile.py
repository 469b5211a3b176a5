"""`make bench-hostile`: how much host memory two hostile runs at once can take.

Starts two runs at the same moment, each trying every way around a per-process memory limit:
  - a tmpfs of its own (a new user and mount namespace), filled 4 MiB file by file;
  - four processes holding memfd files (shared memory, counted by no RLIMIT_AS);
  - six forked children of 400 MiB each.
It samples the host's MemAvailable every 20 ms and prints the largest drop. Budget:
at most 2 x RUNNER_MEMORY_LIMIT plus 10%. The runs end at the wall clock (RUNNER_TIMEOUT) at the
latest, so the host gets its memory back within seconds even where nothing contains them.

MemAvailable is the whole host's: on a shared machine other work moves it too, so the same window
is first measured with no runs (the noise), and each run's own peak is printed from its cgroup.
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "historyweb.settings.dev")
os.environ.setdefault("HISTORYWEB_VAR_DIR", tempfile.mkdtemp(prefix="historyweb-bench-"))
# Long enough for every child to reach its full size on a loaded machine.
os.environ.setdefault("RUNNER_TIMEOUT", "10")

import django  # noqa: E402

django.setup()

from timeline.runner import sandbox  # noqa: E402
from timeline.runner.config import get_config  # noqa: E402
from timeline.runner.request import parse_request  # noqa: E402

MIB = 1024 * 1024
HOSTILE = """\
import ctypes, os, time
MIB = 1024 * 1024
CHUNK = b"x" * (4 * MIB)  # RLIMIT_FSIZE allows 4 MiB per file
libc = ctypes.CDLL(None, use_errno=True)


def fill(directory, files):
    written = 0
    for index in range(files):
        try:
            with open(f"{directory}/f{index}", "wb") as f:
                f.write(CHUNK)
            written += 4
        except OSError:
            break
    return written


def child(action):
    if os.fork() == 0:
        try:
            action()
        except Exception as exc:
            print(f"{action.__name__}: {exc!r}", flush=True)
        time.sleep(60)
        os._exit(0)


def own_tmpfs():
    os.mkdir("/tmp/own")
    uid, gid = os.getuid(), os.getgid()
    libc.prctl(4, 1)  # PR_SET_DUMPABLE: after a setuid, /proc/self is root's until this
    if libc.unshare(0x10000000 | 0x00020000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
        print("tmpfs: unshare refused:", os.strerror(ctypes.get_errno()), flush=True)
        return
    for name, line in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(line)
    if libc.mount(b"none", b"/tmp/own", b"tmpfs", 0, b"size=4g") != 0:
        print("tmpfs: mount refused:", os.strerror(ctypes.get_errno()), flush=True)
        return
    print("tmpfs: wrote", fill("/tmp/own", 256), "MiB", flush=True)


def memfds():
    held, written = [], 0
    for index in range(60):
        try:
            fd = os.memfd_create(f"m{index}")
            held.append(fd)
            os.write(fd, CHUNK)
            written += 4
        except OSError:
            break
    print("memfd: holding", written, "MiB", flush=True)


def big():
    block = bytearray(400 * MIB)
    block[::4096] = b"y" * (400 * MIB // 4096)  # touch every page: cheaper than writing all
    print("fork: holding", len(block) // MIB, "MiB", flush=True)
    time.sleep(60)


child(own_tmpfs)
for _ in range(4):
    child(memfds)
for _ in range(6):
    child(big)
time.sleep(60)
"""


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def lowest_available(seconds, done=None):
    """The lowest MemAvailable over `seconds` (or until `done` is set), sampled every 20 ms."""
    lowest = mem_available()
    end = time.monotonic() + seconds
    while (done is None and time.monotonic() < end) or (done is not None and not done.is_set()):
        lowest = min(lowest, mem_available())
        time.sleep(0.02)
    return lowest


def main():
    config = get_config()
    if not config.bwrap:
        sys.exit(sandbox.INSTALL_HINT)
    spec = {"runtime": "python", "code": HOSTILE, "request": parse_request("")}
    results = [None, None]

    def hostile(index):
        results[index] = sandbox.run_in_sandbox(config, spec)

    baseline = mem_available()
    quiet = baseline - lowest_available(config.timeout)
    baseline = mem_available()
    done = threading.Event()
    runs = [threading.Thread(target=hostile, args=(index,)) for index in range(2)]
    started = time.monotonic()
    for run in runs:
        run.start()
    lowest = [baseline]
    sampler = threading.Thread(target=lambda: lowest.__setitem__(0, lowest_available(0, done)))
    sampler.start()
    for run in runs:
        run.join()
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    budget = 2 * config.memory_bytes * 1.1
    drop = baseline - lowest[0]
    print(f"two hostile runs at once, {elapsed:.1f} s, timeout {config.timeout:g} s")
    peaks = 0
    for index, raw in enumerate(results, 1):
        printed = (raw.stdout + raw.stderr).decode("utf-8", "replace")
        said = " / ".join(printed.splitlines()) or "(no output)"
        print(f"run {index}: {said}")
        if raw.peak_memory_bytes is None:
            print("       no cgroup: nothing measured the run as a whole")
            continue
        peaks += raw.peak_memory_bytes
        ending = "stopped at the memory limit" if raw.memory_exceeded else "not stopped for memory"
        print(f"       {ending}; peak {raw.peak_memory_bytes / MIB:.0f} MiB (its cgroup)")
    verdict = "within" if drop <= budget else "OVER"
    print(f"MemAvailable before:    {baseline / MIB:8.0f} MiB")
    print(f"lowest during runs:     {lowest[0] / MIB:8.0f} MiB")
    print(f"host noise, no runs:    {quiet / MIB:8.0f} MiB  (largest drop in as long a window)")
    print(
        f"drop:                   {drop / MIB:8.0f} MiB  ({verdict} the budget of "
        f"{budget / MIB:.0f} MiB = 2 x {config.memory_bytes // MIB} MiB + 10%)"
    )
    if peaks:
        print(f"the two runs' peaks:    {peaks / MIB:8.0f} MiB  (from their cgroups, no noise)")
    return 0 if drop <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
