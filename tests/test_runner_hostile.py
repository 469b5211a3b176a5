"""Bad and hostile code: contained, answered clearly, and nothing left running afterwards.

The `sandbox` fixture lowers the wall clock to 2 s (the behaviour is the same as with 5 s) and
fails the test if any sandbox process outlives it.
"""

import os
import signal
import threading

import pytest

from timeline.runner.result import Outcome
from timeline.runner.service import run_code

# Each test twice: runs started cold, and each run in a spare (conftest.run_start).
pytestmark = pytest.mark.usefixtures("sandbox", "run_start")


def test_syntax_error_shows_the_traceback():
    result = run_code("python", "def broken(:\n    pass\n")
    assert not result.ok
    assert 'File "/tmp/sample.py", line 1' in result.error
    assert "SyntaxError" in result.error


def test_syntax_error_in_an_app_is_a_500():
    result = run_code("wsgi", "def application(environ, start_response)\n    pass\n")
    assert result.status == "500 Internal Server Error"
    assert "SyntaxError" in result.error


def test_no_application_defined():
    result = run_code("wsgi", "def handler(environ, start_response):\n    return []\n")
    assert not result.ok
    assert result.error == "No application found: define `application` or `app` at module level."
    asgi = run_code("asgi", "x = 1\n")
    assert asgi.error == "No application found: define `app` or `application` at module level."


def test_infinite_loop_is_stopped_after_the_timeout(settings):
    settings.RUNNER_TIMEOUT = 1  # the clock is the point here: the shortest that still prints
    result = run_code("python", "print('start')\nwhile True:\n    pass\n")
    assert not result.ok and result.outcome == Outcome.TIMEOUT
    assert result.error.startswith("Stopped: time limit (1 s)")
    assert result.duration_ms >= 1000
    assert result.output == "start\n"


def test_infinite_loop_timeout_defaults_to_five_seconds(settings):
    from timeline.runner.config import get_config

    del settings.RUNNER_TIMEOUT
    assert get_config().timeout == 5


def test_memory_limit():
    """2 GiB asked for at once: refused by the per-process limit before a page is charged, so
    the cgroup never reaches its limit and the MemoryError is the program's exception (the
    memory outcome is the cgroup's word alone, test_a_forged_memory_report_is_not_the_limit)."""
    result = run_code("python", "hog = bytearray(2 * 1024 ** 3)\n")
    assert not result.ok and result.outcome in (Outcome.EXIT, Outcome.MEMORY)
    assert "MemoryError" in result.error
    assert "MemoryError" in result.output  # where Python prints it


FORGED_MEMORY = r"""
import atexit, ctypes, os

def report_memory():
    # The process's one shared anonymous mapping: the harness's report.
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if fields[1] == "rw-s" and "/dev/zero" in line:
                return int(fields[0].split("-")[0], 16)

channel = report_memory()

def forge():
    # Write a report claiming the memory limit, and end before the harness writes its own.
    data = b'{"error": "Traceback ...\\nMemoryError\\n", "kind": "memory"}'
    framed = b"%15d\n" % len(data) + data
    ctypes.memmove(channel, framed, len(framed))
    os._exit(1)

atexit.register(forge)
print("a small run")
"""


def test_a_forged_memory_report_is_not_the_limit():
    """A 9 MiB run whose atexit handler rewrites the report to say MemoryError: the cgroup saw
    no limit reached, so it is not "Stopped: memory limit" (the old code took the report's
    word for it)."""
    result = run_code("python", FORGED_MEMORY)
    assert result.output.startswith("a small run")
    assert result.outcome == Outcome.EXIT, (result.outcome, result.error)
    assert "memory limit" not in result.error


def test_fork_bomb_is_contained():
    code = (
        "import os\n"
        "children = 0\n"
        "while True:\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            import time; time.sleep(60)\n"
        "        children += 1\n"
        "    except OSError as exc:\n"
        "        print('fork failed after', children, 'children:', exc.strerror)\n"
        "        break\n"
    )
    result = run_code("python", code)
    assert "fork failed after" in result.output
    assert "Resource temporarily unavailable" in result.output
    # The sleeping children die with the sandbox: the fixture checks nothing is left.


def test_fork_bomb_that_never_stops_is_killed_by_the_clock(settings):
    settings.RUNNER_TIMEOUT = 1
    result = run_code(
        "python",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    )
    assert not result.ok and result.outcome == Outcome.TIMEOUT


def test_double_forked_daemon_dies_with_the_run():
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "print('parent finished')\n"
    )
    result = run_code("python", code)
    assert result.ok and result.output == "parent finished\n"


def test_huge_output_is_cut():
    result = run_code("python", "print('x' * 10_000_000)\n")
    assert not result.ok and result.outcome == Outcome.OUTPUT
    assert result.truncated
    assert result.error == "Stopped: output limit (64 KB): the output was cut there."
    assert len(result.output) == 64 * 1024


