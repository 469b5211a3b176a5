"""pytest plugin for `make mutate`: run a mutant's tests fastest first.

mutmut stops a mutant's run at its first failing test (-x), but hands pytest the tests in no set
order, so a mutant that a 10 ms test catches could first wait through the 2 s timeout tests. Its
first, clean run timed every test (mutmut-stats.json, in the folder the tests run from).

It also writes, in that clean run, each test's whole time (WHOLE: set-up, call and tear-down;
mutmut's own figure is the call alone), by which mutate/run.py judges a timed-out mutant: where
fixtures take most of a test's time, the call alone would make a slow test look fast.

mutate/run.py loads it through PYTEST_ADDOPTS; it does nothing where that file is missing.
"""

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

STATS = Path("mutmut-stats.json")
WHOLE = Path("mutate-whole-durations.json")
TIMED = defaultdict(float)


def clean_run():
    """mutmut's clean run, which times the tests (its mutant runs time nothing)."""
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def pytest_runtest_logreport(report):
    if clean_run():
        TIMED[report.nodeid] += report.duration


def pytest_sessionfinish(session):
    if clean_run() and TIMED:
        try:
            whole = json.loads(WHOLE.read_text())
        except (OSError, ValueError):
            whole = {}
        WHOLE.write_text(json.dumps(whole | TIMED))  # mutmut may time new tests in a later run
        TIMED.clear()


# tryfirst: pytest-django then regroups the items (plain tests before transactional ones) with
# a stable sort, which keeps this order inside each group.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    try:
        durations = json.loads(STATS.read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
