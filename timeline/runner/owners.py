"""Which process a run's leftovers belong to, and whether it still lives.

A worker killed mid-run (an OOM kill, a deploy's SIGKILL) leaves its run's work directory and
cgroup behind. Each of them carries an owner tag, "<pid>.<start time>": the start time (in clock
ticks since boot, from /proc/<pid>/stat) tells a live owner from a later process that was
given the same pid, so a tag names one process for the life of the machine.
"""

import os


def start_time(pid):
    """The process's start time in clock ticks since boot, or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError, NotADirectoryError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ")": fields after
    # the last ")" are plain. starttime is field 22, the 20th after the name.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[19])


def tag(pid=None):
    """This process's tag (or another live process's); forked workers each get their own."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}.{start_time(pid)}"


def parse(text):
    """(pid, start time) of a tag, or None if `text` is not one."""
    pid, dot, started = text.partition(".")
    if not (dot and pid.isascii() and pid.isdigit() and started.isascii() and started.isdigit()):
        return None
    return int(pid), int(started)


def alive(text):
    """Whether the tag's process is still running. A text that is no tag counts as alive: what
    cannot be told to be dead is never swept."""
    owner = parse(text)
    if owner is None:
        return True
    pid, started = owner
    return start_time(pid) == started
