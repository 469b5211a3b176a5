"""The harness's report is untrusted input: forged or malformed reports are a clear failure,
never a server error and never a success the program did not earn; outcomes are data."""

import base64
import json

import pytest

from timeline.runner import harness, runtimes
from timeline.runner import result as result_module
from timeline.runner.config import get_config
from timeline.runner.harness import report_cap
from timeline.runner.process import RawRun
from timeline.runner.report import sent_bytes
from timeline.runner.result import Outcome, build_result
from timeline.runner.service import run_code

# Finds the worker's report (shared memory the harness holds) the way hostile code would: up
# the call stack to the harness's globals; write() and pwrite() put bytes into it.
# The report's memory, found as any program can find it (no frame of the harness is on a
# script's stack): the process's one shared anonymous mapping, written through ctypes.
FIND_REPORT = (
    "import ctypes, os, sys\n"
    "def report_memory():\n"
    "    with open('/proc/self/maps') as maps:\n"
    "        for line in maps:\n"
    "            fields = line.split()\n"
    "            if fields[1] == 'rw-s' and '/dev/zero' in line:\n"
    "                return int(fields[0].split('-')[0], 16)\n"
    "channel = report_memory()\n"
    "def pwrite(data, offset):\n"
    "    ctypes.memmove(channel + offset, data, len(data))\n"
    "def write(data):\n"
    "    pwrite(data, 0)\n"
)


def B64(data):
    return base64.b64encode(data).decode()


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


def test_a_report_larger_than_the_harness_writes_is_the_output_limit(config):
    """The supervisor sends no report over the cap (None): the program sent more than the one
    output cap allows, whichever way it did so."""
    result = build_result("python", raw(None), config)
    assert (result.outcome, result.truncated, result.ok) == (Outcome.OUTPUT, True, False)
    assert result.error == (
        "Stopped: output limit (64 KB): the program sent more than that; none of it is shown."
    )


def test_a_report_over_the_cap_is_not_parsed(config, monkeypatch):
    """The host enforces the cap again before it parses anything: a report one byte over what
    the harness writes at this cap is never handed to the JSON parser."""
    parsed = []
    monkeypatch.setattr(result_module, "parse_report", lambda *args: parsed.append(args) or {})
    cap = report_cap(config.output_bytes)
    for size, outcome in [(cap + 1, Outcome.OUTPUT), (cap, Outcome.OK)]:
        result = build_result("python", raw(b" " * size), config)
        assert result.outcome == outcome, size
    assert len(parsed) == 1 and len(parsed[0][1]) == cap


@pytest.mark.parametrize(
    "report",
    [
        {"status": "200 OK", "headers": [], "body_b64": B64(b"x" * (64 * 1024 - 5))},
        {"status": "200 OK", "headers": [["X-A", "v" * 64 * 1024]], "body_b64": ""},
        {"status": "200 " + "K" * 64 * 1024, "headers": [], "body_b64": ""},
        {"status": "500 Oops", "headers": [], "body_b64": "", "error": "é" * 32 * 1024},
    ],
    ids=["body", "header", "status", "error"],
)
def test_a_forged_report_over_the_cap_is_the_output_limit_and_not_shown(config, report):
    """A report within the size the harness writes, but carrying more of the program's bytes
    than the cap (the harness would have cut them): counted again on the host, shown not at all."""
    report = {"error": None, "truncated": False, **report}
    result = build_result("wsgi", raw(report), config)
    assert (result.outcome, result.truncated) == (Outcome.OUTPUT, True)
    assert (result.status, result.headers, result.body, result.output) == ("", [], "", "")
    at_the_cap = dict(report, body_b64="", status="200 OK", headers=[], error=None)
    assert build_result("wsgi", raw(at_the_cap), config).outcome == Outcome.OK


