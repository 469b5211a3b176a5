"""Runs across machines, end to end: a real redis-server as the broker, a real Celery worker
process (tests/pool_worker.py) holding the sandbox, and this process as the web server, with
bubblewrap hidden from its PATH. Skipped without redis-server or bubblewrap (tests/system.py)."""

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_era, make_exercise, make_sample
from tests.stores import missing
from tests.system import ROOT
from tests.test_exercise_one_run import COUNTING_WSGI, SHORT_LENGTH_WSGI

pytestmark = pytest.mark.django_db

QUEUE_WAIT = 2
EDITED = 'import time\ntime.sleep({})\nprint("slept")\n'


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def runner_broker(tmp_path_factory):
    """A redis-server on a free local port; yields its URL."""
    from tests.conftest import store_or_skip

    def server():
        import contextlib

        @contextlib.contextmanager
        def started():
            if not shutil.which("redis-server"):
                missing("redis-server is not installed: apt-get install redis-server")
            port = free_port()
            directory = tmp_path_factory.mktemp("broker")
            process = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
                + ["--appendonly", "no", "--dir", str(directory)],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + 10
                while socket.socket().connect_ex(("127.0.0.1", port)):
                    assert time.monotonic() < deadline, "redis-server did not start"
                    time.sleep(0.05)
                yield f"redis://127.0.0.1:{port}/0"
            finally:
                process.terminate()
                process.wait(timeout=10)

        return started()

    with store_or_skip(server()) as url:
        yield url


class Worker:
    def __init__(self, url, tmp_path):
        self.starts = tmp_path / "starts"
        self.starts.touch()
        env = dict(os.environ, RUNNER_BROKER_URL=url, RUNNER_STATE_DIR=str(tmp_path / "runner"))
        env.update(POOL_TEST_STARTS=str(self.starts), DJANGO_SETTINGS_MODULE="tests.pool_settings")
        env["HISTORYWEB_VAR_DIR"] = str(tmp_path / "var")
        self.log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.pool_worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def started_runs(self):
        return [line for line in self.starts.read_text().splitlines() if line]

    def wait_ready(self, tmp_path):
        deadline = time.monotonic() + 60
        while "ready." not in (tmp_path / "worker.log").read_text():
            assert self.process.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def pool(runner_broker, sandbox, settings, tmp_path, monkeypatch):
    """The web side: a broker, no bubblewrap (not on PATH, RUNNER_BWRAP unset); and a worker."""
    import redis

    from timeline.runner.config import get_config

    redis.Redis.from_url(runner_broker).flushall()
    settings.RUNNER_BROKER_URL = runner_broker
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = runner_broker
    settings.RUNNER_QUEUE_WAIT = QUEUE_WAIT
    settings.RUNNER_TIMEOUT = 3
    worker = Worker(runner_broker, tmp_path)  # with this PATH: the runner host has bwrap
    del settings.RUNNER_BWRAP
    monkeypatch.setenv("PATH", str(tmp_path / "no-bwrap"))
    assert get_config().bwrap is None
    try:
        worker.wait_ready(tmp_path)
        yield worker
    finally:
        worker.kill()


@pytest.fixture
def sample():
    era = make_era(slug="py", title="Python")
    return make_sample(era, runtime="python", code='print("hi")\n', title="Hello")


def post_run(client, sample, code):
    url = reverse("timeline:sample-run", args=[sample.pk])
    return client.post(url, json.dumps({"code": code}), content_type="application/json")


