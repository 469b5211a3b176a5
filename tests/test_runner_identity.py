"""timeline/runner/identity.py function by function: the sweep of dead workers' runs, which
processes hold a uid, leases and the machine lock. Fast: stand-in cgroup directories where the
kernel's answer is not the point, real processes where it is. No sandbox is started here;
tests/test_runner_containment.py has the runs."""

import errno
import os
import subprocess
import time
from pathlib import Path

import pytest

from historyweb.errors import NO_ROOM_TO_RUN, ServiceError
from tests import cgroup_leftovers
from tests.test_runner_containment import dead_owner_tag
from timeline.runner import cgroups, identity, owners
from timeline.runner.config import get_config

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only a server running as root gives uids")


@pytest.fixture
def config(settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")
    settings.RUNNER_IDENTITY_DIR = str(tmp_path / "machine")
    settings.RUNNER_UID_BASE, settings.RUNNER_UID_COUNT = 61190, 10
    return get_config()


@pytest.fixture
def fake_layout(tmp_path):
    """Plain directories standing in for v1 hierarchies: a run cgroup is an empty directory."""
    parents = {name: tmp_path / name for name in ("memory", "pids")}
    for parent in parents.values():
        parent.mkdir()
    return cgroups.Layout(1, parents)


def leave_run(config, layout, uid, tag):
    """What a worker killed mid-run leaves: its cgroup, owner record and lease."""
    cgroup = cgroups.RunCgroup(layout, str(uid))
    for path in cgroup.dirs.values():
        path.mkdir()
    identity.owner_record(config, uid).parent.mkdir(parents=True, exist_ok=True)
    identity.owner_record(config, uid).write_text(tag)
    if identity.switches_uid():
        identity.machine_dir(config)
        identity.lease_path(config, uid).write_text(tag)
    return cgroup


def test_the_sweep_frees_dead_workers_runs_and_only_theirs(config, fake_layout):
    dead = dead_owner_tag()
    # Several of each: the sweep must go past every record it skips, in any directory order.
    freed = [61190, 61191, 61192, 61193, 61194]
    swept = [leave_run(config, fake_layout, uid, dead) for uid in freed]
    alive = [leave_run(config, fake_layout, uid, owners.tag()) for uid in (61195, 61196)]
    records = config.state_dir / "owners"
    (records / "notes").write_text(dead)  # not a uid: never a run's
    (records / "61197").mkdir()  # unreadable as a record: skipped
    assert sorted(identity.sweep(config, fake_layout)) == freed
    for uid, cgroup in zip(freed, swept, strict=True):
        assert not any(path.exists() for path in cgroup.dirs.values())
        assert not identity.owner_record(config, uid).exists()
        assert not identity.lease_path(config, uid).exists()
    for uid, cgroup in zip((61195, 61196), alive, strict=True):
        assert all(path.is_dir() for path in cgroup.dirs.values())
        assert identity.owner_record(config, uid).read_text() == owners.tag()
    assert (records / "notes").exists() and (records / "61197").is_dir()


def test_the_sweep_leaves_a_lease_taken_again_by_a_live_worker(config, fake_layout):
    if not identity.switches_uid():
        pytest.skip("leases are kept only where runs switch uids (as root)")
    leave_run(config, fake_layout, 61190, dead_owner_tag())
    identity.lease_path(config, 61190).write_text(owners.tag())
    assert identity.sweep(config, fake_layout) == [61190]
    assert identity.lease_path(config, 61190).read_text() == owners.tag()


def test_the_sweep_needs_cgroups_and_records(config, fake_layout):
    cgroup = leave_run(config, fake_layout, 61190, dead_owner_tag())
    assert identity.sweep(config, cgroups.Layout()) == []
    assert all(path.is_dir() for path in cgroup.dirs.values())
    assert identity.owner_record(config, 61190).exists()
    (config.state_dir / "owners" / "61190").unlink()
    (config.state_dir / "owners").rmdir()
    assert identity.sweep(config, fake_layout) == []


# -- which processes hold a uid ------------------------------------------------------------


@pytest.fixture
def straggler():
    """A process whose real uid is 61198, its effective uid still root's."""
    if os.geteuid() != 0:
        pytest.skip("only root can start a process of another uid")
    process = subprocess.Popen(["setpriv", "--ruid=61198", "sleep", "30"])
    try:
        deadline = time.monotonic() + 10
        while "Uid:\t61198\t" not in Path(f"/proc/{process.pid}/status").read_text():
            assert time.monotonic() < deadline, "the straggler never took its uid"
            time.sleep(0.01)
        yield 61198
    finally:
        process.kill()
        process.wait()


def test_a_real_uid_alone_holds_it(straggler):
    """RLIMIT_NPROC counts real uids: a process with only its real uid set holds it."""
    assert identity.uid_has_processes(straggler)
    assert not identity.uid_has_processes(61199)


def test_a_process_gone_while_listed_is_passed_over(straggler, monkeypatch):
    real = open
    failed = []

    def flaky_open(path, *args, **kwargs):
        if not failed:
            failed.append(path)
            raise FileNotFoundError(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(identity, "open", flaky_open, raising=False)
    assert identity.uid_has_processes(straggler)
    assert failed


def test_without_a_process_list_every_uid_counts_as_held(monkeypatch):
    def scandir(path):
        raise PermissionError(path)

    monkeypatch.setattr(identity.os, "scandir", scandir)
    assert identity.uid_has_processes(61199)


def test_no_free_identity_is_a_503_with_a_moment_to_wait():
    refused = identity.NoFreeIdentity("every uid is taken")
    assert (refused.message, refused.status, refused.retry_after) == ("every uid is taken", 503, 5)


# -- a run's cgroup and its owner record ----------------------------------------------------


@pytest.fixture
def fake_layout_with_cpu(fake_layout, tmp_path):
    (tmp_path / "cpu").mkdir()
    return cgroups.Layout(1, {**fake_layout.parents, "cpu": tmp_path / "cpu"})


def assert_run_limits(config, cgroup):
    memory, pids, cpu = (cgroup.dirs[name] for name in ("memory", "pids", "cpu"))
    assert (memory / "memory.limit_in_bytes").read_text() == str(config.memory_bytes)
    assert (pids / "pids.max").read_text() == str(config.processes + 2)
    assert (cpu / "cpu.cfs_quota_us").read_text() == str(int(config.cpus * 100_000))


def test_a_run_gets_its_limits_and_a_record_of_its_worker(config, fake_layout_with_cpu):
    uid, cgroup = identity.allocate(config, fake_layout_with_cpu)
    assert uid == 61190
    assert_run_limits(config, cgroup)
    assert (config.state_dir / "owners" / "61190").read_text() == owners.tag()


def test_a_stale_cgroup_is_made_again_with_the_runs_limits(config, fake_layout_with_cpu):
    left = cgroups.RunCgroup(fake_layout_with_cpu, "61190")
    long_ago = time.time() - config.timeout - identity.STALE_AFTER - 5
    for path in left.dirs.values():
        path.mkdir()
        os.utime(path, (long_ago, long_ago))
    uid, cgroup = identity.allocate(config, fake_layout_with_cpu)
    assert uid == 61190
    assert_run_limits(config, cgroup)


def test_a_stale_cgroup_made_again_meanwhile_keeps_its_uid_taken(config, fake_layout, monkeypatch):
    """Removed as stale, then made again by another server before this one could: not ours."""
    cgroup = cgroups.RunCgroup(fake_layout, "61190")

    def create(*args):
        raise FileExistsError(errno.EEXIST, "File exists")

    monkeypatch.setattr(cgroup, "create", create)
    assert identity.create(cgroup, config) is False


def test_a_full_disk_refuses_the_run_with_a_503_that_says_so(config, monkeypatch):
    monkeypatch.setattr(identity, "owner_record", lambda config, uid: Path("/dev/full"))
    with pytest.raises(ServiceError) as refused:
        identity.record_owner(config, 61190)
    assert refused.value.status == 503 and refused.value.message == NO_ROOM_TO_RUN


def test_a_run_released_leaves_no_record(config, fake_layout):
    cgroup = leave_run(config, fake_layout, 61190, owners.tag())
    assert identity.release(config, 61190, cgroup)
    assert not identity.owner_record(config, 61190).exists()
    assert not identity.lease_path(config, 61190).exists()
    assert not any(path.exists() for path in cgroup.dirs.values())


# -- the machine's identity directory ------------------------------------------------------


@as_root
def test_the_machine_directory_is_made_private_wherever_it_is_put(config, settings, tmp_path):
    settings.RUNNER_IDENTITY_DIR = str(tmp_path / "run" / "deep" / "historyweb-runner")
    config = get_config()
    assert identity.allocate(config, cgroups.Layout())[0] == 61190
    for path in (config.identity_dir, config.identity_dir / "leases"):
        assert path.stat().st_mode & 0o777 == 0o700
    assert identity.lease_path(config, 61190).read_text() == owners.tag()
    # Others may read and enter it (as /run's own 0755 ones), only not write.
    config.identity_dir.chmod(0o755)
    identity.CHECKED.clear()  # (as by the next process: each checks once)
    assert identity.allocate(config, cgroups.Layout())[0] == 61191


# -- leases and the counter ----------------------------------------------------------------


def test_without_root_the_counter_is_the_servers_own_and_wraps(config, settings, monkeypatch):
    monkeypatch.setattr(identity, "switches_uid", lambda: False)
    settings.RUNNER_UID_COUNT = 3
    config = get_config()
    none = cgroups.Layout()
    assert identity.allocate(config, none) == (61190, None)
    assert [identity.allocate(config, none)[0] for _ in range(3)] == [61191, 61192, 61190]
    assert not config.identity_dir.exists()  # no machine-wide state without root


def test_an_unreadable_counter_starts_the_range_again(config, monkeypatch):
    monkeypatch.setattr(identity, "switches_uid", lambda: False)
    config.state_dir.mkdir(parents=True)
    (config.state_dir / "identity").write_bytes(b"\xff\xfe61195")
    assert identity.allocate(config, cgroups.Layout())[0] == 61190


def test_a_uid_whose_cgroup_is_there_is_skipped(config, settings, fake_layout, monkeypatch):
    monkeypatch.setattr(identity, "switches_uid", lambda: False)
    settings.RUNNER_UID_COUNT = 4
    config = get_config()
    for path in cgroups.RunCgroup(fake_layout, "61191").dirs.values():
        path.mkdir()  # a run of another server's, just made
    assert identity.allocate(config, fake_layout)[0] == 61190
    assert identity.allocate(config, fake_layout)[0] == 61192
    assert identity.allocate(config, fake_layout)[0] == 61193
    with pytest.raises(identity.NoFreeIdentity) as refused:
        identity.allocate(config, fake_layout)
    assert refused.value.message == (
        "Every sandbox is in use: all 4 run identities (uids) belong to runs that have not "
        "ended. Try again in 5 s."
    )


@as_root
def test_as_root_the_counter_is_the_machines(config, tmp_path):
    """Two servers (their own state) share the machine's counter: after the first's run ends,
    the second takes the next uid, not the first of the range again."""
    import dataclasses

    other = dataclasses.replace(config, state_dir=tmp_path / "other")
    none = cgroups.Layout()
    uid, _ = identity.allocate(config, none)
    assert identity.release(config, uid, None)
    assert identity.allocate(other, none)[0] == uid + 1


@as_root
def test_a_lease_ends_with_its_run_or_says_the_run_left_processes(config):
    identity.machine_dir(config)
    lease = identity.lease_path(config, 61190)
    lease.write_text(owners.tag())
    identity.end_lease(config, 61190, owners.tag(), gone=False)
    assert lease.read_text() == f"{owners.tag()} left"
    assert not lease.with_name("61190.tmp").exists()
    identity.end_lease(config, 61190, "1.2", gone=True)  # not its lease: left alone
    assert lease.read_text() == f"{owners.tag()} left"
    identity.end_lease(config, 61190, owners.tag(), gone=True)
    assert not lease.exists()


@as_root
def test_a_dead_workers_run_that_left_processes_is_swept_with_its_lease(config, fake_layout):
    dead = dead_owner_tag()
    leave_run(config, fake_layout, 61190, dead)
    identity.lease_path(config, 61190).write_text(f"{dead} left")
    assert identity.sweep(config, fake_layout) == [61190]
    assert not identity.lease_path(config, 61190).exists()


@as_root
def test_a_lease_that_cannot_be_taken_leaves_no_cgroup_or_record(config):
    layout = cgroups.layout_for(None)
    if not layout.available:
        pytest.skip(f"no cgroups here: {layout.problem}")
    cgroup_leftovers.clear(layout)

    def take_lease(config, uid):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(identity, "take_lease", take_lease)
        with pytest.raises(OSError, match="No space left"):
            identity.allocate(config, layout)
    assert not identity.owner_record(config, 61190).exists()
    left = any(p.exists() for p in cgroups.RunCgroup(layout, "61190").dirs.values())
    cgroup_leftovers.clear(layout)
    assert not left
