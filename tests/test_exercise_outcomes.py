"""What a learner is told about a check: every field of a failing check's outcome, the
expectation in words, the exact text of each problem, and the pages and answers built from them."""

import pytest
from django.test import Client
from django.urls import reverse

from timeline import check_limit
from timeline.exercise_checks import (
    compare,
    expectation,
    incomplete_request,
    one_by_one,
    run_checks,
)
from timeline.models import ExerciseCheck
from timeline.runner.result import Outcome, RunResult
from timeline.runner.service import MAX_CODE_CHARS, Busy

from . import factories
from .factories import make_era
from .test_exercise_inputs import MIDDLEWARE_CHECK
from .test_exercises import GREET, make_exercise, response

pytestmark = pytest.mark.django_db

EXACT, CONTAINS = ExerciseCheck.BodyMatch.EXACT, ExerciseCheck.BodyMatch.CONTAINS
WANTED = "status 200 OK; a Content-Type of text/plain; a body exactly “Hello, Ada!”"


def greeting(**fields):
    check = make_exercise().checks.get()
    for name, value in fields.items():
        setattr(check, name, value)
    return check


def fields(outcome):
    data = outcome.to_dict()
    return {key: data[key] for key in ("name", "passed", "message", "sent", "expected", "got")}


# -- a failing check's outcome carries its name, what was sent, expected and got -----------------


def test_no_response_keeps_the_check_and_says_so_without_an_error():
    result = RunResult(runtime="cgi", ok=False, error="", output="printed")
    assert fields(compare(greeting(), result, GREET)) == {
        "name": "check 1",
        "passed": False,
        "message": "The app sent no response.",
        "sent": GREET,
        "expected": WANTED,
        "got": "printed",
    }


def test_an_invalid_response_keeps_the_check_sent_and_expected():
    result = response(status="200 OK\\r\\nX: y")
    result.ok, result.outcome, result.error = False, Outcome.RESPONSE, "invalid"
    outcome = fields(compare(greeting(), result, GREET))
    assert {k: outcome[k] for k in ("name", "sent", "expected", "message")} == {
        "name": "check 1",
        "sent": GREET,
        "expected": WANTED,
        "message": "invalid",
    }


def test_a_broken_protocol_rule_keeps_the_check_sent_and_got():
    result = response(headers=[("Content-Type", "text/plain"), ("Content-Length", "3")])
    outcome = fields(compare(greeting(), result, GREET))
    assert not outcome["passed"] and "Content-Length" in outcome["message"]
    assert (outcome["name"], outcome["sent"], outcome["expected"]) == ("check 1", GREET, WANTED)
    assert outcome["got"].startswith("HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length")


def test_every_problem_is_said_in_one_sentence_with_the_check_kept():
    result = response(status="404 Not Found", body="nope\n")
    outcome = fields(compare(greeting(), result, GREET))
    assert outcome == {
        "name": "check 1",
        "passed": False,
        "message": "The status was 404 Not Found, not 200; "
        "the body was “nope”, not exactly “Hello, Ada!”.",
        "sent": GREET,
        "expected": WANTED,
        "got": "HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\nnope\n",
    }


def test_a_response_without_a_body_shows_none_in_what_came():
    outcome = compare(greeting(), response(body=None), GREET)
    assert outcome.got == "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n"
    assert outcome.message == "The body was “”, not exactly “Hello, Ada!”."


def test_a_lost_inner_answer_keeps_the_check_sent_expected_and_got():
    exercise = factories.make_exercise(make_era(year=2005), check=MIDDLEWARE_CHECK)

    def run(runtime, code, request_text, on_start=None, wrap=None):
        return RunResult(runtime, True, status="201 Created", raw_status="201 Created", body="x")

    passed, (outcome,) = run_checks(exercise, "code", run=one_by_one(run))
    data = fields(outcome)
    assert not passed and data["passed"] is False and data["name"] == "check 1"
    assert data["message"].startswith("The app your middleware() wraps was never heard from")
    assert data["message"].endswith("A middleware calls the app it wraps and passes its answer on.")
    assert data["sent"].startswith("GET /") and "X-Inner" in data["expected"]
    assert data["got"] == "HTTP/1.1 201 Created\n\nx"


