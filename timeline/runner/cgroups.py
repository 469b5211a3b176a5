"""A cgroup per run: the whole run's memory (tmpfs and shared memory included), processes and CPU.

Per-process limits (RLIMIT_AS, RLIMIT_NPROC) let six children of 400 MiB each, or memfd files and
a tmpfs of the run's own, take gigabytes. A cgroup counts every page the run charges, whichever
process holds it, and its pids limit counts every task.

Where the run cgroups live:
- cgroup v2 (production): beside the server's own cgroup, under a parent the server may manage.
  With systemd that is a service with `Delegate=yes` and `DelegateSubgroup=app`: the server runs
  in `<service>/app`, and the runs go in `<service>/historyweb-run-<uid>` (see README).
  RUNNER_CGROUP_PARENT names another parent.
- cgroup v1 (this development machine): in each of the `memory`, `pids` (and, if present, `cpu`)
  hierarchies, below the server's own cgroup there (or RUNNER_CGROUP_PARENT, relative to each
  hierarchy's root).
A run enters its cgroup before any of its code runs: bubblewrap (`--block-fd`) waits, once its
namespaces are made, until the host has written the sandbox's pid into each `cgroup.procs`; only
then does it start the interpreter, so everything the run forks is born inside.

Moving a process into a cgroup takes the kernel's cgroup_threadgroup_rwsem for writing, which
waits for an RCU grace period (6-10 ms measured on this machine, for every run) unless a cgroup
hierarchy is mounted with `favordynmods` (Linux 6.0+); that option makes the move take 0.2 ms,
at a small cost to every fork and exit (see README). Where the mount cannot change (cgroup v1
here), `/sys/kernel/rcu_expedited` makes the grace period an expedited one: 0.3 ms here.
"""

import errno
import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import owners

ROOT = Path("/sys/fs/cgroup")
RCU_EXPEDITED = Path("/sys/kernel/rcu_expedited")
PREFIX = "historyweb-run-"
PROBE = "probe-"
CPU_PERIOD_US = 100_000
# Seconds before a failed detection is tried again: a probe can fail for a moment (the parent
# being set up, the kernel busy), and runs must not stay off for the worker's life.
RETRY_AFTER = 5.0


@dataclass(frozen=True)
class Layout:
    """Where run cgroups go: `parents` maps a v1 controller (or "" for v2) to a directory."""

    version: int = 0
    parents: dict = field(default_factory=dict)
    problem: str = ""

    @property
    def available(self):
        return bool(self.parents)

    def describe(self):
        if not self.available:
            return f"none ({self.problem})"
        places = ", ".join(str(p) for p in self.parents.values())
        return f"cgroup v{self.version}: {places} (moving a run in: {moving_wait()})"


def moving_wait():
    """What moving a run into its cgroup waits for on this host (see the module's docstring)."""
    if favors_dynmods():
        return "favordynmods"
    if rcu_expedited():
        return "an expedited grace period (rcu_expedited)"
    return "without favordynmods: a grace period"


def rcu_expedited(path=None):
    """Whether the kernel expedites every RCU grace period (/sys/kernel/rcu_expedited: a count,
    above 0 when on)."""
    try:
        text = (path or RCU_EXPEDITED).read_text().strip()
    except OSError:
        return False
    return text.isascii() and text.isdigit() and int(text) > 0


def favors_dynmods(mounts=None):
    """Whether a cgroup hierarchy is mounted with favordynmods, which makes moving a process
    between cgroups cheap for every hierarchy (the lock it relaxes is shared by all)."""
    if mounts is None:
        mounts = Path("/proc/self/mounts").read_text()
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] in ("cgroup", "cgroup2"):
            if "favordynmods" in fields[3].split(","):
                return True
    return False


def own_cgroups(text=None):
    """Maps each v1 controller (and "" for v2) to this process's cgroup path."""
    if text is None:
        text = Path("/proc/self/cgroup").read_text()
    found = {}
    for line in text.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _v2_root():
    """The cgroup2 mount that holds the memory controller (pure v2, or hybrid's unified)."""
    for root in (ROOT, ROOT / "unified"):
        controllers = root / "cgroup.controllers"
        if controllers.exists() and "memory" in controllers.read_text().split():
            return root
    return None


