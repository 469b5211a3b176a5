"""The figures of `make bench-faults` from recorded outcomes (bench/fault_figures.py): what its
lines and its PASS/FAIL summary are made of. The bench's own measurements are not tested."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import fault_figures as figures  # noqa: E402


def test_outcomes_of_requests_without_an_answer_are_named():
    assert figures.outcome_of(ConnectionRefusedError()) == "refused"
    assert figures.outcome_of(ConnectionResetError()) == "cut"
    assert figures.outcome_of(asyncio.IncompleteReadError(b"", 10)) == "cut"
    assert figures.outcome_of(TimeoutError()) == "timeout"
    assert figures.outcome_of(OSError()) == "OSError"


def test_counts_put_good_answers_first_then_each_error_by_status_then_by_word():
    events = [(0, 200), (1, 304), (2, 503), (3, "refused"), (4, 500), (5, 503), (6, 200)]
    assert figures.format_counts(events) == "3 ok, 500 x1, 503 x2, refused x1"
    assert figures.format_counts([]) == "0 ok"
    assert figures.errors_with(events, 503) == 2


def test_recovery_counts_from_the_end_of_the_fault_to_the_last_error_after_it():
    events = [(10, 500), (11, 200), (14, "refused"), (15, 200), (20, 200)]
    assert figures.recovery_seconds(events, fault_end=12) == 2
    assert figures.recovery_seconds(events, fault_end=14.5) == 0.0  # errors only during it
    assert figures.recovery_seconds(events, fault_end=None) is None


def test_undelivered_counts_moves_after_the_fault_each_follower_missed():
    sent = {1: 5.0, 2: 9.0, 3: 12.0, 4: 13.0}
    received = [{1, 3, 4}, {4}, {2, 3, 4}]
    # Move 2 was sent during the fault: owed to nobody. Move 3 is missing from one follower.
    assert figures.undelivered(sent, received, since=10.0) == 1
    assert figures.undelivered(sent, received, since=0.0) == 1 + 3 + 1


def test_a_move_some_follower_missed_is_an_error_for_recovery_from_when_it_was_sent():
    sent = {1: 5.0, 2: 9.0, 3: 12.0, 4: 13.0}
    received = [{1, 3, 4}, {2, 4}]
    failures = figures.missed(sent, received, since=8.0)
    assert failures == [(9.0, "undelivered"), (12.0, "undelivered")]
    assert figures.recovery_seconds(failures, fault_end=8.0) == 4.0


def test_behind_compares_seq_and_slide_with_the_session():
    finals = [(7, 3), (6, 2), None, (7, 3)]
    assert figures.behind(finals, (7, 3)) == 2


def test_stale_counts_pages_without_the_last_edit_after_the_moment_given():
    pages = [(1.0, "<h1>Old</h1>"), (5.0, "<h1>Old</h1>"), (6.0, "<h1>New edit</h1>")]
    assert figures.stale(pages, "New edit", since=4.0) == 1
    assert figures.stale(pages, "New edit", since=5.5) == 0


def test_check_lines_say_pass_fail_or_skip_with_the_figure():
    lines = figures.check_lines(
        [("shutdown <= 2 s", True, "0.67 s"), ("no 500", False, 76), ("full var/", None, "n/a")]
    )
    assert lines == ["PASS  shutdown <= 2 s: 0.67 s", "FAIL  no 500: 76", "SKIP  full var/: n/a"]


def test_the_error_summary_names_each_group_with_errors_and_only_its_errors():
    groups = {
        "pages": [(0, 200), (1, 503), (2, 503)],
        "remote": [(0, 200)],
        "followers": [(0, "cut"), (1, 200)],
    }
    assert figures.error_summary(groups) == "pages 503 x2; followers cut x1"
    assert figures.error_summary({"pages": [(0, 200), (1, 304)]}) == "none"


def test_the_table_is_markdown_with_a_row_per_scenario_and_no_stray_pipes():
    lines = figures.table_lines([("1 Redis restart", "none", "0.0 s", "0 of 950", "a | b")])
    assert lines[0] == "| Scenario | Errors | Recovery | Lost | Notes |"
    assert lines[1] == "|---|---|---|---|---|"
    assert lines[2] == "| 1 Redis restart | none | 0.0 s | 0 of 950 | a / b |"
