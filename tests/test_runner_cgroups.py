"""timeline/runner/cgroups.py function by function: where run cgroups go, the limits written,
the kernel's counters read, the kill and the removal. Fast: stand-in directories for cgroup v2
(this machine has v1), and real v1 cgroups made directly (as root) where the kernel's own
answers are the point. No sandbox is started here; tests/test_runner_containment.py has the
runs that prove the limits hold."""

import errno
import os
import subprocess
import time

import pytest

from tests import cgroup_leftovers
from tests.system import in_ci
from tests.test_runner_containment import dead_owner_tag
from timeline.runner import cgroups, owners

MiB = 1024 * 1024


@pytest.fixture
def v1_root():
    """The real cgroup v1 root, where this machine's memory and pids hierarchies are writable."""
    layout = cgroups.layout_for(None)
    if not layout.available or layout.version != 1:
        message = f"no writable cgroup v1 hierarchies here: {layout.describe()}"
        if in_ci() and not layout.available:
            pytest.fail(message + "; CI must run the cgroup tests.")
        pytest.skip(message)
    cgroup_leftovers.clear(layout)
    yield cgroups.ROOT
    cgroup_leftovers.clear(layout)


@pytest.fixture
def v2_kernel(tmp_path, monkeypatch):
    """A stand-in cgroup2 mount: cgroup.subtree_control takes "+name" tokens of available
    controllers, as the kernel does, and refuses anything else (EINVAL)."""
    real = cgroups.Path.write_text

    def write_text(path, text, *args, **kwargs):
        if path.name != "cgroup.subtree_control" or not path.exists():
            return real(path, text, *args, **kwargs)
        available = set((path.parent / "cgroup.controllers").read_text().split())
        enabled = set(path.read_text().split())
        for token in text.split():
            if token[:1] != "+" or token[1:] not in available:
                raise OSError(errno.EINVAL, "Invalid argument")
            enabled.add(token[1:])
        return real(path, " ".join(sorted(enabled)) + "\n")

    monkeypatch.setattr(cgroups.Path, "write_text", write_text)
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    return tmp_path


def v2_parent(root, available, enabled=""):
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    parent = root / "Xservice"
    parent.mkdir()
    (parent / "cgroup.controllers").write_text(available + "\n")
    (parent / "cgroup.subtree_control").write_text(enabled + "\n")
    return parent


# -- where run cgroups go ------------------------------------------------------------------


def test_a_layout_describes_its_places_and_how_a_run_moves_in(monkeypatch):
    assert cgroups.Layout(1, {}, "no hierarchy").describe() == "none (no hierarchy)"
    layout = cgroups.Layout(1, {"memory": "/m/x", "pids": "/p/x"})
    monkeypatch.setattr(cgroups, "favors_dynmods", lambda: True)
    assert layout.describe() == "cgroup v1: /m/x, /p/x (moving a run in: favordynmods)"
    monkeypatch.setattr(cgroups, "favors_dynmods", lambda: False)
    monkeypatch.setattr(cgroups, "rcu_expedited", lambda: False)
    assert layout.describe() == (
        "cgroup v1: /m/x, /p/x (moving a run in: without favordynmods: a grace period)"
    )
    monkeypatch.setattr(cgroups, "rcu_expedited", lambda: True)
    assert layout.describe() == (
        "cgroup v1: /m/x, /p/x (moving a run in: an expedited grace period (rcu_expedited))"
    )
    monkeypatch.setattr(cgroups, "favors_dynmods", lambda: True)
    assert layout.describe() == "cgroup v1: /m/x, /p/x (moving a run in: favordynmods)"


def test_rcu_expedited_is_a_count_above_zero(tmp_path):
    knob = tmp_path / "rcu_expedited"
    assert not cgroups.rcu_expedited(knob)  # no such file: an older or other kernel
    for text, on in (
        ("0\n", False),
        ("1\n", True),
        ("2\n", True),
        ("-1\n", False),
        ("²\n", False),
        ("", False),
    ):
        knob.write_text(text)
        assert cgroups.rcu_expedited(knob) is on, text


