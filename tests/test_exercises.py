"""Exercises: checks judged from a run's response, the pages, the check endpoint, the fixtures."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from timeline import exercise_checks
from timeline.exercise_checks import compare, run_checks
from timeline.models import Exercise, ExerciseCheck
from timeline.runner.result import Outcome, RunResult
from timeline.runner.sandbox import SandboxUnavailable
from timeline.runner.service import Busy

from . import factories
from .factories import make_era

pytestmark = pytest.mark.django_db

GREET = "GET /greet?name=Ada HTTP/1.0\n"


def make_exercise(era=None, checks=1, **fields):
    """A CGI greeting exercise whose checks want an exact plain-text "Hello, Ada!"."""
    era = era or make_era()
    defaults = {
        "slug": f"ex-{era.slug}",
        "title": "Greet",
        "statement": "Greet **Ada**.",
        "runtime": "cgi",
        "starter": "print('no')\n",
        "solution": "print('yes')\n",
        "hints": "First *hint*.\n---\nSecond hint.\n",
    }
    check = {
        "request": GREET,
        "headers": "Content-Type: text/plain",
        "body": "Hello, Ada!",
        "body_match": "exact",
    }
    return factories.make_exercise(era, checks=checks, check=check, **{**defaults, **fields})


def response(status="200 OK", headers=(("Content-Type", "text/plain"),), body="Hello, Ada!\n"):
    return RunResult(runtime="cgi", ok=True, status=status, headers=list(headers), body=body)


def test_a_matching_response_passes():
    check = make_exercise().checks.get()
    outcome = compare(check, response(), GREET)
    assert outcome.passed and outcome.sent == GREET
    assert outcome.expected == (
        "status 200 OK; a Content-Type header containing “text/plain”; a body exactly “Hello, Ada!”"
    )


@pytest.mark.parametrize(
    "result, message",
    [
        (response(status="404 Not Found"), "The status was 404 Not Found, not 200."),
        (response(headers=()), "There was no Content-Type header."),
        (
            response(headers=[("content-type", "text/html")]),
            "Content-Type was “text/html”, without",
        ),
        (response(body="Hello, Ada!!\n"), "not exactly “Hello, Ada!”"),
        (response(body="Hello, Ada! \n"), "not exactly “Hello, Ada!”"),
    ],
)
def test_each_way_a_response_misses_is_said(result, message):
    outcome = compare(make_exercise().checks.get(), result, GREET)
    assert not outcome.passed
    assert message in outcome.message
    assert outcome.got.startswith(f"HTTP/1.1 {result.status}")


def test_a_status_of_other_digits_is_no_status_code():
    """ "²00".isdigit() is true and int("²00") fails: the code is read with ASCII digits only."""
    outcome = compare(make_exercise().checks.get(), response(status="²00 OK"), GREET)
    assert not outcome.passed and outcome.message == "The status was ²00 OK, not 200."


def test_an_invalid_response_never_passes():
    """A response no server would send fails with the runner's words, whatever else matches."""
    error = "The application sent an invalid response: the status … holds a carriage return (\\r)."
    result = response(status="200 OK\\r\\nSet-Cookie: injected=1")
    result.ok, result.outcome, result.error = False, Outcome.RESPONSE, error
    outcome = compare(make_exercise().checks.get(), result, GREET)
    assert (outcome.passed, outcome.message) == (False, error)
    assert outcome.got.startswith("HTTP/1.1 200 OK\\r\\nSet-Cookie: injected=1\nContent-Type")


def test_contains_matches_part_of_the_body_and_header_names_ignore_case():
    check = make_exercise().checks.get()
    check.body, check.body_match = "Ada", ExerciseCheck.BodyMatch.CONTAINS
    assert compare(check, response(headers=[("content-type", "text/plain; a=b")]), GREET).passed
    assert not compare(check, response(body="Hello, Grace!\n"), GREET).passed


def test_no_response_fails_with_the_runners_message():
    result = RunResult(runtime="cgi", ok=False, error="Stopped after 5 s.", output="partial")
    outcome = compare(make_exercise().checks.get(), result, GREET)
    assert (outcome.passed, outcome.message, outcome.got) == (
        False,
        "Stopped after 5 s.",
        "partial",
    )


def test_run_checks_counts_once_and_stops_after_a_check_with_no_response():
    exercise = make_exercise(checks=3)
    calls, started = [], []

    def fake_run(runtime, code, request_text, on_start=None):
        calls.append((runtime, code, request_text))
        if on_start:
            on_start()
        return RunResult(runtime=runtime, ok=False, error="Stopped after 5 s.")

    passed, outcomes = run_checks(
        exercise, "mine\n", on_start=lambda: started.append(1), run=fake_run
    )
    assert not passed and started == [1]
    assert calls == [("cgi", "mine\n", GREET)]
    assert [o.message for o in outcomes[1:]] == ["Not run: the previous check got no response."] * 2


