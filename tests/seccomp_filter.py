"""Loading a seccomp filter into a process of the host, as bubblewrap loads it into a run: how
the tests prove a filter's rules in milliseconds, without a sandbox."""

import ctypes

import pytest

from tests.system import in_ci
from timeline.runner import seccomp


class Program(ctypes.Structure):
    """struct sock_fprog: a BPF program for prctl(PR_SET_SECCOMP)."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def load_filter(program):
    """Load `program` (BPF) as this process's seccomp filter, for it and every child."""
    libc = ctypes.CDLL(None, use_errno=True)
    loaded = Program(len(program) // 8, program)
    # PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with SECCOMP_MODE_FILTER
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(loaded), 0, 0):
        raise OSError(ctypes.get_errno(), "loading the filter failed")


def built(refusals):
    """seccomp.build_filter(refusals); a skip where libseccomp is missing, but not under CI."""
    try:
        return seccomp.build_filter(refusals)
    except seccomp.SeccompUnavailable as exc:
        if in_ci():
            pytest.fail(f"{exc}; CI must prove the filter")
        pytest.skip(str(exc))
