"""Try it: the learner's current answer run with a request of their own, ungraded.

Nothing here judges: a try runs like an edited sample (the same sandbox, the same run limit) and
shows the response, its environ and, after an earlier try, what changed. In an app exercise the
learner's app answers the request they type; in a request exercise their request goes to the
exercise's own server, whose environ shows how it read the request line and headers.
"""

import copy

from . import check_values
from .diffs import compare_output
from .exercise_checks import incomplete_request, wrap_spec
from .models import Exercise
from .runner.result import Outcome, RunResult
from .runner.service import run_edited

# Placeholders in a check's request, filled with one readable example each: the page is the same
# for every visitor, and the checks draw their own values anyway.
EXAMPLES = {"word": lambda low, high: "Ada", "number": lambda low, high: str(low)}
EXAMPLE_MARKUP = "<em>Ada</em>"
DEFAULT_REQUEST = "GET / HTTP/1.1\nHost: localhost\n"
COMPARED_WITH = "your previous try"


def sends_own_request(exercise):
    """A request exercise: the learner's text is the request, so there is no request editor."""
    return exercise.kind == Exercise.Kind.REQUEST


def example_values(check):
    """{name: value} for a check's declared values; {} when they do not parse."""
    try:
        kinds = check_values.value_kinds(check.values)
    except ValueError:
        return {}
    return {
        name: EXAMPLES.get(kind, lambda low, high: EXAMPLE_MARKUP)(low, high)
        for name, (kind, low, high) in kinds.items()
    }


def example_check(exercise):
    """The exercise's first check with example values in its templates (None without checks),
    or as written when they do not fill it."""
    check = next(iter(exercise.checks.all()), None)
    if check is None:
        return None
    values = example_values(check)
    example = copy.copy(check)
    try:
        for field in check_values.TEMPLATE_FIELDS:
            setattr(example, field, check_values.fill(getattr(check, field), values))
    except KeyError:  # a placeholder without a declared value: the admin's form says so
        return check
    return example


def starting_request(exercise):
    """What the request editor holds at first: the first check's request, with example values."""
    check = example_check(exercise)
    return (check.request if check else "") or DEFAULT_REQUEST


def inner_app(exercise):
    """For a middleware exercise, the inner app its first check wraps, built as the check builds
    it, so the learner's middleware has an app to call; None otherwise."""
    check = example_check(exercise)
    return wrap_spec(check) if check is not None else None


def run_try(exercise, code, request_text, client):
    """The try's RunResult. Raises the runner's Busy (the run limit) and SandboxUnavailable."""
    if sends_own_request(exercise):
        waiting = incomplete_request(code)
        if waiting:
            return RunResult.refused(exercise.runtime, waiting)
        return run_edited(exercise.runtime, exercise.target, code, client)
    if not code.strip():
        return RunResult.refused(exercise.runtime, "Write some code first.")
    return run_edited(exercise.runtime, code, request_text, client, wrap=inner_app(exercise))


def compare_with_previous(previous, result):
    """This try's output against the previous try's, when both ran; None otherwise."""
    if not previous or not result.output or result.outcome == Outcome.NOT_STARTED:
        return None
    return compare_output(previous, result.output)
