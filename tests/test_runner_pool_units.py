"""Runs across machines without a broker: the choice between in-process and the pool, the web
side's checks, the runner host's refusal to start, back-pressure and the cache. The real broker
and worker are in tests/test_runner_pool.py."""

import base64
import json
import sys

import pytest
from django.core.cache import caches
from django.urls import reverse

from timeline.runner import batch, checks, pool, pool_stats, service, tasks
from timeline.runner.config import get_config
from timeline.runner.process import RawRun
from timeline.runner.result import Outcome, RunResult

from .factories import make_era, make_exercise

BROKER = "redis://127.0.0.1:1/0"  # never reached: the tests replace what would reach it


class Uncontained:
    def __init__(self, config):
        pass

    def problems(self):
        return ["no cgroup per run: not delegated"]


@pytest.fixture
def uncontained(settings, monkeypatch):
    settings.RUNNER_BWRAP = sys.executable  # an executable: bubblewrap "is there"
    settings.RUNNER_REQUIRE_CONTAINMENT = True
    monkeypatch.setattr("timeline.runner.sandbox.containment", Uncontained)
    monkeypatch.setattr(tasks, "containment", Uncontained)
    return settings


def test_runs_are_in_process_unless_a_broker_is_named(settings):
    assert not pool.enabled()
    settings.RUNNER_BROKER_URL = BROKER
    assert pool.enabled()


def test_a_web_server_with_a_pool_is_not_asked_for_containment(uncontained):
    assert [error.id for error in checks.check_containment()] == ["timeline.E010"]
    uncontained.RUNNER_BROKER_URL = BROKER
    assert checks.check_containment() == []


def test_a_runner_host_refuses_to_start_without_containment_in_production(uncontained):
    with pytest.raises(SystemExit, match="runs cannot be held as a whole: no cgroup per run"):
        tasks.check_host("runner1@host", instance=None)
    uncontained.RUNNER_REQUIRE_CONTAINMENT = False  # development: a warning, and it starts
    assert tasks.refuse_without_containment(get_config()) == ""


def test_a_runner_host_refuses_to_start_without_bubblewrap(settings):
    settings.RUNNER_BWRAP = "/nonexistent/bwrap"
    with pytest.raises(SystemExit, match="bubblewrap is not installed here"):
        tasks.check_host("runner1@host", instance=None)


def test_a_task_takes_the_lower_of_each_limit(settings):
    settings.RUNNER_TIMEOUT = 5
    config = tasks.limited(get_config(), {"timeout": 9, "output_bytes": 1024})
    assert config.timeout == 5  # the host's own limit holds against a higher one
    assert config.output_bytes == 1024
    assert config.memory_bytes == get_config().memory_bytes


def test_a_full_queue_is_a_429_with_the_expected_wait_and_costs_no_quota(settings, monkeypatch):
    settings.RUNNER_BROKER_URL = BROKER
    settings.RUNNER_QUEUE_WAIT = 2
    refused = []
    monkeypatch.setattr(pool_stats, "expected_wait", lambda: (12, 3.4))
    monkeypatch.setattr(pool_stats, "refused", lambda: refused.append(1))
    counted = []
    with pytest.raises(service.Busy) as caught:
        service.run_code("python", "print(1)\n", on_start=lambda: counted.append(1))
    assert caught.value.status == 429
    assert caught.value.headers == {"Retry-After": "4"}
    assert caught.value.message == "12 runs ahead of yours, about 4 s. Try again then."
    assert counted == [] and refused == [1]


def test_a_queue_that_cannot_be_reached_is_a_503(settings, monkeypatch):
    settings.RUNNER_BROKER_URL = BROKER

    def down():
        raise ConnectionError("refused")

    monkeypatch.setattr(pool_stats, "expected_wait", down)
    with pytest.raises(service.ServiceError) as caught:
        service.run_code("python", "print(1)\n")
    assert caught.value.status == 503
    assert "queue is unreachable" in caught.value.message


def test_a_cached_result_is_answered_without_a_task(settings, monkeypatch):
    settings.RUNNER_BROKER_URL = BROKER
    monkeypatch.setattr(pool, "run", lambda *a, **k: pytest.fail("a task was sent"))
    key = service.cache_key("python", "print(1)\n", "")
    stored = RunResult("python", ok=True, output="1\n", outcome=Outcome.OK)
    caches["runs"].set(key, stored.to_dict())
    result = service.run_cached("python", "print(1)\n")
    assert result.cached and result.output == "1\n"


