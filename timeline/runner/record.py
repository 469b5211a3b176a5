"""Recording and checking samples' expected output (admin action, run_sample, check_samples)."""

from ..diffs import diff_lines
from ..text import normalize_text
from .service import run_code

# Commands and the admin wait for a free slot rather than answer "busy".
COMMAND_SLOT_WAIT = 60


def run_fresh(sample):
    """Run the sample's own code and request now, in the sandbox (never from the cache).
    A run stopped by the clock is tried once more: on a loaded machine that is the load."""
    result = run_code(sample.runtime, sample.code, sample.request, wait=COMMAND_SLOT_WAIT)
    if not result.repeatable:
        result = run_code(sample.runtime, sample.code, sample.request, wait=COMMAND_SLOT_WAIT)
    return result


def record(sample):
    """Run the sample and store its output; returns (result, saved). A timeout is not recorded."""
    result = run_fresh(sample)
    if not result.repeatable:
        return result, False
    sample.expected_output = normalize_text(result.output or "")
    sample.save(update_fields=["expected_output"])
    return result, True


def difference(sample, result):
    """A unified diff of expected against actual, or "" when they match. Both are compared as
    they are stored (timeline/text.py): LF line ends, one final newline."""
    expected = normalize_text(sample.expected_output or "")
    actual = normalize_text(result.output or "")
    lines = diff_lines(expected, actual, "expected_output", "this run")
    if not lines:
        return ""
    text = "\n".join(line["text"] for line in lines)
    if not result.repeatable:
        text += f"\n  The run did not finish: {result.error}"
    return text
