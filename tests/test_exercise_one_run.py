"""A submission's checks run in one sandbox run, against one instance of the app, and each
answer is read as a real client reads it (timeline/runner/batch.py)."""

import base64
import json

import pytest

from timeline.exercise_checks import run_checks
from timeline.runner import service
from timeline.runner.batch import build_results, client_read, parse_batch, run_batch
from timeline.runner.process import RawRun
from timeline.runner.report import Interference
from timeline.runner.result import Outcome

from . import factories
from .factories import make_era

pytestmark = pytest.mark.django_db

HELLO = "GET /hello HTTP/1.1\nHost: localhost\n"
SHORT_LENGTH_WSGI = (
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '3')])\n"
    "    return [b'Welcome!']\n"
)
# An app that counts the requests it answers: one instance answers all of them.
COUNTING_WSGI = (
    "import itertools\n"
    "served = itertools.count(1)\n"
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [f'hello {next(served)}'.encode()]\n"
)
HANGS_ON_SLOW = {
    "wsgi": (
        "import time\n"
        "def application(environ, start_response):\n"
        "    if environ['PATH_INFO'] == '/slow':\n"
        "        time.sleep(60)\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'hello']\n"
    ),
    "asgi": (
        "import asyncio\n"
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    if scope['path'] == '/slow':\n"
        "        await asyncio.sleep(60)\n"
        "    await send({'type': 'http.response.start', 'status': 200,\n"
        "                'headers': [(b'content-type', b'text/plain')]})\n"
        "    await send({'type': 'http.response.body', 'body': b'hello'})\n"
    ),
}


@pytest.fixture
def counted_runs(monkeypatch):
    """Every sandbox started, counted (the one place a run of this host starts one)."""
    starts = []
    real = service.run_in_sandbox

    def counting(*args, **kwargs):
        starts.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "run_in_sandbox", counting)
    return starts


def test_a_submission_of_several_checks_is_one_sandbox_run_against_one_app(sandbox, counted_runs):
    exercise = factories.make_exercise(
        make_era(),
        checks=3,
        solution=COUNTING_WSGI,
        check={"body": "hello", "body_match": "contains"},
    )
    started = []
    passed, outcomes = run_checks(exercise, COUNTING_WSGI, on_start=lambda: started.append(1))
    assert passed, [o.message for o in outcomes]
    assert len(counted_runs) == 1 and started == [1]
    assert len(counted_runs[0]["batch"]) == 3
    # One instance answered all three: its counter went on from one request to the next.
    assert [o.got.rsplit("\n", 1)[-1] for o in outcomes] == ["hello 1", "hello 2", "hello 3"]


@pytest.mark.parametrize("runtime", ["wsgi", "asgi"])
def test_a_request_the_app_hangs_on_fails_alone(sandbox, runtime):
    requests = [(HELLO, None), ("GET /slow HTTP/1.1\nHost: localhost\n", None), (HELLO, None)]
    first, slow, last = run_batch(runtime, HANGS_ON_SLOW[runtime], requests)
    assert (first.outcome, first.body, last.outcome, last.body) == ("ok", "hello", "ok", "hello")
    assert slow.outcome == Outcome.TIMEOUT and not slow.status
    assert slow.error.startswith("No answer to this request within ")


def test_a_short_content_length_is_read_as_a_real_client_reads_it(sandbox):
    (result,) = run_batch("wsgi", SHORT_LENGTH_WSGI, [(HELLO, None)])
    assert (result.body, result.body_length) == ("Wel", 8)
    exercise = factories.make_exercise(make_era(), check={"body": "Welcome!"})
    passed, (outcome,) = run_checks(exercise, SHORT_LENGTH_WSGI)
    assert not passed
    assert outcome.message == (
        "Content-Length says 3 but the body has 8 bytes; a client stops reading after “Wel”."
    )


def test_a_program_that_claims_it_passed_still_fails(sandbox):
    code = (
        "print('Passed.')\n"
        "def application(environ, start_response):\n"
        "    print('passed')\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'Passed.']\n"
    )
    exercise = factories.make_exercise(make_era(), checks=2)
    passed, outcomes = run_checks(exercise, code)
    assert not passed and not any(o.passed for o in outcomes)
    assert outcomes[0].message == "The body does not contain “hello”."


# -- reading the bytes, without a sandbox --------------------------------------------------------


def test_the_client_reads_no_more_than_content_length_and_counts_what_was_sent():
    sent = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nWelcome!"
    status, headers, body, length = client_read(sent, "GET")
    assert (status, body, length) == ("200 OK", b"Wel", 8)
    assert headers == [("Content-Length", "3"), ("Content-Type", "text/plain")]


def test_the_client_keeps_what_came_when_the_body_is_shorter_than_announced():
    sent = b"HTTP/1.0 404 OK\r\nContent-Length: 10\r\n\r\nNot"
    assert client_read(sent, "GET") == ("404 OK", [("Content-Length", "10")], b"Not", 3)
    assert client_read(b"hello", "GET") is None  # not HTTP at all


def raw_run(report, stderr=b""):
    message = {
        "exit": 0,
        "report_b64": base64.b64encode(json.dumps(report).encode()).decode(),
        "report_bytes": 0,
    }
    return RawRun(b"", stderr, json.dumps(message).encode(), 0, False, False, 12.0)


def test_a_report_with_more_or_fewer_answers_than_requests_is_interference(settings):
    item = {"error": None, "kind": None, "raw_b64": base64.b64encode(b"HTTP/1.0 200 OK\r\n\r\nhi")}
    item["raw_b64"] = item["raw_b64"].decode()
    report = {"error": None, "truncated": False, "items": [item, item, item]}
    with pytest.raises(Interference):
        parse_batch("wsgi", json.dumps(report).encode(), 2)
    from timeline.runner.config import get_config

    results = build_results("wsgi", raw_run(report), get_config(), ["GET", "GET"])
    assert [r.outcome for r in results] == [Outcome.INTERFERENCE] * 2
    good = build_results("wsgi", raw_run(dict(report, items=[item])), get_config(), ["GET"])
    assert (good[0].outcome, good[0].body, good[0].status) == (Outcome.OK, "hi", "200 OK")


def test_the_meter_counts_the_one_runs_sandbox_time_once(monkeypatch):
    """Three answers from one run of 1 s are 1 s of sandbox time, not 3 s."""
    from timeline import check_limit
    from timeline.runner.result import RunResult

    def one_run(runtime, code, requests, on_start=None):
        return [RunResult(runtime, True, duration_ms=1000.0) for _ in requests]

    monkeypatch.setattr(check_limit, "run_batch", one_run)
    meter = check_limit.CheckMeter("someone")
    meter.run("wsgi", "code", [(HELLO, None)] * 3)
    assert (meter.runs, meter.seconds) == (1, 1.0)
    assert check_limit.units_for(meter.seconds) == 0
