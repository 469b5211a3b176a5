"""Talks: a chosen run of eras presented as one deck, with notes of their own."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from .. import rendering
from ..fields import LineTextField
from .content import ORDER_VALIDATORS, ContentModel, Era, Slide
from .slugs import slug_errors


class Talk(ContentModel):
    NATURAL_KEY = ("slug",)

    slug = models.SlugField(
        unique=True, help_text="The talk's address: /talks/ then the slug, then /present/."
    )
    title = models.CharField(max_length=200)
    description = LineTextField(blank=True, final_newline=False)
    duration_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="Target length; the speaker view splits it across the eras by slide count.",
    )
    eras = models.ManyToManyField(Era, through="TalkEra", related_name="talks")

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def clean(self):
        if errors := slug_errors(self.slug):
            raise ValidationError(errors)

    def get_absolute_url(self):
        return reverse("timeline:talk-present", kwargs={"slug": self.slug})

    def ordered_eras(self):
        return [item.era for item in self.items.select_related("era").order_by("order")]


class TalkEra(ContentModel):
    NATURAL_KEY = ("talk__slug", "era__slug")

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="items")
    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="talk_items")
    order = models.PositiveSmallIntegerField(validators=ORDER_VALIDATORS)

    class Meta:
        ordering = ["talk", "order"]
        constraints = [
            models.UniqueConstraint(fields=["talk", "era"], name="unique_era_per_talk"),
        ]
        verbose_name = "era in talk"
        verbose_name_plural = "eras in talk"

    def __str__(self):
        return f"{self.talk}: {self.order}. {self.era.title}"


class TalkNote(ContentModel):
    """A talk's own speaker notes for one slide. A cut skips eras, so a transition written for
    the full history ("next, the last era…") can be wrong in it; the slide itself is shared."""

    NATURAL_KEY = ("talk__slug", "slide__era__slug", "slide__order")

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="notes")
    slide = models.ForeignKey(Slide, on_delete=models.CASCADE, related_name="talk_notes")
    notes = LineTextField(
        help_text="Speaker notes (markdown) for this slide in this talk only; they replace the "
        "slide's own notes in its speaker view and handout."
    )
    notes_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["talk", "slide"]
        constraints = [
            models.UniqueConstraint(fields=["talk", "slide"], name="unique_note_per_talk_slide"),
        ]
        verbose_name = "speaker notes for this talk"
        verbose_name_plural = "speaker notes for this talk"

    def __str__(self):
        return f"{self.talk}: {self.slide}"

    def render(self):
        self.notes_html = rendering.render_markdown(self.notes)
