"""Exercises: checks judged from a run's response, the pages, the check endpoint, the fixtures."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from timeline import check_limit, exercise_checks
from timeline.exercise_checks import compare, one_by_one, run_checks
from timeline.models import Exercise, ExerciseCheck
from timeline.runner.request import parse_request
from timeline.runner.result import Outcome, RunResult, status_line
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
        "status 200 OK; a Content-Type of text/plain; a body exactly “Hello, Ada!”"
    )


@pytest.mark.parametrize(
    "result, message",
    [
        (response(status="404 Not Found"), "The status was 404 Not Found, not 200."),
        (response(headers=()), "There was no Content-Type header."),
        (
            response(headers=[("content-type", "text/html")]),
            "Content-Type was “text/html”, not text/plain.",
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
    assert not outcome.passed
    assert outcome.message == (
        "The status “²00 OK” is not a status line: a three-digit code, one space and the reason "
        "phrase, such as “200 OK”."
    )


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


def test_run_checks_sends_every_check_in_one_run_and_counts_once():
    exercise = make_exercise(checks=3)
    calls, started = [], []

    def fake_batch(runtime, code, requests, on_start=None):
        calls.append((runtime, code, requests))
        on_start()
        answers = [RunResult(runtime=runtime, ok=False, error="Stopped after 5 s.")]
        return answers + [response() for _ in requests[1:]]

    passed, outcomes = run_checks(
        exercise, "mine\n", on_start=lambda: started.append(1), run=fake_batch
    )
    assert not passed and started == [1]
    assert calls == [("cgi", "mine\n", [(GREET, None)] * 3)]
    # A request that got no answer fails alone: the others are judged on their own answers.
    assert [o.passed for o in outcomes] == [False, True, True]
    assert outcomes[0].message == "Stopped after 5 s."


def test_a_request_exercise_sends_the_learners_request_to_its_own_app():
    exercise = make_exercise(kind="request", runtime="wsgi", target="def application(): ...\n")
    seen = []

    def fake_run(runtime, code, request_text, on_start=None):
        seen.append((runtime, code, request_text))
        return response()

    passed, outcomes = run_checks(exercise, "GET / HTTP/1.0\n\n", run=one_by_one(fake_run))
    assert passed and outcomes[0].sent == "GET / HTTP/1.0\n\n"
    assert seen == [("wsgi", "def application(): ...\n", "GET / HTTP/1.0\n\n")]


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


# -- protocol rules: answers built to fool checks that read the response loosely ----------------


def sent_by(raw_status, headers=(("Content-Type", "text/plain"),), body="Hello, Ada!", **fields):
    """The response as the sandbox reports it: the status as the app wrote it, the body's bytes."""
    return RunResult(
        runtime=fields.pop("runtime", "wsgi"),
        ok=True,
        status=status_line(raw_status),
        raw_status=raw_status,
        headers=[list(header) for header in headers],
        body=body,
        body_length=len(body.encode()),
        **fields,
    )


def greeting_check(**fields):
    check = make_exercise().checks.get()
    for name, value in fields.items():
        setattr(check, name, value)
    return check


def refused(check, result, sent=GREET):
    outcome = compare(check, result, sent)
    assert not outcome.passed
    return outcome.message