def test_the_host_counts_what_the_harness_cut_as_the_harness_counts_it():
    """What the harness kept under its budget is exactly what the host counts again, so a run
    the harness cut is never over the cap on the host (and never shown as interference)."""
    budget = harness.Budget(1000)
    headers = budget.headers([(f"X-{i}", "é" * i) for i in range(100)])
    status = budget.text("200 OK")
    body = harness.Body(budget)
    body.add(b"y" * 5000)
    error = budget.text("never kept")
    assert budget.over and budget.left == 0 and error == ""
    report = {"status": status, "headers": headers, "body_b64": body.report(), "error": error}
    assert sent_bytes(json.loads(json.dumps(report))) <= 1000
    events = [{"direction": "send", "scope": "http", "message": {"type": "x", "n": 1.5}}]
    budget = harness.Budget(1000)
    assert budget.whole(len(harness.to_json(events[0])))
    assert sent_bytes({"events": events}) == 1000 - budget.left


def test_a_cut_claimed_by_the_report_is_the_output_limit_even_on_a_failure(config):
    """A run the harness cut is stopped at the output cap, whatever its exit status said next
    (the error text it would show was cut too)."""
    report = {"error": "Traceback", "kind": "exception", "truncated": True}
    result = build_result("python", raw(report, exit_status=1), config)
    assert (result.outcome, result.truncated) == (Outcome.OUTPUT, True)


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
    assert (result.runtime, result.outcome) == ("wsgi", Outcome.SIGNAL)
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


def test_a_memory_error_is_the_memory_limit_where_the_cgroup_saw_the_limit_reached(config):
    report = {"error": "Traceback ...\nMemoryError\n", "kind": "memory"}
    result = build_result("python", raw(report, 1, memory_limit_reached=True), config)
    assert result.outcome == Outcome.MEMORY
    assert result.error.startswith("Stopped: memory limit (512 MiB).\nTraceback")


def test_a_report_claiming_memory_is_not_the_memory_limit_without_the_cgroup(config):
    """The report is the program's: an atexit handler rewrites it to claim a MemoryError on a
    9 MiB run. Without the cgroup's own count of the limit reached it is an exception like any
    other (the exit outcome, its text shown as the program's), never "Stopped: memory limit"."""
    forged = {"error": "Traceback ...\nMemoryError\n", "kind": "memory"}
    run = raw(forged, 1, peak_memory_bytes=9 * 2**20, memory_limit_reached=False)
    result = build_result("python", run, config)
    assert result.outcome == Outcome.EXIT
    assert result.error == "Traceback ...\nMemoryError"
    assert "memory limit" not in result.error


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


# -- each outcome exactly: its order, its message, the fields it fills ----------------------------


def test_the_host_decides_in_a_fixed_order(config):
    """Timeout before memory before output before a missing message: each says its own limit."""
    everything = dict(timed_out=True, memory_exceeded=True, overflowed=True)
    result = build_result("python", raw(None, **everything), config)
    assert (result.outcome, result.error) == (
        Outcome.TIMEOUT,
        "Stopped: time limit (5 s): the run took too long (an endless loop?).",
    )
    result = build_result("python", raw(None, memory_exceeded=True, overflowed=True), config)
    assert (result.outcome, result.error) == (Outcome.MEMORY, "Stopped: memory limit (512 MiB).")
    run = raw({}, overflowed=True)
    run.report = b""
    result = build_result("python", run, config)
    assert (result.outcome, result.error) == (
        Outcome.OUTPUT,
        "Stopped: output limit (64 KB): the output was cut there.",
    )
    assert result.truncated and not result.ok


def test_a_fractional_time_limit_is_said_as_set(settings, config):
    settings.RUNNER_TIMEOUT = 2.5
    result = build_result("python", raw({}, timed_out=True), get_config())
    assert result.error == "Stopped: time limit (2.5 s): the run took too long (an endless loop?)."