@pytest.mark.parametrize(
    "kept, ending",
    [
        (
            "body",
            "and the response lost it: a middleware passes on the headers of the app it wraps.",
        ),
        (
            "headers",
            "and the response does not hold it: "
            "a middleware passes on the body of the app it wraps.",
        ),
    ],
)
def test_each_half_of_a_lost_inner_answer_is_said_in_full(kept, ending):
    exercise = factories.make_exercise(make_era(), check=MIDDLEWARE_CHECK)

    def run(runtime, code, request_text, on_start=None, wrap=None):
        headers = wrap["headers"] if kept == "headers" else []
        body = wrap["body"] if kept == "body" else "mine"
        return RunResult(runtime, True, status="201 Created", headers=headers, body=body)

    _, (outcome,) = run_checks(exercise, "code", run=one_by_one(run))
    assert outcome.message.endswith(ending), outcome.message


def test_a_middleware_check_passes_when_the_inner_answer_comes_through():
    exercise = factories.make_exercise(make_era(), check=MIDDLEWARE_CHECK)

    def run(runtime, code, request_text, on_start=None, wrap=None):
        return RunResult(
            runtime, True, status="201 Created", headers=wrap["headers"], body=wrap["body"]
        )

    passed, (outcome,) = run_checks(exercise, "code", run=one_by_one(run))
    assert passed and outcome.message == "Passed."


def test_a_check_that_wraps_nothing_builds_no_inner_app_and_is_judged_without_one():
    exercise = make_exercise()
    exercise.checks.update(inner_response="201 Created\nX-Inner: a\n\ninner\n", wraps="")
    wraps = []

    def run(runtime, code, request_text, on_start=None, wrap=None):
        wraps.append(wrap)
        return response()

    assert run_checks(exercise, "code", run=one_by_one(run))[0] is True
    assert wraps == [None]


# -- the expectation and the problems, in words --------------------------------------------------


@pytest.mark.parametrize(
    "body, match, said",
    [
        ('{"a": 1}', EXACT, 'a body that is the JSON {"a": 1}'),
        ('{"a": 1}', CONTAINS, 'a body that is JSON holding {"a": 1}'),
        ("Ada", CONTAINS, "a body containing “Ada”"),
        ("Ada \n", EXACT, "a body exactly “Ada ”"),
    ],
)
def test_the_expected_body_is_said_as_the_check_compares_it(body, match, said):
    check = greeting(status=None, headers="", body=body, body_match=match)
    assert expectation(check) == said


def test_a_check_that_asks_nothing_expects_any_response():
    assert expectation(greeting(status=None, headers="", body="")) == "any response"


@pytest.mark.parametrize(
    "wanted, body",
    [
        ("Hello ", "Hello!"),  # the space the check ends with is part of what it wants
        ("MAX", "MA!"),
    ],
)
def test_a_contains_check_keeps_all_but_the_final_newline_of_what_it_wants(wanted, body):
    check = greeting(body=wanted + "\n", body_match=CONTAINS)
    outcome = compare(check, response(body=body), GREET)
    assert outcome.message == f"The body does not contain “{wanted}”."


@pytest.mark.parametrize(
    "body, shown",
    [
        ("a" * 300, "a" * 200),
        ("Hi  \n", "Hi  "),
        ("AXX\n", "AXX"),
    ],
)
def test_a_wrong_body_is_shown_to_200_characters_less_its_final_newlines(body, shown):
    outcome = compare(greeting(), response(body=body), GREET)
    assert outcome.message == f"The body was “{shown}”, not exactly “Hello, Ada!”."


