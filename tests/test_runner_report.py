"""The harness's report is untrusted input: forged or malformed reports are a clear failure,
never a server error and never a success the program did not earn; outcomes are data."""

import base64
import json

import pytest

from timeline.runner import harness, runtimes
from timeline.runner.config import get_config
from timeline.runner.result import Outcome, build_result
from timeline.runner.sandbox import RawRun
from timeline.runner.service import run_code

# Finds the worker's report file the way hostile code would.
FIND_REPORT = (
    "import os\n"
    "def report_fd():\n"
    "    for name in os.listdir('/proc/self/fd'):\n"
    "        try:\n"
    "            if os.readlink(f'/proc/self/fd/{name}').startswith('/memfd:report'):\n"
    "                return int(name)\n"
    "        except OSError:\n"
    "            pass\n"
    "fd = report_fd()\n"
)


def raw(report, exit_status=0, *, stderr=b"", **extra):
    """A RawRun as the sandbox would return it, with the supervisor's message around `report`."""
    if isinstance(report, (dict, list)):
        report = json.dumps(report).encode()
    encoded = None if report is None else base64.b64encode(report).decode()
    size = 0 if report is None else len(report)
    message = json.dumps({"exit": exit_status, "report_b64": encoded, "report_bytes": size})
    fields = dict(
        stdout=b"",
        stderr=stderr,
        report=message.encode(),
        returncode=0,
        timed_out=False,
        overflowed=False,
        duration_ms=12.0,
    )
    fields.update(extra)
    return RawRun(**fields)


@pytest.fixture
def config(settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path)
    return get_config()


# -- validation on the host (no sandbox needed) -----------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "report"),
    [
        ("python", {"error": 5}),
        ("python", {"kind": "root"}),
        ("python", {"error": None, "ok": True}),
        ("python", [1, 2]),
        ("python", b"[" * 100_000),
        ("python", b"\xff\xfe not utf-8"),
        ("python", b'{"error": null}{"error": null}'),
        ("wsgi", {"error": None, "status": "200 OK", "headers": [["a", "b", "c"]], "body_b64": ""}),
        ("wsgi", {"error": None, "status": 200, "headers": [], "body_b64": ""}),
        ("wsgi", {"error": None, "status": "200 OK", "headers": [], "body_b64": "not base64!"}),
        ("wsgi", {"error": None}),
        ("wsgi", {"error": None, "status": "200 OK", "headers": [], "body_b64": "", "environ": []}),
        ("asgi", {"error": None, "status": "200", "headers": [], "body_b64": "", "events": [1]}),
        (
            "asgi",
            {
                "error": None,
                "status": "200",
                "headers": [],
                "body_b64": "",
                "scope": [[[[[[[[[[]]]]]]]]]],
            },
        ),
        ("cgi", {"error": None, "environ": {"A": 1}}),
    ],
)
def test_a_malformed_report_is_interference_not_a_crash(config, runtime, report):
    result = build_result(runtime, raw(report), config)
    assert result.outcome == Outcome.INTERFERENCE
    assert not result.ok
    assert result.error.startswith("The program interfered with the runner: ")
    json.dumps(result.to_dict())  # the JSON answer can always be made


def test_a_report_larger_than_the_harness_writes_is_interference(config):
    result = build_result("python", raw(None), config)
    assert result.outcome == Outcome.INTERFERENCE
    assert "larger than the harness ever writes" in result.error


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"garbage",
        b"[" * 100_000,
        b'{"exit": "0", "report_b64": "", "report_bytes": 0}',
        b'{"exit": 0, "report_b64": "!!", "report_bytes": 0}',
        b'{"exit": 0}',
    ],
)
def test_no_message_from_the_supervisor_is_a_sandbox_failure(config, message):
    run = raw({}, returncode=1)
    run.report = message
    result = build_result("python", run, config)
    assert result.outcome == Outcome.SANDBOX and not result.ok
    assert result.error == "The sandbox ended before the runner could report (exit status 1)."


def test_the_exit_status_decides_whatever_the_report_claims(config):
    """A report that says "no error" does not make a failed run a success."""
    result = build_result("python", raw({"error": None}, exit_status=3), config)
    assert result.outcome == Outcome.EXIT and result.exit_status == 3
    assert result.error == "The script exited with status 3."
    served = {"error": None, "status": "200 OK", "headers": [], "body_b64": ""}
    result = build_result("wsgi", raw(served, exit_status=-9), config)
    assert result.outcome == Outcome.SIGNAL
    assert result.error == "The process crashed: it was stopped by SIGKILL."


