"""What a worker killed mid-run leaves behind, removed: the run's work directory (the learner's
code, in the host's temporary directory) and its cgroup.

Work directories are named `historyweb-run-<owner tag>-<random>` (owners.py), cgroups have an
owner record (identity.py), probe cgroups carry the tag in their name. A sweep removes those
whose owner is dead, never a live process's; it runs when a worker starts
(sandbox.sweep_at_start: the ASGI lifespan's startup, a runner host before it consumes), on its
first run if it has not yet, and then at most every SWEEP_EVERY seconds, at the start of a run.
"""

import logging
import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path

from . import cgroups, identity, owners

WORK_PREFIX = "historyweb-run-"
SWEEP_EVERY = 60.0
# Work directories named before they carried their owner: removed once older than this.
UNTAGGED_AFTER = 3600
LAST = {}  # state dir -> time.monotonic() of this process's last sweep there
LOCK = threading.Lock()
log = logging.getLogger(__name__)


def work_prefix():
    """The prefix of a new run's work directory: its owner's tag, so a sweep can tell."""
    return f"{WORK_PREFIX}{owners.tag()}-"


def sweep_work_dirs(root=None):
    """Remove run work directories whose worker is dead; returns the paths removed. Only
    directories this user owns (not symlinks): the temporary directory is everyone's."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = [e for e in os.scandir(root) if e.name.startswith(WORK_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            continue
        tag = entry.name[len(WORK_PREFIX) :].partition("-")[0]
        if owners.parse(tag) is not None:
            if owners.alive(tag):
                continue
        elif time.time() - info.st_mtime < UNTAGGED_AFTER:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
    return removed


def sweep(config, layout):
    """Everything dead workers left: work directories, run cgroups, probe cgroups."""
    found = {"work_dirs": sweep_work_dirs()}
    found["uids"] = identity.sweep(config, layout)
    found["probes"] = cgroups.sweep_probes(layout)
    return found


def maybe_sweep(config, layout):
    """Sweep on this process's first run, then at most every SWEEP_EVERY seconds."""
    key = str(config.state_dir)
    with LOCK:
        last = LAST.get(key)
        if last is not None and time.monotonic() - last < SWEEP_EVERY:
            return None
        LAST[key] = time.monotonic()
    try:
        return sweep(config, layout)
    except OSError as exc:  # a sweep that fails must not fail the run; the next one tries again
        log.warning("sweeping dead workers' runs failed: %s", exc)
        return None