def test_a_check_wanting_a_content_type_that_is_no_media_type_fails_rather_than_crash():
    outcome = compare(greeting(headers="Content-Type: garbage"), response(), GREET)
    assert not outcome.passed
    assert "Content-Type was “text/plain”, not garbage" in outcome.message


@pytest.mark.parametrize("text", ["GET /\nfoo bar\nbaz\n", "GET /\n"])
def test_an_http_0_9_request_is_complete_at_its_one_line(text):
    assert incomplete_request(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "GET\n/\n",  # a request line broken over lines
        "X GET /\n",  # three words: an HTTP/1.x request line, whatever its method
        "\t\nGET /\n",  # a line of blanks is not the empty line a server skips first
    ],
)
def test_a_request_that_is_not_complete_waits_for_more(text):
    assert incomplete_request(text) != ""


def test_only_a_head_request_answers_without_its_length_compared():
    """A method that merely ends in HEAD is not HEAD: its Content-Length is still compared."""
    result = response(headers=[("Content-Type", "text/plain"), ("Content-Length", "3")])
    assert "Content-Length" in compare(greeting(), result, "XHEAD / HTTP/1.0\n").message


# -- running the checks --------------------------------------------------------------------------


def test_an_incomplete_request_fails_every_check_with_what_it_expects():
    exercise = make_exercise(kind="request", runtime="wsgi", target="app", checks=2)
    passed, outcomes = run_checks(exercise, "GET / HTTP/1.1\nHost: x\n", run=None)
    assert passed is False
    assert [fields(o) for o in outcomes][1] == {
        "name": "check 2",
        "passed": False,
        "message": "Not sent: the request is not complete.",
        "sent": "GET / HTTP/1.1\nHost: x\n",
        "expected": WANTED,
        "got": "",
    }


def test_an_exercise_without_checks_is_never_solved():
    exercise = make_exercise(checks=0)
    assert run_checks(exercise, "print('yes')", run=None) == (False, [])


def test_a_runner_that_answers_fewer_requests_than_checks_is_an_error_not_a_pass():
    exercise = make_exercise(checks=2)

    def short(runtime, code, requests, on_start=None):
        return [response()]

    with pytest.raises(ValueError):
        run_checks(exercise, "code", run=short)


def test_one_by_one_starts_the_meter_once_and_passes_a_wrap_only_where_there_is_one():
    calls = []

    def run(runtime, code, request_text, on_start=None, **extra):
        calls.append((request_text, on_start, extra))
        return request_text

    start = object()
    batch = one_by_one(run)
    results = batch("wsgi", "code", [("a", None), ("b", {"factory": "m"})], on_start=start)
    assert results == ["a", "b"]
    assert calls == [("a", start, {}), ("b", None, {"wrap": {"factory": "m"}})]


# -- the pages and the JSON answers --------------------------------------------------------------


@pytest.fixture
def fake_run(monkeypatch, settings, tmp_path):
    """Checks answered by a fake sandbox: a program with "yes" in it passes."""
    settings.RUNNER_STATE_DIR = str(tmp_path)
    started = []

    def run(runtime, code, request_text, on_start=None):
        if on_start:
            on_start()
            started.append(code)
        return response() if "yes" in code else response(body="nope\n")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(run))
    return started


def check_url(exercise):
    return reverse("timeline:exercise-check", args=[exercise.slug])


def post_json(client, exercise, body):
    return client.post(check_url(exercise), body, content_type="application/json")


def test_a_check_counts_against_the_check_limit_when_it_starts(client, fake_run):
    post_json(client, make_exercise(), {"code": "print('yes')"})
    assert fake_run == ["print('yes')"]


def test_code_of_exactly_the_limit_is_checked(client, fake_run):
    code = "yes" + "x" * (MAX_CODE_CHARS - 3)
    assert post_json(client, make_exercise(), {"code": code}).json()["passed"] is True


