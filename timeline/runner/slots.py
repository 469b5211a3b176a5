"""A global cap on concurrent runs, shared by every worker process: one flock()ed file per slot.

The kernel drops a lock when its holder dies, so a crashed worker never leaks a slot.
"""

import fcntl
import os
import time
from contextlib import contextmanager

from historyweb.errors import ServiceError


class Busy(ServiceError):
    """Too many runs (every slot, the rate limit, the pool's queue): answer 429 with
    Retry-After."""

    status = 429

    def __init__(self, retry_after, message):
        super().__init__(message, retry_after=retry_after)


class NoFreeSlot(Exception):
    """Every slot is busy; the caller answers 429."""


@contextmanager
def run_slot(directory, count, wait=0.0, poll=0.02):
    """Hold one of `count` slots for the duration of the block; yields the slot's index."""
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        for index in range(count):
            fd = os.open(directory / f"slot-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield index
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() >= deadline:
            raise NoFreeSlot
        time.sleep(poll)
