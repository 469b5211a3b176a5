"""Checking an exercise: each hidden check runs the learner's app in the sandbox with one request
(or, in a request exercise, sends the learner's request to the exercise's app) and compares the
response with what the check expects. Runs go through the runner like any sample run: the same
sandbox, limits, slots and rate limit."""

import re
from dataclasses import asdict, dataclass

from .models import Exercise, header_lines
from .runner.result import Outcome, raw_response, status_line
from .runner.service import run_code
from .text import normalize_text


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    message: str = ""
    sent: str = ""
    expected: str = ""
    got: str = ""

    def to_dict(self):
        return asdict(self)


def expectation(check):
    """What the check wants, in words the learner reads on failure."""
    parts = []
    if check.status:
        parts.append(f"status {status_line(check.status)}")
    parts += [
        f"a {name} header containing “{value}”" for name, value in header_lines(check.headers)
    ]
    if check.body:
        verb = "exactly" if check.body_match == check.BodyMatch.EXACT else "containing"
        parts.append(f"a body {verb} “{check.body.rstrip(chr(10))}”")
    return "; ".join(parts) or "any response"


def status_code(result):
    head = (result.status or "").split(" ", 1)[0]
    # ASCII digits only: "²00".isdigit() is true, and int() refuses it.
    return int(head) if re.fullmatch(r"[0-9]{3}", head) else None


def problems_with(check, result):
    """Each way the response misses the check, in words."""
    problems = []
    code = status_code(result)
    if check.status and code != check.status:
        problems.append(f"the status was {result.status or 'missing'}, not {check.status}")
    for name, value in header_lines(check.headers):
        found = [v for n, v in result.headers if n.lower() == name.lower()]
        if not found:
            problems.append(f"there was no {name} header")
        elif not any(value in v for v in found):
            problems.append(f"{name} was “{found[0]}”, without “{value}”")
    if check.body:
        wanted = check.body.rstrip("\n")
        body = result.body or ""
        if check.body_match == check.BodyMatch.EXACT:
            if normalize_text(body) != check.body:
                shown = body[:200].rstrip("\n")
                problems.append(f"the body was “{shown}”, not exactly “{wanted}”")
        elif wanted not in body:
            problems.append(f"the body does not contain “{wanted}”")
    return problems


def compare(check, result, sent):
    """One check's outcome from one run's result."""
    expected = expectation(check)
    if not result.status:
        # No HTTP response at all: the app failed to load, crashed or ran out of time.
        message = result.error or "The app sent no response."
        return CheckOutcome(check.name, False, message, sent, expected, result.output)
    got = raw_response(result.status, result.headers, result.body or "")
    if result.outcome == Outcome.RESPONSE:
        # A response no server would send (a line break in a header, a status of 1000) never
        # passes, whatever the check looks for in it.
        return CheckOutcome(check.name, False, result.error, sent, expected, got)
    problems = problems_with(check, result)
    if problems:
        message = "; ".join(problems)
        message = message[0].upper() + message[1:] + "."
        return CheckOutcome(check.name, False, message, sent, expected, got)
    return CheckOutcome(check.name, True, "Passed.", sent, expected, got)


def run_checks(exercise, code, *, on_start=None, run=None):
    """Run every check of `exercise` against the learner's text; (all passed, outcomes).

    `on_start` runs once, as the first run starts (the rate limit counts a submission once).
    After a check gets no response at all the rest are not run: a program that hangs holds a
    sandbox for one time limit, not one per check. Raises the runner's Busy and
    SandboxUnavailable."""
    run = run or run_code
    outcomes = []
    stop_reason = ""
    for check in exercise.checks.all():
        if exercise.kind == Exercise.Kind.REQUEST:
            app, request_text = exercise.target, code
        else:
            app, request_text = code, check.request
        if stop_reason:
            outcomes.append(
                CheckOutcome(check.name, False, stop_reason, request_text, expectation(check))
            )
            continue
        result = run(exercise.runtime, app, request_text, on_start=on_start)
        on_start = None
        outcome = compare(check, result, request_text)
        outcomes.append(outcome)
        if not result.status:
            stop_reason = "Not run: the previous check got no response."
    passed = bool(outcomes) and all(outcome.passed for outcome in outcomes)
    return passed, outcomes
