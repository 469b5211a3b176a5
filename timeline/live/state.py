"""A live session's state as its followers see it, read from its database row.

The row is the truth; the channel (live/channel.py) only carries news of changes, and its hub
reads the state of the sessions it serves here to catch up on any news it missed.
"""

from django.db import close_old_connections
from django.utils import timezone

from ..models import LiveSession


def state_of(session):
    return {
        "slide": session.slide,
        "step": session.step,
        "steps": session.layout[session.slide - 1]["steps"] if session.layout else 0,
        "count": session.slide_count,
        "blackout": session.blackout,
        "white": session.blackout and session.blank_white,  # blacked out in white (W)
        "ended": session.ended_at is not None,
        "run": session.last_run,  # the run the projector shows (live/runs.py), or None
        "timer": timer_of(session),  # the talk's one timer (live/timer.py)
    }


def elapsed_ms(session, now=None):
    """Milliseconds on the timer: what earlier runs banked, plus the running one so far."""
    if session.timer_started_at is None:
        return session.timer_banked_ms
    running = (now or timezone.now()) - session.timer_started_at
    return session.timer_banked_ms + max(0, int(running.total_seconds() * 1000))


def timer_of(session):
    """The timer as the state carries it: running or not, and the time on it now."""
    return {"running": session.timer_started_at is not None, "elapsed_ms": elapsed_ms(session)}


def current_states(codes):
    """For the hub's resync: {code: (seq, state)} of these sessions, from the database."""
    try:
        sessions = LiveSession.objects.filter(code__in=codes)
        return {session.code: (session.seq, state_of(session)) for session in sessions}
    finally:
        close_old_connections()