def test_a_request_exercise_sends_the_learners_request_to_its_own_app():
    exercise = make_exercise(kind="request", runtime="wsgi", target="def application(): ...\n")
    seen = []

    def fake_run(runtime, code, request_text, on_start=None):
        seen.append((runtime, code, request_text))
        return response()

    passed, outcomes = run_checks(exercise, "GET / HTTP/1.0\n", run=fake_run)
    assert passed and outcomes[0].sent == "GET / HTTP/1.0\n"
    assert seen == [("wsgi", "def application(): ...\n", "GET / HTTP/1.0\n")]


def test_a_request_exercise_needs_a_target():
    from django.core.exceptions import ValidationError

    exercise = Exercise(
        era=make_era(),
        slug="x",
        title="x",
        statement="x",
        kind="request",
        starter="x",
        solution="x",
    )
    with pytest.raises(ValidationError, match="needs an app"):
        exercise.clean()


def test_hints_are_split_on_a_rule_and_rendered():
    exercise = make_exercise()
    assert exercise.hints_html == ["<p>First <em>hint</em>.</p>", "<p>Second hint.</p>"]


# -- pages ---------------------------------------------------------------------------------------


def test_the_exercise_page_shows_statement_starter_hints_and_hidden_solution(client):
    exercise = make_exercise(solution="print('the answer')\n")
    html = client.get(exercise.get_absolute_url()).content.decode()
    assert "Greet <strong>Ada</strong>." in html
    assert "print(&#x27;no&#x27;)" in html  # the starter, in the editor
    assert html.count('class="hint"') == 2
    solution = html.index('<details class="solution">')
    assert html.index("the answer") > solution  # only inside the collapsed solution
    assert f'action="{reverse("timeline:exercise-check", args=[exercise.slug])}"' in html


def test_unpublished_eras_hide_their_exercises_from_everyone_but_staff(
    client, django_user_model, admin_client_logged
):
    exercise = make_exercise(era=make_era(published=False))
    member = Client()
    member.force_login(django_user_model.objects.create_user("reader", password="pw"))
    for visitor in (client, member):
        assert visitor.get(exercise.get_absolute_url()).status_code == 404
        assert exercise.title not in visitor.get(reverse("timeline:exercises")).content.decode()
        assert (
            visitor.post(
                reverse("timeline:exercise-check", args=[exercise.slug]), {"code": "x"}
            ).status_code
            == 404
        )
    assert admin_client_logged.get(exercise.get_absolute_url()).status_code == 200


def test_list_era_page_and_timeline_link_the_exercises(client):
    era = make_era(slug="cgi", title="CGI")
    exercise = make_exercise(era=era, title="A greeting script")
    listing = client.get(reverse("timeline:exercises")).content.decode()
    assert 'id="era-cgi"' in listing and exercise.get_absolute_url() in listing
    assert f'data-exercise-status="{exercise.slug}"' in listing
    era_page = client.get(era.get_absolute_url()).content.decode()
    assert exercise.get_absolute_url() in era_page
    timeline = client.get(reverse("timeline:timeline")).content.decode()
    assert 'data-era-exercises="cgi" data-total="1"' in timeline


@pytest.mark.parametrize("count", [1, 12])
def test_exercise_pages_make_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    exercises = [make_exercise(checks=3) for _ in range(count)]
    with django_assert_num_queries(2):  # eras with exercises, the exercises
        assert client.get(reverse("timeline:exercises")).status_code == 200
    with django_assert_num_queries(2):  # the exercise with its era, its checks
        assert client.get(exercises[0].get_absolute_url()).status_code == 200


# -- the check endpoint --------------------------------------------------------------------------


@pytest.fixture
def passing_run(monkeypatch):
    runs = []

    def fake_run(runtime, code, request_text, on_start=None):
        runs.append(code)
        if on_start:
            on_start()
        return response() if "yes" in code else response(body="nope\n")

    monkeypatch.setattr(exercise_checks, "run_code", fake_run)
    monkeypatch.setattr("timeline.views.exercises.check_rate", lambda client: None)
    return runs


def check_url(exercise):
    return reverse("timeline:exercise-check", args=[exercise.slug])


def test_json_check_answers_the_contract(client, passing_run):
    exercise = make_exercise(checks=2)
    answer = client.post(
        check_url(exercise), {"code": "print('yes')"}, content_type="application/json"
    )
    data = answer.json()
    assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    assert data["passed"] is True
    assert [(c["name"], c["passed"], c["message"]) for c in data["checks"]] == [
        ("check 1", True, "Passed."),
        ("check 2", True, "Passed."),
    ]
    assert "Solved: all 2 checks passed" in data["html"]
    failed = client.post(
        check_url(exercise), {"code": "print('no')"}, content_type="application/json"
    ).json()
    assert failed["passed"] is False
    assert failed["checks"][0]["message"] == "The body was “nope”, not exactly “Hello, Ada!”."
    assert "Not yet: 0 of 2 checks passed" in failed["html"]