def post_check(client, exercise, code):
    url = reverse("timeline:exercise-check", args=[exercise.slug])
    answer = client.post(url, json.dumps({"code": code}), content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_run_and_an_exercise_check_succeed_through_the_worker(
    pool, client, sample, admin_client_logged
):
    from timeline.runner.service import run_sample

    response = post_run(client, sample, EDITED.format(0))
    assert response.status_code == 200, response.content
    assert "slept" in response.json()["output"]
    assert len(pool.started_runs()) == 1
    run_sample(sample)  # the unedited sample: run once, then from the cache without a task
    assert run_sample(sample).cached
    assert len(pool.started_runs()) == 2
    # Every check of a submission in one started run, against one instance of the app, judged
    # here from what the sandbox wrote: a wrong answer fails on the bytes a client reads.
    exercise = make_exercise(
        sample.era, checks=3, check={"body": "hello", "body_match": "contains"}
    )
    exercise.checks.filter(order=3).update(body="hello 3")  # the third request to one app
    answer = post_check(client, exercise, COUNTING_WSGI)
    assert answer["passed"] and len(pool.started_runs()) == 3
    assert [check["passed"] for check in answer["checks"]] == [True] * 3
    wrong = post_check(client, exercise, SHORT_LENGTH_WSGI.replace("Welcome!", "hello!!!"))
    assert not wrong["passed"] and len(pool.started_runs()) == 4
    assert "Content-Length says 3 but the body has 8 bytes" in wrong["checks"][0]["message"]
    out = io.StringIO()
    call_command("runner_status", "--inspect", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Queue: 0 runs waiting; 0 refused")
    host = next(line.split() for line in lines if line.startswith("runner1@"))
    assert host[1:3] == ["1", f"{4 / 60:.2f}"]  # one slot; four runs (one was cached)
    assert host[-2:] == ["0", "0"]  # none refused, none running now
    page = admin_client_logged.get("/admin/timeline/codesample/runners/").text
    assert f'<th scope="row">{host[0]}</th><td>1</td><td>{4 / 60:.2f}</td>' in page


def test_a_worker_killed_mid_run_is_a_503_within_the_deadline_and_never_a_second_run(
    pool, client, sample
):
    killer = threading.Thread(target=kill_once_started, args=(pool,))
    killer.start()
    started = time.monotonic()
    response = post_run(client, sample, EDITED.format(2.5))
    waited = time.monotonic() - started
    killer.join()
    assert response.status_code == 503
    assert response.json()["error"] == "The runner stopped before your run finished. Try again."
    assert waited <= 3 + QUEUE_WAIT + 1 + 0.5  # timeout + queue budget + grace, and the answer
    time.sleep(1)
    assert len(pool.started_runs()) == 1


def kill_once_started(worker):
    deadline = time.monotonic() + 10
    while not worker.started_runs() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # inside its sandbox by now
    worker.kill()


def test_a_flood_past_the_queue_budget_gets_429_with_retry_after(pool, client, sample):
    from historyweb.celery import app
    from timeline.runner.pool import TASK

    assert post_run(client, sample, EDITED.format(1)).status_code == 200  # a recent run time
    for _ in range(5):  # other learners' runs, a second each, for one slot
        args = ["python", EDITED.format(1), [["", None]], {"timeout": 3}]
        kwargs = {"single": True, "enqueued": time.time()}
        app.send_task(TASK, args=args, kwargs=kwargs, expires=30)
    response = post_run(client, sample, EDITED.format(0))
    assert response.status_code == 429
    retry = int(response["Retry-After"])
    assert retry > QUEUE_WAIT
    message = response.json()["error"]
    assert message.endswith(f"runs ahead of yours, about {retry} s. Try again then.")
    out = io.StringIO()
    call_command("runner_status", stdout=out)
    assert "1 refused by web servers in the last minute" in out.getvalue()


def test_the_expected_wait_counts_runs_ahead_recent_times_and_live_slots(runner_broker, settings):
    import redis

    from historyweb.celery import RUNS_QUEUE
    from timeline.runner import pool_stats

    store = redis.Redis.from_url(runner_broker)
    store.flushall()
    settings.RUNNER_BROKER_URL = runner_broker
    now = time.time()
    pool_stats.record("a@host", 2, 1.0, 300.0, now=now)
    pool_stats.record("b@host", 1, 1.0, 100.0, now=now)
    pool_stats.record("gone@host", 5, 1.0, 200.0, now=now - 2 * pool_stats.SEEN_SECONDS)
    assert pool_stats.expected_wait(now) == (0, 0.0)
    store.rpush(RUNS_QUEUE, *[b"run"] * 6)
    # Six ahead, 0.2 s a run (the gone host's run counts among the recent times), 3 live slots.
    ahead, seconds = pool_stats.expected_wait(now)
    assert ahead == 6 and seconds == pytest.approx(6 * 0.2 / 3)


def test_a_task_shows_the_shape_of_its_run_never_the_learners_code(settings, monkeypatch):
    from historyweb.celery import app
    from timeline.runner import pool, pool_stats
    from timeline.runner.config import get_config

    settings.RUNNER_BROKER_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(pool_stats, "expected_wait", lambda: (0, 0.0))
    messages = []

    def captured(producer, name, message, **options):
        messages.append(message)
        raise ConnectionError("not sent")

    monkeypatch.setattr(app.amqp, "send_task_message", captured)
    secret = "print('my secret answer')\n"
    with pytest.raises(pool.ServiceError):
        pool.run("python", secret, [("", None)], get_config(), single=True)
    [message] = messages
    shown = message.headers["argsrepr"] + message.headers["kwargsrepr"]
    assert "secret" not in shown and "python, 26 bytes of code, 1 request" in shown
    assert message.body[0][1] == secret  # the run itself still carries it