def _enable_v2_controllers(parent):
    wanted = {"memory", "pids", "cpu"}
    available = set((parent / "cgroup.controllers").read_text().split())
    enabled = set((parent / "cgroup.subtree_control").read_text().split())
    missing = (wanted & available) - enabled
    if missing:
        # Fails (EBUSY) if the parent holds processes itself: cgroup v2 only hands resources to
        # children of a cgroup without processes, hence DelegateSubgroup in the README.
        (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in missing))
    enabled = set((parent / "cgroup.subtree_control").read_text().split())
    if not {"memory", "pids"} <= enabled:
        raise OSError(errno.ENOTSUP, f"memory and pids controllers not enabled in {parent}")


def detect(parent_setting=None):
    """Find a place for run cgroups and prove it with a probe cgroup (made and removed)."""
    own = own_cgroups()
    v2 = _v2_root()
    if v2 is not None:
        relative = parent_setting or os.path.dirname(own.get("", "/"))
        parent = v2 / relative.lstrip("/")
        try:
            _enable_v2_controllers(parent)
            layout = Layout(2, {"": parent})
            _probe(layout)
            return layout
        except OSError as exc:
            return Layout(2, {}, f"cannot make cgroups under {parent}: {exc.strerror or exc}")
    parents = {}
    for controller in ("memory", "pids", "cpu"):
        hierarchy = ROOT / controller
        if not (hierarchy / "cgroup.procs").exists():
            continue
        relative = parent_setting or own.get(controller) or own.get(f"{controller},cpuacct", "/")
        parents[controller] = hierarchy / relative.lstrip("/")
    if "memory" not in parents or "pids" not in parents:
        return Layout(1, {}, f"no writable memory and pids cgroup hierarchies under {ROOT}")
    layout = Layout(1, parents)
    try:
        _probe(layout)
    except OSError as exc:
        if "cpu" in parents:  # CPU is the one the runs can do without
            layout = Layout(1, {k: v for k, v in parents.items() if k != "cpu"})
            try:
                _probe(layout)
                return layout
            except OSError:
                pass
        return Layout(1, {}, f"cannot make cgroups under {parents['memory']}: {exc.strerror}")
    return layout


PROBES = itertools.count()


def probe_name():
    """A name no other probe has at the same time: two threads of one worker detecting at once
    (two first runs) each get their own, and so does a later process given a dead one's pid."""
    return f"{PROBE}{owners.tag()}-{threading.get_ident()}-{next(PROBES)}"


def _probe(layout):
    probe = RunCgroup(layout, probe_name())
    probe.create(memory_bytes=64 * 1024 * 1024, processes=4, cpus=1)
    probe.remove()


FOUND = {}  # parent setting -> (Layout, time.monotonic() when found)


def layout_for(parent_setting=None):
    """The layout: found once per process where cgroups work; where they did not, found again
    once RETRY_AFTER seconds have passed, so one failed probe never switches runs off for good."""
    found = FOUND.get(parent_setting)
    if found is not None:
        layout, when = found
        if layout.available or time.monotonic() - when < RETRY_AFTER:
            return layout
    layout = detect(parent_setting)
    found = FOUND.get(parent_setting)
    # A thread that found cgroups working wins over one that, at the same moment, did not.
    if layout.available or found is None or not found[0].available:
        FOUND[parent_setting] = (layout, time.monotonic())
    return FOUND[parent_setting][0]


def sweep_probes(layout):
    """Remove probe cgroups whose process is dead (killed between making and removing one)."""
    removed = []
    for parent in layout.parents.values():
        try:
            entries = list(parent.iterdir())
        except OSError:
            continue
        for path in entries:
            name = path.name
            if not name.startswith(PREFIX + PROBE):
                continue
            tag = name[len(PREFIX + PROBE) :].partition("-")[0]
            if owners.parse(tag) is not None and not owners.alive(tag):
                try:
                    if _rmdir(path):
                        removed.append(path)
                except OSError:
                    continue
    return removed


