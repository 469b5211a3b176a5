"""A fresh identity per run: a uid from a rotating range, and the run's cgroup named after it.

When the server runs as root, the harness drops to an unprivileged uid (no user namespace, so
that RLIMIT_NPROC applies). Kernel state keyed by uid (the user keyring above all) would carry
from one run to the next if runs shared a uid, and RLIMIT_NPROC counts every process of a uid on
the machine, so one run could starve another of the same uid. Each run therefore takes the next
uid of RUNNER_UID_BASE .. RUNNER_UID_BASE + RUNNER_UID_COUNT - 1 that no run on the machine holds.
A uid is taken again only when the cgroup named after its previous run could be removed, which
the kernel allows only once every process in it has gone: a uid whose run left anything behind
is skipped.

Uids are one machine's, whatever the number of servers or checkouts on it (each with its own
state directory, settings and cgroups), so as root they are handed out under a machine-wide lock
from machine-wide state, RUNNER_IDENTITY_DIR (/run/historyweb-runner: root's, and empty after a
reboot, when no run can be left): `lock` (flock()ed, holding the next uid) and a lease per uid
held, `leases/<uid>`, with its owner's tag (owners.py). A lease is free when its file is gone;
one whose owner died, or whose run left processes behind ("<tag> left"), is taken again only once
no process on the machine has that uid. (Without root, the user namespace bubblewrap makes is the
fresh identity: the uid rotates within the server's own state, and no machine-wide state is kept.)

Each run's cgroup has an owner record, `<state dir>/owners/<uid>`, holding the owner tag of the
worker that made it (owners.py): a worker killed mid-run leaves its cgroup, and sweep() removes
it as soon as the record's worker is gone, rather than once it is older than any run can last.
"""

import fcntl
import os
import stat
from contextlib import contextmanager

from historyweb.errors import ServiceError, refuse_if_no_room_to_run

from . import cgroups, owners

RETRY_AFTER = 5  # seconds a request refused for want of a free uid is told to wait
STALE_AFTER = 60  # seconds past the timeout after which a leftover run cgroup is swept
CHECKED = set()  # identity directories found safe by this process


class NoFreeIdentity(ServiceError):
    """Every uid of the range belongs to a run that is still there: no run can start until one
    ends (or its leftovers are swept), so the answer is 503 with a moment to wait."""

    status = 503

    def __init__(self, message):
        super().__init__(message, retry_after=RETRY_AFTER)


@contextmanager
def run_identity(config, layout):
    """Yields (uid, RunCgroup or None); the cgroup is killed and removed afterwards."""
    uid, cgroup = allocate(config, layout)
    try:
        yield uid, cgroup
    finally:
        release(config, uid, cgroup)


def release(config, uid, cgroup):
    """The run is over: its cgroup killed and removed, its lease given back. Returns whether
    the run left nothing (its cgroup could be removed)."""
    gone = True
    if cgroup is not None:
        cgroup.kill()
        # The record goes first: while the cgroup is there no other run can take its uid,
        # so the record removed can only be this run's.
        forget_owner(config, uid)
        gone = cgroup.remove()
    with machine_locked(config) as fd:
        if fd is not None:
            end_lease(config, uid, owners.tag(), gone)
    return gone


def switches_uid():
    """Whether runs get uids of their own (the server is root): only then do uids need leases."""
    return os.geteuid() == 0


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


