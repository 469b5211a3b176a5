"""The seccomp filter every run gets: the kernel interfaces a sample has no use for are refused.

Default allow plus a deny list, not an allow list: samples are ordinary Python (threads, asyncio,
subprocess, sockets on a network that is not there, ctypes), and an allow list that breaks one of
them breaks a lesson. What is refused is what lets a run reach beyond its sandbox or its limits:

- new namespaces (unshare, setns, clone with a CLONE_NEW* flag): a user namespace gives a run
  capabilities over its own mounts, so it could mount a tmpfs the size of the host's memory;
- clone3 answers ENOSYS: its flags sit in memory a filter cannot read, and libc then falls back
  to clone, whose flags it can;
- Linux AIO (io_setup and the calls that use its contexts) answers ENOSYS, as on a kernel built
  without it, which is what libraries fall back from: its events come from one machine-wide pool
  (fs.aio-max-nr), and one run could hold it all, failing the host's own io_setup;
- inotify answers ENOSYS (as on a kernel without it: file watchers fall back to polling) and
  fanotify EPERM: their instances, watches and marks are counted per uid, and without a user
  namespace of its own (as root) or within the server's (otherwise) a run could hold the count
  the server's own uid needs;
- mounts, of every generation (mount, umount2, pivot_root, fsopen, fsmount, open_tree, ...);
- kernel keyrings (keyctl, add_key, request_key): keys outlive the processes that made them;
- reaching into other processes or the kernel: ptrace, process_vm_readv/writev, bpf,
  perf_event_open, userfaultfd (a tool of kernel exploits), io_uring (a large kernel attack
  surface that slips past syscall filters), kexec, module loading, reboot, swap, quotas,
  clocks, open_by_handle_at, iopl/ioperm, syslog, acct.
Everything else is allowed, which includes fork and clone for threads and processes (the pids
cgroup bounds them), memfd_create (the memory cgroup counts it) and socket (there is no network).
A syscall of another architecture (32-bit x86 from a 64-bit process) kills the process: libseccomp's
default for a foreign architecture.

rules() lists what is refused and how; build_filter() compiles such a list with libseccomp
(through pyseccomp) into BPF bytes, kept per process for each list; bubblewrap loads it
(`--seccomp FD`) just before it starts the interpreter.
"""

import errno
import functools
import os

# clone()'s first argument: the CLONE_NEW* flags refused in it. (CLONE_NEWTIME shares its bit with
# the exit signal in clone(), so unshare and clone3 are the only ways to ask for it: both refused.)
CLONE_NEW_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


class SeccompUnavailable(Exception):
    """libseccomp (Debian's libseccomp2) or its binding is missing."""


def rules():
    """What the filter refuses, in the order it is built: (errno answered, syscall, flags) where
    flags, when not None, are bits that clone's first argument must all have for the refusal.
    A plain function, not a constant, so that `make mutate` changes it (mutate/groups.toml)."""
    denied = [
        # namespaces
        "unshare",
        "setns",
        # mounts
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "move_mount",
        "open_tree",
        "mount_setattr",
        # keyrings
        "keyctl",
        "add_key",
        "request_key",
        # other processes and the kernel
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "reboot",
        "swapon",
        "swapoff",
        "quotactl",
        "acct",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        "open_by_handle_at",
        "name_to_handle_at",
        "iopl",
        "ioperm",
        "syslog",
    ]
    # Linux AIO: contexts and events come from the machine-wide fs.aio-max-nr pool.
    aio = ["io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents"]
    # File watching: instances, watches and marks come from per-uid pools (fs.inotify.*,
    # fanotify's groups and marks) that a run could share with the server's uid.
    inotify = ["inotify_init", "inotify_init1", "inotify_add_watch"]
    fanotify = ["fanotify_init", "fanotify_mark"]
    found = [(errno.EPERM, name, None) for name in denied]
    found += [(errno.EPERM, "clone", flag) for flag in CLONE_NEW_FLAGS.values()]
    found.append((errno.ENOSYS, "clone3", None))
    found += [(errno.ENOSYS, name, None) for name in aio + inotify]
    found += [(errno.EPERM, name, None) for name in fanotify]
    return found


def build_filter(refusals):
    """The BPF of a default-allow filter that answers each of `refusals` (rules()) with its
    errno. A syscall this architecture or this libseccomp does not know is left out (iopl on
    arm64, io_pgetevents in an old libseccomp)."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError) as exc:  # RuntimeError: the binding found no libseccomp
        raise SeccompUnavailable(
            f"seccomp filter unavailable ({exc}): install libseccomp2 (apt-get install "
            "libseccomp2) and the pinned pyseccomp (requirements/base.txt)"
        ) from exc
    built = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for code, name, flags in refusals:
        conditions = [] if flags is None else [seccomp.Arg(0, seccomp.MASKED_EQ, flags, flags)]
        try:
            built.add_rule(seccomp.ERRNO(code), name, *conditions)
        except (ValueError, OSError):
            continue
    # Exported into memory, not a temporary file: building it needs no disk (a full /tmp).
    with os.fdopen(os.memfd_create("seccomp-filter", os.MFD_CLOEXEC), "w+b") as f:
        built.export_bpf(f)
        f.seek(0)
        return f.read()


# Keyed on the rules, so that a changed rules() (a mutant, under `make mutate`) gets a filter of
# its own even where the process built one before.
_compiled = functools.lru_cache(maxsize=4)(build_filter)


def filter_bytes():
    """The filter every run gets, as BPF: built once per process (rules() is a list of tuples,
    cheap to make again, and the cache's key)."""
    return _compiled(tuple(rules()))
