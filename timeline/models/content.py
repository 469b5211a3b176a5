"""The timeline's content: eras, how they relate, and what an era's page and deck show (slides
and references; code samples are in samples.py)."""

from functools import reduce

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .. import rendering
from ..fields import LineTextField
from .slugs import slug_errors

FIRST_YEAR = 1980
RESERVED_ERA_SLUGS = {"speaker", "print"}


def validate_year(value):
    this_year = timezone.now().year
    if not FIRST_YEAR <= value <= this_year:
        raise ValidationError(f"Enter a year between {FIRST_YEAR} and {this_year}.")


def validate_lexer_alias(value):
    if not rendering.is_lexer_alias(value):
        raise ValidationError(
            f"“{value}” is not a Pygments lexer alias. Try python, python2, bash, http, "
            "html, html+django, text or pycon."
        )


# Undated eras sort after dated ones of the same year, on SQLite and PostgreSQL alike.
def chronological_order(prefix=""):
    """Year, exact date (undated last), title: for Era itself or through a relation prefix."""
    return [f"{prefix}year", models.F(f"{prefix}date").asc(nulls_last=True), f"{prefix}title"]


CHRONOLOGICAL = chronological_order()
TIMELINE_FIELDS = ("slug", "title", "year", "date", "kind", "summary", "published")


class NaturalKeyManager(models.Manager):
    """Finds a row by its NATURAL_KEY, as fixtures and revisions name it."""

    def get_by_natural_key(self, *values):
        return self.get(**dict(zip(self.model.NATURAL_KEY, values, strict=True)))


class ContentModel(models.Model):
    """The base of what editors write: a save or delete of any model built on it makes every
    cached page stale (CONTENT_MODELS in timeline/models/__init__.py lists them). State kept
    while the site runs, such as a live session, is built on models.Model instead.

    Saving renders first: what pages show as HTML (markdown, highlighted code) is stored with
    what the editor wrote, so no page renders it on the way out."""

    # How fixtures and revisions name a row: lookups from it, e.g. ("era__slug", "order"). The
    # manager finds a row by them, and natural_key() reads them; Django's serializers order
    # models by their foreign keys, so no dependencies need listing.
    NATURAL_KEY = ()

    # Every model built on this one inherits it; one with QuerySet methods of its own builds its
    # manager from them with NaturalKeyManager.from_queryset().
    objects = NaturalKeyManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def natural_key(self):
        return tuple(reduce(getattr, path.split("__"), self) for path in self.NATURAL_KEY)

    def render(self):
        """Fill the stored HTML fields from the fields they show; a model without any keeps this."""


class EraQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def chronological(self):
        return self.order_by(*CHRONOLOGICAL)

    def visible_to(self, user):
        """Staff preview unpublished eras; everyone else sees only published ones."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        return self.published()

    def for_timeline(self):
        return self.only(*TIMELINE_FIELDS)


class Era(ContentModel):
    NATURAL_KEY = ("slug",)

    class Kind(models.TextChoices):
        PROTOCOL = "protocol", "Protocol"
        INTERFACE = "interface", "Interface"
        SERVER = "server", "Server"
        FRAMEWORK = "framework", "Framework"
        TOOLKIT = "toolkit", "Toolkit"
        PLATFORM = "platform", "Platform"

    slug = models.SlugField(
        unique=True,
        help_text="The address of the era's page, e.g. /eras/wsgi/ for “wsgi”. Keep it stable.",
    )
    title = models.CharField(max_length=120, help_text="As learners know it, e.g. “WSGI”.")
    year = models.PositiveSmallIntegerField(
        validators=[validate_year],
        help_text="Year of the first public release or of the specification, from a primary "
        "source cited in the references.",
    )
    date = models.DateField(
        null=True, blank=True, help_text="The exact date, when a primary source gives one."
    )
    date_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="A short note on the date: what it marks, or where the talk said otherwise.",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FRAMEWORK)
    summary = models.CharField(max_length=300, help_text="One line, shown on the timeline.")
    body = LineTextField(blank=True, help_text="Markdown: what it solved, how, what it led to.")
    body_html = models.TextField(blank=True, editable=False)
    published = models.BooleanField(default=True, help_text="Unpublished eras are staff-only.")
    related = models.ManyToManyField(
        "self",
        through="EraRelation",
        through_fields=("era", "other"),
        symmetrical=False,
        blank=True,
        help_text="Eras this one built on, replaced, was influenced by, or shares an idea with.",
    )

    objects = NaturalKeyManager.from_queryset(EraQuerySet)()

    class Meta:
        ordering = CHRONOLOGICAL

    def __str__(self):
        return f"{self.title} ({self.year})"

    def get_absolute_url(self):
        return reverse("timeline:era", kwargs={"slug": self.slug})

    def clean(self):
        errors = slug_errors(self.slug)
        # /present/speaker/ and /present/print/ are the full deck's views, not an era's deck.
        if self.slug in RESERVED_ERA_SLUGS:
            errors["slug"] = f"“{self.slug}” is taken by the presenter's addresses: choose another."
        if self.date and self.year and self.date.year != self.year:
            errors["date"] = (
                f"The date is in {self.date.year} but the era's year is {self.year}: "
                "make them agree, or leave the date blank."
            )
        if errors:
            raise ValidationError(errors)

    def render(self):
        self.body_html = rendering.render_markdown(self.body)

    def sort_key(self):
        """The CHRONOLOGICAL ordering, in Python."""
        return (self.year, self.date is None, self.date or 0, self.title)

    @property
    def date_evidence(self):
        """The references that back the date note, read from `references` (prefetched by pages)."""
        return [ref for ref in self.references.all() if ref.supports_date]

    @property
    def decade(self):
        return self.year - self.year % 10


class EraRelationQuerySet(models.QuerySet):
    def touching(self, era, visible):
        """The links from and to `era` whose other end is in the `visible` eras queryset."""
        return (
            self.filter(models.Q(era=era, other__in=visible) | models.Q(other=era, era__in=visible))
            .select_related("era", "other")
            .only(
                "kind", *(f"{end}__{name}" for end in ("era", "other") for name in TIMELINE_FIELDS)
            )
        )


class EraRelation(ContentModel):
    """How one era relates to another, read as "<era> <kind> <other>": Flask built on WSGI.

    Each pair is stored once, on the era that the sentence starts with; the other era's page
    reads it backwards ("basis for Flask").
    """

    NATURAL_KEY = ("era__slug", "other__slug")

    class Kind(models.TextChoices):
        BUILT_ON = "built-on", "built on"
        SUCCEEDED = "succeeded", "succeeded"
        REPLACED = "replaced", "replaced"
        INFLUENCED_BY = "influenced-by", "was influenced by"
        SAME_IDEA = "same-idea", "same idea as"

    # How each kind reads from either end, as the start of a sentence ending with the other
    # era, and how close it binds (lower: listed first): predecessor and successor, then what
    # an era builds on or is the basis for, then shared ideas, then influence.
    LABELS = {
        Kind.SUCCEEDED: ("Successor of", "Succeeded by", 0),
        Kind.REPLACED: ("Replaced", "Replaced by", 0),
        Kind.BUILT_ON: ("Built on", "Basis for", 1),
        Kind.SAME_IDEA: ("Same idea as", "Same idea as", 2),
        Kind.INFLUENCED_BY: ("Influenced by", "Influenced", 3),
    }

    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="relations")
    other = models.ForeignKey(
        Era, on_delete=models.CASCADE, related_name="inverse_relations", verbose_name="related era"
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.SAME_IDEA,
        help_text="Read it as a sentence: “this era built on the related era”.",
    )

    objects = NaturalKeyManager.from_queryset(EraRelationQuerySet)()

    class Meta:
        ordering = ["era", "other"]
        constraints = [
            models.UniqueConstraint(fields=["era", "other"], name="unique_relation_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(era=models.F("other")), name="relation_not_to_itself"
            ),
        ]
        verbose_name = "related era"
        verbose_name_plural = "related eras"

    def __str__(self):
        return f"{self.era.title} {self.get_kind_display()} {self.other.title}"

    def clean(self):
        if self.era_id and self.era_id == self.other_id:
            raise ValidationError({"other": "An era cannot be related to itself."})
        reverse = EraRelation.objects.filter(era_id=self.other_id, other_id=self.era_id)
        if not (self.era_id and self.other_id and reverse.exists()):
            return
        # A pair stored both ways by an older version must not block every later save of both
        # eras with an error on a row nobody touched: only a new or re-pointed row is refused.
        if (
            self.pk
            and EraRelation.objects.filter(
                pk=self.pk, era=self.era_id, other=self.other_id
            ).exists()
        ):
            return
        raise ValidationError(
            {
                "other": f"{self.other.title} already names {self.era.title} on its own page: "
                "a pair is stored once, in one direction. Edit that relation instead."
            }
        )

    def seen_from(self, era):
        """(label, the era at the other end, closeness) as the page of `era` shows it."""
        forward, backward, closeness = self.LABELS[self.kind]
        if self.era_id == era.pk:
            return forward, self.other, closeness
        return backward, self.era, closeness


def related_eras(era, relations):
    """The links of `era` as (label, other era), closest first: lineage before influence, then
    the nearest in time."""
    seen = [relation.seen_from(era) for relation in relations]
    seen.sort(key=lambda item: (item[2], abs(item[1].year - era.year), item[1].sort_key()))
    return [(label, other) for label, other, _ in seen]


# An order that is a position from 1, within a small integer on every database (SQLite would
# store 40000; PostgreSQL would refuse it with an error instead of a form message).
ORDER_VALIDATORS = [MinValueValidator(1), MaxValueValidator(32767)]


def ordered_part(parent, constraint_name):
    """An abstract base for rows kept in order within a `parent` (a foreign key each subclass
    declares, with the `order` field: their related names and help texts differ), the order
    unique there. `constraint_name` may hold %(class)s, which Django fills with the model's
    name in lower case."""

    class Part(ContentModel):
        NATURAL_KEY = (f"{parent}__slug", "order")

        class Meta:
            abstract = True
            ordering = [parent, "order"]
            constraints = [models.UniqueConstraint(fields=[parent, "order"], name=constraint_name)]

    return Part


# What an era's page lists in order: its slides, code samples and references.
EraPart = ordered_part("era", "unique_%(class)s_order_per_era")


class Slide(EraPart):
    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="slides")
    order = models.PositiveSmallIntegerField(
        validators=ORDER_VALIDATORS, help_text="Position within the era, from 1."
    )
    title = models.CharField(max_length=200)
    body = LineTextField(blank=True, help_text="Markdown shown on the slide. Keep it short.")
    body_html = models.TextField(blank=True, editable=False)
    notes = LineTextField(
        blank=True, help_text="Speaker notes (markdown): what to say, shown only to the speaker."
    )
    notes_html = models.TextField(blank=True, editable=False)
    fragments = models.BooleanField(
        "reveal bullets one by one",
        default=False,
        help_text="On the deck, → shows the slide's bullets one at a time before moving on. "
        "Print and the era page show them all.",
    )

    def __str__(self):
        return f"{self.era.title} #{self.order}: {self.title}"

    def get_absolute_url(self):
        return f"{self.era.get_absolute_url()}#slide-{self.order}"

    def render(self):
        self.body_html = rendering.render_markdown(self.body)
        self.notes_html = rendering.render_markdown(self.notes)


class Reference(EraPart):
    NATURAL_KEY = ("era__slug", "url")

    class Kind(models.TextChoices):
        RFC = "rfc", "RFC"
        PEP = "pep", "PEP"
        DOCS = "docs", "Documentation"
        RELEASE = "release", "Release announcement"
        REPOSITORY = "repository", "Repository or changelog"
        ARTICLE = "article", "Article"

    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="references")
    order = models.PositiveSmallIntegerField(
        validators=ORDER_VALIDATORS, help_text="Position in the era's list of sources, from 1."
    )
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DOCS)
    evidence = LineTextField(
        blank=True,
        final_newline=False,
        help_text="The exact words, commit or tag in this source that support a claim, quoted "
        "as they stand (for a commit: its hash, date and message).",
    )
    supports_date = models.BooleanField(
        default=False,
        help_text="Shown beside the era's date note, on the era page and in the speaker notes, "
        "as the evidence for it.",
    )

    class Meta(EraPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["era", "url"], name="unique_reference_url_per_era"),
            *EraPart.Meta.constraints,
        ]

    def __str__(self):
        return self.title

    @property
    def safe_url(self):
        """The URL when it is http(s), else "" (forms validate it; this guards raw loads)."""
        return rendering.safe_url(self.url)
