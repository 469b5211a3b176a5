"""bubblewrap's command line for a run: what the sandbox sees (read-only system and interpreter,
the run's work directory, a private /tmp and /dev/shm, no ptys, a clean environment) and where its
pipes go."""

import os
import sys
import threading
from pathlib import Path

from historyweb.errors import refuse_if_no_room_to_run

from .bytecode import compiled

HARNESS = Path(__file__).with_name("harness.py")
SANDBOX_RUNNER = "/runner"
SANDBOX_HARNESS = f"{SANDBOX_RUNNER}/harness.py"
# A script's run: the harness as the site customisation of `python sample.py` (harness.py says why).
SANDBOX_SITE = f"{SANDBOX_RUNNER}/sitecustomize.py"
SANDBOX_SCRIPT = "sample.py"  # as typed, in the working directory /tmp
SANDBOX_WORK = "/sample"
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
# Files some libraries read at import time (mimetypes, zoneinfo, the dynamic loader's cache), and
# OpenSSL's configuration and public CA certificates (ssl.create_default_context() loads them; no
# private key: /etc/ssl/private is not bound).
SYSTEM_FILES = ["/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types", "/etc/nsswitch.conf"]
SYSTEM_FILES += ["/etc/ssl/openssl.cnf", "/etc/ssl/certs"]


def python_roots(python):
    """Directories the interpreter needs: the venv and the installation it was made from."""
    roots = set()
    venv = Path(python).parent.parent
    if (venv / "pyvenv.cfg").exists():
        roots.add(venv)
        for line in (venv / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                roots.add(Path(value.strip()).parent)
    real = Path(os.path.realpath(python)).parent.parent
    roots.add(real)
    if python == sys.executable:
        roots.update({Path(sys.prefix), Path(sys.base_prefix)})
    return sorted(r for r in roots if not str(r).startswith("/usr/") and str(r) != "/usr")


def build_command(
    config,
    work_dir,
    result_fd,
    info_fd,
    hosts_file,
    argv=None,
    seccomp_fd=None,
    block_fd=None,
    script=False,
    go_fd=None,
    warm=(),
    bytecode=None,
):
    """The bwrap command line; `argv` replaces the harness (the benchmark runs `-c pass`);
    `script`: CPython runs the sample itself, the harness loaded as its sitecustomize; `go_fd`:
    a spare's, where the harness waits for its run (spares.py), `warm` imported before;
    `bytecode`: the harness compiled (harness_bytecode), bound beside its source and used."""
    command = [config.bwrap]
    if seccomp_fd is not None:
        command += ["--seccomp", str(seccomp_fd)]
    if block_fd is not None:  # wait there until the host has put the sandbox in its cgroup
        command += ["--block-fd", str(block_fd)]
    if os.geteuid() == 0:
        # Root is exempt from RLIMIT_NPROC even inside a user namespace, so as root we skip the
        # user namespace and let the harness drop to an unprivileged uid, keeping only the two
        # capabilities it needs for that.
        command += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        command += ["--unshare-cgroup-try", "--cap-drop", "ALL"]
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-all"]
    command += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    command += ["--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin"]
    command += ["--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", "/tmp"]
    # A fixed hash seed: a sample that prints a set prints it the same way every run, so
    # check_samples can compare outputs.
    command += ["--setenv", "PYTHONHASHSEED", "0"]
    command += ["--info-fd", str(info_fd)]
    # The tmpfs comes first: mounted after the binds it would hide a venv that lives under /tmp.
    command += ["--perms", "1777", "--size", str(config.tmp_bytes), "--tmpfs", "/tmp"]
    # Directories bwrap creates are 0700 by default; the harness drops root and must read them.
    for directory in ("/etc", "/etc/ssl", "/runner"):
        command += ["--perms", "0755", "--dir", directory]
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):
            command += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            command += ["--ro-bind", directory, directory]
    for path in SYSTEM_FILES:
        command += ["--ro-bind-try", path, path]
    command += ["--ro-bind", str(hosts_file), "/etc/hosts"]
    # The run's own user and group by name (the host writes them with the spec, below): pwd,
    # getpass.getuser() and `~user` work as they do for the learner's own account.
    for name in ACCOUNT_FILES:
        command += ["--ro-bind-try", str(Path(work_dir) / name), f"/etc/{name}"]
    roots = python_roots(config.python)
    # bwrap creates missing parents as 0700 (e.g. /root for a pyenv install); the harness reads
    # the interpreter after dropping root, so create them readable.
    parents = sorted({p for r in roots for p in r.parents if str(p) not in ("/", "/tmp")})
    for parent in parents:
        command += ["--perms", "0755", "--dir", str(parent)]
    for root in roots:
        command += ["--ro-bind", str(root), str(root)]
    command += ["--ro-bind", str(work_dir), SANDBOX_WORK]
    command += ["--ro-bind", str(HARNESS), SANDBOX_SITE if script else SANDBOX_HARNESS]
    main = SANDBOX_HARNESS
    if bytecode and script:
        cached = f"{SANDBOX_RUNNER}/__pycache__"
        command += ["--perms", "0755", "--dir", cached]
        command += ["--ro-bind", str(bytecode.site), f"{cached}/{bytecode.cached_name}"]
    elif bytecode:
        main = f"{SANDBOX_HARNESS}c"
        command += ["--ro-bind", str(bytecode.harness), main]
    command += ["--proc", "/proc", "--dev", "/dev"]
    # A private, writable /dev/shm (bwrap's is root's, 0755), so multiprocessing's locks and
    # queues work; a tmpfs, counted in the run's cgroup like /tmp.
    command += ["--perms", "1777", "--size", str(config.tmp_bytes), "--tmpfs", "/dev/shm"]
    # No ptys: each comes from a machine-wide count (kernel.pty.max) and one run held 1,829 of
    # them. bwrap's own devpts has no `max`, so an empty read-only /dev/pts hides it, and
    # /dev/ptmx (a link to pts/ptmx) names nothing.
    command += ["--perms", "0755", "--size", "4096", "--tmpfs", "/dev/pts"]
    command += ["--remount-ro", "/dev/pts"]
    command += ["--chdir", "/tmp"]
    if argv is not None:
        return command + [config.python, *argv]
    if script:
        # The harness takes these three out of the environment before the program starts.
        command += ["--setenv", "PYTHONPATH", SANDBOX_RUNNER]
        command += ["--setenv", "RUNNER_SPEC", f"{SANDBOX_WORK}/spec"]
        command += ["--setenv", "RUNNER_RESULT_FD", str(result_fd)]
        if go_fd is not None:
            command += ["--setenv", "RUNNER_GO_FD", str(go_fd)]
        # The flags of `python -u sample.py` and no other: sys.flags, sys.orig_argv, the user site
        # (HOME is the run's empty /tmp) and the bytecode an import writes are as a learner's,
        # and a child started with sys.executable gets the same. -u: one stream, in order.
        return command + [config.python, "-u", SANDBOX_SCRIPT]
    # -s -P rather than -I: the environment is entirely ours (--clearenv), and -I would ignore
    # PYTHONHASHSEED. No user site-packages, no script directory on sys.path, no bytecode.
    command += [config.python, "-s", "-P", "-B", "-u", main]
    command += [f"{SANDBOX_WORK}/spec", str(result_fd)]
    return command + ([str(go_fd), *warm] if go_fd is not None else [])


