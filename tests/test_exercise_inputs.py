"""Exercise checks with inputs the learner has not seen: values drawn fresh per submission, a
middleware wrapped around an inner app of the check's own, and the limit on checking."""

import re
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from timeline import check_limit, check_values, exercise_checks
from timeline.exercise_checks import drawn, one_by_one, run_checks
from timeline.models import Exercise, ExerciseCheck
from timeline.runner.result import RunResult
from timeline.runner.service import Busy

from . import factories
from .factories import make_era

pytestmark = pytest.mark.django_db

GREET_ANYONE = {
    "name": "greets {{name}}",
    "request": "GET /greet?name={{name|url}} HTTP/1.0\n",
    "headers": "Content-Type: text/plain",
    "body": "Hello, {{name|html}}!",
    "body_match": "exact",
    "values": "name: word\n",
}


def greeting_exercise(**check):
    return factories.make_exercise(make_era(), runtime="cgi", check={**GREET_ANYONE, **check})


def echo_run(sent):
    """A fake run that greets whoever the query names, keeping what it was sent."""

    def run(runtime, code, request_text, on_start=None, **extra):
        sent.append((request_text, extra))
        name = unquote(request_text.split("name=", 1)[1].split(" ", 1)[0])
        return RunResult(
            runtime="cgi",
            ok=True,
            status="200 OK",
            headers=[["Content-Type", "text/plain"]],
            body=f"Hello, {name}!\n",
        )

    return run


def test_each_submission_draws_fresh_values_and_expects_the_answer_made_from_them():
    exercise = greeting_exercise()
    sent = []
    first = run_checks(exercise, "mine", run=one_by_one(echo_run(sent)))
    second = run_checks(exercise, "mine", run=one_by_one(echo_run(sent)))
    assert first[0] and second[0]
    (one, _), (two, _) = sent
    assert one != two and one.startswith("GET /greet?name=")
    name = unquote(one.split("=", 1)[1].split()[0])
    assert name.isalpha() and first[1][0].name == f"greets {name}"
    assert first[1][0].sent == one  # the request that was sent is the one shown


def test_an_answer_that_greets_the_name_it_saw_fails_the_next_submission():
    exercise = greeting_exercise()
    _, (shown,) = run_checks(exercise, "mine", run=one_by_one(echo_run([])))
    seen = unquote(shown.sent.split("=", 1)[1].split()[0])

    def hard_coded(runtime, code, request_text, on_start=None):
        headers = [["Content-Type", "text/plain"]]
        return RunResult("cgi", True, status="200 OK", headers=headers, body=f"Hello, {seen}!\n")

    passed, (outcome,) = run_checks(exercise, "mine", run=one_by_one(hard_coded))
    assert not passed and outcome.sent != shown.sent
    assert outcome.message.startswith(f"The body was “Hello, {seen}!”, not exactly “Hello, ")


def test_filters_encode_a_value_for_a_url_and_escape_it_for_html():
    values = {"m": "<img src=Ab onerror=alert(7)>"}
    assert (
        check_values.fill("/{{m|url}}", values) == "/%3Cimg%20src%3DAb%20onerror%3Dalert%287%29%3E"
    )
    assert check_values.fill("{{ m|html }}", values) == "&lt;img src=Ab onerror=alert(7)&gt;"
    assert check_values.fill("{{m}}", values) == values["m"]


def test_drawn_values_keep_their_kind():
    for _ in range(50):
        values = check_values.draw("n: number 5-7\nw: word\nm: markup\n")
        assert 5 <= int(values["n"]) <= 7 and values["w"].isalpha()
        assert values["m"].startswith("<img src=") and "&" not in values["m"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"values": "name word"}, "is not a “name: kind” line"),
        ({"values": "n: number 9-1"}, "LOW-HIGH"),
        ({"values": "n: colour"}, "the kind is one of"),
        ({"body": "{{nobody}}"}, "{{nobody}} is not one of the values"),
        ({"body": "{{name|upper}}"}, "the filters are |url and |html"),
        ({"wraps": "middleware"}, "says what that app answers"),
        ({"wraps": "not a name", "inner_response": "200 OK\n\nx"}, "a Python identifier"),
        ({"inner_response": "OK\n\nx"}, "starts with a status such as 200 OK"),
    ],
)
def test_an_editor_is_told_what_is_wrong_with_a_template(fields, message):
    """Said in the admin when the check is saved, before any learner draws from it."""
    check = ExerciseCheck(**{**GREET_ANYONE, **fields})
    with pytest.raises(ValidationError, match=re.escape(message)):
        check.clean()


def test_only_a_wsgi_check_wraps_an_app():
    exercise = factories.make_exercise(make_era(), runtime="asgi", check=MIDDLEWARE_CHECK)
    with pytest.raises(ValidationError, match="Only a WSGI check wraps an app"):
        exercise.checks.get().clean()