class RunCgroup:
    """One run's cgroup (one directory per v1 hierarchy)."""

    def __init__(self, layout, name):
        self.layout = layout
        self.dirs = {
            controller: parent / (PREFIX + name) for controller, parent in layout.parents.items()
        }

    def _dir(self, controller):
        return self.dirs.get("") or self.dirs.get(controller)

    def create(self, memory_bytes, processes, cpus):
        """Make the cgroup and set its limits. FileExistsError if the name is taken: a run of
        that name may still have processes (the kernel refuses to remove a populated cgroup)."""
        made = []
        try:
            for path in self.dirs.values():
                path.mkdir()
                made.append(path)
            if self.layout.version == 2:
                self._write("memory", "memory.swap.max", 0, optional=True)
                self._write("memory", "memory.oom.group", 1, optional=True)  # kill the whole run
            self.set_limits(memory_bytes, processes, cpus)
        except BaseException:
            for path in reversed(made):
                _rmdir(path)
            raise

    def set_limits(self, memory_bytes, processes, cpus):
        """The run's memory, processes and CPU: at creation, or for a spare at its run."""
        if self.layout.version == 2:
            self._write("memory", "memory.max", memory_bytes)
        else:
            # memsw (memory plus swap), where the kernel has it: no swapping past the limit.
            # It may never be below the memory limit, so a raise writes it first.
            order = ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
            current = self._read("memory", "memory.limit_in_bytes").strip()
            if current.isdigit() and memory_bytes > int(current):
                order.reverse()
            for name in order:
                self._write("memory", name, memory_bytes, optional="memsw" in name)
        self._write("pids", "pids.max", processes)
        if not cpus:
            return
        if self.layout.version == 2:
            quota = f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}"
            self._write("cpu", "cpu.max", quota, optional=True)
        elif "cpu" in self.dirs:
            self._write("cpu", "cpu.cfs_period_us", CPU_PERIOD_US, optional=True)
            self._write("cpu", "cpu.cfs_quota_us", int(cpus * CPU_PERIOD_US), optional=True)

    def _write(self, controller, name, value, optional=False):
        path = self._dir(controller) / name
        try:
            path.write_text(str(value))
        except FileNotFoundError:
            if not optional:
                raise

    def _read(self, controller, name):
        try:
            return (self._dir(controller) / name).read_text()
        except OSError:
            return ""

    def enter(self, pid):
        """Move a process (the sandbox, still blocked before it starts the interpreter) in."""
        for path in self.dirs.values():
            (path / "cgroup.procs").write_text(str(pid))

    def pids(self):
        return [int(pid) for pid in self._read("pids", "cgroup.procs").split()]

    def memory_events(self):
        """The kernel's own counters of the memory limit, as name -> number: v2's memory.events
        (`max`: times the limit was reached, `oom`, `oom_kill`), v1's memory.oom_control
        (`under_oom`, `oom_kill`) and memory.failcnt (as `failcnt`). Nothing the run can write."""
        if self.layout.version == 2:
            text = self._read("memory", "memory.events")
        else:
            text = self._read("memory", "memory.oom_control")
            text += "\nfailcnt " + self._read("memory", "memory.failcnt").strip()
        events = {}
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            value = value.strip()
            if key and value.isascii() and value.isdigit():
                events[key] = int(value)
        return events

    def memory_limit_hit(self):
        """How many processes the kernel killed for the memory limit (0: none)."""
        return self.memory_events().get("oom_kill", 0)

    def memory_limit_reached(self):
        """Whether the run's memory ever reached its limit, by the kernel's count: an OOM kill,
        an OOM state, or a charge the limit refused (v2 `max`, v1 `failcnt`)."""
        events = self.memory_events()
        return any(
            events.get(key, 0) > 0 for key in ("oom_kill", "oom", "under_oom", "max", "failcnt")
        )

    def memory_peak(self):
        name = "memory.peak" if self.layout.version == 2 else "memory.max_usage_in_bytes"
        value = self._read("memory", name).strip()
        return int(value) if value.isdigit() else None

    def kill(self):
        """Kill everything in the cgroup: cgroup.kill (v2, Linux 5.14+), else pid by pid."""
        if self.layout.version == 2:
            try:
                (self._dir("") / "cgroup.kill").write_text("1")
                return
            except OSError:
                pass
        # Short naps: a run that has just ended stays listed for a moment while it exits.
        for _ in range(200):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.0005)

    def older_than(self, seconds):
        """Whether every directory of it that exists was made more than `seconds` ago. One
        that is missing says nothing: where two servers' parents differ in one hierarchy and
        meet in another, the other server's fresh cgroup must not pass for a leftover."""
        limit = time.time() - seconds
        for path in self.dirs.values():
            try:
                if path.stat().st_mtime >= limit:
                    return False
            except FileNotFoundError:
                continue
        return True

    def remove(self, wait=1.0):
        """Remove the cgroup once its last process is gone; False if it is still populated."""
        deadline = time.monotonic() + wait
        for path in self.dirs.values():
            while not _rmdir(path):
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.005)
        return True


def _rmdir(path):
    try:
        path.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return False
        raise
    return True
