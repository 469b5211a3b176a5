"""Wrong answers that must fail: check_exercises proves each exercise's checks refuse them, on
the rule each was written for; the difficulty, the suggested order and the Next link."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from timeline import exercise_checks
from timeline.exercise_checks import one_by_one
from timeline.exercise_proof import proof_problems
from timeline.models import Exercise, ExerciseCheck, ExerciseWrongAnswer
from timeline.response_rules import protocol_problems
from timeline.runner.result import Outcome, RunResult

from . import factories
from .factories import make_era

pytestmark = pytest.mark.django_db

NEW = ["cgi-guestbook", "django-hello", "gunicorn-word-count", "starlette-users"]


def answer(body, status="200 OK", length=None):
    headers = [["Content-Type", "text/plain"]]
    if length is not None:
        headers.append(["Content-Length", str(length)])
    return RunResult(
        runtime="wsgi", ok=True, outcome=Outcome.OK, status=status, headers=headers, body=body
    )


@pytest.fixture
def runs(monkeypatch):
    """A fake sandbox: each program's text is a key of `answers`, its response the value."""
    answers = {}

    def fake_run(runtime, code, request_text, on_start=None, **extra):
        return answers[code.rstrip("\n")]

    monkeypatch.setattr(exercise_checks, "run_batch", one_by_one(fake_run))
    return answers


def greeting(**wrong):
    exercise = factories.make_exercise(
        make_era(),
        check={"body": "Hello, Ada!", "body_match": "exact"},
        solution="solution",
        starter="starter",
    )
    for order, (title, rule) in enumerate(wrong.items(), start=1):
        ExerciseWrongAnswer.objects.create(
            exercise=exercise, order=order, title=title, rule=rule, code=title
        )
    return exercise


def test_a_wrong_answer_failing_on_its_rule_proves_the_check(runs):
    exercise = greeting(short="Content-Length says 3")
    runs.update(
        {
            "solution": answer("Hello, Ada!"),
            "starter": answer("no"),
            "short": answer("Hello, Ada!", length=3),
        }
    )
    assert proof_problems(exercise) == []


def test_a_wrong_answer_that_passes_is_reported_by_name(runs):
    exercise = greeting(short="Content-Length says 3")
    runs.update(
        {
            "solution": answer("Hello, Ada!"),
            "starter": answer("no"),
            "short": answer("Hello, Ada!"),
        }
    )
    assert proof_problems(exercise) == [
        "wrong answer 1 “short” passes every check; it must fail on “Content-Length says 3”"
    ]


def test_a_wrong_answer_failing_on_another_rule_is_reported(runs):
    exercise = greeting(short="Content-Length says 3")
    runs.update(
        {
            "solution": answer("Hello, Ada!"),
            "starter": answer("no"),
            "short": answer("Hello, Ada?", status="404 Not Found"),
        }
    )
    [problem] = proof_problems(exercise)
    assert problem.startswith("wrong answer 1 “short” fails, but not on its rule “Content-Length")
    assert "check 1: The status was 404 Not Found, not 200" in problem


def test_the_command_fails_naming_the_exercise_and_the_answer_that_got_through(runs):
    exercise = greeting(short="Content-Length says 3", shout="not exactly")
    runs.update(
        {
            "solution": answer("Hello, Ada!"),
            "starter": answer("no"),
            "short": answer("Hello, Ada!"),
            "shout": answer("HELLO, ADA!"),
        }
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match=exercise.slug):
        call_command("check_exercises", stdout=out)
    assert "wrong answer 1 “short” passes every check" in out.getvalue()
    assert "shout" not in out.getvalue()


def test_an_asgi_status_sent_as_a_string_breaks_a_rule():
    """Refused on the host too, from the message the app sent, whatever the status text says."""
    start = {"type": "http.response.start", "status": "404", "headers": []}
    result = RunResult(
        runtime="asgi",
        ok=True,
        outcome=Outcome.OK,
        status="404 Not Found",
        raw_status="404",
        headers=[],
        events=[
            {"direction": "send", "scope": "http", "message": start},
            {"direction": "send", "scope": "http", "message": {"type": "http.response.body"}},
        ],
    )
    assert protocol_problems(result) == [
        'The status was sent as "404": ASGI\'s http.response.start takes the code as an integer, '
        "such as 200."
    ]
    start["status"] = 404
    assert protocol_problems(result) == []


def test_the_list_numbers_exercises_in_order_with_their_difficulty_and_each_links_the_next():
    old, new = make_era(slug="old", year=1993), make_era(slug="new", year=2010)
    last = factories.make_exercise(new, slug="later", title="Later one", difficulty=3)
    first = factories.make_exercise(old, slug="first", title="First one", order=2)
    factories.make_exercise(old, slug="second", title="Second one", order=3, difficulty=2)
    client = Client()
    page = client.get("/exercises/").content.decode()
    assert (
        page.index('1.</span> <a href="/exercises/first/"')
        < page.index('2.</span> <a href="/exercises/second/"')
        < page.index('3.</span> <a href="/exercises/later/"')
    )
    assert '<span class="difficulty difficulty-3">Challenge</span>' in page
    page = client.get(first.get_absolute_url()).content.decode()
    assert 'Difficulty: <span class="difficulty difficulty-1">Intro</span>' in page
    assert '<a href="/exercises/second/" rel="next">Next exercise: Second one</a>' in page
    page = client.get(last.get_absolute_url()).content.decode()
    assert "That was the last exercise." in page and 'rel="next"' not in page


def test_the_fixtures_carry_twelve_exercises_each_with_wrong_answers_and_a_fresh_value_check():
    call_command("load_history", verbosity=0)
    exercises = Exercise.objects.all()
    assert exercises.count() >= 12
    assert set(NEW) <= set(exercises.values_list("slug", flat=True))
    for exercise in exercises:
        assert exercise.wrong_answers.count() >= 3, exercise.slug
        assert exercise.kind == "request" or exercise.checks.exclude(values="").exists()


@pytest.mark.parametrize("slug", NEW)
def test_a_new_exercise_is_solved_by_its_solution_and_refuses_its_wrong_answers(sandbox, slug):
    sandbox.RUNNER_TIMEOUT = 10
    call_command("load_history", verbosity=0)
    assert proof_problems(Exercise.objects.get(slug=slug)) == []


def test_a_loosened_check_lets_a_hard_coded_answer_through_and_the_command_says_so(sandbox):
    """The fresh-name check is all that stops a router hard-coded for the paths it was shown."""
    sandbox.RUNNER_TIMEOUT = 10
    call_command("load_history", verbosity=0)
    ExerciseCheck.objects.filter(exercise__slug="wsgi-router").exclude(values="").delete()
    out = io.StringIO()
    with pytest.raises(CommandError, match="wsgi-router"):
        call_command("check_exercises", exercise="wsgi-router", stdout=out)
    assert "“answers only the paths it was shown” passes every check" in out.getvalue()
