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

from tests.system import in_ci
from timeline.runner import cgroups

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
    return cgroups.ROOT


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
    parent = root / "service"
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
    assert layout.describe() == (
        "cgroup v1: /m/x, /p/x (moving a run in: without favordynmods: a grace period)"
    )


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
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": "/service/app"})
    layout = cgroups.detect()
    assert not layout.available and layout.version == 2
    assert layout.problem == (
        f"cannot make cgroups under {parent}: memory and pids controllers not enabled in {parent}"
    )


def test_v2_detection_without_a_v2_line_uses_the_root(v2_kernel, monkeypatch):
    """A process listed in v1 hierarchies only: the runs go under the cgroup2 root."""
    (v2_kernel / "cgroup.controllers").write_text("cpu memory pids\n")
    (v2_kernel / "cgroup.subtree_control").write_text("cpu memory pids\n")
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"memory": "/x"})
    monkeypatch.setattr(cgroups, "_probe", lambda layout: None)
    assert cgroups.detect() == cgroups.Layout(2, {"": v2_kernel})
