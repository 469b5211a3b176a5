"""The seccomp filter's rules, each proven by a call that hits it: on the host, in a child that
loads the filter built from rules() (fast: no sandbox), and in a real run.

Each call's arguments make it fail otherwise without the filter (EINVAL, EBADF, ENOENT, ...),
or succeed harmlessly: the answer asserted is the filter's, not the kernel's refusal of a bad
call. The clone calls ask for CLONE_THREAD without CLONE_SIGHAND, which the kernel refuses with
EINVAL before it looks at the namespace flag, so they prove each flag's rule even where the run
could not make that namespace anyway.

A run's uid has no capability, so for a few calls the kernel itself answers EPERM before it
reads an argument (pivot_root, fsopen, fsmount, fspick, move_mount, reboot, swapoff, acct, and
syslog where kernel.dmesg_restrict is set): for those the real run proves only the answer, and
the host's child, as root, proves the rule.
"""

import errno
import platform
import subprocess
import sys

import pytest

from tests.seccomp_filter import built, load_filter
from timeline.runner import seccomp
from timeline.runner.service import run_code

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64", reason="syscall numbers of x86_64")

NOWHERE = b"/nonexistent/seccomp-probe"
EPERM = [
    ("unshare", 272, (1,)),
    ("setns", 308, (-1, 0)),
    ("mount", 165, (b"none", NOWHERE, b"tmpfs", 0, 0)),
    ("umount2", 166, (NOWHERE, 0x100)),
    ("pivot_root", 155, (NOWHERE, NOWHERE)),
    ("chroot", 161, (NOWHERE,)),
    ("fsopen", 430, (b"nonexistentfs", 0)),
    ("fsconfig", 431, (-1, 0, 0, 0, 0)),
    ("fsmount", 432, (-1, 0, 0)),
    ("fspick", 433, (-1, b"", 0)),
    ("move_mount", 429, (-1, b"", -1, b"", 0)),
    ("open_tree", 428, (-1, NOWHERE, 0)),
    ("mount_setattr", 442, (-1, b"", 0, 0, 0)),
    ("keyctl", 250, (9999,)),
    ("add_key", 248, (b"nonexistent", b"k", 0, 0, -2)),
    ("request_key", 249, (b"nonexistent", b"k", 0, 0)),
    ("ptrace", 101, (9999, 0, 0, 0)),
    ("process_vm_readv", 310, (0, 0, 0, 0, 0, 1)),
    ("process_vm_writev", 311, (0, 0, 0, 0, 0, 1)),
    ("bpf", 321, (9999, 0, 0)),
    ("perf_event_open", 298, (0, 0, -1, -1, 0)),
    ("userfaultfd", 323, (0xFFFF,)),
    ("io_uring_setup", 425, (1, 0)),
    ("io_uring_enter", 426, (-1, 0, 0, 0, 0, 0)),
    ("io_uring_register", 427, (-1, 0, 0, 0)),
    ("kexec_load", 246, (0, 0, 0, 0xFFFF)),
    ("kexec_file_load", 320, (-1, -1, 0, 0, 0xFFFF)),
    ("init_module", 175, (0, 0, b"")),
    ("finit_module", 313, (-1, b"", 0)),
    ("delete_module", 176, (b"nonexistent_module", 0)),
    ("reboot", 169, (0, 0, 0, 0)),  # no magic numbers: EINVAL
    ("swapon", 167, (NOWHERE, 0x40000000)),  # an unknown flag: EINVAL before privilege
    ("swapoff", 168, (NOWHERE,)),
    ("quotactl", 179, (0, 0, 0, 0)),
    ("acct", 163, (NOWHERE,)),
    ("settimeofday", 164, (1, 0)),  # a time at address 1: EFAULT before privilege
    ("clock_settime", 227, (9999, 0)),
    ("clock_adjtime", 305, (9999, 0)),
    ("adjtimex", 159, (0,)),
    ("open_by_handle_at", 304, (-1, 0, 0)),
    ("name_to_handle_at", 303, (-1, b"", 0, 0, 0)),
    ("iopl", 172, (4,)),
    ("ioperm", 173, (0x10000, 1, 1)),
    ("syslog", 103, (9999, 0, 0)),
    *(
        (f"clone {name}", 56, (flag | 0x10000, 0, 0, 0, 0))  # | CLONE_THREAD
        for name, flag in [
            ("CLONE_NEWNS", 0x00020000),
            ("CLONE_NEWCGROUP", 0x02000000),
            ("CLONE_NEWUTS", 0x04000000),
            ("CLONE_NEWIPC", 0x08000000),
            ("CLONE_NEWUSER", 0x10000000),
            ("CLONE_NEWPID", 0x20000000),
            ("CLONE_NEWNET", 0x40000000),
        ]
    ),
    ("fanotify_init", 300, (0xFFFF, 0)),
    ("fanotify_mark", 301, (-1, 0, 0, -1, 0)),
]
ENOSYS = [
    ("clone3", 435, (0, 0)),
    ("io_setup", 206, (0, 0)),
    ("io_destroy", 207, (0,)),
    ("io_submit", 209, (0, -1, 0)),
    ("io_cancel", 210, (0, 0, 0)),
    ("io_getevents", 208, (0, -1, 0, 0, 0)),
    ("io_pgetevents", 333, (0, -1, 0, 0, 0, 0)),
    ("inotify_init", 253, ()),
    ("inotify_init1", 294, (0xFFFF,)),
    ("inotify_add_watch", 254, (-1, b"/", 2)),
]
PROMISED = {name: errno.EPERM for name, _, _ in EPERM} | {
    name: errno.ENOSYS for name, _, _ in ENOSYS
}
# Allowed calls, answered by the kernel: a filter that refuses too much fails here.
ALLOWED = [
    ("getpid", 39, ()),
    ("clone thread flags", 56, (0x10000, 0, 0, 0, 0)),  # CLONE_THREAD alone: EINVAL, not EPERM
    ("unknown syscall", 1000, ()),  # ENOSYS from the kernel, as for any syscall it lacks
]