def test_favordynmods_is_read_from_a_mount_line_of_four_fields():
    assert cgroups.favors_dynmods("cgroup2 /sys/fs/cgroup cgroup2 rw,favordynmods")
    assert not cgroups.favors_dynmods("cgroup2 /sys/fs/cgroup cgroup2")


def test_own_cgroups_keeps_a_path_with_colons_whole():
    assert cgroups.own_cgroups("5:memory:/a:b\n0::/c:d:e\n") == {"memory": "/a:b", "": "/c:d:e"}


def test_the_v2_root_is_the_unified_mount_of_a_hybrid_layout(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    assert cgroups._v2_root() is None
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("cpu pids\n")  # no memory there
    assert cgroups._v2_root() is None
    (tmp_path / "unified" / "cgroup.controllers").write_text("cpu memory pids\n")
    assert cgroups._v2_root() == tmp_path / "unified"
    (tmp_path / "cgroup.controllers").write_text("memory pids\n")  # pure v2 comes first
    assert cgroups._v2_root() == tmp_path


def test_v2_enables_memory_pids_and_cpu_for_the_runs_and_nothing_else(v2_kernel):
    parent = v2_parent(v2_kernel, "cpu io memory pids")
    cgroups._enable_v2_controllers(parent)
    assert (parent / "cgroup.subtree_control").read_text().split() == ["cpu", "memory", "pids"]


def test_v2_without_cpu_to_hand_out_still_holds_runs(v2_kernel):
    parent = v2_parent(v2_kernel, "memory pids")
    cgroups._enable_v2_controllers(parent)
    assert (parent / "cgroup.subtree_control").read_text().split() == ["memory", "pids"]


def test_v2_without_the_pids_controller_is_refused_with_a_reason(v2_kernel):
    parent = v2_parent(v2_kernel, "cpu memory")
    with pytest.raises(OSError) as raised:
        cgroups._enable_v2_controllers(parent)
    assert raised.value.errno == errno.ENOTSUP
    assert raised.value.strerror == f"memory and pids controllers not enabled in {parent}"


def test_v2_detection_says_why_runs_cannot_be_held(v2_kernel, monkeypatch):
    parent = v2_parent(v2_kernel, "cpu memory")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": "/Xservice/app"})
    assert cgroups.detect() == cgroups.Layout(
        2,
        {},
        f"cannot make cgroups under {parent}: memory and pids controllers not enabled in {parent}",
    )


def test_v2_detection_without_a_v2_line_uses_the_root(v2_kernel, monkeypatch):
    """A process listed in v1 hierarchies only: the runs go under the cgroup2 root."""
    (v2_kernel / "cgroup.controllers").write_text("cpu memory pids\n")
    (v2_kernel / "cgroup.subtree_control").write_text("cpu memory pids\n")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"memory": "/x"})
    probed = []
    monkeypatch.setattr(cgroups, "_probe", probed.append)
    assert cgroups.detect() == cgroups.Layout(2, {"": v2_kernel})
    assert probed == [cgroups.Layout(2, {"": v2_kernel})]


def test_v2_detection_goes_by_the_parent_setting(v2_kernel, monkeypatch):
    parent = v2_parent(v2_kernel, "memory pids")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": "/elsewhere/app"})
    monkeypatch.setattr(cgroups, "_probe", lambda layout: None)
    assert cgroups.detect("/Xservice") == cgroups.Layout(2, {"": parent})


def test_a_v2_probe_that_fails_says_so(v2_kernel, monkeypatch):
    parent = v2_parent(v2_kernel, "memory pids")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": "/Xservice/app"})

    def probe(layout):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(cgroups, "_probe", probe)
    problem = f"cannot make cgroups under {parent}: Permission denied"
    assert cgroups.detect() == cgroups.Layout(2, {}, problem)


