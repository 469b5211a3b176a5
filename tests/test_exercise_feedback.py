"""What a learner reads after a check: the real exception first, with its line and caret; what the
program printed in its own panel; one cause said once. None of it can change a verdict."""

import pytest
from django.urls import reverse

from timeline import exercise_checks
from timeline.exercise_checks import one_by_one
from timeline.exercise_feedback import exception_summary, printed_text
from timeline.runner.result import Outcome, RunResult

from .factories import make_era, make_exercise

pytestmark = pytest.mark.django_db

SOLUTION = (
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'hello']\n"
)
SYNTAX_ERROR = (
    '  File "sample.py", line 1\n'
    "    def application(environ, start_response)\n"
    "                                            ^\n"
    "SyntaxError: expected ':'"
)
VALUE_ERROR = (
    "Traceback (most recent call last):\n"
    '  File "sample.py", line 4, in application\n'
    "    start_response('404', [])\n"
    '  File "/runner/harness.py", line 513, in check_status_and_headers\n'
    "    raise ValueError(\"The status must be a code and a reason, such as '200 OK'.\")\n"
    "ValueError: The status must be a code and a reason, such as '200 OK'."
)
# What a program built to mislead prints: a verdict and a traceback of its own invention.
FAKE = (
    "Solved: all 3 checks passed\n"
    "Traceback (most recent call last):\n"
    '  File "sample.py", line 99, in application\n'
    "KeyError: 'nothing went wrong'"
)


def server_error(error, printed=""):
    """The harness's answer when the app raised: a 500, and the exception as the run's error."""
    return RunResult(
        runtime="wsgi",
        ok=False,
        outcome=Outcome.EXIT,
        error=error,
        status="500 Internal Server Error",
        headers=[["Content-Type", "text/plain; charset=utf-8"]],
        body="500 Internal Server Error\n",
        log=f"{printed}{error}\n",
    )


def answer(body="hello", printed=""):
    return RunResult(
        runtime="wsgi",
        ok=True,
        outcome=Outcome.OK,
        status="200 OK",
        headers=[["Content-Type", "text/plain"]],
        body=body,
        log=printed,
    )


@pytest.fixture
def runs(monkeypatch, settings):
    """Each check's run answers with the next result of the list the test fills in."""
    results = []

    def fake_run(runtime, code, request_text, on_start=None):
        return results.pop(0) if len(results) > 1 else results[0]

    monkeypatch.setattr(exercise_checks, "run_batch", one_by_one(fake_run))
    monkeypatch.setattr(
        "timeline.check_limit.run_batch", one_by_one(fake_run)
    )  # the view's metered run
    settings.RUNNER_CHECK_RATE_LIMIT = 10_000  # these tests check many answers in a minute
    return results


def check(exercise, code="def application(environ, start_response): ..."):
    url = reverse("timeline:exercise-check", args=[exercise.slug])
    return url, {"code": code}


def post_json(client, exercise):
    url, data = check(exercise)
    return client.post(url, data, content_type="application/json").json()


def test_a_syntax_error_is_said_once_with_its_line_and_caret(client, runs):
    """Three checks fail on one SyntaxError: the cause is said once, first, with the caret."""
    runs.append(server_error(SYNTAX_ERROR))
    data = post_json(client, make_exercise(make_era(), checks=3))
    assert data["passed"] is False
    assert data["cause"] == {
        "message": "Your code raised an exception at line 1: SyntaxError: expected ':'",
        "traceback": SYNTAX_ERROR.strip(),
    }
    html = data["html"]
    assert html.count("check-traceback") == 1 and html.count("SyntaxError") == 2
    assert html.count("Failed for the reason above.") == 3
    assert "The status was" not in html
    # The caret stays under the place it points to.
    assert "^" in html.split('class="run-error check-traceback"')[1].split("</pre>")[0]
    # The JSON keeps its fields, each check with its traceback.
    assert set(data["checks"][0]) >= {"name", "passed", "message", "sent", "expected", "got"}
    assert data["checks"][0]["traceback"] == SYNTAX_ERROR.strip()


def test_the_exception_comes_before_the_500_it_caused(client, runs):
    """A status of "404" raises in start_response: the ValueError is the message, not the 500."""
    runs.append(server_error(VALUE_ERROR))
    data = post_json(client, make_exercise(make_era()))
    message = data["checks"][0]["message"]
    assert message == (
        "Your code raised an exception at line 4: ValueError: The status must be a code and a "
        "reason, such as '200 OK'."
    )
    assert data["cause"] is None  # one check: said in the check itself
    assert "check-traceback" in data["html"] and "500" not in message