def test_a_body_nested_too_deep_is_refused_as_not_code(client, fake_run):
    answer = post_json(client, make_exercise(), b'{"code": "x", "extra": 1}')
    assert answer.status_code == 400
    deep = post_json(client, make_exercise(slug="deep"), '{"code": [[["x"]]]}')
    assert deep.json() == {
        "passed": False,
        "checks": [],
        "error": "Send a JSON object with “code”, a string.",
    }


def test_a_refused_check_answers_not_passed_with_the_reason_in_its_results(client, monkeypatch):
    def busy(*args, **kwargs):
        raise Busy(7, "Every sandbox is busy.")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(busy))
    data = post_json(client, make_exercise(), {"code": "x"}).json()
    assert data["passed"] is False and data["checks"] == []
    assert "Not checked" in data["html"] and "Every sandbox is busy." in data["html"]
    assert "Solved" not in data["html"]


def test_the_results_count_the_passed_checks_and_open_the_first_failure(client, fake_run):
    exercise = make_exercise(checks=3)
    exercise.checks.exclude(name="check 1").update(body="Goodbye")
    data = post_json(client, exercise, {"code": "print('yes')"}).json()
    assert "Not yet: 1 of 3 checks passed" in data["html"]
    details = data["html"].split('<details class="check-detail"')[1:]
    assert [part.startswith(" open>") for part in details] == [True, False]


def test_a_published_exercise_page_may_be_shared_and_shows_the_starter_unedited(client):
    exercise = make_exercise()
    page = client.get(exercise.get_absolute_url())
    html = page.content.decode()
    assert "private" not in page.get("Cache-Control", "")
    assert "print(&#x27;no&#x27;)\n</textarea>" in html
    assert "Reset to the starter code</a>" in html and " hidden>Reset" in html
    assert "Solved" not in html and "Not yet" not in html
    assert f'data-era="{exercise.era.slug}"' in html


def test_edited_code_offers_a_reset(client, fake_run):
    page = client.post(check_url(make_exercise()), {"code": "print('other')"})
    html = page.content.decode()
    assert "Reset to the starter code</a>" in html and " hidden>Reset" not in html


def test_exercises_of_one_era_and_order_follow_their_slugs():
    era = make_era()
    factories.make_exercise(era, slug="b-second", title="B", order=1)
    factories.make_exercise(era, slug="a-first", title="A", order=1)
    factories.make_exercise(era, slug="0-last", title="Z", order=2)
    page = Client().get("/exercises/").content.decode()
    assert (
        page.index('1.</span> <a href="/exercises/a-first/"')
        < page.index('2.</span> <a href="/exercises/b-second/"')
        < page.index('3.</span> <a href="/exercises/0-last/"')
    )


def test_a_form_try_is_compared_with_the_previous_one(client, monkeypatch):
    exercise = make_exercise(runtime="wsgi")
    url = reverse("timeline:exercise-try", args=[exercise.slug])

    def run_try(exercise, code, request_text, client):
        return RunResult("wsgi", True, outcome=Outcome.OK, status="200 OK", output="two\n")

    monkeypatch.setattr("timeline.views.exercise_try.run_try", run_try)
    html = client.post(url, {"code": "x", "request": GREET, "previous": "one\n"}).content.decode()
    assert "Compare with your previous try" in html


def test_a_form_check_that_passes_says_solved_and_keeps_the_form_posting(client, fake_run):
    html = client.post(check_url(make_exercise()), {"code": "print('yes')"}).content.decode()
    assert "Solved: all 1 checks passed" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_form_check_refused_is_not_checked_and_not_marked_passed(client, monkeypatch):
    def busy(*args, **kwargs):
        raise Busy(7, "Every sandbox is busy.")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(busy))
    html = client.post(check_url(make_exercise()), {"code": "x"}).content.decode()
    assert "Not checked" in html and '<section class="exercise-results"' in html