# -- cgroup v1: a directory per hierarchy, CPU optional --------------------------------------


@pytest.fixture
def v1_hierarchies(tmp_path, monkeypatch):
    """Stand-in v1 hierarchies, and a probe that fails where `refused` says."""
    monkeypatch.setattr(cgroups, "ROOT", tmp_path)
    monkeypatch.setattr(cgroups, "_v2_root", lambda: None)
    refused = set()
    probes = []

    def probe(layout):
        probes.append(layout)
        if refused & set(layout.parents):
            raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(cgroups, "_probe", probe)

    def make(*names):
        for name in names:
            (tmp_path / name).mkdir()
            (tmp_path / name / "cgroup.procs").write_text("")

    return tmp_path, make, refused, probes


def test_v1_runs_go_below_the_servers_own_cgroup_in_each_hierarchy(v1_hierarchies, monkeypatch):
    root, make, _, probes = v1_hierarchies
    make("memory", "pids", "cpu")
    # cpu is not listed on a line of its own: its runs go at the hierarchy's root.
    own = {"memory": "/Xen/a", "pids": "/Xen/b", "cpuacct": "/Xen/c"}
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: own)
    expected = cgroups.Layout(
        1, {"memory": root / "memory/Xen/a", "pids": root / "pids/Xen/b", "cpu": root / "cpu"}
    )
    assert cgroups.detect() == expected
    assert probes == [expected]
    parents = {name: root / name / "Xserver" for name in ("memory", "pids", "cpu")}
    assert cgroups.detect("/Xserver") == cgroups.Layout(1, parents)


def test_v1_without_a_cpu_hierarchy_still_holds_runs(v1_hierarchies, monkeypatch):
    root, make, _, _ = v1_hierarchies
    make("memory", "pids")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"memory": "/", "pids": "/"})
    assert cgroups.detect() == cgroups.Layout(1, {"memory": root / "memory", "pids": root / "pids"})


@pytest.mark.parametrize("present", [("pids", "cpu"), ("memory", "cpu"), ("cpu",)])
def test_v1_without_memory_or_pids_holds_no_run(v1_hierarchies, monkeypatch, present):
    root, make, _, probes = v1_hierarchies
    make(*present)
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {})
    problem = f"no writable memory and pids cgroup hierarchies under {root}"
    assert cgroups.detect() == cgroups.Layout(1, {}, problem)
    assert probes == []


def test_v1_runs_do_without_a_cpu_hierarchy_that_refuses_them(v1_hierarchies, monkeypatch):
    root, make, refused, probes = v1_hierarchies
    make("memory", "pids", "cpu")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {})
    refused.add("cpu")
    held = cgroups.Layout(1, {"memory": root / "memory", "pids": root / "pids"})
    assert cgroups.detect() == held
    assert len(probes) == 2 and probes[1] == held
    refused.add("memory")
    problem = f"cannot make cgroups under {root / 'memory'}: Invalid argument"
    assert cgroups.detect() == cgroups.Layout(1, {}, problem)


def test_v1_cgroups_refused_outright_say_why(v1_hierarchies, monkeypatch):
    root, make, refused, probes = v1_hierarchies
    make("memory", "pids")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {})
    refused.add("memory")
    problem = f"cannot make cgroups under {root / 'memory'}: Invalid argument"
    assert cgroups.detect() == cgroups.Layout(1, {}, problem)
    assert len(probes) == 1


