"""The runner's knobs, read from Django settings with safe defaults (all named RUNNER_*)."""

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

KB = 1024
MB = 1024 * KB


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_python():
    """The project's venv interpreter by its absolute path (a pyenv shim would add ~90 ms)."""
    venv = Path(settings.BASE_DIR) / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@dataclass(frozen=True)
class RunnerConfig:
    bwrap: str | None
    python: str
    timeout: float
    output_bytes: int
    memory_bytes: int
    processes: int
    file_bytes: int
    open_files: int
    tmp_bytes: int
    max_concurrent: int
    slot_wait: float
    rate_limit: int
    rate_window: int
    uid_base: int
    uid_count: int
    cpus: float
    cgroup_parent: str | None
    require_containment: bool
    state_dir: Path
    identity_dir: Path
    # Started sandboxes kept waiting, per runtime ((runtime, count) pairs), and how long one
    # may wait before it is replaced (spares.py).
    spares: tuple = ()
    spare_max_age: float = 300.0


# Spares where RUNNER_SPARES is not set: none in the embedded default (`make run`, tests), these
# on a runner host (tasks.py sets ON_RUNNER_HOST as the worker starts). An ASGI spare holds
# FastAPI imported, about 40 MB.
HOST_SPARES = {"python": 1, "cgi": 1, "wsgi": 2, "asgi": 2}
ON_RUNNER_HOST = {"on": False}


def spares_setting(value):
    """RUNNER_SPARES as (runtime, count) pairs: a number for every runtime, or a dict."""
    if value is None:
        value = HOST_SPARES if ON_RUNNER_HOST["on"] else 0
    if not isinstance(value, dict):
        value = dict.fromkeys(HOST_SPARES, int(value))
    return tuple(sorted((str(k), max(0, int(n))) for k, n in value.items() if int(n) > 0))


# Where a command name was found, by (name, PATH): get_config() runs on every run request, and
# shutil.which() stats each directory of PATH. An entry is looked up again when it was not found
# or is no longer executable, so installing bubblewrap needs no restart.
FOUND = {}


def which(name):
    path = os.environ.get("PATH")
    found = FOUND.get((name, path))
    if found is None or not os.access(found, os.X_OK):
        found = FOUND[name, path] = shutil.which(name)
    return found


def get_config():
    get = lambda name, default: getattr(settings, name, default)  # noqa: E731
    bwrap = get("RUNNER_BWRAP", "bwrap")
    if bwrap and not os.path.isabs(bwrap):
        bwrap = which(bwrap)
    if bwrap and not os.access(bwrap, os.X_OK):
        bwrap = None
    return RunnerConfig(
        bwrap=bwrap,
        python=get("RUNNER_PYTHON", None) or default_python(),
        timeout=float(get("RUNNER_TIMEOUT", 5)),
        output_bytes=int(get("RUNNER_OUTPUT_LIMIT", 64 * KB)),
        memory_bytes=int(get("RUNNER_MEMORY_LIMIT", 512 * MB)),
        processes=int(get("RUNNER_PROCESS_LIMIT", 32)),
        file_bytes=int(get("RUNNER_FILE_LIMIT", 4 * MB)),
        open_files=int(get("RUNNER_OPEN_FILES", 64)),
        tmp_bytes=int(get("RUNNER_TMP_SIZE", 16 * MB)),
        max_concurrent=max(1, min(int(get("RUNNER_MAX_CONCURRENT", cores())), cores())),
        slot_wait=float(get("RUNNER_SLOT_WAIT", 0.5)),
        rate_limit=int(get("RUNNER_RATE_LIMIT", 10)),
        rate_window=int(get("RUNNER_RATE_WINDOW", 60)),
        # Each run takes the next uid of this range (identity.py). 61000-61099 sits below
        # systemd's dynamic users (61184-65519) and Debian's nobody (65534).
        uid_base=int(get("RUNNER_UID_BASE", 61000)),
        uid_count=max(1, int(get("RUNNER_UID_COUNT", 100))),
        cpus=float(get("RUNNER_CPU_LIMIT", 1)),  # cores one run may use at once (cgroup cpu)
        cgroup_parent=get("RUNNER_CGROUP_PARENT", None),
        # True in production: no run starts without its cgroup and seccomp filter.
        require_containment=bool(get("RUNNER_REQUIRE_CONTAINMENT", False)),
        state_dir=Path(get("RUNNER_STATE_DIR", None) or Path(settings.VAR_DIR) / "runner"),
        # The machine's, not the server's: which uids runs hold, shared by every server and
        # checkout on the machine (identity.py). Used only as root.
        identity_dir=Path(get("RUNNER_IDENTITY_DIR", None) or "/run/historyweb-runner"),
        spares=spares_setting(get("RUNNER_SPARES", None)),
        spare_max_age=float(get("RUNNER_SPARE_MAX_AGE", 300)),
    )
