"""The harness compiled once, by the sandbox's interpreter, and used by every run (bytecode.py)."""

import dataclasses
import os
import shutil
import subprocess
import threading

import pytest

from timeline.runner import bwrap, bytecode, service
from timeline.runner.config import get_config

# What the sandbox's interpreter says of a pyc: its magic, its flags, and its code's file name.
READ_PYC = """\
import importlib.util, marshal, sys
data = open(sys.argv[1], "rb").read()
code = marshal.loads(data[16:])
flags = int.from_bytes(data[4:8], "little")
print(data[:4] == importlib.util.MAGIC_NUMBER, flags, code.co_filename)
"""


@pytest.fixture
def config(settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")
    bytecode._made.clear()
    yield get_config()
    bytecode._made.clear()


def read_pyc(config, path):
    done = subprocess.run(
        [config.python, "-I", "-c", READ_PYC, str(path)], capture_output=True, text=True, check=True
    )
    magic, flags, filename = done.stdout.split()
    return magic == "True", int(flags), filename


def test_both_files_are_the_sandbox_interpreters_unchecked_bytecode_named_for_their_source(config):
    made = bwrap.harness_bytecode(config)
    # Flags 1: hash-based, unchecked: the import system never looks for a source to compare.
    assert read_pyc(config, made.harness) == (True, 1, "/runner/harness.py")
    assert read_pyc(config, made.site) == (True, 1, "/runner/sitecustomize.py")
    tag = subprocess.run(
        [config.python, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert made.cached_name == f"sitecustomize.{tag}.pyc"
    assert made.harness.parent.parent == config.state_dir / "bytecode"
    assert [p.name for p in made.harness.parent.parent.iterdir()] == [made.harness.parent.name]
    # The run's own uid reads them.
    assert oct(made.harness.stat().st_mode & 0o777) == "0o644"
    assert oct(made.site.stat().st_mode & 0o777) == "0o644"
    assert oct(made.harness.parent.stat().st_mode & 0o777) == "0o755"


def test_it_is_made_once_and_made_again_when_its_files_are_gone(config, monkeypatch):
    made = bwrap.harness_bytecode(config)
    calls = []
    real = bytecode.make
    monkeypatch.setattr(bytecode, "make", lambda *a: calls.append(a) or real(*a))
    assert bwrap.harness_bytecode(config) is made
    assert calls == []
    shutil.rmtree(made.harness.parent)
    again = bwrap.harness_bytecode(config)
    assert len(calls) == 1 and again.harness.exists() and again.site.exists()


def test_one_file_gone_is_enough_to_make_both_again(config, monkeypatch):
    made = bwrap.harness_bytecode(config)
    calls = []
    real = bytecode.make
    monkeypatch.setattr(bytecode, "make", lambda *a: calls.append(a) or real(*a))
    made.site.unlink()
    again = bwrap.harness_bytecode(config)
    assert len(calls) == 1 and again.present()


def test_each_state_directory_has_files_of_its_own(config, tmp_path):
    other = dataclasses.replace(config, state_dir=tmp_path / "other")
    first, second = bwrap.harness_bytecode(config), bwrap.harness_bytecode(other)
    assert first.harness.is_relative_to(config.state_dir)
    assert second.harness.is_relative_to(other.state_dir) and second.present()


def test_a_folder_left_half_made_by_a_crash_is_made_over(config):
    """The same process and thread once died mid-make: its building folder is still there."""
    digest = bytecode.digest(bwrap.HARNESS)
    base = config.state_dir / "bytecode"
    building = base / f"{digest}.{os.getpid()}.{threading.get_ident()}"
    building.mkdir(parents=True)
    (building / "harness.pyc").write_bytes(b"half")
    made = bwrap.harness_bytecode(config)
    assert made.present() and made.harness.read_bytes() != b"half"
    assert [p.name for p in base.iterdir()] == [made.harness.parent.name]


def interpreter(tmp_path, config, script):
    """A stand-in for the sandbox's interpreter: `script` (sh) around the real one ($REAL)."""
    path = tmp_path / "python"
    path.write_text(f"#!/bin/sh\nREAL={config.python}\n{script}\n")
    path.chmod(0o755)
    return dataclasses.replace(config, python=str(path))


@pytest.mark.parametrize(
    "script",
    [
        '"$REAL" "$@" >/dev/null; exit 1',  # it made the files, then failed
        '"$REAL" "$@" >/dev/null; echo',  # no cache tag
        '"$REAL" "$@" >/dev/null; echo "$("$REAL" -c "import sys; print(sys.implementation.cache_tag)")/x"',  # noqa: E501
    ],
    ids=["failed", "no tag", "a tag with a slash"],
)
def test_an_interpreter_that_fails_or_names_no_plain_tag_gets_no_bytecode(config, tmp_path, script):
    bwrap.harness_bytecode(config)  # the right folder exists: a tag with a slash would nest in it
    bytecode._made.clear()
    assert bwrap.harness_bytecode(interpreter(tmp_path, config, script)) is None
    assert len(list((config.state_dir / "bytecode").iterdir())) == 1
    assert [p.name for p in bwrap.harness_bytecode(config).harness.parent.iterdir()] == [
        "harness.pyc",
        "site.pyc",
    ]


def test_an_interpreter_that_hangs_is_given_up(config, tmp_path, monkeypatch):
    monkeypatch.setattr(bytecode, "COMPILE_SECONDS", 0.5)
    hangs = interpreter(tmp_path, config, 'sleep 20; exec "$REAL" "$@"')
    assert bwrap.harness_bytecode(hangs) is None


def test_the_interpreter_compiles_in_isolation_from_the_environment(config, tmp_path, monkeypatch):
    """PYTHONPATH, PYTHONSTARTUP and the user's site are not read: a module of the same name on
    PYTHONPATH is not the one that compiles."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "py_compile.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))
    assert bwrap.harness_bytecode(config).present()


def test_a_changed_harness_gets_files_of_its_own(config, tmp_path):
    first = bwrap.harness_bytecode(config)
    changed = tmp_path / "harness.py"
    changed.write_text(bwrap.HARNESS.read_text() + "\n# changed\n")
    second = bytecode.compiled(config, changed, bwrap.SANDBOX_HARNESS, bwrap.SANDBOX_SITE)
    assert second.harness.parent != first.harness.parent
    assert first.harness.read_bytes() != second.harness.read_bytes()


def test_where_it_cannot_be_made_runs_compile_the_source_as_before(config, tmp_path):
    broken = dataclasses.replace(config, python="/bin/false")
    assert bwrap.harness_bytecode(broken) is None
    assert list((config.state_dir / "bytecode").iterdir()) == []  # nothing half-made left
    source = tmp_path / "bad.py"
    source.write_text("def (:\n")  # a harness that does not compile: no bytecode either
    assert bytecode.compiled(config, source, "/runner/harness.py", "/runner/site.py") is None


def test_the_command_binds_it_beside_the_source_and_runs_it(config, tmp_path):
    made = bwrap.harness_bytecode(config)
    app = bwrap.build_command(config, tmp_path, 5, 6, tmp_path / "hosts", bytecode=made)
    assert app[app.index(str(made.harness)) - 1 : app.index(str(made.harness)) + 2] == [
        "--ro-bind",
        str(made.harness),
        "/runner/harness.pyc",
    ]
    assert app[app.index(str(bwrap.HARNESS)) + 1] == "/runner/harness.py"  # for tracebacks
    assert app[-8:] == [
        *(config.python, "-s", "-P", "-B", "-u", "/runner/harness.pyc", "/sample/spec", "5"),
    ]
    hosts = tmp_path / "hosts"
    script = bwrap.build_command(config, tmp_path, 5, 6, hosts, script=True, bytecode=made)
    cached = f"/runner/__pycache__/{made.cached_name}"
    at = script.index(str(made.site))
    assert script[at - 5 : at + 2] == [
        *("--perms", "0755", "--dir", "/runner/__pycache__"),  # readable once root is dropped
        *("--ro-bind", str(made.site), cached),
    ]
    assert script[-3:] == [config.python, "-u", "sample.py"]
    assert str(made.harness) not in script


def test_the_interpreter_takes_the_cached_sitecustomize_from_where_the_sandbox_binds_it(
    config, tmp_path
):
    """The layout of /runner in a script's run, on the host: python -v names what it loaded."""
    made = bwrap.harness_bytecode(config)
    runner = tmp_path / "runner"
    (runner / "__pycache__").mkdir(parents=True)
    shutil.copy(bwrap.HARNESS, runner / "sitecustomize.py")
    shutil.copy(made.site, runner / "__pycache__" / made.cached_name)
    done = subprocess.run(
        [config.python, "-v", "-c", "pass"],
        env={"PYTHONPATH": str(runner), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert f"code object from '{runner}/__pycache__/{made.cached_name}'" in done.stderr


def test_an_application_runs_under_the_compiled_harness(sandbox):
    app = (
        "import sys\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    main = sys.modules['__main__']\n"
        "    return [main.__file__.encode(), b' ', main.main.__code__.co_filename.encode()]\n"
    )
    result = service.run_code("wsgi", app)
    assert result.ok, result.error
    assert result.body == "/runner/harness.pyc /runner/harness.py"


def test_a_script_and_its_traceback_are_as_before(sandbox):
    result = service.run_code("python", "import sys\nprint(sys.argv)\n1/0\n")
    assert result.output.startswith("['sample.py']\nTraceback (most recent call last):\n")
    assert result.output.count('  File "') == 1  # the program's frame only
    assert "runner" not in result.output and "harness" not in result.output
