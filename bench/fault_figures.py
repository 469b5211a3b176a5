"""The figures of `make bench-faults` (bench/bench_faults.py), from what its clients recorded:
outcomes counted by status, seconds to recover, moves lost, and the "Done when" checks.

Pure functions of recorded data, so they are unit-tested (tests/test_bench_faults.py); the
clients and the scenarios that record the data are in fault_clients.py and bench_faults.py.
An outcome is an HTTP status (int) or a word for a request that got no answer ("refused",
"cut", "timeout", ...).
"""

import asyncio
from collections import Counter

ANSWERED_WELL = {200, 201, 202, 304}


def outcome_of(exc):
    """The word for a request that got no HTTP answer."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | asyncio.IncompleteReadError):
        return "cut"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


def is_error(outcome):
    return outcome not in ANSWERED_WELL


def counts(events):
    """{outcome: how many} of (time, outcome) events."""
    return Counter(outcome for _, outcome in events)


def format_counts(events):
    """'412 ok' or '380 ok, 500 x3, refused x5': the good answers, then each error by count."""
    counted = counts(events)
    good = sum(n for outcome, n in counted.items() if not is_error(outcome))
    errors = sorted(
        ((outcome, n) for outcome, n in counted.items() if is_error(outcome)),
        key=lambda item: (isinstance(item[0], str), str(item[0])),
    )
    parts = [f"{good} ok"] + [f"{outcome} x{n}" for outcome, n in errors]
    return ", ".join(parts)


def errors_with(events, status):
    return sum(1 for _, outcome in events if outcome == status)


def recovery_seconds(events, fault_end):
    """Seconds from the end of the fault until the last error seen at or after it (0.0 when
    every error came during the fault); None when the fault never ended."""
    if fault_end is None:
        return None
    late = [when for when, outcome in events if is_error(outcome) and when >= fault_end]
    return max(late) - fault_end if late else 0.0


def undelivered(sent, received, since):
    """Moves sent at or after `since` that a follower never received, summed over followers.
    `sent` maps each move's seq to when it was sent; `received` is one set of seqs per follower.
    Moves before `since` (during the fault) may be skipped: a follower is owed only the state
    it is in, which behind() checks."""
    owed = [seq for seq, when in sent.items() if when >= since]
    return sum(1 for seqs in received for seq in owed if seq not in seqs)


def missed(sent, received, since):
    """(when sent, "undelivered") for each move sent at or after `since` that some follower
    never received: events for recovery_seconds(), so delivery counts in recovering too."""
    return sorted(
        (when, "undelivered")
        for seq, when in sent.items()
        if when >= since and any(seq not in seqs for seqs in received)
    )


def behind(finals, session):
    """How many followers' last (seq, slide) is not the session's."""
    return sum(1 for final in finals if final != session)


def stale(pages, marker, since):
    """Page bodies fetched at or after `since` that do not show `marker` (the last edit)."""
    return sum(1 for when, body in pages if when >= since and marker not in body)


def check_lines(checks):
    """One 'PASS|FAIL  what: figure' line per (what, passed, figure); None for passed means
    the check could not be made (its scenario was skipped)."""
    lines = []
    for what, passed, figure in checks:
        verdict = "SKIP" if passed is None else "PASS" if passed else "FAIL"
        lines.append(f"{verdict}  {what}: {figure}")
    return lines


def error_summary(groups):
    """'none', or each group's errors: 'pages 503 x2; followers cut x50'."""
    parts = []
    for name, events in groups.items():
        errors = [(when, outcome) for when, outcome in events if is_error(outcome)]
        if errors:
            parts.append(f"{name} " + format_counts(errors).removeprefix("0 ok, "))
    return "; ".join(parts) or "none"


TABLE_HEADER = ("Scenario", "Errors", "Recovery", "Lost", "Notes")


def table_lines(rows):
    """A Markdown table, one row per scenario: (name, errors, recovery, lost, notes)."""
    lines = ["| " + " | ".join(TABLE_HEADER) + " |", "|" + "---|" * len(TABLE_HEADER)]
    for row in rows:
        lines.append("| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |")
    return lines
