"""The talk's one timer, held by its live session: the speaker view and the remote start and
pause the same clock, and each shows the elapsed time the server last said, counting on from
when it heard it (no device's clock is compared with another's).

Actions, not a toggle: two devices pressing "start" at once start it once.
"""

from django.db import transaction
from django.utils import timezone

from ..models import LiveSession
from .sessions import Closed, OutOfRange, announce, is_closed
from .state import elapsed_ms

ACTIONS = ("start", "pause", "reset")


def apply(session, action):
    """Start, pause or reset the session's timer and tell every device; raises OutOfRange for
    another action, Closed once the session is over. An action that changes nothing (start
    while running) is answered with the state and announces nothing."""
    if action not in ACTIONS:
        raise OutOfRange(f"“action” must be one of {', '.join(ACTIONS)}.")
    with transaction.atomic():
        locked = LiveSession.objects.select_for_update().filter(pk=session.pk).first()
        if locked is None or is_closed(locked):
            raise Closed(locked or session)
        now = timezone.now()
        running = locked.timer_started_at is not None
        if action == "start" and not running:
            locked.timer_started_at = now
        elif action == "pause" and running:
            locked.timer_banked_ms = elapsed_ms(locked, now)
            locked.timer_started_at = None
        elif action == "reset" and (running or locked.timer_banked_ms):
            locked.timer_banked_ms = 0
            locked.timer_started_at = None
        else:
            return locked
        # A new state (its seq is bumped) but not a move: a move based on the one before is
        # not stale (moved_seq stays).
        locked.seq += 1
        locked.touched_at = now
        locked.save(update_fields=["seq", "timer_banked_ms", "timer_started_at", "touched_at"])
    announce(locked)
    return locked