def test_a_malformed_run_is_refused_here_without_a_task(settings, monkeypatch):
    settings.RUNNER_BROKER_URL = BROKER
    monkeypatch.setattr(pool, "run", lambda *a, **k: pytest.fail("a task was sent"))
    result = service.run_code("cobol", "DISPLAY 'HI'.")
    assert result.outcome == Outcome.NOT_STARTED


RUNNERS_PAGE = "/admin/timeline/codesample/runners/"


@pytest.mark.django_db
def test_the_runner_hosts_page_shows_the_queue_and_each_host(
    admin_client_logged, settings, monkeypatch
):
    assert "no <code>RUNNER_BROKER_URL</code>" in admin_client_logged.get(RUNNERS_PAGE).text
    settings.RUNNER_BROKER_URL = BROKER
    host = {"host": "runner1@a", "slots": 2, "runs_per_second": 0.25, "rejected": 3}
    host |= {"wait_p50": 4.2, "wait_p95": 31.0, "run_p50": 80.4, "run_p95": None}
    status = {"queue_length": 7, "refused": 1, "hosts": [host]}
    monkeypatch.setattr(pool_stats, "status", lambda: status)
    page = admin_client_logged.get(RUNNERS_PAGE).text
    assert "<strong>7</strong> runs waiting; 1 refused" in page
    cells = page.split('<th scope="row">runner1@a</th>')[1].split("</tr>")[0]
    assert cells == "<td>2</td><td>0.25</td><td>4 / 31 ms</td><td>80 / – ms</td><td>3</td>"
    assert "Runner hosts</a>" in admin_client_logged.get("/admin/timeline/codesample/").text


@pytest.mark.django_db
def test_the_runner_hosts_page_says_when_the_queue_is_unreachable(
    admin_client_logged, settings, monkeypatch
):
    settings.RUNNER_BROKER_URL = BROKER

    def refused():
        raise ConnectionError("Error 111 connecting to 127.0.0.1:1")

    monkeypatch.setattr(pool_stats, "status", refused)
    response = admin_client_logged.get(RUNNERS_PAGE)
    assert response.status_code == 200
    assert "cannot be reached: Error 111 connecting" in response.text


@pytest.mark.django_db
def test_the_runner_hosts_page_is_for_staff_who_may_see_samples(client, django_user_model):
    assert client.get(RUNNERS_PAGE).status_code == 302  # to the admin's login
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(RUNNERS_PAGE).status_code == 403
    assert client.post(RUNNERS_PAGE).status_code == 405


# -- one task per sandbox run, judged on the web side ---------------------------------------------


class Sent:
    """A task "sent" without a broker: what was sent, and the answer its runner host "gave"."""

    def __init__(self, answer):
        self.answer = answer
        self.tasks = []

    def send_task(self, name, args, kwargs, **options):
        self.tasks.append((name, args, kwargs))
        return self

    def get(self, **kwargs):
        return self.answer

    def successful(self):
        return True


@pytest.fixture
def sent(settings, monkeypatch):
    from historyweb.celery import app

    settings.RUNNER_BROKER_URL = BROKER
    monkeypatch.setattr(pool_stats, "expected_wait", lambda: (0, 0.0))
    task = Sent(None)
    monkeypatch.setattr(app, "send_task", task.send_task)
    return task


def raw_answer(report, limits=None, **raw_fields):
    """A runner host's answer: what its sandbox wrote, plus a verdict it has no say in."""
    message = {"exit": 0, "report_b64": base64.b64encode(json.dumps(report).encode()).decode()}
    message["report_bytes"] = 0
    fields = {"returncode": 0, "timed_out": False, "overflowed": False, "duration_ms": 12.0}
    raw = RawRun(b"", b"", json.dumps(message).encode(), **(fields | raw_fields))
    forged = {"ok": True, "outcome": "ok", "status": "200 OK", "body": "Welcome!"}
    return {"raw": pool.raw_to_dict(raw), "limits": limits or {}, "result": forged, "passed": True}


