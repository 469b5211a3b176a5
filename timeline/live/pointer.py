"""The speaker's pointer: a dot the speaker moves (a finger on the remote's slide, the mouse in the
deck) that the projector and every follower draw on the same slide.

A position is relative to the slide (x and y from 0 to 1), so it lands on the same spot on any
screen. Pointer moves are news only: never stored, and they do not bump the session's sequence
number, so they can never make a move stale. They go through the hub like other events, and a
stream that falls behind is sent only the latest (live/channel.py keeps one per stream).
"""

import math
import re
import time

from . import channel
from .sessions import Closed, OutOfRange, is_closed

SENDER = re.compile(r"[A-Za-z0-9_-]{1,16}")
MAX_N = 2**53  # what a browser counts to exactly


class Stale(OutOfRange):
    """A pointer on a slide the session has left (409): not shown."""

    status = 409


def checked_coordinate(name, value):
    if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= 1:
        raise OutOfRange(f"“{name}” must be a number from 0 to 1 (a share of the slide).")
    return round(float(value), 4)


def order(sender, n):
    """A sender's own count of its moves: {"sender", "n"}, or {} when it sends none. A sender
    with two requests on their way may have them arrive in either order; streams pass on only
    a higher "n" from the same sender (live/stream.py), so its last position wins."""
    if sender is None and n is None:
        return {}
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        raise OutOfRange("“sender” must be 1 to 16 letters, digits, - or _.")
    if type(n) is not int or not 0 <= n < MAX_N:  # noqa: E721
        raise OutOfRange("“n” must be the sender's count of its moves, a whole number.")
    return {"sender": sender, "n": n}


def position(session, slide, x=None, y=None, hidden=None):
    """The pointer as followers get it: {"slide", "x", "y"} or {"slide", "hidden": true}."""
    if type(slide) is not int:  # noqa: E721 (bool is an int too)
        raise OutOfRange("“slide” must be the number of the slide pointed at.")
    if hidden is not None and hidden is not True:
        raise OutOfRange("“hidden” must be true (the pointer leaves the slide) or absent.")
    if hidden and (x is not None or y is not None):
        raise OutOfRange("A hidden pointer has no “x” or “y”.")
    if not hidden and (x is None or y is None):
        raise OutOfRange("Say where the pointer is: “x” and “y”, each from 0 to 1.")
    if not hidden:
        x, y = checked_coordinate("x", x), checked_coordinate("y", y)
    if slide != session.slide:
        raise Stale(f"Not shown: the deck is on slide {session.slide}, not {slide}.")
    if hidden:
        return {"slide": slide, "hidden": True}
    return {"slide": slide, "x": x, "y": y}


def point(session, slide, x=None, y=None, hidden=None, sender=None, n=None):
    """Check the position and tell every follower; nothing is written to the database. The
    message's number is the server's clock in microseconds: a stream passes on only newer ones."""
    if is_closed(session):
        raise Closed(session)
    data = order(sender, n) | position(session, slide, x, y, hidden)
    channel.hub().publish(session.code, "pointer", time.time_ns() // 1000, data)
    return data