MIDDLEWARE_CHECK = {
    "request": "GET /{{path}} HTTP/1.1\nHost: localhost\n",
    "status": 201,
    "headers": "X-Inner: {{marker}}",
    "body": "inner {{text}}",
    "body_match": "exact",
    "values": "path: word\nmarker: word\ntext: word\n",
    "wraps": "middleware",
    "inner_response": "201 Created\nX-Inner: {{marker}}\n\ninner {{text}}\n",
}


@pytest.mark.parametrize(
    "answer, message",
    [
        ("neither", "The app your middleware() wraps was never heard from"),
        ("body", "sent the header “X-Inner: "),
        ("headers", "answered “inner "),
    ],
)
def test_a_middleware_that_loses_the_inner_answer_fails_on_that_rule(answer, message):
    exercise = factories.make_exercise(make_era(), check=MIDDLEWARE_CHECK)
    wraps = []

    def run(runtime, code, request_text, on_start=None, wrap=None):
        wraps.append(wrap)
        status, headers, body = wrap["status"], wrap["headers"], wrap["body"]
        kept_headers = headers if answer == "headers" else []
        kept_body = body if answer == "body" else "mine"
        return RunResult(
            runtime, True, status=status, raw_status=status, headers=kept_headers, body=kept_body
        )

    passed, (outcome,) = run_checks(exercise, "code", run=one_by_one(run))
    assert not passed and message in outcome.message, outcome.message
    (wrap,) = wraps
    assert wrap["factory"] == "middleware" and wrap["status"] == "201 Created"
    assert wrap["headers"][0][1] in outcome.expected  # the marker expected is the one sent


def test_every_app_exercise_has_a_fresh_check_and_html_answers_a_markup_check():
    call_command("load_history", verbosity=0)
    apps = Exercise.objects.filter(kind=Exercise.Kind.APP).prefetch_related("checks")
    assert apps.count() >= 7
    for exercise in apps:
        checks = exercise.checks.all()
        assert any(check.values.strip() for check in checks), exercise.slug
        if any("text/html" in check.headers for check in checks):
            assert any("markup" in check.values and "|html}}" in check.body for check in checks), (
                exercise.slug
            )


# -- answers hard-coded for what the first Check showed, run for real ------------------------------


def replay_key(check):
    """What the replay tells requests apart by: method, path and query, not the body."""
    line = check.request.split("\n", 1)[0].split()
    path, _, query = line[1].partition("?")
    return line[0], unquote(path), query


def replay_code(exercise):
    """An answer that replays, for each request the first Check showed, the answer it was told
    to give, and 404s anything else; as a middleware, it ignores the app it wraps."""
    table = {}
    for check in map(drawn, exercise.checks.all()):
        headers = [tuple(pair) for pair in exercise_checks.header_lines(check.headers)]
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        # The first answer shown for a request line is the one hard-coded (bodies are not read).
        table.setdefault(replay_key(check), (check.status or 200, headers, check.body))
    if exercise.runtime == "cgi":
        return REPLAY_CGI.format(table=table)
    return (REPLAY_ASGI if exercise.runtime == "asgi" else REPLAY_WSGI).format(table=table)


REPLAY_HEAD = """from http import HTTPStatus
TABLE = {table!r}
MISSING = (404, [("Content-Type", "text/plain")], "Not Found")
"""
REPLAY_WSGI = (
    REPLAY_HEAD
    + """
def application(environ, start_response):
    key = environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]
    status, headers, body = TABLE.get(key, MISSING)
    start_response(f"{{status}} {{HTTPStatus(status).phrase}}", list(headers))
    return [body.encode()]


def middleware(app):
    return application
"""
)
REPLAY_ASGI = (
    REPLAY_HEAD
    + """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    key = scope["method"], scope["path"], scope["query_string"].decode()
    status, headers, body = TABLE.get(key, MISSING)
    raw = [(n.lower().encode(), v.encode()) for n, v in headers]
    await send({{"type": "http.response.start", "status": status, "headers": raw}})
    await send({{"type": "http.response.body", "body": body.encode()}})
"""
)
REPLAY_CGI = (
    REPLAY_HEAD
    + """import os
key = os.environ["REQUEST_METHOD"], os.environ["PATH_INFO"], os.environ["QUERY_STRING"]
status, headers, body = TABLE.get(key, MISSING)
print(f"Status: {{status}} {{HTTPStatus(status).phrase}}")
for name, value in headers:
    print(f"{{name}}: {{value}}")
print()
print(body, end="")
"""
)


