"""Errors that carry their HTTP answer: a status, a message the user reads and, for a refusal
that passes with time (busy, rate-limited), how many seconds to wait.

The code that knows why a request cannot be served raises one (the runner's Busy and
SandboxUnavailable, a refused request body, a live session that has ended); the view layer
turns it into a response in one place (timeline/views/json_api.py). Nothing here knows HTTP
beyond the numbers.
"""

import errno

# What a write says when there is no room left: the disk is full, or this user's quota is.
NO_ROOM = (errno.ENOSPC, errno.EDQUOT)
DISK_FULL = "The server's disk is full"


class ServiceError(Exception):
    """A request that cannot be served, and the status that says so."""

    status = 500

    def __init__(self, message, status=None, retry_after=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.retry_after = retry_after

    @property
    def headers(self):
        """The headers its response carries: Retry-After when waiting helps."""
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(self.retry_after)}


def causes(error):
    """`error` and each error it was raised from."""
    seen = set()
    while error is not None and id(error) not in seen:
        yield error
        seen.add(id(error))
        error = error.__cause__ or error.__context__


def disk_full(error):
    """Whether `error`, or an error it was raised from, is a write that found no room."""
    return any(isinstance(e, OSError) and e.errno in NO_ROOM for e in causes(error))


NO_ROOM_TO_RUN = f"{DISK_FULL}, so code cannot be run right now. Try again later."


def refuse_if_no_room_to_run(error):
    """A run's files that could not be written for want of room: a 503 that says so. Any other
    error is not expected, and the caller raises it as it was."""
    if disk_full(error):
        raise ServiceError(NO_ROOM_TO_RUN, status=503) from error


DATABASE_BUSY = (
    "The server is busy: every database connection it may use is taken. Try again in a few seconds."
)


def database_busy(error):
    """A ServiceError (503) if `error` came from a full connection pool (psycopg's PoolTimeout,
    which Django raises as its OperationalError), else None. The wait passes with the load."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # no pool without psycopg_pool
        return None
    if any(isinstance(e, PoolTimeout) for e in causes(error)):
        return ServiceError(DATABASE_BUSY, status=503, retry_after=2)
    return None
