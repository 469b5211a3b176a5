"""timeline/runner/identity.py function by function: the sweep of dead workers' runs, which
processes hold a uid, leases and the machine lock. Fast: stand-in cgroup directories where the
kernel's answer is not the point, real processes where it is. No sandbox is started here;
tests/test_runner_containment.py has the runs."""

import os
import subprocess
import time

import pytest

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
        while "Uid:\t61198\t" not in open(f"/proc/{process.pid}/status").read():
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
