"""Clearing what a test's run cgroups left, with the test's own code rather than the code under
test: under `make mutate` a mutant that breaks removal leaves cgroups behind, and the next
mutant's tests must not fail on them (that would count as catching a mutant that changed
nothing). Only the uids the tests use (61135 to 61199; the default range is shared with other
servers on the machine) and names made by tests ("test-...")."""

import time

from timeline.runner import cgroups

TEST_UIDS = range(61135, 61200)


def clear(layout):
    """Remove the test run cgroups that are left (children first)."""
    for parent in layout.parents.values():
        names = [f"{cgroups.PREFIX}{uid}" for uid in TEST_UIDS]
        try:
            names += [p.name for p in parent.glob(f"{cgroups.PREFIX}test-*")]
        except OSError:
            continue
        for name in names:
            _remove(parent / name)


def _remove(path):
    """rmdir, retried for a second while a process leaves; a cgroup still held stays (its
    processes are a run's, which ends by its deadline)."""
    if not path.is_dir():
        return
    for child in path.iterdir():
        if child.is_dir():
            _remove(child)
    deadline = time.monotonic() + 1
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
