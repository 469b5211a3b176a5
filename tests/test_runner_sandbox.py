"""The sandbox's command line, the limits a run gets and the settings they come from, checked
without starting a sandbox: the command is the sandbox's whole policy, so it is pinned flag by
flag. (What the kernel then enforces: tests/test_runner_hostile.py, tests/test_hardening.py.)"""

import json
import marshal
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from timeline.runner import bwrap, cgroups, process, sandbox, seccomp, service
from timeline.runner.config import KB, MB, cores, get_config
from timeline.runner.harness import message_cap
from timeline.runner.process import RawRun
from timeline.runner.report import read_message


@pytest.fixture
def config(settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")
    return get_config()


def system_binds():
    """How this host's system directories appear inside: merged-/usr symlinks stay symlinks."""
    expected = []
    for directory in bwrap.SYSTEM_DIRS:
        if os.path.islink(directory):
            expected += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            expected += ["--ro-bind", directory, directory]
    for path in bwrap.SYSTEM_FILES:
        expected += ["--ro-bind-try", path, path]
    return expected


def interpreter_binds(python):
    roots = bwrap.python_roots(python)
    parents = sorted({p for r in roots for p in r.parents if str(p) not in ("/", "/tmp")})
    expected = []
    for parent in parents:
        expected += ["--perms", "0755", "--dir", str(parent)]
    for root in roots:
        expected += ["--ro-bind", str(root), str(root)]
    return expected


def test_the_whole_command_as_root(config, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    work, hosts = tmp_path / "work", tmp_path / "hosts"
    command = bwrap.build_command(config, work, 5, 6, hosts, seccomp_fd=7, block_fd=8)
    assert command == [
        config.bwrap,
        *("--seccomp", "7", "--block-fd", "8"),
        # Root skips the user namespace (RLIMIT_NPROC) and keeps only setuid/setgid.
        *("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"),
        *("--unshare-cgroup-try", "--cap-drop", "ALL"),
        *("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"),
        *("--die-with-parent", "--new-session", "--hostname", "sandbox"),
        *("--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin"),
        *("--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", "/tmp"),
        *("--setenv", "PYTHONHASHSEED", "0"),
        *("--info-fd", "6"),
        *("--perms", "1777", "--size", str(16 * MB), "--tmpfs", "/tmp"),
        *("--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/etc/ssl"),
        *("--perms", "0755", "--dir", "/runner"),
        *system_binds(),
        *("--ro-bind", str(hosts), "/etc/hosts"),
        *("--ro-bind-try", str(work / "passwd"), "/etc/passwd"),
        *("--ro-bind-try", str(work / "group"), "/etc/group"),
        *interpreter_binds(config.python),
        *("--ro-bind", str(work), "/sample"),
        *("--ro-bind", str(bwrap.HARNESS), "/runner/harness.py"),
        *("--proc", "/proc", "--dev", "/dev"),
        *("--perms", "1777", "--size", str(16 * MB), "--tmpfs", "/dev/shm"),
        *("--perms", "0755", "--size", "4096", "--tmpfs", "/dev/pts", "--remount-ro", "/dev/pts"),
        *("--chdir", "/tmp"),
        *(config.python, "-s", "-P", "-B", "-u", "/runner/harness.py", "/sample/spec", "5"),
    ]
    assert bwrap.HARNESS == Path(bwrap.__file__).with_name("harness.py")


def test_as_another_user_every_namespace_is_new_and_no_capability_is_kept(
    config, tmp_path, monkeypatch
):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    command = bwrap.build_command(config, tmp_path, 5, 6, tmp_path / "hosts")
    assert command[:4] == [config.bwrap, "--unshare-all", "--die-with-parent", "--new-session"]
    assert "--cap-add" not in command and "--seccomp" not in command
    assert "--block-fd" not in command


def test_a_benchmark_command_runs_its_argv_instead_of_the_harness(config, tmp_path):
    command = bwrap.build_command(config, tmp_path, 5, 6, tmp_path / "hosts", argv=["-c", "pass"])
    assert command[-5:] == ["--chdir", "/tmp", config.python, "-c", "pass"]


def test_the_interpreter_roots_are_the_venv_and_its_base(config):
    venv = Path(config.python).parent.parent
    roots = bwrap.python_roots(config.python)
    if (venv / "pyvenv.cfg").exists():
        assert venv in roots
    # Never /usr itself or below: the system is bound read-only on its own.
    assert all(not str(r).startswith("/usr/") and str(r) != "/usr" for r in roots)
    assert roots == sorted(roots)
    assert Path(os.path.realpath(config.python)).parent.parent in roots or str(
        Path(os.path.realpath(config.python))
    ).startswith("/usr/")


def test_a_copied_venv_binds_the_installation_its_config_names(tmp_path):
    """A venv made with --copies has its own python binary: only pyvenv.cfg's `home` says
    where the standard library lives."""
    base = tmp_path / "opt" / "python=3.11"  # an "=" in the path: only the first one splits
    venv = tmp_path / "venv"
    for folder in (base / "bin", venv / "bin"):
        folder.mkdir(parents=True)
    (venv / "bin" / "python").write_bytes(b"")
    (venv / "pyvenv.cfg").write_text(
        f"homebrew = {tmp_path / 'not' / 'this'}\n"
        "include-system-site-packages = false\n"
        f" home = {base / 'bin'} \n"
        "version = 3.11.2\n"
    )
    assert bwrap.python_roots(str(venv / "bin" / "python")) == [base, venv]


@pytest.mark.parametrize("home", ["/usr/bin", "/usr/local/bin"])
def test_a_venv_made_from_the_system_python_binds_only_itself(tmp_path, home):
    """The system's python is under /usr, bound read-only with the rest of the system."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_bytes(b"")
    (venv / "pyvenv.cfg").write_text(f"home = {home}\n")
    assert bwrap.python_roots(str(venv / "bin" / "python")) == [venv]


def test_a_python_outside_any_venv_binds_its_installation(tmp_path):
    install = tmp_path / "python3.12"
    (install / "bin").mkdir(parents=True)
    (install / "bin" / "python3").write_bytes(b"")
    (tmp_path / "link").symlink_to(install / "bin" / "python3")
    assert bwrap.python_roots(str(tmp_path / "link")) == [install]


def test_hosts_file_names_only_localhost_and_is_rewritten_when_changed(config):
    path = bwrap.hosts_file(config)
    assert path == config.state_dir / "hosts"
    assert path.read_text() == "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.write_text("203.0.113.7 evil\n")
    assert bwrap.hosts_file(config).read_text() == bwrap.HOSTS
    assert [p.name for p in config.state_dir.iterdir()] == ["hosts"]


def test_the_hosts_file_makes_a_state_directory_several_levels_deep(settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path / "var" / "runner" / "state")
    assert bwrap.hosts_file(get_config()).read_text() == bwrap.HOSTS


def test_an_interpreter_under_tmp_does_not_remake_the_sandboxs_tmp(config, monkeypatch):
    """/tmp is the sandbox's own tmpfs (mode 1777): the folders above a venv there are made, not
    /tmp itself."""
    monkeypatch.setattr(bwrap, "python_roots", lambda python: [Path("/tmp/build/venv")])
    command = bwrap.build_command(config, Path("/w"), 5, 6, Path("/h"))
    made = [command[i + 1] for i, word in enumerate(command) if word == "--dir"]
    assert "/tmp/build" in made and "/tmp" not in made


def test_a_run_gets_its_limits_body_and_uid_in_a_readable_spec(
    settings, config, monkeypatch, tmp_path
):
    unrunnable_bwrap(settings, tmp_path)  # a path to pass the bwrap check; execute is replaced
    settings.RUNNER_TIMEOUT = 2.5
    config = get_config()
    seen = {}

    def execute(config_, work_dir, hosts, cgroup=None, seccomp_program=None, script=False):
        seen["spec"] = marshal.loads((work_dir / "spec").read_bytes())
        seen["script"] = script
        seen["body"] = (work_dir / "body").read_bytes()
        seen["modes"] = [
            stat.S_IMODE(p.stat().st_mode) for p in (work_dir, work_dir / "spec", work_dir / "body")
        ]
        seen["hosts"] = hosts
        seen["filter"] = seccomp_program
        return RawRun(b"", b"", b"", 0, False, False, 1.0)

    monkeypatch.setattr(sandbox, "execute", execute)
    sandbox.run_in_sandbox(config, {"runtime": "python"})
    assert seen["body"] == b""  # no request body: an empty file
    sandbox.run_in_sandbox(config, {"runtime": "python"}, body=b"print(1)")
    spec = seen.pop("spec")
    assert config.uid_base <= spec.pop("uid") < config.uid_base + config.uid_count
    assert spec == {
        "runtime": "python",
        "body_path": "/sample/body",
        "limits": {
            "cpu_seconds": 3,
            "memory_bytes": 512 * MB,
            "processes": 32,
            "file_bytes": 4 * MB,
            "open_files": 64,
            "output_bytes": 64 * KB,
        },
    }
    assert seen == {
        "script": True,  # python runs the script itself (the harness is its sitecustomize)
        "body": b"print(1)",
        "modes": [0o755, 0o644, 0o644],
        "hosts": config.state_dir / "hosts",
        # The seccomp filter goes to the sandbox (None only where libseccomp is missing).
        "filter": sandbox.containment(config).seccomp,
    }


def test_containment_looks_for_cgroups_where_the_settings_say(settings, monkeypatch):
    asked = []
    monkeypatch.setattr(cgroups, "layout_for", lambda parent: asked.append(parent))
    settings.RUNNER_CGROUP_PARENT = "/historyweb-runs"
    sandbox.containment(get_config())
    assert asked == ["/historyweb-runs"]


def test_a_short_timeout_still_gets_a_cpu_second(settings, config, monkeypatch, tmp_path):
    unrunnable_bwrap(settings, tmp_path)  # a path to pass the bwrap check; execute is replaced
    settings.RUNNER_TIMEOUT = 0.2
    seen = {}
    monkeypatch.setattr(
        sandbox,
        "execute",
        lambda c, w, *a, **k: seen.update(marshal.loads((w / "spec").read_bytes())["limits"])
        or RawRun(b"", b"", b"", 0, False, False, 1.0),
    )
    sandbox.run_in_sandbox(get_config(), {})
    assert seen["cpu_seconds"] == 1


def test_without_bwrap_nothing_runs(settings, config):
    settings.RUNNER_BWRAP = ""
    with pytest.raises(sandbox.SandboxUnavailable, match="needs bubblewrap"):
        sandbox.run_in_sandbox(get_config(), {})


def test_required_containment_refuses_without_a_cgroup_or_filter(settings, monkeypatch, tmp_path):
    unrunnable_bwrap(settings, tmp_path)  # bwrap is there: the refusal is containment's
    settings.RUNNER_REQUIRE_CONTAINMENT = True

    class Missing:
        def problems(self):
            return ["no cgroup per run: none", "no seccomp"]

    monkeypatch.setattr(sandbox, "containment", lambda config: Missing())
    with pytest.raises(sandbox.SandboxUnavailable) as info:
        sandbox.run_in_sandbox(get_config(), {})
    assert str(info.value) == "Runs are switched off: no cgroup per run: none; no seccomp"


# -- the settings behind the limits --------------------------------------------------------------

KNOBS = {
    "RUNNER_TIMEOUT": ("timeout", "7.5", 7.5),
    "RUNNER_OUTPUT_LIMIT": ("output_bytes", "1000", 1000),
    "RUNNER_MEMORY_LIMIT": ("memory_bytes", "2000", 2000),
    "RUNNER_PROCESS_LIMIT": ("processes", "3", 3),
    "RUNNER_FILE_LIMIT": ("file_bytes", "4000", 4000),
    "RUNNER_OPEN_FILES": ("open_files", "5", 5),
    "RUNNER_TMP_SIZE": ("tmp_bytes", "6000", 6000),
    "RUNNER_SLOT_WAIT": ("slot_wait", "0.25", 0.25),
    "RUNNER_RATE_LIMIT": ("rate_limit", "8", 8),
    "RUNNER_RATE_WINDOW": ("rate_window", "9", 9),
    "RUNNER_UID_BASE": ("uid_base", "62000", 62000),
    "RUNNER_UID_COUNT": ("uid_count", "11", 11),
    "RUNNER_CPU_LIMIT": ("cpus", "0.5", 0.5),
    "RUNNER_CGROUP_PARENT": ("cgroup_parent", "/sys/fs/cgroup/x", "/sys/fs/cgroup/x"),
    "RUNNER_REQUIRE_CONTAINMENT": ("require_containment", "yes", True),
    "RUNNER_PYTHON": ("python", "/opt/python3", "/opt/python3"),
    "RUNNER_IDENTITY_DIR": ("identity_dir", "/run/other", Path("/run/other")),
}
DEFAULTS = {
    "timeout": 5.0,
    "output_bytes": 64 * KB,
    "memory_bytes": 512 * MB,
    "processes": 32,
    "file_bytes": 4 * MB,
    "open_files": 64,
    "tmp_bytes": 16 * MB,
    "slot_wait": 0.5,
    "rate_limit": 10,
    "rate_window": 60,
    "uid_base": 61000,
    "uid_count": 100,
    "cpus": 1.0,
    "cgroup_parent": None,
    "require_containment": False,
    "identity_dir": Path("/run/historyweb-runner"),
}


def test_each_setting_reaches_its_limit(settings, tmp_path):
    for name, (_, text, _) in KNOBS.items():
        setattr(settings, name, text)
    settings.RUNNER_STATE_DIR = str(tmp_path)
    config = get_config()
    for name, (field, _, value) in KNOBS.items():
        assert getattr(config, field) == value, name
    assert config.state_dir == tmp_path


def test_the_defaults_without_settings(settings):
    for name in [*KNOBS, "RUNNER_STATE_DIR", "RUNNER_MAX_CONCURRENT", "RUNNER_BWRAP"]:
        if hasattr(settings, name):
            delattr(settings, name)
    config = get_config()
    assert {field: getattr(config, field) for field in DEFAULTS} == DEFAULTS
    assert config.state_dir == Path(settings.VAR_DIR) / "runner"
    assert config.max_concurrent == cores()
    assert config.bwrap is None or os.path.isabs(config.bwrap)
    venv = Path(settings.BASE_DIR) / ".venv" / "bin" / "python"
    assert config.python == (str(venv) if venv.exists() else __import__("sys").executable)


@pytest.mark.parametrize("wanted, expected", [(0, 1), (1, 1), (1000, None)])
def test_concurrent_runs_stay_between_one_and_the_cores(settings, wanted, expected):
    settings.RUNNER_MAX_CONCURRENT = wanted
    assert get_config().max_concurrent == (expected or cores())


def test_uid_count_is_at_least_one(settings):
    settings.RUNNER_UID_COUNT = 0
    assert get_config().uid_count == 1


def test_the_interpreter_is_the_projects_venv_when_there_is_one(settings, tmp_path):
    del settings.RUNNER_PYTHON
    settings.BASE_DIR = tmp_path
    assert get_config().python == sys.executable
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_bytes(b"")
    assert get_config().python == str(venv_python)


def test_bwrap_is_found_on_path_and_must_be_executable(settings, tmp_path, monkeypatch):
    tool = tmp_path / "bwrap"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o644)
    settings.RUNNER_BWRAP = str(tool)
    assert get_config().bwrap is None  # not executable
    tool.chmod(0o755)
    assert get_config().bwrap == str(tool)
    monkeypatch.setenv("PATH", str(tmp_path))
    settings.RUNNER_BWRAP = "bwrap"
    assert get_config().bwrap == str(tool)
    settings.RUNNER_BWRAP = "no-such-tool"
    assert get_config().bwrap is None
    del settings.RUNNER_BWRAP  # by default: `bwrap` on the PATH
    assert get_config().bwrap == str(tool)


def test_bwrap_is_looked_up_on_the_path_once_until_it_goes(settings, tmp_path, monkeypatch):
    """get_config() runs on every run request: PATH is searched once per name and PATH, and
    again only when the tool found there is gone, or was not found (installed since)."""
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in first, second:
        directory.mkdir()
        (directory / "bwrap").write_text("#!/bin/sh\n")
        (directory / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{first}:{second}")
    settings.RUNNER_BWRAP = "bwrap"
    searches = []
    search = shutil.which
    monkeypatch.setattr(shutil, "which", lambda *a, **k: searches.append(a) or search(*a, **k))
    assert get_config().bwrap == get_config().bwrap == str(first / "bwrap")
    assert searches == [("bwrap",)]
    (first / "bwrap").chmod(0o644)
    assert get_config().bwrap == str(second / "bwrap")
    assert len(searches) == 2
    later = tmp_path / "later"
    later.mkdir()
    monkeypatch.setenv("PATH", str(later))
    assert get_config().bwrap is None
    assert get_config().bwrap is None
    assert len(searches) == 4
    (later / "bwrap").write_text("#!/bin/sh\n")
    (later / "bwrap").chmod(0o755)
    assert get_config().bwrap == str(later / "bwrap")


# -- what holds a run, and stopping it ---------------------------------------------------------


def bare_containment(problem="no cgroup here", seccomp_problem="no libseccomp here"):
    """A host with neither a cgroup per run nor a seccomp filter (a developer's laptop)."""
    held = sandbox.Containment.__new__(sandbox.Containment)
    held.cgroups = cgroups.Layout(problem=problem)
    held.seccomp, held.seccomp_problem = None, seccomp_problem
    return held


def test_containment_names_each_missing_piece():
    assert bare_containment().problems() == [
        "no cgroup per run: no cgroup here",
        "no libseccomp here",
    ]
    held = bare_containment()
    held.seccomp = b"filter"
    assert held.problems() == ["no cgroup per run: no cgroup here"]


@pytest.mark.usefixtures("sandbox")
def test_a_run_without_a_cgroup_or_a_filter_still_runs(monkeypatch):
    """Development hosts may lack both: the run is then held by its limits and namespaces."""
    monkeypatch.setattr(sandbox, "containment", lambda config: bare_containment())
    result = service.run_code("python", "import sys\nprint(repr(sys.stdin.read()))\n")
    assert (result.outcome, result.output) == ("ok", "''\n")
    assert result.to_dict()["peak_memory_bytes"] is None  # unknown without a cgroup: null


@pytest.mark.usefixtures("sandbox")
def test_a_run_reads_no_input():
    """stdin is /dev/null: a program that reads it gets end of file, not the server's input."""
    result = service.run_code("python", "import sys\nprint(repr(sys.stdin.read()))\n")
    assert (result.outcome, result.output) == ("ok", "''\n")


def test_bwrap_starts_in_a_session_of_its_own_with_no_input(settings, tmp_path):
    """Its own process group is what a stuck sandbox is killed by; no terminal, no stdin."""
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\n"
        "session=$(cut -d' ' -f6 /proc/$$/stat)\n"
        'echo "bwrap: session=$([ "$session" = "$$" ] && echo own || echo shared)'
        ' stdin=$(readlink /proc/$$/fd/0)" >&2\n'
        "exit 1\n"
    )
    fake.chmod(0o755)
    settings.RUNNER_BWRAP = str(fake)
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")
    # The server's own stdin is a pipe here, so an inherited one would show.
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        with pytest.raises(sandbox.SandboxUnavailable, match="session=own stdin=/dev/null"):
            service.run_code("python", "print(1)\n")
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)


def fake_bwrap(settings, tmp_path, script, timeout=2):
    """A stand-in for bwrap: `script` runs with `argv` (bwrap's command line) and `os` imported."""
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!{sys.executable}\nimport os, sys, time\nargv = sys.argv\n{script}")
    fake.chmod(0o755)
    settings.RUNNER_BWRAP = str(fake)
    settings.RUNNER_TIMEOUT = timeout
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")
    config = get_config()
    return config, bwrap.hosts_file(config)


def unrunnable_bwrap(settings, tmp_path):
    """A bwrap that exists and is executable, but that the kernel cannot run."""
    fake = tmp_path / "bwrap"
    fake.write_bytes(b"\x00not a program")
    fake.chmod(0o755)
    settings.RUNNER_BWRAP = str(fake)
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")


def test_a_bwrap_that_cannot_be_executed_fails_closed(settings, tmp_path):
    unrunnable_bwrap(settings, tmp_path)
    with pytest.raises(sandbox.SandboxUnavailable) as info:
        sandbox.run_in_sandbox(get_config(), {})
    assert str(info.value).startswith(sandbox.INSTALL_HINT + " ([Errno 8] Exec format error")


@pytest.mark.parametrize("cgroup", [None, object()], ids=["alone", "with-a-cgroup"])
def test_a_bwrap_that_cannot_be_executed_leaves_no_descriptor_open(settings, tmp_path, cgroup):
    """Every pipe made for the run (results, info, the filter, the cgroup's go-ahead) is closed."""
    unrunnable_bwrap(settings, tmp_path)
    open_before = sorted(os.listdir("/proc/self/fd"))
    with pytest.raises(sandbox.SandboxUnavailable):
        process.execute(get_config(), tmp_path, tmp_path / "hosts", cgroup, b"\0" * 8)
    assert sorted(os.listdir("/proc/self/fd")) == open_before


def test_drain_takes_what_is_left_up_to_the_cap():
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    try:
        buffer = bytearray(b"ab")
        process.drain(read_end, buffer, 10)  # nothing written yet: returns at once
        assert buffer == b"ab"
        os.write(write_end, b"x" * 100)
        process.drain(read_end, buffer, 10)
        assert buffer == b"ab" + b"x" * 8
        os.close(write_end)
        buffer = bytearray()
        process.drain(read_end, buffer, 1000)  # what went past the cap was read and dropped
        assert buffer == b""
    finally:
        os.close(read_end)


def sleeper():
    return subprocess.Popen(["sleep", "60"], start_new_session=True)


def test_a_stuck_sandbox_is_killed_by_its_init_then_its_group():
    """bwrap itself is killed by its group when killing the init did not end it."""
    bwrap, init = sleeper(), sleeper()
    info = json.dumps({"child-pid": init.pid}).encode()
    started = time.monotonic()
    process.kill_sandbox(bwrap, info)
    assert init.wait(timeout=5) == -signal.SIGKILL
    assert bwrap.wait(timeout=5) == -signal.SIGKILL
    assert time.monotonic() - started < 3  # one second's grace for bwrap, not more


def test_without_the_inits_pid_the_group_is_killed():
    bwrap = sleeper()
    process.kill_sandbox(bwrap, b"{incomplete")
    assert bwrap.wait(timeout=5) == -signal.SIGKILL


def test_the_runs_cgroup_is_killed_too():
    killed = []

    class Cgroup:
        def kill(self):
            killed.append(True)

    bwrap = sleeper()
    process.kill_sandbox(bwrap, b"", Cgroup())
    assert bwrap.wait(timeout=5) == -signal.SIGKILL and killed == [True]


def test_without_libseccomp_the_filter_is_named_as_missing(config, monkeypatch):
    def unavailable():
        raise seccomp.SeccompUnavailable("libseccomp2 is not installed")

    monkeypatch.setattr(seccomp, "filter_bytes", unavailable)
    held = sandbox.Containment(config)
    assert held.seccomp is None
    assert held.problems()[-1] == "libseccomp2 is not installed"


@pytest.mark.parametrize("over", [0, 1], ids=["at-the-cap", "one-byte-over"])
def test_the_supervisors_message_is_read_up_to_its_cap_and_no_further(settings, tmp_path, over):
    """A sandbox that writes without end is not read without end: the host keeps what the
    harness's largest message could be (2 MiB and 1 KiB at 64 KB of output), and a message cut
    there is no message."""
    settings.RUNNER_OUTPUT_LIMIT = 64 * KB
    cap = 2 * MB + KB
    assert cap == message_cap(64 * KB)
    head = b'{"exit":0,"report_b64":"","report_bytes":0'
    (tmp_path / "message").write_bytes(head + b" " * (cap + over - len(head) - 1) + b"}")
    script = (
        f"data = open({str(tmp_path / 'message')!r}, 'rb').read()\n"
        "while data:\n    data = data[os.write(int(argv[-1]), data):]\n"
    )
    config, hosts = fake_bwrap(settings, tmp_path, script)
    raw = process.execute(config, tmp_path, hosts)
    assert len(raw.report) == cap
    message = read_message(raw.report)
    assert (message is not None) == (over == 0)


class StandInCgroup:
    """What execute() asks of a run's cgroup, recorded."""

    def __init__(self, enter_error=None, limit_hit=False):
        self.enter_error, self.limit_hit, self.killed = enter_error, limit_hit, 0

    def enter(self, pid):
        if self.enter_error:
            raise self.enter_error

    def memory_limit_hit(self):
        # A hit counted while the run was being stopped: the loop never saw it.
        return self.limit_hit and self.killed > 0

    def memory_limit_reached(self):
        return self.memory_limit_hit()

    def memory_peak(self):
        return 1234

    def kill(self):
        self.killed += 1


@pytest.mark.parametrize("held", [False, True], ids=["alone", "with-a-cgroup"])
def test_a_bwrap_that_closes_its_pipes_but_keeps_running_is_stopped_at_the_deadline(
    settings, tmp_path, held
):
    """All its pipes at end of file, bwrap itself still running: waited for until the deadline,
    then killed (and its cgroup with it), and the run is a timeout."""
    cgroup = StandInCgroup() if held else None
    config, hosts = fake_bwrap(settings, tmp_path, "os.closerange(0, 4096)\ntime.sleep(30)\n", 1)
    started = time.monotonic()
    raw = process.execute(config, tmp_path, hosts, cgroup)
    assert (raw.timed_out, raw.returncode) == (True, -signal.SIGKILL)
    assert time.monotonic() - started < 10  # not the 30 s it would sleep
    if cgroup is not None:
        assert cgroup.killed == 1


@pytest.mark.parametrize("size, cut", [(64 * KB, False), (64 * KB + 1, True)])
def test_output_up_to_the_cap_is_whole(settings, tmp_path, size, cut):
    settings.RUNNER_OUTPUT_LIMIT = 64 * KB
    config, hosts = fake_bwrap(settings, tmp_path, f"sys.stdout.write('x' * {size})\n")
    raw = process.execute(config, tmp_path, hosts)
    assert (len(raw.stdout), raw.overflowed) == (64 * KB, cut)


def test_a_sandbox_that_cannot_enter_its_cgroup_never_starts(settings, tmp_path):
    """bwrap waits on its block fd; when the move into the cgroup fails the run is refused at
    once, killed before it was let go."""
    script = (
        "info = int(argv[argv.index('--info-fd') + 1])\n"
        "block = int(argv[argv.index('--block-fd') + 1])\n"
        "os.write(info, b'{\"child-pid\": %d}' % os.getpid())\n"
        "if os.read(block, 2):\n"
        "    print('started uncontained')\n"
    )
    config, hosts = fake_bwrap(settings, tmp_path, script, timeout=5)
    cgroup = StandInCgroup(enter_error=PermissionError(13, "Permission denied"))
    started = time.monotonic()
    with pytest.raises(sandbox.SandboxUnavailable) as info:
        process.execute(config, tmp_path, hosts, cgroup)
    assert str(info.value) == ("The run could not enter its cgroup: [Errno 13] Permission denied")
    assert time.monotonic() - started < 4  # refused at once, not at the deadline
    assert cgroup.killed == 1


def test_a_memory_limit_hit_is_reported_when_another_limit_stopped_the_run(settings, tmp_path):
    """The output cap stops the run first; the cgroup's count of hits is still read at the end."""
    settings.RUNNER_OUTPUT_LIMIT = 64 * KB
    config, hosts = fake_bwrap(settings, tmp_path, "sys.stdout.write('x' * 200000)\n")
    cgroup = StandInCgroup(limit_hit=True)
    raw = process.execute(config, tmp_path, hosts, cgroup)
    assert (raw.overflowed, raw.memory_exceeded, raw.peak_memory_bytes) == (True, True, 1234)


def test_bwrap_text_on_stderr_from_a_sandbox_that_started_is_not_bwrap_failing(settings, tmp_path):
    """A program that ran (bwrap reported its child on --info-fd) may print `bwrap: …` to stderr
    and leave no report: that is the run's own failure (the sandbox outcome, the program's text
    in the log), never "the sandbox could not start" answered as a 503 with the program's words.
    Only bwrap reporting no child means the sandbox could not start."""
    script = (
        "info = int(argv[argv.index('--info-fd') + 1])\n"
        "os.write(info, b'{\"child-pid\": %d}' % os.getpid())\n"
        "os.close(info)\n"
        "sys.stderr.write('bwrap: Creating new namespace failed: Operation not permitted\\n')\n"
        "sys.exit(1)\n"
    )
    fake_bwrap(settings, tmp_path, script, timeout=5)
    settings.RUNNER_CGROUP_PARENT = "/historyweb-test-no-such-parent"  # no block fd to answer
    settings.RUNNER_REQUIRE_CONTAINMENT = False
    result = service.run_code("python", "print(1)\n")
    assert result.outcome == "sandbox" and not result.ok
    assert result.error.startswith("The sandbox ended before the runner could report")
    assert "could not start" not in result.error
    assert result.output.startswith("bwrap: Creating new namespace failed")


def test_bwrap_that_reports_no_child_could_not_start(settings, tmp_path):
    """The other side: no child pid on --info-fd, and what bwrap printed is the reason."""
    script = "sys.stderr.write('bwrap: No permissions to create new namespace\\n')\nsys.exit(1)\n"
    fake_bwrap(settings, tmp_path, script, timeout=5)
    settings.RUNNER_CGROUP_PARENT = "/historyweb-test-no-such-parent"
    settings.RUNNER_REQUIRE_CONTAINMENT = False
    with pytest.raises(sandbox.SandboxUnavailable, match="could not start: bwrap: No permissions"):
        service.run_code("python", "print(1)\n")


def test_a_script_is_run_by_python_itself_with_the_harness_as_its_site_customisation(
    config, tmp_path
):
    command = bwrap.build_command(config, tmp_path, 5, 6, tmp_path / "hosts", script=True)
    assert command[command.index(str(bwrap.HARNESS)) + 1] == "/runner/sitecustomize.py"
    assert "/runner/harness.py" not in command
    assert command[-14:] == [
        *("--chdir", "/tmp"),
        *("--setenv", "PYTHONPATH", "/runner"),
        *("--setenv", "RUNNER_SPEC", "/sample/spec", "--setenv", "RUNNER_RESULT_FD", "5"),
        *(config.python, "-u", "sample.py"),
    ]


@pytest.mark.parametrize("root", [True, False])
def test_a_run_knows_its_user_by_name(root, monkeypatch):
    """As root a run has a uid of its own; without root it keeps the server's (in its namespace)."""
    monkeypatch.setattr(bwrap.os, "geteuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(bwrap.os, "getuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(bwrap.os, "getgid", lambda: 0 if root else 1001)
    files = bwrap.account_files(61007)
    user, group = ("61007", "61007") if root else ("1000", "1001")
    assert files["passwd"].splitlines()[1] == f"sandbox:x:{user}:{group}:sandbox:/tmp:/bin/sh"
    assert files["group"].splitlines()[1] == f"sandbox:x:{group}:"