def test_answers_hard_coded_for_the_shown_requests_fail_every_app_exercise(sandbox):
    """For each app exercise in the fixtures: an answer built from what the first Check showed
    passes every check that draws nothing (so it is a faithful replay), and fails each one that
    draws fresh values and wants more than the 404 it falls back to, with a message that says
    what was wrong."""
    sandbox.RUNNER_TIMEOUT = 10
    call_command("load_history", verbosity=0)
    exercises = Exercise.objects.filter(kind=Exercise.Kind.APP).select_related("era")
    for exercise in exercises.prefetch_related("checks"):
        passed, outcomes = run_checks(exercise, replay_code(exercise))
        assert not passed, exercise.slug
        seen = set()
        for check, outcome in zip(exercise.checks.all(), outcomes, strict=True):
            fresh = bool(check.values.strip())
            shadowed = replay_key(check) in seen  # an earlier check's answer is replayed
            seen.add(replay_key(check))
            if not fresh and not shadowed:
                assert outcome.passed, (exercise.slug, outcome.name, outcome.message)
            elif check.status != 404:
                assert not outcome.passed, (exercise.slug, outcome.name)
                assert outcome.message.startswith(("The ", "There ", "“")), outcome.message


MIDDLEWARE_WRITTEN_OTHERWISE = """class Marked:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/health":
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"ok"
            return

        def marked(status, headers, exc_info=None):
            headers = list(headers)
            headers.append(("X-Middleware", "yes"))
            return start_response(status, headers, exc_info)

        yield from self.app(environ, marked)


def hello_app(environ, start_response):
    found = environ["PATH_INFO"] == "/hello"
    start_response("200 OK" if found else "404 Not Found", [("Content-Type", "text/plain")])
    return [b"Hello from the app!" if found else b"Not Found"]


middleware = Marked
application = middleware(hello_app)
"""
MIDDLEWARE_DROPPING_HEADERS = MIDDLEWARE_WRITTEN_OTHERWISE.replace(
    "headers = list(headers)", "headers = [('Content-Type', 'text/plain')]"
)


def test_a_middleware_written_otherwise_passes_and_one_dropping_headers_fails(sandbox):
    call_command("load_history", verbosity=0)
    exercise = Exercise.objects.select_related("era").get(slug="wsgi-middleware")
    passed, outcomes = run_checks(exercise, MIDDLEWARE_WRITTEN_OTHERWISE)
    assert passed, [outcome.message for outcome in outcomes]
    passed, outcomes = run_checks(exercise, MIDDLEWARE_DROPPING_HEADERS)
    assert not passed
    assert outcomes[-1].message.startswith("The app your middleware() wraps sent the header")


# -- the limit on checking -----------------------------------------------------------------------


def timed_run(seconds):
    def run(runtime, code, request_text, on_start=None, **extra):
        if on_start:
            on_start()
        result = RunResult(runtime, True, status="200 OK", body="Hello, Ada!\n")
        result.duration_ms = seconds * 1000
        return result

    return run


@pytest.fixture
def limited(settings, tmp_path, one_rate_window):
    settings.RUNNER_STATE_DIR = str(tmp_path)
    settings.RUNNER_CHECK_RATE_LIMIT = 10
    settings.RUNNER_CHECK_SECONDS = 1.5
    settings.RUNNER_RATE_LIMIT = 0  # edited runs' own bucket is not the one counted
    return settings


def check_url(exercise):
    return reverse("timeline:exercise-check", args=[exercise.slug])


@pytest.mark.parametrize("seconds, further", [(0.2, 9), (1.5, 9), (1.6, 8), (15, 0)])
def test_checks_count_sandbox_seconds_as_well_as_submissions(
    limited, client, monkeypatch, seconds, further
):
    """A submission costs one unit, and one more per 1.5 s of sandbox time past the first: a
    15 s app spends the whole minute's ten."""
    exercise = greeting_exercise(values="", request="GET /greet HTTP/1.0\n", name="x")
    monkeypatch.setattr(check_limit, "run_batch", one_by_one(timed_run(seconds)))
    url = check_url(exercise)
    answers = [client.post(url, {"code": "x"}, content_type="application/json")]
    monkeypatch.setattr(check_limit, "run_batch", one_by_one(timed_run(0.1)))
    for _ in range(further):
        answers.append(client.post(url, {"code": "x"}, content_type="application/json"))
    assert [answer.status_code for answer in answers] == [200] * (further + 1)
    refused = client.post(url, {"code": "x"}, content_type="application/json")
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 61
    assert refused.json()["error"].startswith(
        "You have checked 10 answers in the last minute (an answer whose app runs long counts "
        "once for each 1.5 s of sandbox time). Try again in "
    )


def test_a_refused_check_costs_nothing_and_edited_runs_are_a_limit_apart(limited, monkeypatch):
    meter = check_limit.CheckMeter("someone")

    def busy(*args, **kwargs):
        raise Busy(2, "Every sandbox is busy.")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(busy))
    with pytest.raises(Busy):
        meter.run("cgi", "x", [("", None)], on_start=meter.start)
    meter.settle()
    limited.RUNNER_CHECK_RATE_LIMIT = 1
    check_limit.CheckMeter("someone").start()  # the busy one was not counted
    with pytest.raises(Busy, match="You have checked 1 answers"):
        check_limit.CheckMeter("someone").start()