def test_endless_output_is_stopped_at_the_cap_not_at_the_deadline():
    """A program that never stops printing is stopped once it passes the cap: an output stop,
    not a timeout."""
    result = run_code("python", "while True:\n    print('x' * 1000)\n")
    assert (result.outcome, result.truncated) == (Outcome.OUTPUT, True)


def test_huge_response_body_is_cut():
    code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'y' * 1_000_000]\n"
    )
    result = run_code("wsgi", code)
    assert result.truncated
    # One cap for the status, the headers (as `name: value\r\n`) and the body together.
    head = len("200 OK") + len("Content-Type: text/plain\r\n")
    assert len(result.body) == 64 * 1024 - head
    assert result.outcome == Outcome.OUTPUT
    assert result.error == "Stopped: output limit (64 KB): the output was cut there."


def test_non_utf8_output_is_shown_escaped():
    result = run_code("python", "import sys\nsys.stdout.buffer.write(b'caf\\xe9 \\xff\\n')\n")
    assert result.ok
    assert result.output == "caf\\xe9 \\xff\n"
    code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain; charset=latin-1')])\n"
        "    return ['café'.encode('latin-1')]\n"
    )
    assert run_code("wsgi", code).body == "caf\\xe9"


def test_segfault_is_reported():
    result = run_code("python", "import ctypes\nctypes.string_at(0)\n")
    assert not result.ok and result.outcome == Outcome.SIGNAL and result.exit_status == -11
    assert result.error == "The process crashed: it was stopped by a segmentation fault (SIGSEGV)."
    # As under plain python: faulthandler is off unless the program turns it on.
    assert result.output == ""
    result = run_code(
        "python", "import ctypes, faulthandler\nfaulthandler.enable()\nctypes.string_at(0)\n"
    )
    assert result.exit_status == -11
    assert "Fatal Python error: Segmentation fault" in result.output


def test_environment_holds_no_secret(settings, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "env-secret-value")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:db-password@host/db")
    result = run_code(
        "python", "import os\nfor k, v in sorted(os.environ.items()):\n    print(k, v)\n"
    )
    assert result.ok
    assert "env-secret-value" not in result.output
    assert "db-password" not in result.output
    assert settings.SECRET_KEY not in result.output
    names = {line.split(" ", 1)[0] for line in result.output.splitlines()}
    assert names <= {"PATH", "LANG", "HOME", "PWD", "PYTHONHASHSEED"}


def test_the_project_and_its_data_are_not_visible(settings):
    paths = [
        settings.BASE_DIR / "historyweb" / "settings" / "base.py",
        settings.VAR_DIR,
        "/root/.ssh",
    ]
    code = f"import os\nprint([os.path.exists(p) for p in {[str(p) for p in paths]!r}])\n"
    result = run_code("python", code)
    assert result.output == "[False, False, False]\n"


def test_opening_a_socket_fails():
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 80), timeout=1)\n"
        "except OSError as exc:\n"
        "    print('refused:', exc)\n"
        "try:\n"
        "    socket.getaddrinfo('example.org', 80)\n"
        "except OSError as exc:\n"
        "    print('no DNS:', exc)\n"
        "print(socket.gethostbyname('localhost'))\n"
    )
    result = run_code("python", code)
    assert result.ok, result.error
    assert "refused: [Errno 101] Network is unreachable" in result.output
    assert "no DNS:" in result.output
    assert result.output.endswith("127.0.0.1\n")  # the minimal /etc/hosts


def test_the_system_is_read_only():
    code = (
        "for path in ('/usr/evil', '/etc/evil', '/sample/evil'):\n"
        "    try:\n"
        "        open(path, 'w')\n"
        "    except OSError as exc:\n"
        "        print(exc.strerror)\n"
        "open('/tmp/scratch', 'w').write('fine')\n"
        "print(open('/tmp/scratch').read())\n"
    )
    result = run_code("python", code)
    assert result.output.splitlines()[-1] == "fine"
    assert len(result.output.splitlines()) == 4
    assert all(
        line in ("Read-only file system", "Permission denied")
        for line in result.output.splitlines()[:3]
    )


def test_runs_as_an_unprivileged_user():
    code = "import os\nprint(os.getuid(), open('/proc/self/uid_map').read().split()[1])\n"
    result = run_code("python", code)
    uid, outside = result.output.split()
    # As root the harness drops to an unprivileged uid; otherwise a user namespace maps to us.
    assert uid != "0" or outside != "0"


def test_the_server_answers_pages_while_a_run_loops(client, db):
    thread = threading.Thread(target=run_code, args=("python", "while True:\n    pass\n"))
    thread.start()
    try:
        response = client.get("/")
        assert response.status_code == 200
        assert thread.is_alive(), "the page should not have waited for the run"
    finally:
        thread.join()
    assert os.getpid()  # nothing of the run is left: checked by the fixture