PROBE = """\
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for name, number, args in CALLS:
    ctypes.set_errno(0)
    args = [a if isinstance(a, bytes) else ctypes.c_long(a) for a in args]
    answer = libc.syscall(ctypes.c_long(number), *args)
    print(name, ctypes.get_errno() if answer == -1 else "ok", sep=":")
"""


def probe(calls):
    return f"CALLS = {calls!r}\n" + PROBE


def answers(output):
    return dict(line.split(":") for line in output.splitlines())


def filtered(program, calls):
    """Each call's answer in a child of the host that loaded `program` and nothing else."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe(calls)],
        preexec_fn=lambda: load_filter(program),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return answers(done.stdout)


def promised():
    return {name: str(code) for name, code in PROMISED.items()}


def test_every_refused_call_gets_its_errno_from_the_filter_rules_builds():
    got = filtered(built(seccomp.rules()), EPERM + ENOSYS + ALLOWED)
    assert {name: got[name] for name in PROMISED} == promised()
    assert got["getpid"] == "ok"
    assert got["clone thread flags"] == str(errno.EINVAL)
    assert got["unknown syscall"] == str(errno.ENOSYS)


def test_the_filter_run_gets_is_the_one_rules_builds_and_is_kept():
    program = seccomp.filter_bytes()
    assert program == built(seccomp.rules())
    assert seccomp.filter_bytes() is program


def test_other_rules_get_a_filter_of_their_own(monkeypatch):
    """The cache is keyed on the rules: a changed list is built again, not served the old BPF."""
    before = seccomp.filter_bytes()
    monkeypatch.setattr(seccomp, "rules", lambda: [(errno.EPERM, "setns", None)])
    program = seccomp.filter_bytes()
    assert program != before
    got = filtered(program, [("setns", 308, (-1, 0)), ("unshare", 272, (1,))])
    assert got == {"setns": str(errno.EPERM), "unshare": str(errno.EINVAL)}


def test_a_syscall_the_library_does_not_know_is_left_out_not_the_rest():
    """iopl on arm64, io_pgetevents in an old libseccomp: the rules after it still hold."""
    program = built([(errno.EPERM, "no_such_syscall", None), (errno.ENOSYS, "setns", None)])
    assert filtered(program, [("setns", 308, (-1, 0))]) == {"setns": str(errno.ENOSYS)}


def test_a_clone_rule_refuses_only_calls_with_all_its_flags():
    program = built([(errno.EPERM, "clone", 0x10000000 | 0x20000000)])
    calls = [
        ("both", 56, (0x10000000 | 0x20000000 | 0x10000, 0, 0, 0, 0)),
        ("one", 56, (0x10000000 | 0x10000, 0, 0, 0, 0)),
        ("other", 56, (0x20000000 | 0x10000, 0, 0, 0, 0)),
    ]
    got = filtered(program, calls)
    assert got == {"both": str(errno.EPERM), "one": str(errno.EINVAL), "other": str(errno.EINVAL)}


def test_every_rule_names_a_syscall_libseccomp_knows_here():
    """A misspelt name would be left out silently (build_filter skips unknown ones)."""
    pyseccomp = pytest.importorskip("pyseccomp", exc_type=ImportError)
    unknown = [
        name
        for _, name, _ in seccomp.rules()
        if pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) < 0
    ]
    assert unknown == []


def test_without_libseccomp_the_filter_is_unavailable_with_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyseccomp", None)  # import fails
    with pytest.raises(seccomp.SeccompUnavailable) as raised:
        seccomp.build_filter(seccomp.rules())
    assert str(raised.value).endswith(
        ": install libseccomp2 (apt-get install libseccomp2) and the pinned pyseccomp "
        "(requirements/base.txt)"
    )
    assert str(raised.value).startswith("seccomp filter unavailable (")


@pytest.mark.usefixtures("sandbox")
def test_every_refused_call_gets_its_errno_in_a_real_run():
    result = run_code("python", probe(EPERM + ENOSYS))
    assert answers(result.output) == promised(), result.error