@pytest.mark.parametrize(
    "status, words",
    [
        (-11, "a segmentation fault (SIGSEGV)"),
        (-15, "SIGTERM"),
        (-24, "SIGXCPU"),
        (-99, "signal 99"),
    ],
)
def test_a_signal_is_named(config, status, words):
    result = build_result("python", raw({}, exit_status=status), config)
    assert result.outcome == Outcome.SIGNAL and result.exit_status == status
    assert result.error == f"The process crashed: it was stopped by {words}."


def test_a_failed_run_says_its_error_without_trailing_space(config):
    result = build_result("python", raw({"error": "Boom\n\n", "kind": "exception"}, 1), config)
    assert (result.outcome, result.error) == (Outcome.EXIT, "Boom")
    result = build_result("python", raw({"error": "Overridden\n"}, 0), config)
    assert (result.outcome, result.error) == (Outcome.EXIT, "Overridden")


def test_a_memory_error_with_a_peak(config):
    run = raw(
        {"kind": "memory", "error": None},
        1,
        peak_memory_bytes=300 * 2**20,
        memory_limit_reached=True,
    )
    result = build_result("python", run, config)
    assert (result.outcome, result.error) == (
        Outcome.MEMORY,
        "Stopped: memory limit (512 MiB). Peak: 300 MiB.",
    )
    assert (result.peak_memory_bytes, result.memory_limit_bytes) == (300 * 2**20, 512 * 2**20)


def test_an_app_that_ended_before_answering_is_interference(config):
    for runtime in ("wsgi", "asgi"):
        result = build_result(runtime, raw(b""), config)
        assert result.outcome == Outcome.INTERFERENCE, runtime
        assert result.error == (
            "The program interfered with the runner: it ended the process before the "
            "application answered (did it call os._exit()?)."
        )
    ok = build_result("python", raw(b""), config)
    assert (ok.outcome, ok.error) == (Outcome.OK, "")


def test_a_cut_body_is_the_output_limit(config):
    """Said as for stdout: one cap, whatever the channel (it said "the body was cut there")."""
    report = {"error": None, "status": "200 OK", "headers": [], "body_b64": "", "truncated": True}
    result = build_result("wsgi", raw(report), config)
    assert (result.outcome, result.error, result.truncated, result.ok) == (
        Outcome.OUTPUT,
        "Stopped: output limit (64 KB): the output was cut there.",
        True,
        False,
    )
    report["truncated"] = False
    assert build_result("wsgi", raw(report), config).truncated is False


def test_an_answer_is_shown_as_sent(config):
    body = base64.b64encode("héllo".encode()).decode()
    report = {
        "error": None,
        "status": "404",
        "headers": [["Content-Type", "text/plain"]],
        "body_b64": body,
        "environ": {"PATH_INFO": "/x"},
    }
    result = build_result("wsgi", raw(report, stderr=b"log line\n"), config)
    assert (result.status, result.headers, result.body) == (
        "404 Not Found",
        [["Content-Type", "text/plain"]],
        "héllo",
    )
    assert result.output == "HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\nhéllo"
    assert (result.log, result.environ, result.exit_status) == (
        "log line\n",
        {"PATH_INFO": "/x"},
        0,
    )
    scope = {"type": "http", "path": "/y"}
    events = [{"direction": "send", "scope": "http", "message": {"type": "x"}}]
    report = dict(report, scope=scope, events=events)
    del report["environ"]
    result = build_result("asgi", raw(report), config)
    assert (result.environ, result.events) == (scope, events)


def test_a_script_prints_on_stderr_as_the_learner_sees_it(config):
    result = build_result("python", raw({}, stderr=b"out \xff\n", stdout=b"ignored"), config)
    assert result.output == "out \\xff\n" and result.log == ""
    assert (result.duration_ms, result.outcome, result.ok) == (12.0, Outcome.OK, True)


def test_a_cgi_script_without_headers_is_a_bad_response(config):
    result = build_result("cgi", raw({}, stdout=b"just text"), config)
    assert (result.outcome, result.error) == (
        Outcome.RESPONSE,
        "The script printed no blank line after its headers.",
    )
    assert result.status == "500 Internal Server Error"
    assert result.headers == [["Content-Type", "text/plain"]]
    assert result.body == (
        "500 Internal Server Error\n\nThe script printed no blank line after its headers.\n"
    )


