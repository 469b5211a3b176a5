"""pytest plugin for `make mutate`: run a mutant's tests fastest first.

mutmut stops a mutant's run at its first failing test (-x), but hands pytest the tests in no set
order, so a mutant that a 10 ms test catches could first wait through the 2 s timeout tests. Its
first, clean run timed every test (mutmut-stats.json, in the folder the tests run from).

mutate/run.py loads it through PYTEST_ADDOPTS; it does nothing where that file is missing.
"""

import json
from pathlib import Path

import pytest

STATS = Path("mutmut-stats.json")


# tryfirst: pytest-django then regroups the items (plain tests before transactional ones) with
# a stable sort, which keeps this order inside each group.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    try:
        durations = json.loads(STATS.read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
