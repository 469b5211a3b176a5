"""Checking an exercise: the hidden checks' requests are sent to the learner's app (or, in a
request exercise, the learner's request to the exercise's app), all in one sandbox run, and each
response is compared with what its check expects. The run goes through the runner like a sample
run: the same sandbox, limits and slots, and the checks' own rate limit.

Before a check's own assertions, the response must keep HTTP's rules (response_rules.py): a
response a real client would misread fails on the rule it breaks, whatever the check asks."""

import copy
import html
import json
from dataclasses import asdict, dataclass

from . import check_values
from .exercise_feedback import with_cause
from .models import Exercise, header_lines
from .response_rules import (
    as_json,
    header_values,
    json_difference,
    json_error,
    parse_media_type,
    protocol_problems,
    status_code,
)
from .runner.batch import run_batch
from .runner.result import Outcome, raw_response, status_line
from .text import normalize_newlines, normalize_text

# HTTP/1.1 (RFC 2068) was published in January 1997: a server of an earlier era answers HTTP/1.0.
FIRST_HTTP_1_1_YEAR = 1997
INCOMPLETE_REQUEST = (
    "The server is still waiting for the rest of your request: the headers end with an empty "
    "line (press Enter once more after the last header)."
)


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    message: str = ""
    sent: str = ""
    expected: str = ""
    got: str = ""
    traceback: str = ""  # the exception the run raised, with its line and caret
    printed: str = ""  # what the program printed (stdout and stderr), shown in its own panel

    def to_dict(self):
        return asdict(self)


def expectation(check):
    """What the check wants, in words the learner reads on failure."""
    parts = []
    if check.status:
        parts.append(f"status {status_line(check.status)}")
    for name, value in header_lines(check.headers):
        if name.lower() == "content-type":
            parts.append(f"a Content-Type of {value}")
        else:
            parts.append(f"a {name} header “{value}”")
    if check.body:
        wanted = check.body.rstrip(chr(10))
        if as_json(wanted) is not None:
            verb = "the JSON" if check.body_match == check.BodyMatch.EXACT else "JSON holding"
            parts.append(f"a body that is {verb} {wanted}")
        else:
            verb = "exactly" if check.body_match == check.BodyMatch.EXACT else "containing"
            parts.append(f"a body {verb} “{wanted}”")
    return "; ".join(parts) or "any response"


def header_problem(name, value, result):
    """How the response misses one header the check names: a Content-Type is compared as a
    media type (the parameters the check names must match, others may follow), any other
    header by its whole value."""
    found = header_values(result.headers, name)
    if not found:
        return f"there was no {name} header"
    if name.lower() == "content-type":
        wanted, got = parse_media_type(value), parse_media_type(found[0])
        if wanted is None or got is None or not got.satisfies(wanted):
            return f"Content-Type was “{found[0]}”, not {value}"
        return ""
    if not any(v.strip() == value for v in found):
        return f"{name} was “{found[0]}”, not “{value}”"
    return ""


def body_problem(check, result):
    wanted = check.body.rstrip("\n")
    body = result.body or ""
    exact = check.body_match == check.BodyMatch.EXACT
    data = as_json(wanted)
    if data is not None:
        try:
            got = json.loads(body)
        except ValueError as exc:
            return f"the body is not JSON: {json_error(exc)[:-1]}"
        return json_difference(data, got, exact)
    if exact:
        if normalize_text(body) != check.body:
            shown = body[:200].rstrip("\n")
            if wanted != html.unescape(wanted) and body.strip() == html.unescape(wanted):
                return (
                    f"the body was “{shown}”: the markup in it is not escaped, so a browser would "
                    f"run it; escaped, it reads “{wanted}”"
                )
            return f"the body was “{shown}”, not exactly “{wanted}”"
    elif wanted not in body:
        return f"the body does not contain “{wanted}”"
    return ""


def problems_with(check, result):
    """Each way the response misses the check, in words."""
    problems = []
    code = status_code(result)
    if check.status and code != check.status:
        problems.append(f"the status was {result.status or 'missing'}, not {check.status}")
    for name, value in header_lines(check.headers):
        problems.append(header_problem(name, value, result))
    if check.body:
        problems.append(body_problem(check, result))
    return [problem for problem in problems if problem]


def request_method(sent):
    words = normalize_newlines(sent or "").lstrip("\n").split(maxsplit=1)
    return words[0] if words else "GET"


def compare(check, result, sent, protocol="HTTP/1.1"):
    """One check's outcome from one run's result, with the exception the run raised first."""
    return with_cause(judge(check, result, sent, protocol), result)