@pytest.mark.parametrize(
    "message",
    [
        b'{"exit": true, "report_b64": "", "report_bytes": 0}',
        b'{"exit": 0, "report_b64": 5, "report_bytes": 0}',
        b'{"exit": 0, "report_b64": "", "report_bytes": 0, "more": 1}',
        '{"exit": 0, "report_b64": "", "report_bytes": 0, "é": 1}'.encode(),
        b'[0, "", 0]',
    ],
)
def test_a_message_of_another_shape_is_no_message(config, message):
    run = raw({})
    run.report = message
    assert build_result("python", run, config).outcome == Outcome.SANDBOX


def test_an_empty_report_is_no_report(config):
    result = build_result("python", raw(b"", 0), config)
    assert (result.outcome, result.exit_status) == (Outcome.OK, 0)


def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_a_scope_may_nest_eight_deep_and_no_deeper(config):
    base = {"error": None, "status": "200", "headers": [], "body_b64": ""}
    ok = build_result("asgi", raw(dict(base, scope={"a": nested(7)})), config)
    assert ok.outcome == Outcome.OK
    deep = build_result("asgi", raw(dict(base, scope={"a": nested(8)})), config)
    assert deep.outcome == Outcome.INTERFERENCE
    assert deep.error == (
        "The program interfered with the runner: the “scope” in its report has the wrong shape."
    )


@pytest.mark.parametrize(
    "report, problem",
    [
        ({"zzz": 1, "aaa": 2}, "its report has fields the harness never writes ('aaa')"),
        ({"b" * 60: 1}, f"its report has fields the harness never writes ({'b' * 40!r})"),
        ({"error": 5}, "the “error” in its report has the wrong shape"),
        ({"kind": "root"}, "the “kind” in its report has the wrong shape"),
        ([1], "its report is not a JSON object"),
        (b"{", "its report is not the JSON the harness writes"),
    ],
)
def test_interference_says_what_was_wrong(config, report, problem):
    result = build_result("python", raw(report), config)
    assert result.error == f"The program interfered with the runner: {problem}."


@pytest.mark.parametrize(
    "runtime, report, problem",
    [
        ("wsgi", {"status": "200", "headers": []}, "its report has no “body_b64”"),
        ("wsgi", {"status": "200", "body_b64": ""}, "its report has no “headers”"),
        ("wsgi", {"status": "200", "headers": [["a"]], "body_b64": ""}, "the “headers”"),
        ("wsgi", {"status": "200", "headers": [["a", 1]], "body_b64": ""}, "the “headers”"),
        ("wsgi", {"status": "200", "headers": {}, "body_b64": ""}, "the “headers”"),
        ("wsgi", {"status": "200", "headers": [], "body_b64": 5}, "the “body_b64”"),
        ("wsgi", {"status": "200", "headers": [], "body_b64": "aGk=*"}, "the “body_b64”"),
        (
            "wsgi",
            {"status": "200", "headers": [], "body_b64": "", "truncated": 1},
            "the “truncated”",
        ),
        ("cgi", {"environ": {"A": "b", "C": 1}}, "the “environ”"),
        ("cgi", {"environ": ["A"]}, "the “environ”"),
        ("python", {"error": None, "kind": "exit"}, None),
        ("python", {"error": "x", "kind": "syntax"}, None),
    ],
)
def test_each_field_has_one_shape(config, runtime, report, problem):
    result = build_result(runtime, raw(report), config)
    if problem is None:
        assert result.outcome != Outcome.INTERFERENCE
    else:
        assert result.outcome == Outcome.INTERFERENCE and problem in result.error


