"""Live sessions: creating one, checking its control key, changing its state, expiry.

The state (slide, build step, blackout) lives in the database row, so a reconnecting follower
or a freshly started worker always reads the truth (live/state.py); the channel only carries
the news.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from historyweb.errors import ServiceError

from ..models import LiveSession
from . import channel
from .state import state_of

KEY_BYTES = 32  # 256 bits from secrets: far past the 128 a control key needs
CODE_BYTES = 8  # 64 bits: unguessable for a follow address, short enough for a QR code


class Closed(ServiceError):
    """The session was ended by its speaker or expired after a day idle (410)."""

    status = 410

    def __init__(self, session):
        if session.ended_at is not None:
            message = "This live session has ended: the speaker closed it."
        else:
            message = "This live session has expired: it was idle for more than a day."
        super().__init__(message)


class OutOfRange(ServiceError):
    """A slide, step, sample or step count the deck does not have (400)."""

    status = 400


class Stale(ServiceError):
    """A move based on a state the session has since left (409). Nothing was changed; the
    answer carries the state now, and the sender shows that instead of its own move."""

    status = 409

    def __init__(self, session):
        self.session = session
        super().__init__(
            f"Not moved: the deck had already moved on (it is on slide {session.slide}). "
            "This move was based on an older state."
        )


def idle_limit():
    return timedelta(seconds=getattr(settings, "LIVE_IDLE_SECONDS", 24 * 60 * 60))


def digest(key):
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_matches(session, key):
    """Constant-time: the time taken says nothing about how much of the key was right."""
    if not isinstance(key, str) or not key:
        return False
    return hmac.compare_digest(digest(key), session.key_digest)


def is_closed(session, now=None):
    now = now or timezone.now()
    return session.ended_at is not None or session.touched_at < now - idle_limit()


def layout_of(deck):
    """Per slide: its last build step (its steps are 0..that, build_steps.py, counted by the
    server from the slide, never taken from a browser) and the samples a remote may run."""
    return [
        {
            "steps": item.builds,
            "samples": [sample.pk for sample in item.samples if sample.runnable],
        }
        for item in deck.slides
    ]


def create(deck, kind, slug, *, slide=1, step=0, user=None, with_unpublished=False):
    """A new session for `deck` that starts where the presenting deck is (slide and step,
    checked against the deck); returns (session, key). The key is not stored, only its digest."""
    layout = layout_of(deck)
    slide, step = checked_position(layout, slide, step)
    LiveSession.objects.filter(touched_at__lt=timezone.now() - 7 * idle_limit()).delete()
    key = secrets.token_urlsafe(KEY_BYTES)
    session = LiveSession.objects.create(
        code=secrets.token_urlsafe(CODE_BYTES),
        key_digest=digest(key),
        deck_kind=kind,
        deck_slug=slug or "",
        with_unpublished=with_unpublished,
        layout=layout,
        slide=slide,
        step=step,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    return session, key


def checked_position(layout, slide, step):
    """Whole numbers in range only: slide 1..count, step 0..that slide's build steps."""
    if type(slide) is not int or type(step) is not int:  # noqa: E721 (bool is an int too)
        raise OutOfRange("“slide” and “step” must be whole numbers.")
    if not 1 <= slide <= len(layout):
        raise OutOfRange(f"Slide {slide} is not in this deck (1–{len(layout)}).")
    steps = layout[slide - 1]["steps"]
    if not 0 <= step <= steps:
        raise OutOfRange(f"Slide {slide} has steps 0–{steps}, not {step}.")
    return slide, step


def change(session, *, seq, slide=None, step=None, blackout=None):
    """Move the session (validated), bump its sequence number and tell every follower.

    `seq` is the sequence number of the state the sender saw when it made the move. The move
    is made only if the session is still in that state (compare and swap in one UPDATE), so
    two senders moving at once can never both advance: the later one is refused with Stale
    and brought to the state now, and no slide is skipped."""
    if is_closed(session):
        raise Closed(session)
    if type(seq) is not int or not 0 <= seq < 2**63:  # noqa: E721 (bool is an int too)
        raise OutOfRange("“seq” must be the sequence number of the state this move was based on.")
    fields = {}
    if slide is not None or step is not None:
        slide = session.slide if slide is None else slide
        step = 0 if step is None else step  # only a missing step is 0: not "", [] or false
        fields["slide"], fields["step"] = checked_position(session.layout, slide, step)
        if slide != session.slide:
            fields["last_run"] = None  # a result belongs to its slide
    if blackout is not None:
        if type(blackout) is not bool and blackout != "white":
            raise OutOfRange('“blackout” must be true, false or "white".')
        fields["blackout"], fields["blank_white"] = bool(blackout), blackout == "white"
    with transaction.atomic():
        # Stale only if something moved since `seq`: a run shown meanwhile moved nothing.
        based = LiveSession.objects.filter(moved_seq__lte=seq, seq__gte=seq)
        moved = based.filter(pk=session.pk, ended_at__isnull=True).update(
            seq=F("seq") + 1, moved_seq=F("seq") + 1, touched_at=timezone.now(), **fields
        )
        session.refresh_from_db()
    if not moved:
        if session.ended_at is not None:
            raise Closed(session)
        raise Stale(session)
    announce(session)
    return session


def end(session):
    if session.ended_at is None:
        LiveSession.objects.filter(pk=session.pk).update(ended_at=timezone.now(), seq=F("seq") + 1)
        session.refresh_from_db()
        announce(session)
    return session


def run(session, sample):
    """Ask the presenting deck to run a sample of the current slide (followers ignore it)."""
    if is_closed(session):
        raise Closed(session)
    if type(sample) is not int or sample not in session.layout[session.slide - 1]["samples"]:
        raise OutOfRange("That sample is not on the current slide.")
    LiveSession.objects.filter(pk=session.pk).update(touched_at=timezone.now())
    channel.hub().publish(
        session.code, "run", session.seq, {"sample": sample, "slide": session.slide}
    )


def replace_run(session, slide, make):
    """Store `make(last run)` (live/runs.py) as the session's last run if the session is still
    open and on `slide`; bump the sequence number and tell every follower."""
    with transaction.atomic():
        locked = LiveSession.objects.select_for_update().filter(pk=session.pk).first()
        if locked is None or is_closed(locked):
            raise Closed(locked or session)
        if locked.slide != slide:
            raise OutOfRange("The deck has moved on to another slide: the run is not shown.")
        shown = make(locked.last_run)
        locked.seq += 1
        locked.last_run = {**shown, "seq": locked.seq}
        locked.touched_at = timezone.now()
        locked.save(update_fields=["seq", "last_run", "touched_at"])
    announce(locked)
    return locked


def announce(session):
    channel.hub().publish(session.code, "state", session.seq, state_of(session))
