"""Live sessions: the state of a deck presented live (timeline/live/)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class LiveSession(models.Model):
    """A deck presented live: a remote steers it and followers watch (timeline/live/).

    The follow code is public (it is in the followers' address); the control key is shown
    once, to whoever went live, and only its SHA-256 is kept.
    """

    class DeckKind(models.TextChoices):
        FULL = "full", "Full history"
        ERA = "era", "One era"
        TALK = "talk", "Talk"

    code = models.CharField(max_length=32, unique=True)
    key_digest = models.CharField(max_length=64)
    deck_kind = models.CharField(max_length=8, choices=DeckKind.choices)
    deck_slug = models.SlugField(blank=True)
    # The deck as the speaker saw it: staff see unpublished eras, and so do their followers.
    with_unpublished = models.BooleanField(default=False)
    # Per slide, its number of build steps and the samples a remote may run (checked input).
    layout = models.JSONField(default=list)
    slide = models.PositiveIntegerField(default=1)
    step = models.PositiveIntegerField(default=0)
    blackout = models.BooleanField(default=False)
    blank_white = models.BooleanField(default=False)  # the blacked-out screen is white (W)
    # Bumped on every change; the event id that a reconnecting follower sends back.
    seq = models.PositiveBigIntegerField(default=0)
    # The seq of the last move (slide, step, blackout): a move based on any later state is not
    # stale, since a run result in between moved nothing.
    moved_seq = models.PositiveBigIntegerField(default=0)
    # The last run shown on the projector, as the server rendered it (live/runs.py); cleared
    # when the slide changes. Part of the state, so a follower that connects later sees it.
    last_run = models.JSONField(null=True, blank=True)
    # The talk's one timer (live/timer.py): time banked by earlier runs of it, and when the
    # running one started (null while paused), so every device shows the same elapsed time.
    timer_banked_ms = models.PositiveBigIntegerField(default=0)
    timer_started_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    touched_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["touched_at"], name="live_touched")]

    def __str__(self):
        return f"Live {self.code} ({self.get_deck_kind_display()} {self.deck_slug})".strip()

    def get_absolute_url(self):
        return reverse("timeline:live-follow", kwargs={"code": self.code})

    @property
    def slide_count(self):
        return len(self.layout)