def test_the_probe_proves_the_cpu_limit_a_run_gets(v1_root):
    """The probe sets the limits a run sets, CPU included: under a parent whose CPU quota is
    below one CPU the kernel refuses a run's (EINVAL), so runs go without the cpu hierarchy;
    under a parent of exactly one CPU they keep it."""
    if not (v1_root / "cpu" / "cgroup.procs").exists():
        pytest.skip("no cpu hierarchy here")
    made = []
    try:
        found = {}
        for cpus in (0.5, 1):
            name = f"historyweb-test-probe-{os.getpid()}-{cpus}"
            for hierarchy in ("memory", "pids", "cpu"):
                made.append(v1_root / hierarchy / name)
                made[-1].mkdir()
            quota = v1_root / "cpu" / name / "cpu.cfs_quota_us"
            quota.write_text(str(int(cpus * cgroups.CPU_PERIOD_US)))
            found[cpus] = set(cgroups.detect(f"/{name}").parents)
        assert found == {0.5: {"memory", "pids"}, 1: {"memory", "pids", "cpu"}}
    finally:
        for path in made:
            for left in path.iterdir():  # a probe a broken detection left (empty)
                if left.is_dir():
                    left.rmdir()
            path.rmdir()


# -- one run's cgroup ----------------------------------------------------------------------


def stand_in(tmp_path, version=1):
    """A RunCgroup over plain directories (its own directories not made)."""
    names = [""] if version == 2 else ["memory", "pids"]
    parents = {name: tmp_path / (name or "v2") for name in names}
    for parent in parents.values():
        parent.mkdir()
    return cgroups.RunCgroup(cgroups.Layout(version, parents), "61000")


def test_a_cgroup_is_stale_only_when_every_directory_it_has_is_old(tmp_path):
    cgroup = stand_in(tmp_path)
    assert cgroup.older_than(60)  # none at all: nothing recent
    cgroup.dirs["pids"].mkdir()  # memory's is missing (another server's parent there)
    assert not cgroup.older_than(60)
    two_minutes_ago = time.time() - 120
    os.utime(cgroup.dirs["pids"], (two_minutes_ago, two_minutes_ago))
    assert cgroup.older_than(60)
    cgroup.dirs["memory"].mkdir()
    assert not cgroup.older_than(60)


@pytest.mark.parametrize("version, name", [(1, "memory.max_usage_in_bytes"), (2, "memory.peak")])
def test_the_peak_is_the_kernels_number_or_none(tmp_path, version, name):
    cgroup = stand_in(tmp_path, version)
    for path in cgroup.dirs.values():
        path.mkdir()
    assert cgroup.memory_peak() is None  # the file is missing (an older kernel's v2)
    (cgroup._dir("memory") / name).write_text("max\n")
    assert cgroup.memory_peak() is None
    (cgroup._dir("memory") / name).write_text("123456\n")
    assert cgroup.memory_peak() == 123456


def test_dead_workers_probes_are_swept_past_every_one_left_alone(tmp_path):
    """The first parent cannot be listed; of the probes, only dead workers' empty ones go: a
    live worker's, one that cannot be removed, and what is no probe all stay."""
    probes = tmp_path / "pids"
    probes.mkdir()
    layout = cgroups.Layout(1, {"memory": tmp_path / "missing", "pids": probes})
    dead = dead_owner_tag()
    prefix = cgroups.PREFIX + cgroups.PROBE
    swept = [probes / f"{prefix}{dead}-1-{n}" for n in range(5)]
    stuck = [probes / f"{prefix}{dead}-2-{n}" for n in range(5)]
    kept = [
        probes / f"{prefix}{owners.tag()}-1-0",
        probes / f"{prefix}not-a-tag-1-0",
        probes / f"{cgroups.PREFIX}61000",
    ]
    for path in swept + stuck + kept:
        path.mkdir()
    for path in stuck:
        (path / "held").write_text("")  # rmdir: ENOTEMPTY, an error other than EBUSY
    assert sorted(cgroups.sweep_probes(layout)) == sorted(swept)
    assert sorted(probes.iterdir()) == sorted(stuck + kept)