@pytest.mark.parametrize(
    "events",
    [
        [{"direction": "send", "scope": "http"}],
        [{"direction": 1, "scope": "http", "message": {}}],
        [{"direction": "send", "scope": None, "message": {}}],
        [{"direction": "send", "scope": "http", "message": {}, "extra": 1}],
        [{"direction": "send", "scope": "http", "message": object}],
        ["event"],
    ],
)
def test_events_have_one_shape(config, events):
    base = {"error": None, "status": "200", "headers": [], "body_b64": ""}
    if any(e == {"direction": "send", "scope": "http", "message": object} for e in events):
        events = [{"direction": "send", "scope": "http", "message": nested(9)}]
    result = build_result("asgi", raw(dict(base, events=events)), config)
    assert result.outcome == Outcome.INTERFERENCE


# -- responses no server would send: checked on the host ------------------------------------------


def served(status, headers=(), **extra):
    body = base64.b64encode(b"hi").decode()
    return {
        "error": None,
        "status": status,
        "headers": [list(h) for h in headers],
        "body_b64": body,
    }


INVALID = "The application sent an invalid response: "


@pytest.mark.parametrize(
    ("runtime", "status", "headers", "problem"),
    [
        (
            "wsgi",
            "200 OK\r\nSet-Cookie: injected=1",
            [],
            "the status “200 OK\\r\\nSet-Cookie: injected=1” holds a carriage return (\\r)",
        ),
        ("wsgi", "200 OK\nX: y", [], "the status “200 OK\\nX: y” holds a line feed (\\n)"),
        ("wsgi", "200 OK\x00", [], "the status “200 OK\\x00” holds a NUL byte (\\x00)"),
        (
            "wsgi",
            "200",
            [],
            "the status “200” does not look like “200 OK” (three digits, a space, a reason phrase)",
        ),
        (
            "wsgi",
            "2000 OK",
            [],
            "the status “2000 OK” does not look like “200 OK” (three digits, a space, a reason "
            "phrase)",
        ),
        (
            "wsgi",
            "²00 OK",
            [],
            "the status “²00 OK” does not look like “200 OK” (three digits, a space, a reason "
            "phrase)",
        ),
        ("wsgi", "099 Low", [], "the status code 99 is not between 100 and 599"),
        ("wsgi", "600 High", [], "the status code 600 is not between 100 and 599"),
        ("asgi", "1000", [], "the status code 1000 is not between 100 and 599"),
        ("asgi", "99", [], "the status code 99 is not between 100 and 599"),
        ("asgi", "-200", [], "the status code -200 is not between 100 and 599"),
        ("asgi", "1" * 5000, [], f"the status “{'1' * 60}…” is not a whole number"),
        (
            "wsgi",
            "200 OK",
            [("Content-Type", "text/plain\r\nSet-Cookie: injected=1")],
            "the value of the header “Content-Type” holds a carriage return (\\r)",
        ),
        ("asgi", "200", [("X-A", "b\nc")], "the value of the header “X-A” holds a line feed (\\n)"),
        (
            "wsgi",
            "200 OK",
            [("X-A", "b\x00")],
            "the value of the header “X-A” holds a NUL byte (\\x00)",
        ),
        (
            "wsgi",
            "200 OK",
            [("X-A", "b\x1b[31m")],
            "the value of the header “X-A” holds a control character (\\x1b)",
        ),
        (
            "wsgi",
            "200 OK",
            [("Content Type", "text/plain")],
            "the header name “Content Type” is not a token: it holds “ ”",
        ),
        ("asgi", "200", [("X:Y", "z")], "the header name “X:Y” is not a token: it holds “:”"),
        ("wsgi", "200 OK", [("", "z")], "the header name “” is not a token: it is empty"),
        ("wsgi", "200 OK", [("Café", "z")], "the header name “Café” is not a token: it holds “é”"),
        (
            "wsgi",
            "200 OK",
            [("X\r\nSet-Cookie", "injected=1")],
            "the header name “X\\r\\nSet-Cookie” is not a token: it holds “\\r”",
        ),
        (
            "wsgi",
            "200 OK",
            [("X-A", "✓")],
            "the header “X-A” holds text Latin-1 cannot encode (PEP 3333: send it encoded)",
        ),
    ],
)
def test_a_response_no_server_would_send_is_an_invalid_response(
    config, runtime, status, headers, problem
):
    """The status and headers are checked on the host, whatever the harness let through: the
    first broken rule is named, and the bytes are shown as sent, control characters escaped."""
    result = build_result(runtime, raw(served(status, headers)), config)
    assert (result.outcome, result.ok) == (Outcome.RESPONSE, False)
    assert result.error == INVALID + problem + "."
    assert result.body == "hi"
    assert not any(char in result.output for char in "\r\x00\x1b")
    # No line of the raw response is a header the app did not send as one.
    assert [line for line in result.output.split("\n") if line.startswith("Set-Cookie")] == []