@contextmanager
def machine_locked(config):
    """The machine-wide lock, flock()ed, holding the next uid to try: one allocation at a time
    among every server on the machine. Yields None where runs do not switch uids."""
    if not switches_uid():
        yield None
        return
    lock = machine_dir(config) / "lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except FileNotFoundError:  # removed since it was checked: made and checked again
        CHECKED.discard(config.identity_dir)
        fd = os.open(machine_dir(config) / "lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def machine_dir(config):
    """RUNNER_IDENTITY_DIR, made if missing; refused unless only this user can write in it,
    since whoever could would choose which uids runs get. Checked once per process."""
    directory = config.identity_dir
    if directory in CHECKED:
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    for path in (directory, directory / "leases"):
        path.mkdir(mode=0o700, exist_ok=True)
    for path in (directory, directory / "leases"):
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            owner = os.geteuid()
            raise PermissionError(f"{path} must be a directory that only uid {owner} can write")
    CHECKED.add(directory)
    return directory


def lease_path(config, uid):
    return config.identity_dir / "leases" / str(uid)


def lease_free(config, uid):
    """Whether no run on the machine holds the uid (under the machine lock)."""
    try:
        text = lease_path(config, uid).read_text()
    except FileNotFoundError:
        return True
    tag, _, state = text.partition(" ")
    if owners.parse(tag) is None:
        return False  # what cannot be read is never taken
    if state != "left" and owners.alive(tag):
        return False
    # Its owner died mid-run, or its run left processes: free once none is left.
    return not uid_has_processes(uid)


def take_lease(config, uid):
    path = lease_path(config, uid)
    tmp = path.with_name(f"{uid}.tmp")
    tmp.write_text(owners.tag())
    tmp.replace(path)  # whole or not at all: an empty lease would hold its uid for good


def end_lease(config, uid, tag, gone):
    """Give the lease back if it is `tag`'s; a run that left processes marks it instead."""
    path = lease_path(config, uid)
    try:
        if path.read_text().partition(" ")[0] != tag:
            return
    except FileNotFoundError:
        return
    if gone:
        path.unlink()
    else:
        tmp = path.with_name(f"{uid}.tmp")
        tmp.write_text(f"{tag} left")
        tmp.replace(path)


def uid_has_processes(uid):
    """Whether any process on the machine has `uid` as its real, effective, saved or filesystem
    uid (RLIMIT_NPROC counts real uids; the others could become real)."""
    wanted = str(uid).encode()
    try:
        entries = os.scandir("/proc")
    except OSError:
        return True
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/status", "rb") as f:
                    status = f.read()
            except OSError:
                continue  # gone meanwhile
            for line in status.splitlines():
                if line.startswith(b"Uid:"):
                    if wanted in line.split()[1:]:
                        return True
                    break
    return False


def owner_record(config, uid):
    return config.state_dir / "owners" / str(uid)


def record_owner(config, uid):
    path = owner_record(config, uid)
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(owners.tag())
    except OSError as exc:
        refuse_if_no_room_to_run(exc)  # a full var/: a 503 that says so
        raise


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
                # Its processes are gone with the cgroup: the dead worker's lease can go too.
                with machine_locked(config) as fd:
                    if fd is not None:
                        end_lease(config, int(path.name), tag, gone=True)
    return freed


def allocate(config, layout):
    """The next free uid and its new cgroup (None without cgroups); as root, under the
    machine's lock, with the uid's lease taken."""
    with locked(config) as own_fd, machine_locked(config) as machine_fd:
        # The next uid to try: the machine's as root (every server rotates through one
        # sequence), else the server's own.
        fd = own_fd if machine_fd is None else machine_fd
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        start = int(text) - config.uid_base if text.isascii() and text.isdigit() else 0
        for step in range(config.uid_count):
            uid = config.uid_base + (start + step) % config.uid_count
            if machine_fd is not None and not lease_free(config, uid):
                continue
            cgroup = None
            if layout.available:
                cgroup = cgroups.RunCgroup(layout, str(uid))
                if not create(cgroup, config):
                    continue
            try:
                if cgroup is not None:
                    record_owner(config, uid)
                if machine_fd is not None:
                    take_lease(config, uid)
            except BaseException:
                if cgroup is not None:
                    forget_owner(config, uid)
                    cgroup.remove()
                raise
            # Fixed width, so it overwrites in place: an ftruncate() costs milliseconds on ext4.
            os.pwrite(fd, b"%010d" % (uid + 1), 0)
            return uid, cgroup
        raise NoFreeIdentity(
            f"Every sandbox is in use: all {config.uid_count} run identities (uids) belong to "
            f"runs that have not ended. Try again in {RETRY_AFTER} s."
        )


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