@pytest.fixture
def kernel_without(monkeypatch):
    """Files a kernel may not have (no swap accounting, no cpu.max): writing them says
    FileNotFoundError, as in a cgroup directory the kernel made without them."""
    missing = set()
    real = cgroups.Path.write_text

    def write_text(path, text, *args, **kwargs):
        if path.name in missing:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        return real(path, text, *args, **kwargs)

    monkeypatch.setattr(cgroups.Path, "write_text", write_text)
    return missing


def test_v1_limits_go_on_without_the_optional_files(tmp_path, kernel_without):
    kernel_without.update({"memory.memsw.limit_in_bytes", "cpu.cfs_period_us", "cpu.cfs_quota_us"})
    (tmp_path / "cpu").mkdir()
    parents = {name: tmp_path / name for name in ("memory", "pids", "cpu")}
    tmp_path.joinpath("memory").mkdir()
    tmp_path.joinpath("pids").mkdir()
    cgroup = cgroups.RunCgroup(cgroups.Layout(1, parents), "61000")
    cgroup.create(memory_bytes=512 * MiB, processes=34, cpus=1)
    assert cgroup.dirs["cpu"].is_dir()
    assert (cgroup.dirs["memory"] / "memory.limit_in_bytes").read_text() == str(512 * MiB)
    assert (cgroup.dirs["pids"] / "pids.max").read_text() == "34"


def test_v2_limits_go_on_without_the_optional_files(tmp_path, kernel_without):
    kernel_without.update({"memory.swap.max", "memory.oom.group", "cpu.max"})
    cgroup = stand_in(tmp_path, version=2)
    cgroup.create(memory_bytes=512 * MiB, processes=34, cpus=1)
    assert (cgroup.dirs[""] / "memory.max").read_text() == str(512 * MiB)
    assert (cgroup.dirs[""] / "pids.max").read_text() == "34"


def test_a_cgroup_without_a_required_limit_is_not_left_half_made(v1_root, kernel_without):
    kernel_without.add("pids.max")
    cgroup = cgroups.RunCgroup(cgroups.layout_for(None), f"test-half-{os.getpid()}")
    with pytest.raises(FileNotFoundError):
        cgroup.create(memory_bytes=512 * MiB, processes=34, cpus=1)
    assert not any(path.exists() for path in cgroup.dirs.values())


def test_v1_cpu_quota_only_where_there_is_a_cpu_hierarchy_and_a_share(tmp_path):
    cgroup = stand_in(tmp_path)
    cgroup.create(memory_bytes=512 * MiB, processes=34, cpus=0.5)
    assert not any((path / "cpu.cfs_quota_us").exists() for path in cgroup.dirs.values())
    (tmp_path / "cpu").mkdir()
    layout = cgroups.Layout(1, {**cgroup.layout.parents, "cpu": tmp_path / "cpu"})
    for cpus, quota in ((0.5, "50000"), (None, None), (0, None)):
        with_cpu = cgroups.RunCgroup(layout, f"{cpus}")
        with_cpu.create(memory_bytes=512 * MiB, processes=34, cpus=cpus)
        limit = with_cpu.dirs["cpu"] / "cpu.cfs_quota_us"
        assert (limit.read_text() if limit.exists() else None) == quota
        if quota:
            assert (with_cpu.dirs["cpu"] / "cpu.cfs_period_us").read_text() == "100000"


def test_the_processes_listed_are_the_kernels(tmp_path):
    cgroup = stand_in(tmp_path)
    assert cgroup.pids() == []  # no cgroup.procs: nothing to list
    cgroup.dirs["pids"].mkdir()
    (cgroup.dirs["pids"] / "cgroup.procs").write_text("12\n345\n")
    assert cgroup.pids() == [12, 345]


# -- killing and removing a run that still has a process -----------------------------------