def test_the_raw_response_shows_what_was_sent_with_escapes(config):
    report = served("200 OK\r\nSet-Cookie: injected=1", [("X-A", "b\x00c")])
    result = build_result("wsgi", raw(report), config)
    assert result.status == "200 OK\\r\\nSet-Cookie: injected=1"
    assert result.headers == [["X-A", "b\\x00c"]]
    assert result.output == "HTTP/1.1 200 OK\\r\\nSet-Cookie: injected=1\nX-A: b\\x00c\n\nhi"


@pytest.mark.parametrize(
    ("runtime", "status", "headers"),
    [
        ("wsgi", "200 OK", [("Content-Type", "text/plain; charset=utf-8")]),
        ("wsgi", "404 Not Found", [("X-Tab", "a\tb")]),
        ("wsgi", "200 ", []),  # the reason phrase may be empty; the space may not
        ("wsgi", "200 Ça va", [("X-Latin-1", "café")]),
        ("wsgi", "599 Custom", [("!#$%&'*+.^_`|~", "x")]),
        ("asgi", "100", []),
        ("asgi", "599", [("set-cookie", "a=1; Path=/")]),
    ],
)
def test_a_valid_response_is_shown_exactly_as_before(config, runtime, status, headers):
    result = build_result(runtime, raw(served(status, headers)), config)
    assert (result.outcome, result.error) == (Outcome.OK, "")
    assert result.headers == [list(h) for h in headers]


@pytest.mark.parametrize(
    ("stdout", "problem"),
    [
        (b"Status: 200 OK\rX: y\n\nhi", "the status “200 OK\\rX: y” holds a carriage return (\\r)"),
        (b"Status: 1000 Big\n\nhi", "the status “1000 Big” does not start with three digits"),
        (b"Status: 700 Odd\n\nhi", "the status code 700 is not between 100 and 599"),
        (b"X Y: z\n\nhi", "the header name “X Y” is not a token: it holds “ ”"),
        (b"X-A: b\x00\n\nhi", "the value of the header “X-A” holds a NUL byte (\\x00)"),
    ],
)
def test_a_cgi_scripts_invalid_response_is_named_too(config, stdout, problem):
    stdout = stdout.replace(b"\n\n", b"\nContent-Type: text/plain\n\n")
    result = build_result("cgi", raw({}, stdout=stdout), config)
    assert result.outcome == Outcome.RESPONSE
    assert result.error == f"The script sent an invalid response: {problem}."
    ok = build_result("cgi", raw({}, stdout=b"Status: 404\nContent-Type: text/plain\n\nhi"), config)
    assert (ok.outcome, ok.status) == (Outcome.OK, "404 Not Found")