def judge(check, result, sent, protocol):
    """Whether the response passes: the protocol's rules first, each broken one said once,
    then what the check asks. `protocol` is the version the server answers with."""
    expected = expectation(check)
    if not result.status:
        # No HTTP response at all: the app failed to load, crashed or ran out of time.
        message = result.error or "The app sent no response."
        return CheckOutcome(check.name, False, message, sent, expected, result.output)
    got = raw_response(result.status, result.headers, result.body or "", protocol)
    if result.outcome == Outcome.RESPONSE:
        # A response no server would send (a line break in a header, a status of 1000) never
        # passes, whatever the check looks for in it.
        return CheckOutcome(check.name, False, result.error, sent, expected, got)
    broken = protocol_problems(result, request_method(sent))
    if broken:
        return CheckOutcome(check.name, False, " ".join(broken), sent, expected, got)
    lost = inner_answer_lost(check, result)
    if lost:
        return CheckOutcome(check.name, False, lost, sent, expected, got)
    problems = problems_with(check, result)
    if problems:
        message = "; ".join(problems)
        message = message[0].upper() + message[1:] + "."
        return CheckOutcome(check.name, False, message, sent, expected, got)
    return CheckOutcome(check.name, True, "Passed.", sent, expected, got)


def inner_answer_lost(check, result):
    """How a middleware lost the answer of the app the check wraps it around, or "": that app's
    headers and body must come through. Read from the response, whatever the middleware says."""
    inner = check_values.inner_response_parts(getattr(check, "inner_response", ""))
    if not check.wraps or inner is None:
        return ""
    _, headers, body = inner
    missing = [f"{n}: {v}" for n, v in headers if header_problem(n, v, result)]
    body_lost = bool(body) and body not in (result.body or "")
    if missing and body_lost:
        return (
            f"The app your {check.wraps}() wraps was never heard from: it answered "
            f"“{missing[0]}” and the body “{body}”, and the response has neither. A middleware "
            "calls the app it wraps and passes its answer on."
        )
    if missing:
        return (
            f"The app your {check.wraps}() wraps sent the header “{missing[0]}”, and the response "
            "lost it: a middleware passes on the headers of the app it wraps."
        )
    if body_lost:
        return (
            f"The app your {check.wraps}() wraps answered “{body}”, and the response does not "
            "hold it: a middleware passes on the body of the app it wraps."
        )
    return ""


def drawn(check):
    """The check with fresh values drawn into its templates: what this submission is sent and
    expected to answer. A check without values is itself."""
    if not check.values.strip():
        return check
    values = check_values.draw(check.values)
    filled = copy.copy(check)
    for field in check_values.TEMPLATE_FIELDS:
        setattr(filled, field, check_values.fill(getattr(check, field), values))
    return filled


def wrap_spec(check):
    """What the harness needs to build the inner app a middleware check wraps, or None."""
    inner = check_values.inner_response_parts(check.inner_response) if check.wraps else None
    if inner is None:
        return None
    status, headers, body = inner
    return {"factory": check.wraps, "status": status, "headers": headers, "body": body}


def server_protocol(exercise):
    """The version the era's server answers with: HTTP/1.1 did not exist before 1997."""
    return "HTTP/1.0" if exercise.era.year < FIRST_HTTP_1_1_YEAR else "HTTP/1.1"


def incomplete_request(text):
    """Why a typed request is not complete yet, or "": an HTTP/1.x request's headers end with an
    empty line, and the server waits for it. An HTTP/0.9 request is its one line."""
    text = normalize_newlines(text).lstrip("\n")
    first = text.split("\n", 1)[0]
    if len(first.split()) == 2 and "\n" in text:
        return ""
    return "" if "\n\n" in text else INCOMPLETE_REQUEST


def one_by_one(run):
    """A batch runner made of a single-run function (run_code's signature): one run per request.
    For a runner that only runs one request at a time, and for tests that stand in for it."""

    def batch(runtime, code, requests, *, on_start=None):
        results = []
        for request_text, wrap in requests:
            extra = {"wrap": wrap} if wrap else {}
            results.append(run(runtime, code, request_text, on_start=on_start, **extra))
            on_start = None
        return results

    return batch


def run_checks(exercise, code, *, on_start=None, run=None):
    """Run every check of `exercise` against the learner's text; (all passed, outcomes).

    All checks go in one sandbox run against one instance of the app (runner/batch.py): `run`
    takes (runtime, code, [(request text, wrap)], on_start=) and gives a result per request.
    `on_start` runs once, as the run starts (the rate limit counts a submission once). A
    request the app does not answer in its share of the time fails alone. Raises the runner's
    Busy and SandboxUnavailable."""
    run = run or run_batch
    outcomes = []
    if exercise.kind == Exercise.Kind.REQUEST and incomplete_request(code):
        # Nothing is sent: a server that has not seen the end of the headers has not answered.
        for number, check in enumerate(exercise.checks.all()):
            message = (
                INCOMPLETE_REQUEST if number == 0 else "Not sent: the request is not complete."
            )
            outcomes.append(CheckOutcome(check.name, False, message, code, expectation(check)))
        return False, outcomes
    protocol = server_protocol(exercise)
    checks = list(map(drawn, exercise.checks.all()))
    if not checks:
        return False, []
    if exercise.kind == Exercise.Kind.REQUEST:
        app, requests = exercise.target, [(code, None) for _ in checks]
    else:
        app, requests = code, [(check.request, wrap_spec(check)) for check in checks]
    results = run(exercise.runtime, app, requests, on_start=on_start)
    for check, (request_text, _), result in zip(checks, requests, results, strict=True):
        outcomes.append(compare(check, result, request_text, protocol))
    passed = all(outcome.passed for outcome in outcomes)
    return passed, outcomes