@pytest.fixture
def held(v1_root):
    """A real v1 run cgroup holding a sleeping process (reaped by a thread once it dies)."""
    import threading

    cgroup = cgroups.RunCgroup(cgroups.layout_for(None), f"test-held-{os.getpid()}")
    cgroup.create(memory_bytes=64 * MiB, processes=4, cpus=1)
    process = subprocess.Popen(["sleep", "60"])
    try:
        cgroup.enter(process.pid)
        threading.Thread(target=process.wait, daemon=True).start()
        yield cgroup, process
    finally:
        process.kill()
        process.wait()


def test_a_cgroup_with_a_process_is_not_removed(held):
    cgroup, process = held
    assert cgroup.pids() == [process.pid]
    assert cgroup.remove(wait=0.05) is False
    assert all(path.is_dir() for path in cgroup.dirs.values())


def test_kill_ends_every_process_and_the_cgroup_can_go(held):
    cgroup, process = held
    cgroup.kill()
    deadline = time.monotonic() + 5
    while process.poll() is None:
        assert time.monotonic() < deadline, "the process outlived kill()"
        time.sleep(0.01)
    assert process.returncode == -9
    assert cgroup.remove(wait=2)


def test_removal_waits_for_a_process_that_is_ending(held):
    cgroup, process = held
    os.kill(process.pid, 9)  # not waited for here: removal waits for it to leave
    assert cgroup.remove(wait=2)


def test_v2_kill_is_one_write_to_cgroup_kill(tmp_path):
    cgroup = stand_in(tmp_path, version=2)
    cgroup.dirs[""].mkdir()
    (cgroup.dirs[""] / "cgroup.procs").write_text("999999999\n")  # never signalled one by one
    cgroup.kill()
    assert (cgroup.dirs[""] / "cgroup.kill").read_text() == "1"


# -- where run cgroups go, found once ------------------------------------------------------


@pytest.fixture
def detections(monkeypatch):
    """layout_for with a stand-in detect() that answers from a list, on a clock of our own."""
    now = [1000.0]
    answers, asked = [], []

    def detect(parent_setting):
        asked.append(parent_setting)
        answer = answers.pop(0)
        return answer() if callable(answer) else answer

    monkeypatch.setattr(cgroups, "detect", detect)
    monkeypatch.setattr(cgroups, "FOUND", {})
    monkeypatch.setattr(cgroups, "time", type("Clock", (), {"monotonic": lambda: now[0]}))
    return now, answers, asked


WORKS = cgroups.Layout(1, {"memory": "/m", "pids": "/p"})
FAILS = cgroups.Layout(1, {}, "busy")


def test_a_working_layout_is_found_once_per_parent_setting(detections):
    now, answers, asked = detections
    answers += [WORKS, FAILS]
    assert cgroups.layout_for("/a") == WORKS
    now[0] += 3600
    assert cgroups.layout_for("/a") == WORKS
    assert cgroups.layout_for("/b") == FAILS
    assert asked == ["/a", "/b"]


def test_a_failed_detection_waits_its_pause_then_is_tried_again(detections):
    now, answers, asked = detections
    answers += [FAILS, FAILS, WORKS]
    assert cgroups.layout_for("/a") == FAILS
    now[0] += cgroups.RETRY_AFTER - 1
    assert cgroups.layout_for("/a") == FAILS  # within the pause: not tried
    assert len(asked) == 1
    now[0] += 2
    assert cgroups.layout_for("/a") == FAILS  # tried again, failed again: a new pause
    now[0] += cgroups.RETRY_AFTER - 1
    assert cgroups.layout_for("/a") == FAILS
    assert len(asked) == 2
    now[0] += 2
    assert cgroups.layout_for("/a") == WORKS
    assert len(asked) == 3


def test_a_failure_found_meanwhile_never_replaces_a_working_layout(detections):
    """Two threads detect at once: the one that failed, finishing last, keeps the other's."""
    now, answers, _ = detections

    def found_working_meanwhile():
        cgroups.FOUND["/a"] = (WORKS, now[0])
        return FAILS

    answers.append(found_working_meanwhile)
    assert cgroups.layout_for("/a") == WORKS