def test_an_invalid_response_does_not_hide_a_failure(config):
    """The run's own failure comes first: an exception after a broken status is still EXIT."""
    report = dict(served("200 OK\r\nX: y"), error="Traceback …\nValueError: late\n")
    result = build_result("wsgi", raw(report, exit_status=1), config)
    assert result.outcome == Outcome.EXIT
    assert result.status == "200 OK\\r\\nX: y"


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
        result = run_code("python", FIND_REPORT + "write(b'{\"error\": 5}')\nos._exit(0)\n")
        assert result.outcome == Outcome.INTERFERENCE
        result = run_code("python", FIND_REPORT + "write(b'[' * 100000)\nos._exit(0)\n")
        assert result.outcome == Outcome.INTERFERENCE

    def test_bad_headers_in_a_forged_response_are_interference(self):
        forged = (
            b'{"error": null, "status": "200 OK", "headers": [["a", "b", "c"]], "body_b64": ""}'
        )
        code = FIND_REPORT + f"write({forged!r})\nos._exit(0)\n"
        result = run_code("wsgi", code)
        assert result.outcome == Outcome.INTERFERENCE and not result.ok

    def test_a_forged_success_does_not_hide_a_failure(self):
        """The harness rewrites the report after the code; the exit status is the supervisor's."""
        code = FIND_REPORT + "write(b'{\"error\": null}')\n1 / 0\n"
        result = run_code("python", code)
        assert result.outcome == Outcome.EXIT and "ZeroDivisionError" in result.error
        code = FIND_REPORT + "write(b'{\"error\": null}')\nos._exit(3)\n"
        result = run_code("python", code)
        assert result.outcome == Outcome.EXIT and result.exit_status == 3

    def test_writing_into_the_report_after_the_harness_is_interference(self):
        code = FIND_REPORT + (
            "import atexit\n"
            "atexit.register(lambda: pwrite(b'}}}', 0))\n"
            "def application(environ, start_response):\n"
            "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
            "    return [b'hi']\n"
        )
        result = run_code("wsgi", code)
        assert result.outcome == Outcome.INTERFERENCE


# -- invalid responses, sent from inside the sandbox --------------------------------------------

ATTACKS = [
    (
        "wsgi",
        "def application(environ, start_response):\n"
        "    status = '200 OK\\r\\nSet-Cookie: injected=1'\n"
        "    start_response(status, [('Content-Type', 'text/plain')])\n"
        "    return [b'hi']\n",
        "the status “200 OK\\r\\nSet-Cookie: injected=1” holds a carriage return (\\r)",
    ),
    (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('X-A', 'b\\r\\nSet-Cookie: injected=1')])\n"
        "    return [b'hi']\n",
        "the value of the header “X-A” holds a carriage return (\\r)",
    ),
    (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('X-A', 'b\\x00')])\n"
        "    return [b'hi']\n",
        "the value of the header “X-A” holds a NUL byte (\\x00)",
    ),
    (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content Type', 'text/plain')])\n"
        "    return [b'hi']\n",
        "the header name “Content Type” is not a token: it holds “ ”",
    ),
    (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200', [])\n"
        "    return [b'hi']\n",
        "the status “200” does not look like “200 OK” (three digits, a space, a reason phrase)",
    ),
    (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('20 OK', [])\n"
        "    return [b'hi']\n",
        "the status “20 OK” does not look like “200 OK” (three digits, a space, a reason phrase)",
    ),
    (
        "asgi",
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 1000, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'hi'})\n",
        "the status code 1000 is not between 100 and 599",
    ),
    (
        "asgi",
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    headers = [(b'x-a', b'b\\r\\nset-cookie: injected=1')]\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': headers})\n"
        "    await send({'type': 'http.response.body', 'body': b'hi'})\n",
        "the value of the header “x-a” holds a carriage return (\\r)",
    ),
]


@pytest.mark.usefixtures("sandbox")
@pytest.mark.parametrize(("runtime", "code", "problem"), ATTACKS)
def test_an_app_sending_an_invalid_response_is_told_so(runtime, code, problem):
    result = run_code(runtime, code, "GET / HTTP/1.1\nHost: localhost\n")
    assert (result.outcome, result.ok) == (Outcome.RESPONSE, False)
    assert result.error == INVALID + problem + "."
    assert result.body == "hi" and "\r" not in result.output
