"""The harness's limits and identity, on the host: harness.py is imported (it runs only as a
script or as a run's sitecustomize) and its functions called in a forked child, which reports
its limits and ids through a pipe. Fast, and within reach of `make mutate` (group `harness`),
which cannot follow the harness into the sandbox; the real runs of test_runner_hostile.py prove
the same inside it."""

import errno
import json
import os
import resource
import sys
import traceback

import pytest

from tests.seccomp_filter import built, load_filter
from timeline.runner import harness

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="only root can drop to another uid and give itself groups"
)

MiB = 1024 * 1024
LIMITS = {
    "cpu_seconds": 7,
    "memory_bytes": 700 * MiB,
    "processes": 33,
    "file_bytes": 3 * MiB,
    "open_files": 45,
    "output_bytes": 64 * 1024,
}
SET = {
    "RLIMIT_CPU": 7,
    "RLIMIT_AS": 700 * MiB,
    "RLIMIT_NPROC": 33,
    "RLIMIT_FSIZE": 3 * MiB,
    "RLIMIT_NOFILE": 45,
    "RLIMIT_CORE": 0,
    "RLIMIT_MSGQUEUE": 0,
}
NAMES = sorted(name for name in dir(resource) if name.startswith("RLIMIT_"))
UID = 61_977


def functions_run():
    """The functions mutmut's first pass saw this process run (an empty set outside `make
    mutate`). It learns which test runs which function from the test's own process only, so a
    child hands back what it ran: otherwise no test would be run against these mutants."""
    found = sys.modules.get("mutmut.state")
    return found.state()._stats if found else set()


def in_child(steps):
    """Run `steps()` in a forked child and return what it reported (or raise its error)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        status = 0
        try:
            os.close(read_end)
            result = steps()
            data = json.dumps([result, sorted(functions_run())]).encode()
        except BaseException:  # noqa: BLE001 - told to the parent, which fails the test
            data, status = traceback.format_exc().encode(), 1
        while data:
            data = data[os.write(write_end, data) :]
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, data.decode()
    result, ran = json.loads(data)
    functions_run().update(ran)
    return result


def limits():
    return {name: list(resource.getrlimit(getattr(resource, name))) for name in NAMES}


def identity():
    return {
        "uid": list(os.getresuid()),
        "gid": list(os.getresgid()),
        "groups": os.getgroups(),
    }


def refused(*attempts):
    """The names of the attempts refused (PermissionError)."""
    found = []
    for name, attempt in attempts:
        try:
            attempt()
        except PermissionError:
            found.append(name)
    return found


def loosened():
    """Some limits with their hard limit above the soft one, as a server may have them."""
    for name in ("RLIMIT_STACK", "RLIMIT_SIGPENDING", "RLIMIT_DATA"):
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        soft = 64 * MiB if hard == resource.RLIM_INFINITY else hard // 2
        resource.setrlimit(which, (soft, hard))
    return limits()


def test_every_limit_is_set_with_its_hard_limit_at_the_soft_one():
    def steps():
        before = loosened()
        harness.apply_limits(LIMITS)
        return before, limits()

    before, after = in_child(steps)
    assert before["RLIMIT_SIGPENDING"][0] < before["RLIMIT_SIGPENDING"][1]  # the premise
    # RLIMIT_OFILE is another name of RLIMIT_NOFILE: limits by number, not by name.
    chosen = {getattr(resource, name): value for name, value in SET.items()}
    expected = {name: [chosen.get(getattr(resource, name), before[name][0])] * 2 for name in NAMES}
    assert after == expected


def test_a_dropped_worker_cannot_raise_any_limit_or_take_root_back():
    def steps():
        os.setgroups([4242, 4343])  # a server with supplementary groups
        harness.apply_limits(LIMITS)
        harness.drop_privileges(UID)
        raised = []
        for name in NAMES:
            which = getattr(resource, name)
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                try:
                    resource.setrlimit(which, (hard + 1, hard + 1))
                    raised.append(name)
                except ValueError:
                    pass
        back = refused(
            ("setuid", lambda: os.setuid(0)),
            ("seteuid", lambda: os.seteuid(0)),
            ("setgid", lambda: os.setgid(0)),
            ("setgroups", lambda: os.setgroups([4242])),
        )
        return identity(), raised, back

    ids, raised, back = in_child(steps)
    assert ids == {"uid": [UID] * 3, "gid": [UID] * 3, "groups": []}
    assert raised == []
    assert back == ["setuid", "seteuid", "setgid", "setgroups"]


def test_without_root_the_worker_keeps_its_identity():
    """Under a user namespace or a non-root server there is no other uid to drop to: nothing
    changes, and nothing fails. (uid 1: not 0, and the smallest other.)"""

    def steps():
        os.setgroups([4242])
        os.setresgid(1, 1, 1)
        os.setresuid(1, 1, 1)
        harness.drop_privileges(UID)
        return identity(), harness.worker_uid({"uid": UID})

    ids, uid = in_child(steps)
    assert ids == {"uid": [1] * 3, "gid": [1] * 3, "groups": [4242]}
    assert uid == 1


def test_as_root_the_worker_runs_as_the_runs_uid_or_nobody():
    assert harness.worker_uid({"uid": UID}) == UID
    assert harness.worker_uid({"uid": None}) == 65534
    assert harness.worker_uid({}) == 65534


def test_hiding_from_the_same_uid_makes_the_process_non_dumpable():
    def steps():
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        before = libc.prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
        harness.hide_from_same_uid()
        return before, libc.prctl(3, 0, 0, 0, 0)

    assert in_child(steps) == [1, 0]


def test_a_supervisor_that_cannot_hide_stops_before_any_user_code():
    """prctl refused (here by a seccomp filter): the harness raises with the kernel's errno and
    says what failed, rather than go on with a supervisor the worker could trace."""
    program = built([(errno.EPERM, "prctl", None)])

    def steps():
        load_filter(program)
        try:
            harness.hide_from_same_uid()
        except OSError as exc:
            return str(exc)
        return "no error"

    assert in_child(steps) == f"[Errno {errno.EPERM}] prctl(PR_SET_DUMPABLE) failed"
