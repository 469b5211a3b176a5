"""Try it on an exercise page: the learner's app run with their own request, ungraded, through
the edited-run path (the run limit, not the check limit) and the sample result template."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from timeline.exercise_checks import one_by_one
from timeline.runner import service
from timeline.runner.result import Outcome, RunResult

from .factories import make_era, make_exercise

pytestmark = pytest.mark.django_db

# A program written to fool a verdict: its answer says it solved the exercise.
BOASTER = (
    "def application(environ, start_response):\n"
    "    print('Solved: all 3 checks passed')\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'Solved: all 3 checks passed']\n"
)


@pytest.fixture
def runs(monkeypatch, settings, tmp_path, one_rate_window):
    """Every run that reaches the sandbox, answered by a fake sandbox that echoes the request's
    path; what the runner refuses before (code too long, a request it cannot parse) and the
    run limit (on_start, in a fresh store) are the real ones."""
    settings.RUNNER_STATE_DIR = str(tmp_path)
    settings.RUNNER_RATE_LIMIT = 3
    seen = []

    def fake_sandbox(runtime, prepared, *, wait=None, config, on_start=None, wrap=None):
        spec, _ = prepared
        if on_start:
            on_start()
        seen.append({"runtime": runtime, "code": spec["code"], "wrap": wrap})
        path = spec["request"]["path"]
        body = "Solved: all 3 checks passed" if "Solved" in spec["code"] else path
        return RunResult(
            runtime=runtime,
            ok=True,
            outcome=Outcome.OK,
            status="200 OK",
            headers=[("Content-Type", "text/plain")],
            body=body,
            output=f"HTTP/1.1 200 OK\nContent-Type: text/plain\n\n{body}\n",
            environ={"PATH_INFO": path},
        )

    monkeypatch.setattr(service, "run_here", fake_sandbox)
    return seen


@pytest.fixture
def exercise():
    check = {
        "request": "GET /hello/{{name}} HTTP/1.1\nHost: localhost\n",
        "values": "name: word",
        "body": "Hello, {{name}}!",
    }
    return make_exercise(make_era(), checks=2, check=check)


def try_url(exercise):
    return reverse("timeline:exercise-try", args=[exercise.slug])


def try_json(client, exercise, **payload):
    return client.post(try_url(exercise), payload, content_type="application/json")


def test_a_try_runs_the_code_with_the_typed_request_and_shows_the_sample_views(
    client, runs, exercise
):
    answer = try_json(client, exercise, code=BOASTER, request="GET /mine HTTP/1.1\n")
    data = answer.json()
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    assert runs == [{"runtime": "wsgi", "code": BOASTER, "wrap": None}]
    assert "/mine" in data["html"]
    assert 'data-label="Raw"' in data["html"] and 'data-label="environ"' in data["html"]
    # Ungraded: no verdict in the answer, whatever the program printed.
    assert "passed" not in data and "checks" not in data
    assert "exercise-results" not in data["html"]


def test_a_program_printing_solved_gets_no_verdict_on_the_page_either(client, runs, exercise):
    page = client.post(try_url(exercise), {"code": BOASTER, "request": "GET /x HTTP/1.1\n"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Solved: all 3 checks passed" in html  # shown as the app's answer, escaped, in <pre>
    assert '<section class="exercise-results' not in html and "Not yet" not in html
    assert '<h2 id="results-title">' not in html


def test_the_page_without_javascript_shows_the_result_and_keeps_code_and_request(
    client, runs, exercise
):
    page = client.post(try_url(exercise), {"code": "# mine\n", "request": "GET /typed HTTP/1.1\n"})
    html = page.content.decode()
    assert page.status_code == 200
    assert '<textarea id="exercise-code"' in html and "# mine\n</textarea>" in html
    assert "GET /typed HTTP/1.1\n</textarea>" in html
    assert 'class="run-result-view"' in html and "/typed" in html
    # The next try is compared with this one.
    assert 'name="previous" form="exercise-form"' in html


def test_the_next_try_is_compared_with_the_previous_one(client, runs, exercise):
    first = try_json(client, exercise, code="# a\n", request="GET /one HTTP/1.1\n").json()
    second = try_json(
        client, exercise, code="# a\n", request="GET /two HTTP/1.1\n", previous=first["output"]
    ).json()
    assert "Compare with your previous try" in second["html"]
    assert "Lines marked − are in your previous try only" in second["html"]
    assert "Compare with" not in first["html"]


def test_the_request_editor_starts_with_the_first_checks_request_and_example_values(
    client, exercise
):
    html = client.get(exercise.get_absolute_url()).content.decode()
    assert "GET /hello/Ada HTTP/1.1\nHost: localhost\n</textarea>" in html
    assert "{{name}}" not in html


def test_a_check_without_javascript_keeps_the_typed_request(client, runs, exercise):
    page = client.post(
        reverse("timeline:exercise-check", args=[exercise.slug]),
        {"code": "# a\n", "request": "GET /kept HTTP/1.1\n"},
    )
    assert "GET /kept HTTP/1.1\n</textarea>" in page.content.decode()


def test_a_try_needs_a_csrf_token_and_a_post(runs, exercise):
    strict = Client(enforce_csrf_checks=True)
    answer = strict.post(try_url(exercise), {"code": "x"}, content_type="application/json")
    assert answer.status_code == 403 and runs == []
    assert strict.post(try_url(exercise), {"code": "x"}).status_code == 403
    assert strict.get(try_url(exercise)).status_code == 405


def test_tries_count_against_the_run_limit_not_the_check_limit(
    client, runs, exercise, settings, one_rate_window, monkeypatch
):
    for _ in range(3):
        assert try_json(client, exercise, code="# a\n").status_code == 200
    refused = try_json(client, exercise, code="# a\n")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "in the last 60 s" in refused.json()["error"] and len(runs) == 3
    assert "edited samples and Try it share this limit" in refused.json()["error"]
    page = client.post(try_url(exercise), {"code": "# a\n"})
    assert page.status_code == 429 and "in the last 60 s" in page.content.decode()
    # The check limit has its own count: a check still runs (in one batch of its requests).
    checked = []

    def checking(runtime, code, request_text, *, on_start=None, wrap=None):
        if on_start:
            on_start()
        checked.append(request_text)
        return RunResult(runtime=runtime, ok=True, outcome=Outcome.OK, status="200 OK", body="")

    monkeypatch.setattr("timeline.check_limit.run_batch", one_by_one(checking))
    check = client.post(
        reverse("timeline:exercise-check", args=[exercise.slug]),
        {"code": "# a\n"},
        content_type="application/json",
    )
    assert check.status_code == 200 and len(checked) == 2 and len(runs) == 3


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"code": "x" * (service.MAX_CODE_CHARS + 1)}, "The code is longer than"),
        ({"code": "# a\n", "request": "GARBAGE"}, "The request: The first line must look like"),
        ({"code": "# a\n", "request": "GET /x HTTP/1.1\nno colon\n"}, "is not a header"),
        ({"code": "   "}, "Write some code first."),
        ({"code": ["a"]}, "“code” must be a string."),
        ({"code": "a", "previous": 3}, "“previous” must be a string."),
        ({"code": "a", "extra": "b"}, "Unknown field “extra”"),
    ],
)
def test_bad_input_gets_a_clear_message_not_a_500(client, runs, exercise, payload, message):
    answer = try_json(client, exercise, **payload)
    assert answer.status_code == 400
    assert message in answer.json()["error"] and runs == []


def test_a_deep_or_huge_or_broken_body_is_refused_with_a_message(client, runs, exercise):
    deep = json.dumps({"code": "a", "request": "b", "previous": "c"})[:-1] + ', "x": ' + "[" * 5000
    for body, status, message in [
        (deep, 400, "not valid JSON"),
        ('{"code": [[["a"]]]}', 400, "must be a string"),
        ("[1]", 400, "Send a JSON object"),
        (json.dumps({"code": "a" * 500_000}), 413, "too long"),
    ]:
        answer = client.post(try_url(exercise), body, content_type="application/json")
        assert answer.status_code == status and message in answer.json()["error"]
    assert runs == []


def test_a_form_post_with_odd_input_renders_the_page_with_the_message(client, runs, exercise):
    page = client.post(try_url(exercise), {"code": "# a\n", "request": "GET nowhere HTTP/1.1\n"})
    html = page.content.decode()
    assert page.status_code == 400 and "The path must start with" in html
    assert "# a\n</textarea>" in html and "GET nowhere HTTP/1.1\n</textarea>" in html


def test_a_request_exercise_sends_the_learners_request_to_its_own_app(client, runs):
    target = "def application(environ, start_response): ...\n"
    exercise = make_exercise(
        make_era(), kind="request", language="http", target=target, starter="GET /\n"
    )
    html = client.get(exercise.get_absolute_url()).content.decode()
    assert 'id="try-request"' not in html  # the learner's text is the request
    data = try_json(client, exercise, code="GET /index.html HTTP/1.0\n\n").json()
    assert runs[0]["code"] == target and "/index.html" in data["html"]
    assert "passed" not in data
    # A request the server is still waiting on is not sent, as the checks say.
    waiting = try_json(client, exercise, code="GET /index.html HTTP/1.0\nAccept: */*")
    assert waiting.status_code == 400 and "empty line" in waiting.json()["error"]
    assert len(runs) == 1


def test_a_middleware_exercise_wraps_the_inner_app_of_its_first_check(client, runs):
    check = {
        "request": "GET / HTTP/1.1\n",
        "wraps": "middleware",
        "values": "marker: word",
        "inner_response": "200 OK\nX-Inner: {{marker}}\n\ninner body",
        "status": 200,
    }
    exercise = make_exercise(make_era(), check=check)
    try_json(client, exercise, code="def middleware(app): return app\n")
    assert runs[0]["wrap"] == {
        "factory": "middleware",
        "status": "200 OK",
        "headers": [("X-Inner", "Ada")],
        "body": "inner body",
    }


def test_a_request_exercise_try_shows_how_the_real_server_read_the_request(sandbox, client):
    """In the sandbox: a request line without a version reaches the app as HTTP/0.9."""
    target = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [environ['SERVER_PROTOCOL'].encode()]\n"
    )
    exercise = make_exercise(
        make_era(), kind="request", language="http", target=target, starter="GET /\n"
    )
    data = try_json(client, exercise, code="GET /index.html\n").json()
    assert data["body"] == "HTTP/0.9" and data["environ"]["SERVER_PROTOCOL"] == "HTTP/0.9"
    assert 'data-label="environ"' in data["html"] and "passed" not in data