def test_outcomes_from_the_host_come_first(config):
    assert build_result("python", raw({}, timed_out=True), config).outcome == Outcome.TIMEOUT
    over = build_result("python", raw({}, overflowed=True), config)
    assert over.outcome == Outcome.OUTPUT and over.truncated
    memory = build_result(
        "python", raw({}, memory_exceeded=True, peak_memory_bytes=512 * 2**20), config
    )
    assert memory.outcome == Outcome.MEMORY
    assert memory.error == "Stopped: memory limit (512 MiB). Peak: 512 MiB."
    assert memory.to_dict()["outcome"] == "memory"


def test_a_memory_error_is_the_memory_limit(config):
    report = {"error": "Traceback ...\nMemoryError\n", "kind": "memory"}
    result = build_result("python", raw(report, exit_status=1), config)
    assert result.outcome == Outcome.MEMORY
    assert result.error.startswith("Stopped: memory limit (512 MiB).\nTraceback")


def test_a_good_report_is_ok(config):
    body = base64.b64encode(b"hi").decode()
    report = {"error": None, "status": "200 OK", "headers": [["A", "b"]], "body_b64": body}
    result = build_result("wsgi", raw(report), config)
    assert result.outcome == Outcome.OK and result.ok and result.body == "hi"


def test_one_list_of_runtimes_serves_the_model_the_runner_and_the_harness():
    from timeline.models import CodeSample

    assert CodeSample.Runtime is runtimes.Runtime
    assert set(harness.RUNNERS) == runtimes.RUNNABLE
    assert runtimes.HTTP < runtimes.RUNNABLE


# -- forging from inside the sandbox ------------------------------------------------------------


@pytest.mark.usefixtures("sandbox")
class TestForging:
    def test_the_old_channel_number_is_closed(self):
        result = run_code("python", "import os\nos.write(3, b'{\"error\": null}')\nos._exit(0)\n")
        assert not result.ok and result.outcome == Outcome.EXIT
        assert "Bad file descriptor" in result.output

    def test_the_hosts_channel_is_out_of_reach(self):
        """The worker holds no pipe but its own output, and cannot open its parent's."""
        code = (
            "import os\n"
            "pipes = []\n"
            "for n in os.listdir('/proc/self/fd'):\n"
            "    try:\n"
            "        if os.readlink(f'/proc/self/fd/{n}').startswith('pipe:') and n not in '12':\n"
            "            pipes.append(n)\n"
            "    except OSError:\n"
            "        pass\n"
            "print('pipes', pipes)\n"
            "try:\n"
            "    os.listdir(f'/proc/{os.getppid()}/fd')\n"
            "except PermissionError:\n"
            "    print('parent fds: denied')\n"
            "try:\n"
            "    os.kill(os.getppid(), 9)\n"
            "except PermissionError:\n"
            "    print('kill parent: denied')\n"
        )
        result = run_code("python", code)
        assert result.ok, result.error
        assert result.output == "pipes []\nparent fds: denied\nkill parent: denied\n"

    def test_a_garbled_report_is_interference(self):
        result = run_code("python", FIND_REPORT + "os.write(fd, b'{\"error\": 5}')\nos._exit(0)\n")
        assert result.outcome == Outcome.INTERFERENCE
        result = run_code("python", FIND_REPORT + "os.write(fd, b'[' * 100000)\nos._exit(0)\n")
        assert result.outcome == Outcome.INTERFERENCE

    def test_bad_headers_in_a_forged_response_are_interference(self):
        forged = (
            b'{"error": null, "status": "200 OK", "headers": [["a", "b", "c"]], "body_b64": ""}'
        )
        code = FIND_REPORT + f"os.write(fd, {forged!r})\nos._exit(0)\n"
        result = run_code("wsgi", code)
        assert result.outcome == Outcome.INTERFERENCE and not result.ok

    def test_a_forged_success_does_not_hide_a_failure(self):
        """The harness rewrites the report after the code; the exit status is the supervisor's."""
        code = FIND_REPORT + "os.write(fd, b'{\"error\": null}')\n1 / 0\n"
        result = run_code("python", code)
        assert result.outcome == Outcome.EXIT and "ZeroDivisionError" in result.error
        code = FIND_REPORT + "os.write(fd, b'{\"error\": null}')\nos._exit(3)\n"
        result = run_code("python", code)
        assert result.outcome == Outcome.EXIT and result.exit_status == 3

    def test_writing_into_the_report_after_the_harness_is_interference(self):
        code = FIND_REPORT + (
            "import atexit\n"
            "atexit.register(lambda: os.pwrite(fd, b'}}}', 0))\n"
            "def application(environ, start_response):\n"
            "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
            "    return [b'hi']\n"
        )
        result = run_code("wsgi", code)
        assert result.outcome == Outcome.INTERFERENCE