@pytest.mark.parametrize(
    "result, message",
    [
        (
            sent_by("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")]),
            "Content-Length says 3 but the body has 11 bytes; a client stops reading after “Hel”.",
        ),
        (
            sent_by("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "20")]),
            "Content-Length says 20 but the body has 11 bytes; a client waits for 9 more bytes "
            "that never come.",
        ),
        (
            sent_by("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "eleven")]),
            "Content-Length “eleven” is not a number of bytes.",
        ),
        (sent_by("200 "), "The status “200 ” has no reason phrase: send “200 OK”."),
        (sent_by("200"), "The status “200” has no reason phrase: send “200 OK”."),
        (
            sent_by("200 Okay"),
            "The status “200 Okay” has the wrong reason phrase: 200 is “200 OK”.",
        ),
        (sent_by("2000 OK"), "The status “2000 OK” is not a status line"),
        (sent_by("099 Early"), "The status 99 is not an HTTP status code (100 to 599)."),
        (
            sent_by("200 OK", [("Content-Type", "text/plain"), ("content-type", "text/html")]),
            "The Content-Type header was sent 2 times (“text/plain”, “text/html”); HTTP allows "
            "it once",
        ),
        (
            sent_by("200 OK", [("Content-Type", "text/html, text/plain")]),
            "Content-Type “text/html, text/plain” is not one media type",
        ),
    ],
)
def test_a_response_that_breaks_a_protocol_rule_fails_on_that_rule(result, message):
    """Each answer says "Hello, Ada!" as text/plain as far as a substring search can tell."""
    assert refused(greeting_check(), result).startswith(message)


def test_404_ok_is_refused_and_404_not_found_passes():
    check = greeting_check(status=404, headers="", body="")
    assert refused(check, sent_by("404 OK")) == (
        "The status “404 OK” has the wrong reason phrase: 404 is “404 Not Found”."
    )
    assert compare(check, sent_by("404 Not Found"), GREET).passed
    assert compare(check, sent_by("404 not found"), GREET).passed  # clients ignore the case
    assert compare(check, sent_by("404"), GREET).passed is False  # a CGI "Status: 404"
    # A code without a standard phrase takes any reason; an ASGI app sends only the code.
    assert compare(greeting_check(status=299, headers="", body=""), sent_by("299 Fine"), "").passed
    assert compare(check, sent_by("404", runtime="asgi", events=finished(404)), GREET).passed


def test_only_the_broken_rules_are_said_not_what_follows_from_them():
    """One cause once: a short Content-Length also cuts the body, which is not said again."""
    result = sent_by("404 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    assert refused(greeting_check(), result) == (
        "The status “404 OK” has the wrong reason phrase: 404 is “404 Not Found”. "
        "Content-Length says 3 but the body has 11 bytes; a client stops reading after “Hel”."
    )


def test_a_right_content_length_and_the_cases_without_one_pass():
    check = greeting_check()
    right = [("Content-Type", "text/plain"), ("Content-Length", "11")]
    assert compare(check, sent_by("200 OK", right), GREET).passed
    accented = sent_by("200 OK", [("Content-Length", "8")], body="Olá, é")  # 6 characters
    assert compare(greeting_check(headers="", body=""), accented, GREET).passed  # bytes, not chars
    head = sent_by("200 OK", right, body="")
    assert compare(greeting_check(body=""), head, "HEAD /greet HTTP/1.0\n").passed
    cut = sent_by("200 OK", [("Content-Length", "99999")], body="x", truncated=True)
    assert compare(greeting_check(headers="", body=""), cut, GREET).passed  # the runner cut it


@pytest.mark.parametrize(
    "wanted, sent, passes",
    [
        ("text/plain", "text/plain", True),
        ("text/plain", "Text/Plain; charset=utf-8", True),
        ("text/plain", "text/plainx", False),
        ("text/plain", 'text/html; x="text/plain"', False),
        ("text/plain; charset=utf-8", 'text/plain;charset="UTF-8"', True),
        ("text/plain; charset=utf-8", "text/plain", False),
        ("text/plain; charset=utf-8", "text/plain; charset=latin-1", False),
    ],
)
def test_content_type_is_compared_as_a_media_type(wanted, sent, passes):
    check = greeting_check(headers=f"Content-Type: {wanted}\n")
    outcome = compare(check, sent_by("200 OK", [("Content-Type", sent)]), GREET)
    assert outcome.passed is passes
    if not passes:
        assert outcome.message == f"Content-Type was “{sent}”, not {wanted}."


def test_other_headers_are_compared_by_their_whole_value():
    check = greeting_check(headers="X-Middleware: yes\n", body="")
    assert compare(check, sent_by("200 OK", [("X-Middleware", " yes")]), GREET).passed
    assert refused(check, sent_by("200 OK", [("X-Middleware", "yes, no")])) == (
        "X-Middleware was “yes, no”, not “yes”."
    )


