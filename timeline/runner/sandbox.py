"""Start the harness in a bubblewrap sandbox and collect what it wrote, within time and size caps.

Every run is a fresh `bwrap` process: no network, own PID namespace (whatever the run starts dies
with it), read-only system and interpreter, a small private /tmp and /dev/shm, a clean
environment. The per-process limits (CPU, memory, processes, file size, open files) are set by
the harness inside the sandbox before the user's code is loaded, so no `preexec_fn` runs in
Django's threads. The run as a whole is held by its own cgroup (cgroups.py: memory including
tmpfs and shared memory, pids, CPU), a seccomp filter (seccomp.py) and a uid of its own
(identity.py). The process itself is process.py's; where RUNNER_SPARES keeps sandboxes started
ahead of their run, a run goes to one of those (spares.py), else it starts cold.
"""

import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

from historyweb.errors import refuse_if_no_room_to_run

from . import cgroups, leftovers, seccomp, spares
from .bwrap import SANDBOX_WORK, hosts_file, write_accounts
from .config import get_config
from .identity import run_identity
from .process import INSTALL_HINT, SandboxUnavailable, execute, write_inputs

log = logging.getLogger(__name__)


class Containment:
    """What holds a run as a whole on this host: where cgroups go, and the seccomp filter."""

    def __init__(self, config):
        self.cgroups = cgroups.layout_for(config.cgroup_parent)
        try:
            self.seccomp = seccomp.filter_bytes()
            self.seccomp_problem = ""
        except seccomp.SeccompUnavailable as exc:
            self.seccomp = None
            self.seccomp_problem = str(exc)

    def problems(self):
        found = []
        if not self.cgroups.available:
            found.append(f"no cgroup per run: {self.cgroups.problem}")
        if self.seccomp is None:
            found.append(self.seccomp_problem)
        return found


def sweep_at_start():
    """What dead workers left, swept as this worker starts: by the time it is killed and
    replaced, the learner's code it held is not left on the disk until some later run."""
    try:
        config = get_config()
        return leftovers.maybe_sweep(config, containment(config).cgroups)
    except Exception:  # a worker that cannot sweep still serves; its first run tries again
        log.warning("sweeping dead workers' runs at start failed", exc_info=True)
        return None


def containment(config):
    return Containment(config)


def run_in_sandbox(config, spec, body=b""):
    """Run the harness on `spec`; returns a RawRun. Raises SandboxUnavailable without bwrap, or
    without a cgroup and seccomp filter where RUNNER_REQUIRE_CONTAINMENT is set."""
    if not config.bwrap:
        raise SandboxUnavailable(INSTALL_HINT)
    held = containment(config)
    if config.require_containment and held.problems():
        raise SandboxUnavailable("Runs are switched off: " + "; ".join(held.problems()))
    spec = dict(spec)
    spec["body_path"] = f"{SANDBOX_WORK}/body"
    spec["limits"] = {
        "cpu_seconds": max(1, int(config.timeout) + 1),
        "memory_bytes": config.memory_bytes,
        "processes": config.processes,
        "file_bytes": config.file_bytes,
        "open_files": config.open_files,
        "output_bytes": config.output_bytes,
    }
    hosts = hosts_file(config)
    leftovers.maybe_sweep(config, held.cgroups)
    script = spec.get("runtime") in ("python", "cgi") and "batch" not in spec
    raw = spares.run(config, held, hosts, spec, body, script)
    if raw is not None:
        return raw
    with (
        run_identity(config, held.cgroups) as (uid, cgroup),
        _work_dir() as work_dir,
    ):
        spec["uid"] = uid
        write_inputs(work_dir, spec, body)
        write_accounts(work_dir, uid)
        return execute(config, work_dir, hosts, cgroup, held.seccomp, script=script)


@contextmanager
def _work_dir():
    """A new run's work directory, removed after it (a 503 when there is no room to make it)."""
    try:
        work = tempfile.TemporaryDirectory(prefix=leftovers.work_prefix())
    except OSError as exc:
        refuse_if_no_room_to_run(exc)
        raise
    with work as path:
        yield Path(path)