def test_a_program_that_prints_a_verdict_and_a_traceback_fools_nobody(client, runs):
    """What the program printed is shown only in its panel: the verdict, the heading and the
    cause come from the response and the run, never from the text."""
    runs.append(answer(body="wrong", printed=FAKE + "\n"))
    data = post_json(client, make_exercise(make_era(), checks=2))
    assert data["passed"] is False
    assert data["printed"] == FAKE
    html = data["html"]
    assert "Not yet: 0 of 2 checks passed" in html
    assert html.count("Solved") == 1  # in the panel, as text
    panel = html.split('class="check-printed"')[1]
    assert "Solved: all 3 checks passed" in panel and "KeyError: &#x27;nothing" in panel
    assert "line 99" not in html.split('class="check-printed"')[0]
    assert all(not c["traceback"] for c in data["checks"])
    assert data["checks"][0]["message"] == "The body does not contain “hello”."


def test_a_right_answer_that_prints_a_fake_traceback_still_passes(client, runs):
    runs.append(answer(printed=FAKE + "\n"))
    data = post_json(client, make_exercise(make_era(), checks=2))
    assert data["passed"] is True and data["cause"] is None
    assert [c["message"] for c in data["checks"]] == ["Passed.", "Passed."]
    assert "Solved: all 2 checks passed" in data["html"] and data["printed"] == FAKE


def test_checks_that_fail_differently_each_say_why(client, runs):
    runs.extend([server_error(VALUE_ERROR), answer(body="wrong")])
    data = post_json(client, make_exercise(make_era(), checks=2))
    assert data["cause"] is None
    assert data["checks"][0]["message"].startswith("Your code raised an exception at line 4")
    assert data["checks"][1]["message"].startswith("The body does not contain")
    assert "Failed for the reason above." not in data["html"]


def test_what_each_run_printed_is_shown_once_and_labelled_when_it_differs(client, runs):
    runs.extend([answer(printed="same\n"), answer(printed="same\n")])
    assert post_json(client, make_exercise(make_era(), checks=2))["printed"] == "same"
    runs[:] = [answer(printed="first\n"), answer(printed="second\n")]
    printed = post_json(client, make_exercise(make_era(), checks=2))["printed"]
    assert printed == "── during “check 1” ──\nfirst\n── during “check 2” ──\nsecond"


def test_a_request_exercise_never_shows_what_its_own_app_printed(client, runs):
    runs.append(answer(printed="the exercise's own log\n"))
    exercise = make_exercise(make_era(), kind="request", target=SOLUTION)
    url, data = check(exercise, "GET /hello HTTP/1.1\nHost: localhost\n\n")
    answer_data = client.post(url, data, content_type="application/json").json()
    assert answer_data["printed"] == "" and "check-printed" not in answer_data["html"]


def test_the_page_without_javascript_shows_the_same_feedback(client, runs):
    runs.append(server_error(SYNTAX_ERROR, printed="before the error\n"))
    url, data = check(make_exercise(make_era(), checks=2))
    html = client.post(url, data).content.decode()
    assert "Every check failed for one reason" in html and html.count("check-traceback") == 1
    assert "What your program printed" in html and "before the error" in html


@pytest.mark.parametrize(
    "error, summary",
    [
        (SYNTAX_ERROR, "Your code raised an exception at line 1: SyntaxError: expected ':'"),
        ("Stopped: time limit (5 s): the run took too long (an endless loop?).", ""),
        ("The script exited with status 3.", ""),
        (
            "Traceback (most recent call last):\nKeyError: 'x'",
            "Your code raised an exception: KeyError: 'x'",
        ),
    ],
)
def test_only_a_traceback_is_named_as_an_exception(error, summary):
    assert exception_summary(error) == summary


def test_the_real_traceback_is_taken_off_the_end_of_what_was_printed_only():
    result = server_error(VALUE_ERROR, printed=VALUE_ERROR + "\nhi\n")
    assert printed_text(result) == VALUE_ERROR + "\nhi"


@pytest.mark.usefixtures("sandbox")
def test_a_real_syntax_error_reaches_the_learner_with_its_line_and_caret(client, settings):
    settings.RUNNER_CHECK_RATE_LIMIT = 10_000
    exercise = make_exercise(make_era(), checks=2)
    code = "def application(environ, start_response)\n    print('hi')\n"
    url = reverse("timeline:exercise-check", args=[exercise.slug])
    data = client.post(url, {"code": code}, content_type="application/json").json()
    assert data["cause"]["message"].startswith(
        "Your code raised an exception at line 1: SyntaxError"
    )
    assert '"sample.py", line 1' in data["cause"]["traceback"]
    assert data["cause"]["traceback"].splitlines()[-2].strip() == "^"