PLANET = '{"number": 3, "name": "Earth"}\n'
JSON_TYPE = [("Content-Type", "application/json")]


@pytest.mark.parametrize(
    "body, match, message",
    [
        ('{\n  "name": "Earth",\n  "number": 3\n}', "exact", ""),
        ('{"number":3.0,"name":"Earth"}', "exact", ""),
        ('{"number": 3}', "exact", "The JSON has no “name” key."),
        ('{"number": "3", "name": "Earth"}', "exact", '“number” in the JSON is "3", not 3.'),
        ('{"number": true, "name": "Earth"}', "exact", "“number” in the JSON is true, not 3."),
        (
            '{"number": 3, "name": "Earth", "moons": 1}',
            "exact",
            "The JSON has a key the check does not expect: “moons”.",
        ),
        ('{"number": 3, "name": "Earth", "moons": 1}', "contains", ""),
        ('{"name": "Earth"}', "contains", "The JSON has no “number” key."),
        ('["Earth"]', "contains", 'The JSON is ["Earth"], not an object.'),
        (
            "number=3&name=Earth",
            "exact",
            "Content-Type says application/json but the body is not JSON: Expecting value at "
            "line 1, column 1.",
        ),
    ],
)
def test_a_json_body_is_compared_as_data(body, match, message):
    """A correct FastAPI answer with other whitespace and key order passes; a missing key fails."""
    check = greeting_check(headers="Content-Type: application/json\n", body=PLANET)
    check.body_match = match
    outcome = compare(check, sent_by("200 OK", JSON_TYPE, body=body), GREET)
    assert (outcome.passed, outcome.message) == (not message, message or "Passed.")
    assert "a body that is the JSON {" in outcome.expected or match == "contains"


def test_a_json_check_on_a_response_that_is_not_json_says_so():
    check = greeting_check(headers="", body=PLANET)
    assert refused(check, sent_by("200 OK", [("Content-Type", "text/plain")], body="Earth")) == (
        "The body is not JSON: Expecting value at line 1, column 1."
    )


def finished(status=200):
    """An ASGI event trace as the harness records it: the start with its integer status, then
    the one body message that ends the response."""
    start = {"type": "http.response.start", "status": status}
    return [
        {"direction": "send", "scope": "http", "message": start},
        {"direction": "send", "scope": "http", "message": {"type": "http.response.body"}},
    ]


FINISHED = finished()


@pytest.mark.parametrize(
    "events, message",
    [
        (FINISHED, ""),
        (
            FINISHED[:1],
            "The response never finished: the app sent http.response.start but no "
            "http.response.body, so a client waits for a body until it gives up.",
        ),
        (
            [
                *FINISHED[:1],
                {
                    "direction": "send",
                    "scope": "http",
                    "message": {
                        "type": "http.response.body",
                        "body": "b'Hello, Ada!'",
                        "more_body": True,
                    },
                },
                {"direction": "receive", "scope": "http", "message": {"type": "http.disconnect"}},
            ],
            "The response never finished: the last http.response.body said more_body: True and "
            "no final message followed, so a client waits for the rest until it gives up.",
        ),
    ],
)
def test_an_asgi_response_must_finish(events, message):
    result = sent_by("200", runtime="asgi", events=events)
    outcome = compare(greeting_check(), result, GREET)
    assert (outcome.passed, outcome.message) == (not message, message or "Passed.")


def test_unescaped_markup_is_named_as_such():
    check = greeting_check(
        headers="Content-Type: text/html\n", body="Hello, &lt;b&gt;Ada&lt;/b&gt;!\n"
    )
    html_type = [("Content-Type", "text/html; charset=utf-8")]
    assert refused(check, sent_by("200 OK", html_type, body="Hello, <b>Ada</b>!")) == (
        "The body was “Hello, <b>Ada</b>!”: the markup in it is not escaped, so a browser would "
        "run it; escaped, it reads “Hello, &lt;b&gt;Ada&lt;/b&gt;!”."
    )
    assert compare(
        check, sent_by("200 OK", html_type, body="Hello, &lt;b&gt;Ada&lt;/b&gt;!"), GREET
    ).passed


