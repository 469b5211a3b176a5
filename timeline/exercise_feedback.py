"""What a learner reads after a check: the exception their code raised (with the line and the
caret, as a sample run shows it) before what the check wanted, what their program printed in
a panel of its own, and one cause said once when every check failed for it.

Nothing here decides a verdict: a check passed or failed before its outcome reaches this
module, and what the program printed is only ever shown, never read for meaning."""

import re

from .runner.result import Outcome

# The learner's file in the sandbox, as tracebacks name it.
SOURCE_LINE = re.compile(r'^\s*File "sample\.py", line (\d+)', re.MULTILINE)
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b.*$")


def exception_summary(error):
    """ "line N: ValueError: …" for a traceback from the learner's code, "" for any other text
    (a time limit, a missing response)."""
    lines = error.strip().splitlines()
    if not lines or not EXCEPTION_LINE.match(lines[-1]):
        return ""
    places = SOURCE_LINE.findall(error)
    where = f" at line {places[-1]}" if places else ""
    return f"Your code raised an exception{where}: {lines[-1]}"


def printed_text(result):
    """What the program printed (stdout and stderr). The traceback at its end is left out: it
    is shown as the cause, with its line and caret."""
    log = result.log.rstrip("\n")
    error = result.error.strip()
    if error and log.endswith(error):
        log = log[: -len(error)].rstrip("\n")
    return log


def with_cause(outcome, result):
    """`outcome` as the learner should read it. A failed check whose run raised says the
    exception first: the harness's 500 for it is a consequence, not the cause."""
    outcome.printed = printed_text(result)
    summary = exception_summary(result.error) if result.outcome == Outcome.EXIT else ""
    if summary:
        outcome.traceback = result.error.strip()
        if not outcome.passed:
            outcome.message = summary
    return outcome


def shared_cause(outcomes):
    """The failed checks' one cause, when there are several and all failed the same way
    (a SyntaxError fails every check alike): said once above the list, not once per check."""
    failed = [outcome for outcome in outcomes if not outcome.passed]
    if len(failed) < 2 or len(failed) != len(outcomes):
        return None
    causes = {(outcome.message, outcome.traceback) for outcome in failed}
    if len(causes) != 1:
        return None
    message, traceback = causes.pop()
    return {"message": message, "traceback": traceback}


def printed_by_program(outcomes):
    """Everything the runs printed, each different text once, in the order of the checks;
    labelled by check when the runs printed different things."""
    texts = {}
    for outcome in outcomes:
        if outcome.printed:
            texts.setdefault(outcome.printed, outcome.name)
    if len(texts) <= 1:
        return next(iter(texts), "")
    return "\n".join(f"── during “{name}” ──\n{text}" for text, name in texts.items())