def wire_item(sent_bytes):
    return {"error": None, "kind": None, "raw_b64": base64.b64encode(sent_bytes).decode()}


SHORT = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nWelcome!"
WHOLE = SHORT.replace(b"Length: 3", b"Length: 8")


@pytest.mark.django_db
@pytest.mark.parametrize("wire, passed", [(SHORT, False), (WHOLE, True)], ids=["short", "whole"])
def test_a_submission_is_one_task_and_its_checks_are_judged_here_from_its_bytes(
    sent, client, settings, tmp_path, wire, passed
):
    settings.RUNNER_STATE_DIR = str(tmp_path)
    exercise = make_exercise(make_era(), checks=3, check={"body": "Welcome!"})
    report = {"error": None, "truncated": False, "items": [wire_item(wire)] * 3}
    sent.answer = raw_answer(report)
    url = reverse("timeline:exercise-check", args=[exercise.slug])
    answer = client.post(url, json.dumps({"code": "# mine\n"}), content_type="application/json")
    assert answer.status_code == 200
    [(name, args, kwargs)] = sent.tasks  # one task for the three checks
    assert name == pool.TASK and kwargs["single"] is False
    runtime, code, requests, limits = args
    assert (runtime, code) == ("wsgi", "# mine\n") and limits["timeout"] == get_config().timeout
    assert [text for text, _ in requests] == [check.request for check in exercise.checks.all()]
    # The host's "passed" and its RunResult count for nothing: a client reads 'Wel'.
    data = answer.json()
    assert data["passed"] is passed
    assert [check["passed"] for check in data["checks"]] == [passed] * 3
    if not passed:
        assert "Content-Length says 3 but the body has 8 bytes" in data["checks"][0]["message"]


def test_a_single_run_is_one_task_judged_here_with_the_limits_it_ran_with(sent):
    report = {"output": "done\n", "error": None, "truncated": False}
    sent.answer = raw_answer(report, limits={"timeout": 2}, timed_out=True)
    result = service.run_code("python", "print('done')\n")
    [(name, args, kwargs)] = sent.tasks
    assert args[2] == [["", None]] and kwargs["single"] is True
    assert result.outcome == Outcome.TIMEOUT and not result.ok  # the clock, not its claim
    assert result.error.startswith("Stopped: time limit (2 s)")


def test_an_answer_without_the_sandbox_bytes_is_a_503(sent):
    sent.answer = {"result": {"ok": True, "outcome": "ok", "output": "1\n"}}
    with pytest.raises(pool.RunnerStopped) as caught:
        service.run_code("python", "print(1)\n")
    assert caught.value.status == 503 and caught.value.message == pool.UNREADABLE


def test_a_runner_host_runs_a_batch_in_one_sandbox_run_and_decides_nothing(monkeypatch):
    runs = []
    raw = RawRun(b"out", b"err", b"\x00report", 0, False, False, 7.5)

    def sandbox_run(spec, body, *, wait=None, config):
        runs.append((spec, body))
        return raw

    monkeypatch.setattr(batch, "sandbox_run", sandbox_run)
    monkeypatch.setattr(pool_stats, "record", lambda *args, **kwargs: None)
    wrap = {"factory": "mw", "status": "200 OK", "headers": [["X-Mark", "1"]], "body": "b"}
    requests = [["GET /a HTTP/1.1\n", None], ["GET /b HTTP/1.1\n", wrap]]
    answer = tasks.run("wsgi", "app", requests, {"timeout": 1}, enqueued=None)
    [(spec, body)] = runs
    assert body == b"" and [item["request"]["path"] for item in spec["batch"]] == ["/a", "/b"]
    assert spec["batch"][1]["wrap"]["headers"] == [("X-Mark", "1")]
    assert set(answer) == {"raw", "limits"} and answer["limits"]["timeout"] == 1
    assert pool.raw_from_dict(answer["raw"]) == raw  # the bytes as written, nothing decided
    answer = tasks.run("wsgi", "app", requests[:1], {}, single=True)
    assert runs[1][0]["request"]["path"] == "/a" and "batch" not in runs[1][0]
    refused = tasks.run("wsgi", "app", [["GARBAGE", None]], {})
    assert refused["error"]["status"] == 400 and len(runs) == 2