# -- a request exercise: the request as typed, the server of its era ------------------------------


def request_exercise(year):
    return make_exercise(
        era=make_era(year=year), kind="request", runtime="wsgi", target="def application(): ...\n"
    )


def test_a_typed_request_without_the_empty_line_is_not_sent():
    exercise = request_exercise(1996)
    runs = []

    def fake_run(*args, **kwargs):
        runs.append(args)
        return response()

    passed, outcomes = run_checks(
        exercise, "GET /index.html HTTP/1.0\nAccept: text/html\n", run=fake_run
    )
    assert not passed and runs == []
    assert outcomes[0].message == exercise_checks.INCOMPLETE_REQUEST
    typed = "GET /index.html HTTP/1.0\r\nAccept: text/html\r\n\r\n"
    assert run_checks(exercise, typed, run=one_by_one(fake_run))[0] and len(runs) == 1
    # HTTP/0.9's request is its one line: sent as it is, for the server to refuse.
    run_checks(exercise, "GET /index.html\n", run=one_by_one(fake_run))
    assert len(runs) == 2 and parse_request(runs[1][2])["protocol"] == "HTTP/0.9"


@pytest.mark.parametrize("year, protocol", [(1996, "HTTP/1.0"), (1997, "HTTP/1.1")])
def test_the_server_answers_with_the_version_of_its_era(year, protocol):
    exercise = request_exercise(year)
    _, outcomes = run_checks(
        exercise, "GET / HTTP/1.0\n\n", run=one_by_one(lambda *a, **k: response())
    )
    assert outcomes[0].got.startswith(f"{protocol} 200 OK\n")


def test_an_exercise_keeps_the_empty_lines_that_end_its_solution():
    exercise = make_exercise(solution="GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", starter="GET /")
    exercise.refresh_from_db()
    assert (exercise.solution, exercise.starter) == ("GET / HTTP/1.0\nAccept: */*\n\n", "GET /\n")


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
    with django_assert_num_queries(1):  # the exercises with their eras, in the suggested order
        assert client.get(reverse("timeline:exercises")).status_code == 200
    with django_assert_num_queries(3):  # the exercise with its era, its checks, the next one
        assert client.get(exercises[0].get_absolute_url()).status_code == 200


# -- the check endpoint --------------------------------------------------------------------------


@pytest.fixture
def passing_run(monkeypatch, settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path)
    runs = []

    def fake_run(runtime, code, request_text, on_start=None):
        runs.append(code)
        if on_start:
            on_start()
        return response() if "yes" in code else response(body="nope\n")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(fake_run))
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
    request_text = (
        f"GET /greet?name=Ada HTTP/1.0\nHost: x:{port}\n\n"  # headers end with a blank line
    )
    answer = client.post(
        check_url(exercise), {"code": request_text}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["passed"] is True


def test_busy_and_missing_sandbox_answer_429_and_503(client, monkeypatch):
    exercise = make_exercise()

    def busy(*args, **kwargs):
        raise Busy(7, "Every sandbox is busy.")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(busy))
    answer = client.post(check_url(exercise), {"code": "x"}, content_type="application/json")
    assert (answer.status_code, answer["Retry-After"]) == (429, "7")
    assert answer.json()["error"] == "Every sandbox is busy."

    def missing(*args, **kwargs):
        raise SandboxUnavailable("Install bubblewrap.")

    monkeypatch.setattr(check_limit, "run_batch", one_by_one(missing))
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
    assert Exercise.objects.count() >= 12
    call_command("check_exercises", verbosity=0)


