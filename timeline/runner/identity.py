"""A fresh identity per run: a uid from a rotating range, and the run's cgroup named after it.

When the server runs as root, the harness drops to an unprivileged uid (no user namespace, so
that RLIMIT_NPROC applies). Kernel state keyed by uid (the user keyring above all) would carry
from one run to the next if runs shared a uid, so each run takes the next uid of
RUNNER_UID_BASE .. RUNNER_UID_BASE + RUNNER_UID_COUNT - 1, with a counter shared by every worker
(a flock()ed file). A uid is taken again only when the cgroup named after its previous run could
be removed, which the kernel allows only once every process in it has gone: a uid whose run left
anything behind is skipped. (Without root, the user namespace bubblewrap makes is the fresh
identity; the uid still rotates.)
"""

import fcntl
import os
from contextlib import contextmanager

from . import cgroups

STALE_AFTER = 60  # seconds past the timeout after which a leftover run cgroup is swept


class NoFreeIdentity(Exception):
    """Every uid of the range belongs to a run that is still there."""


@contextmanager
def run_identity(config, layout):
    """Yields (uid, RunCgroup or None); the cgroup is killed and removed afterwards."""
    uid, cgroup = allocate(config, layout)
    try:
        yield uid, cgroup
    finally:
        if cgroup is not None:
            cgroup.kill()
            cgroup.remove()


def allocate(config, layout):
    config.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.state_dir / "identity", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        counter = int(text) if text.isdigit() else 0
        for step in range(config.uid_count):
            uid = config.uid_base + (counter + step) % config.uid_count
            cgroup = None
            if layout.available:
                cgroup = cgroups.RunCgroup(layout, str(uid))
                if not create(cgroup, config):
                    continue
            # Fixed width, so it overwrites in place: an ftruncate() costs milliseconds on ext4.
            os.pwrite(fd, b"%010d" % ((counter + step + 1) % config.uid_count), 0)
            return uid, cgroup
        raise NoFreeIdentity(f"all {config.uid_count} sandbox uids are in use")
    finally:
        os.close(fd)


def create(cgroup, config):
    """Make the run's cgroup; False while a cgroup of that name holds a run (or did, recently)."""
    try:
        cgroup.create(config.memory_bytes, config.processes + 2, config.cpus)
        return True
    except FileExistsError:
        pass
    # Left by a server that died mid-run? Once older than any run can last, and empty (the
    # kernel refuses to remove a cgroup with a process in it), it goes and the uid is free.
    if not cgroup.older_than(config.timeout + STALE_AFTER) or not cgroup.remove(wait=0):
        return False
    try:
        cgroup.create(config.memory_bytes, config.processes + 2, config.cpus)
        return True
    except FileExistsError:
        return False