def harness_bytecode(config):
    """The harness compiled for the sandbox's interpreter (bytecode.py), or None."""
    return compiled(config, HARNESS, SANDBOX_HARNESS, SANDBOX_SITE)


ACCOUNT_FILES = ("passwd", "group")


def account_files(uid):
    """/etc/passwd and /etc/group for a run whose code runs as `uid` (when the server is not root,
    its own uid, kept in the run's user namespace): root and the run's user, at home in /tmp."""
    user, group = (uid, uid) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    return {
        "passwd": f"root:x:0:0:root:/root:/bin/sh\nsandbox:x:{user}:{group}:sandbox:/tmp:/bin/sh\n",
        "group": f"root:x:0:\nsandbox:x:{group}:\n",
    }


def write_accounts(work_dir, uid):
    """The account files into a work directory, before its bwrap starts (they are bound then)."""
    try:
        for name, text in account_files(uid).items():
            path = Path(work_dir) / name
            path.write_text(text)
            path.chmod(0o644)
    except OSError as exc:
        refuse_if_no_room_to_run(exc)
        raise


def hosts_file(config):
    path = config.state_dir / "hosts"
    if not path.exists() or path.read_text() != HOSTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: two first runs at once (threads or workers) would trip on one name.
        tmp = path.with_name(f"hosts.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(HOSTS)
        tmp.chmod(0o644)
        tmp.replace(path)
    return path