def test_the_form_posts_back_without_javascript(client, passing_run):
    exercise = make_exercise()
    page = client.post(check_url(exercise), {"code": "print('no')\r\n"})
    html = page.content.decode()
    assert page.status_code == 200 and "Not yet: 0 of 1 checks passed" in html
    assert "print(&#x27;no&#x27;)" in html  # the learner's code is kept in the editor
    assert passing_run == ["print('no')\n"]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{", "The body is not valid JSON."),
        (b"[" * 100000, "The body is not valid JSON."),
        (b'["code"]', "Send a JSON object with “code”, a string."),
        (b'{"code": 5}', "Send a JSON object with “code”, a string."),
        (b'{"code": "   "}', "Write some code first."),
        (
            b'{"code": "print(1) \\ud800"}',
            "“code” is not valid Unicode text (it holds a lone surrogate).",
        ),
        (json.dumps({"code": "x" * 70000}).encode(), "The code is longer than 64 KB."),
    ],
)
def test_bad_bodies_get_a_clear_400(client, passing_run, body, message):
    answer = client.post(check_url(make_exercise()), body, content_type="application/json")
    assert (answer.status_code, answer.json()["error"]) == (400, message)
    assert passing_run == []


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"code": "x", "shell": "rm -rf /"}', "Unknown field “shell”: send only “code”."),
        (b'{"code": null}', "Send a JSON object with “code”, a string."),
    ],
)
def test_the_check_body_is_read_as_strictly_as_a_runs(client, passing_run, body, message):
    """The same reader as the Run button's endpoint: unknown fields are refused too."""
    answer = client.post(check_url(make_exercise()), body, content_type="application/json")
    assert (answer.status_code, answer.json()["error"]) == (400, message)
    assert passing_run == []


def test_a_body_too_large_to_be_code_is_413_before_it_is_read(client, passing_run):
    url = check_url(make_exercise())
    announced = client.generic(
        "POST", url, b"{}", content_type="application/json", CONTENT_LENGTH="999999999"
    )
    sent = client.post(url, json.dumps({"code": "x" * 300_000}), content_type="application/json")
    for answer in (announced, sent):
        assert (answer.status_code, answer.json()["error"]) == (413, "The code is too long.")
    assert passing_run == []


@pytest.mark.parametrize("port", ["²", "9" * 5000])
def test_a_request_with_a_port_of_other_digits_is_checked_not_a_500(sandbox, client, port):
    """A request exercise sends the learner's text to its app: a Host port such as "²" is read
    with ASCII digits only (80 when it names no port), never int("²")."""
    app = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'Hello, Ada!\\n']\n"
    )
    exercise = make_exercise(kind="request", runtime="wsgi", target=app)
    request_text = f"GET /greet?name=Ada HTTP/1.0\nHost: x:{port}\n"
    answer = client.post(
        check_url(exercise), {"code": request_text}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["passed"] is True


def test_busy_and_missing_sandbox_answer_429_and_503(client, monkeypatch):
    exercise = make_exercise()

    def busy(*args, **kwargs):
        raise Busy(7, "Every sandbox is busy.")

    monkeypatch.setattr(exercise_checks, "run_code", busy)
    answer = client.post(check_url(exercise), {"code": "x"}, content_type="application/json")
    assert (answer.status_code, answer["Retry-After"]) == (429, "7")
    assert answer.json()["error"] == "Every sandbox is busy."

    def missing(*args, **kwargs):
        raise SandboxUnavailable("Install bubblewrap.")

    monkeypatch.setattr(exercise_checks, "run_code", missing)
    answer = client.post(check_url(exercise), {"code": "x"})
    assert answer.status_code == 503 and "Install bubblewrap." in answer.content.decode()


def test_checking_needs_a_csrf_token(passing_run):
    exercise = make_exercise()
    strict = Client(enforce_csrf_checks=True)
    answer = strict.post(check_url(exercise), {"code": "x"}, content_type="application/json")
    assert answer.status_code == 403 and passing_run == []
    assert strict.get(check_url(exercise)).status_code == 405


# -- fixtures and the real content ---------------------------------------------------------------


def test_exercises_travel_with_their_era_in_the_fixtures(tmp_path):
    era = make_era(slug="cgi", title="CGI")
    make_era(slug="wsgi", title="WSGI")
    make_exercise(era=era, checks=2)
    call_command("dump_history", dir=str(tmp_path), verbosity=0)
    records = json.loads((tmp_path / "eras" / "cgi.json").read_text())
    models = [record["model"] for record in records]
    assert models.count("timeline.exercise") == 1 and models.count("timeline.exercisecheck") == 2
    assert "timeline.exercise" not in (tmp_path / "eras" / "wsgi.json").read_text()
    Exercise.objects.all().delete()
    call_command("load_history", dir=str(tmp_path), verbosity=0)
    call_command("load_history", dir=str(tmp_path), verbosity=0)  # twice: updates, no copies
    loaded = Exercise.objects.get(slug="ex-cgi")
    assert loaded.checks.count() == 2 and loaded.hints_html  # rendered on load


def test_every_real_exercise_is_solved_by_its_solution_and_not_by_its_starter(sandbox):
    """check_exercises over the fixtures: the CI gate that each exercise can be solved."""
    sandbox.RUNNER_TIMEOUT = 10  # FastAPI's import alone can take seconds on a loaded machine
    call_command("load_history", verbosity=0)
    assert Exercise.objects.count() >= 8
    call_command("check_exercises", verbosity=0)