def test_file_size_and_open_file_limits():
    code = (
        "try:\n"
        "    open('/tmp/big', 'wb').write(b'x' * 5_000_000)\n"
        "except OSError as exc:\n"
        "    print('write:', exc.strerror)\n"
        "files = []\n"
        "try:\n"
        "    while True:\n"
        "        files.append(open('/dev/null'))\n"
        "except OSError as exc:\n"
        "    print('open:', exc.strerror, len(files) < 64)\n"
    )
    result = run_code("python", code)
    assert result.output == "write: File too large\nopen: Too many open files True\n"


def test_a_run_cannot_raise_its_own_limits():
    """Every limit the harness sets has its hard limit at the soft one: a program that raises its
    memory, CPU or file-size limit back to the server's hard limit (or unlimited) is refused."""
    code = (
        "import resource\n"
        "for name in ('AS', 'CPU', 'FSIZE', 'NOFILE', 'NPROC', 'CORE'):\n"
        "    which = getattr(resource, 'RLIMIT_' + name)\n"
        "    soft, hard = resource.getrlimit(which)\n"
        "    try:\n"
        "        resource.setrlimit(which, (hard, hard))\n"
        "        resource.setrlimit(which, (soft + 1, soft + 1))\n"
        "        print(name, 'raised to', resource.getrlimit(which))\n"
        "    except (ValueError, PermissionError) as exc:\n"
        "        print(name, soft == hard, type(exc).__name__)\n"
    )
    result = run_code("python", code)
    expected = [f"{name} True ValueError" for name in ("AS", "CPU", "FSIZE", "NOFILE", "NPROC")]
    assert result.output.splitlines() == [*expected, "CORE True ValueError"], result.error


def test_every_limit_has_its_hard_limit_at_the_soft_one():
    """Not only the limits the runner chooses: the stack, locked memory, pending signals and
    every other limit too, so that the program can raise none of them."""
    code = (
        "import resource\n"
        "names = [n for n in dir(resource) if n.startswith('RLIMIT_')]\n"
        "print([n for n in names if len(set(resource.getrlimit(getattr(resource, n)))) != 1])\n"
        "print(len(names) > 10)\n"
    )
    result = run_code("python", code)
    assert result.output == "[]\nTrue\n", result.error


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give this process another group")
def test_a_run_has_no_supplementary_group_of_the_server():
    """A server with a supplementary group (say, one that may read the project's secrets) hands
    none of it to a run: the harness drops them before the user's code runs."""
    saved = os.getgroups()
    os.setgroups([4242])
    try:
        result = run_code("python", "import os\nprint(os.getgroups(), os.getgid() != 0)\n")
    finally:
        os.setgroups(saved)
    assert result.output == "[] True\n", result.error


@pytest.mark.parametrize("runtime", ["python", "wsgi"])
def test_closing_every_descriptor_keeps_the_report(runtime):
    """os.closerange(3, 65536), as a daemon does, is harmless under plain Python: the run's
    report does not travel through a descriptor, so the response still arrives, with no
    harness traceback."""
    code = "import os\nos.closerange(3, 65536)\n"
    if runtime == "python":
        code += "print('still here')\nraise SystemExit(4)\n"
    else:
        code += (
            "def application(environ, start_response):\n"
            "    os.closerange(3, 65536)\n"
            "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
            "    return [b'answered']\n"
        )
    result = run_code(runtime, code, "GET / HTTP/1.1\nHost: x\n\n" if runtime == "wsgi" else "")
    if runtime == "python":
        assert (result.outcome, result.exit_status, result.output) == ("exit", 4, "still here\n")
    else:
        assert result.outcome == Outcome.OK, (result.outcome, result.error, result.log)
        assert result.body == "answered" and result.status == "200 OK"
    assert "harness" not in result.error + result.log + result.output


def test_a_program_that_sends_itself_a_limits_signal_is_not_told_it_reached_a_limit():
    """SIGXCPU is what a CPU-time limit sends, but the run's hard limit is its soft one, so a
    real limit ends the run by SIGKILL: a SIGXCPU is the program's own doing."""
    result = run_code("python", "import os, signal\nos.kill(os.getpid(), signal.SIGXCPU)\n")
    assert result.exit_status == -signal.SIGXCPU
    assert "limit" not in result.error


def test_a_program_that_prints_a_verdict_does_not_get_it():
    """The outcome's words come from the host only: the same words printed are just output."""
    code = (
        "import sys\nprint('Stopped: memory limit (512 MiB): the run used too much memory.')\n"
        "print('The sandbox could not start.', file=sys.stderr)\n"
        "print('MemoryError', file=sys.stderr)\n"
    )
    result = run_code("python", code)
    assert result.ok and result.outcome == Outcome.OK and not result.error
    assert result.output.startswith("Stopped: memory limit")


@pytest.mark.parametrize(
    "code",
    [
        "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n",
        "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n",
    ],
    ids=["ignores every polite signal", "stops itself"],
)
def test_a_run_that_will_not_end_is_ended_at_the_deadline(settings, code):
    settings.RUNNER_TIMEOUT = 1
    result = run_code("python", code)
    assert result.outcome == Outcome.TIMEOUT
    assert result.duration_ms < 10_000