ROUTER = """def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/":
        status, body = "200 OK", "Welcome!"
    elif path.startswith("/hello/"):
        status, body = "200 OK", "Hello, " + path[7:] + "!"
    else:
        status, body = "404 Not Found", "Not Found"
    start_response(STATUS.get(status, status), [("Content-Type", "text/plain")] + EXTRA)
    return [body.encode()]
"""
PLANETS = """from fastapi import FastAPI, HTTPException
from fastapi.responses import Response
import json

app = FastAPI()
PLANETS = {1: "Mercury", 2: "Venus", 3: "Earth", 4: "Mars"}


@app.get("/planets/{number}")
def planet(number: int):
    if number not in PLANETS:
        raise HTTPException(status_code=404, detail="No such planet")
    return ANSWER
"""


@pytest.mark.parametrize(
    "slug, order, code, message",
    [
        (
            "wsgi-router",
            1,
            "STATUS, EXTRA = {}, [('Content-Length', '3')]\n" + ROUTER,
            "Content-Length says 3 but the body has 8 bytes; a client stops reading after “Wel”.",
        ),
        (
            "wsgi-router",
            3,
            "STATUS, EXTRA = {'404 Not Found': '404 OK'}, []\n" + ROUTER,
            "The status “404 OK” has the wrong reason phrase: 404 is “404 Not Found”.",
        ),
        (
            "wsgi-router",
            1,
            "STATUS, EXTRA = {'200 OK': '200 '}, []\n" + ROUTER,
            "The status “200 ” has no reason phrase: send “200 OK”.",
        ),
        (
            "cgi-greeting",
            1,
            'print("Content-Type: text/html, text/plain")\nprint()\nprint("Hello, Ada!")\n',
            "Content-Type “text/html, text/plain” is not one media type",
        ),
        (
            "asgi-hello",
            1,
            "async def app(scope, receive, send):\n"
            "    if scope['type'] != 'http':\n        return\n"
            "    await send({'type': 'http.response.start', 'status': 200,\n"
            "                'headers': [(b'content-type', b'text/plain')]})\n"
            "    await send({'type': 'http.response.body', 'body': b'Hello, Ada!',"
            " 'more_body': True})\n",
            "The response never finished: the last http.response.body said more_body: True",
        ),
        (
            "flask-route",
            4,
            'from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route("/hello/<name>")\n'
            'def hello(name):\n    return f"Hello, {name}!"\n',
            "The body was “Hello, <img src=",
        ),
        (
            "fastapi-path",
            1,
            PLANETS.replace("ANSWER", '{"name": PLANETS[number]}'),
            "The JSON has no “number” key.",
        ),
        (
            "http-1-0-request",
            1,
            "GET /index.html\n",
            "Not quite: the request line names HTTP/0.9, not HTTP/1.0",
        ),
    ],
)
def test_answers_built_to_fool_the_real_exercises_are_refused_on_their_rule(
    sandbox, slug, order, code, message
):
    """Each runs in the sandbox against one check of the exercise in the fixtures."""
    sandbox.RUNNER_TIMEOUT = 10  # FastAPI's import alone can take seconds on a loaded machine
    call_command("load_history", verbosity=0)
    exercise = Exercise.objects.select_related("era").get(slug=slug)
    exercise.checks.exclude(order=order).delete()
    passed, (outcome,) = run_checks(exercise, code)
    assert not passed
    if slug == "http-1-0-request":  # the 1996 server says why it refused, in its answer
        assert outcome.got.startswith("HTTP/1.0 400 Bad Request\n") and message in outcome.got
    else:
        assert outcome.message.startswith(message)


def test_a_right_answer_written_unlike_the_reference_passes(sandbox):
    """JSON with other whitespace and key order, sent by hand, is the same data."""
    sandbox.RUNNER_TIMEOUT = 10
    call_command("load_history", verbosity=0)
    answer = (
        'Response(json.dumps({"name": PLANETS[number], "number": number}, indent=2),'
        ' media_type="application/json")'
    )
    passed, outcomes = run_checks(
        Exercise.objects.get(slug="fastapi-path"), PLANETS.replace("ANSWER", answer)
    )
    assert passed, [outcome.message for outcome in outcomes]
