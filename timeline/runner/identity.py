"""A fresh identity per run: a uid from a rotating range, and the run's cgroup named after it.

When the server runs as root, the harness drops to an unprivileged uid (no user namespace, so
that RLIMIT_NPROC applies). Kernel state keyed by uid (the user keyring above all) would carry
from one run to the next if runs shared a uid, so each run takes the next uid of
RUNNER_UID_BASE .. RUNNER_UID_BASE + RUNNER_UID_COUNT - 1, with a counter shared by every worker
(a flock()ed file). A uid is taken again only when the cgroup named after its previous run could
be removed, which the kernel allows only once every process in it has gone: a uid whose run left
anything behind is skipped. (Without root, the user namespace bubblewrap makes is the fresh
identity; the uid still rotates.)

Each run's cgroup has an owner record, `<state dir>/owners/<uid>`, holding the owner tag of the
worker that made it (owners.py): a worker killed mid-run leaves its cgroup, and sweep() removes
it as soon as the record's worker is gone, rather than once it is older than any run can last.
"""

import fcntl
import os
from contextlib import contextmanager

from . import cgroups, owners

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
            # The record goes first: while the cgroup is there no other run can take its uid,
            # so the record removed can only be this run's.
            forget_owner(config, uid)
            cgroup.remove()


@contextmanager
def locked(config):
    """The state file, flock()ed: one allocation or sweep at a time among the server's workers."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(config.state_dir / "identity", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def owner_record(config, uid):
    return config.state_dir / "owners" / str(uid)


def record_owner(config, uid):
    path = owner_record(config, uid)
    path.parent.mkdir(exist_ok=True)
    path.write_text(owners.tag())


def forget_owner(config, uid):
    try:
        owner_record(config, uid).unlink()
    except FileNotFoundError:
        pass


def sweep(config, layout):
    """Kill and remove the cgroups whose worker has died; returns the uids freed. Under the
    lock, so no allocation can hand a uid out between its record being read and its removal."""
    directory = config.state_dir / "owners"
    if not layout.available or not directory.is_dir():
        return []
    freed = []
    with locked(config):
        for path in directory.iterdir():
            try:
                tag = path.read_text()
            except OSError:
                continue
            if not path.name.isdigit() or owners.alive(tag):
                continue
            cgroup = cgroups.RunCgroup(layout, path.name)
            cgroup.kill()
            if cgroup.remove():
                path.unlink()
                freed.append(int(path.name))
    return freed


def allocate(config, layout):
    with locked(config) as fd:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        counter = int(text) if text.isdigit() else 0
        for step in range(config.uid_count):
            uid = config.uid_base + (counter + step) % config.uid_count
            cgroup = None
            if layout.available:
                cgroup = cgroups.RunCgroup(layout, str(uid))
                if not create(cgroup, config):
                    continue
                try:
                    record_owner(config, uid)
                except BaseException:
                    cgroup.remove()
                    raise
            # Fixed width, so it overwrites in place: an ftruncate() costs milliseconds on ext4.
            os.pwrite(fd, b"%010d" % ((counter + step + 1) % config.uid_count), 0)
            return uid, cgroup
        raise NoFreeIdentity(f"all {config.uid_count} sandbox uids are in use")


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
