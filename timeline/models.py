from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from . import rendering
from .fields import LineTextField
from .runner.runtimes import Runtime
from .search import search as ranked_search

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

    def search(self, text):
        """Eras matching every word of `text`, best first, each with a `snippet` (a list)."""
        return ranked_search(self, text, then=CHRONOLOGICAL)

    def for_timeline(self):
        return self.only(*TIMELINE_FIELDS)


class EraManager(models.Manager.from_queryset(EraQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Era(models.Model):
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

    objects = EraManager()

    class Meta:
        ordering = CHRONOLOGICAL

    def __str__(self):
        return f"{self.title} ({self.year})"

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("timeline:era", kwargs={"slug": self.slug})

    def clean(self):
        # /present/speaker/ and /present/print/ are the full deck's views, not an era's deck.
        if self.slug in RESERVED_ERA_SLUGS:
            raise ValidationError(
                {"slug": f"“{self.slug}” is taken by the presenter's addresses: choose another."}
            )

    def natural_key(self):
        return (self.slug,)

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


class EraRelationManager(models.Manager.from_queryset(EraRelationQuerySet)):
    def get_by_natural_key(self, era_slug, other_slug):
        return self.get(era__slug=era_slug, other__slug=other_slug)


class EraRelation(models.Model):
    """How one era relates to another, read as "<era> <kind> <other>": Flask built on WSGI.

    Each pair is stored once, on the era that the sentence starts with; the other era's page
    reads it backwards ("basis for Flask").
    """

    class Kind(models.TextChoices):
        BUILT_ON = "built-on", "built on"
        REPLACED = "replaced", "replaced"
        INFLUENCED_BY = "influenced-by", "was influenced by"
        SAME_IDEA = "same-idea", "same idea as"

    # How each kind reads from either end, and how close it binds (lower: listed first).
    LABELS = {
        Kind.BUILT_ON: ("Built on", "Basis for", 0),
        Kind.REPLACED: ("Replaced", "Replaced by", 1),
        Kind.SAME_IDEA: ("Same idea", "Same idea", 2),
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

    objects = EraRelationManager()

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

    def natural_key(self):
        return (*self.era.natural_key(), *self.other.natural_key())

    natural_key.dependencies = ["timeline.era"]

    def clean(self):
        if self.era_id and self.era_id == self.other_id:
            raise ValidationError({"other": "An era cannot be related to itself."})
        reverse = EraRelation.objects.filter(era_id=self.other_id, other_id=self.era_id)
        if self.era_id and self.other_id and reverse.exists():
            raise ValidationError(
                {"other": "The other era already names this one: edit the relation there."}
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


class SlideManager(models.Manager):
    def get_by_natural_key(self, era_slug, order):
        return self.get(era__slug=era_slug, order=order)


class Slide(models.Model):
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

    objects = SlideManager()

    class Meta:
        ordering = ["era", "order"]
        constraints = [
            models.UniqueConstraint(fields=["era", "order"], name="unique_slide_order_per_era")
        ]

    def __str__(self):
        return f"{self.era.title} #{self.order}: {self.title}"

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.era.get_absolute_url()}#slide-{self.order}"

    def natural_key(self):
        return (*self.era.natural_key(), self.order)

    natural_key.dependencies = ["timeline.era"]

    def render(self):
        self.body_html = rendering.render_markdown(self.body)
        self.notes_html = rendering.render_markdown(self.notes)


class CodeSampleManager(models.Manager):
    def get_by_natural_key(self, era_slug, order):
        return self.get(era__slug=era_slug, order=order)


class CodeSample(models.Model):
    Runtime = Runtime  # the runner's list (timeline.runner.runtimes), so CodeSample.Runtime works

    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="samples")
    slide = models.ForeignKey(
        Slide,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="samples",
        help_text="Show the sample on this slide of the deck as well as on the era page.",
    )
    order = models.PositiveSmallIntegerField(
        validators=ORDER_VALIDATORS, help_text="Position within the era, from 1."
    )
    title = models.CharField(max_length=200)
    language = models.CharField(
        max_length=40,
        default="python",
        validators=[validate_lexer_alias],
        help_text="A Pygments lexer alias: python, python2, bash, http, html, text…",
    )
    code = LineTextField()
    highlighted_html = models.TextField(blank=True, editable=False)
    runtime = models.CharField(
        max_length=10,
        choices=Runtime.choices,
        default=Runtime.NONE,
        help_text="How the Run button runs it. Historical samples are never run.",
    )
    request = LineTextField(
        blank=True,
        help_text="For cgi, wsgi and asgi: the raw HTTP request to send, e.g. "
        "“GET /hello?name=Ada HTTP/1.1” then headers, a blank line and a body.",
    )
    expected_output = LineTextField(
        blank=True, help_text="What a run prints; check_samples fails when a run differs."
    )
    historical = models.BooleanField(
        default=False,
        help_text="Shown as written at the time (for example Python 2); never run.",
    )
    evolution = models.BooleanField(
        default=False,
        help_text="One of the same small app written in every era, shown side by side on the "
        "evolution page.",
    )
    slide_lines = models.CharField(
        "lines on the slide",
        max_length=20,
        blank=True,
        help_text="Show only these lines on the slide, e.g. “5-20”; blank shows them all. The "
        "era page and the print view always show the whole code, and Run runs all of it.",
    )
    slide_steps = models.CharField(
        "highlight steps",
        max_length=200,
        blank=True,
        help_text="Lines to highlight one step at a time before the deck moves on, e.g. "
        "“1-4|6-9|all” (numbers of the whole code). Long code reads best as a range plus steps.",
    )
    slide_html = models.TextField(blank=True, editable=False)

    objects = CodeSampleManager()

    class Meta:
        ordering = ["era", "order"]
        constraints = [
            models.UniqueConstraint(fields=["era", "order"], name="unique_sample_order_per_era")
        ]

    def __str__(self):
        return f"{self.era.title}: {self.title}"

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.era.get_absolute_url()}#sample-{self.order}"

    def clean(self):
        if self.slide_id and self.slide.era_id != self.era_id:
            raise ValidationError({"slide": "The slide must belong to the same era."})
        if self.historical and self.runtime != self.Runtime.NONE:
            raise ValidationError({"runtime": "Historical samples are never run: choose none."})
        total = len(rendering.code_lines(self.code))
        errors = {}
        for name, parse in (
            ("slide_lines", rendering.parse_line_range),
            ("slide_steps", rendering.parse_steps),
        ):
            try:
                parse(getattr(self, name), total)
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)

    def natural_key(self):
        return (*self.era.natural_key(), self.order)

    natural_key.dependencies = ["timeline.era", "timeline.slide"]

    def render(self):
        label = f"Code: {self.title}"
        self.highlighted_html = rendering.highlight_code(self.code, self.language, label=label)
        # Only a sample with a range or steps needs the line-by-line markup on its slide.
        self.slide_html = ""
        if self.slide_lines or self.slide_steps:
            try:
                self.slide_html = rendering.highlight_slide_lines(
                    self.code, self.language, self.slide_lines, label=label
                )
            except ValueError:
                pass  # clean() tells the editor; the slide shows the whole code meanwhile

    @property
    def request_as_sent(self):
        """The request as HTTP sends it: without a body it ends with the blank line that closes
        its headers; a body ends where it ends (the stored final newline is not part of it)."""
        if not self.request:
            return ""
        if "\n\n" in self.request:
            return self.request[:-1]
        return self.request + "\n"

    @property
    def line_count(self):
        return len(rendering.code_lines(self.code))

    @property
    def slide_first_line(self):
        """The number of the first line the slide shows (1 unless a range says otherwise)."""
        try:
            return rendering.parse_line_range(
                self.slide_lines, len(rendering.code_lines(self.code))
            )[0]
        except ValueError:
            return 1

    @property
    def runnable(self):
        return self.runtime != self.Runtime.NONE and not self.historical


class ReferenceManager(models.Manager):
    def get_by_natural_key(self, era_slug, url):
        return self.get(era__slug=era_slug, url=url)


class Reference(models.Model):
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

    objects = ReferenceManager()

    class Meta:
        ordering = ["era", "order"]
        constraints = [
            models.UniqueConstraint(fields=["era", "url"], name="unique_reference_url_per_era"),
            models.UniqueConstraint(fields=["era", "order"], name="unique_reference_order_per_era"),
        ]

    def __str__(self):
        return self.title

    @property
    def safe_url(self):
        """The URL when it is http(s), else "" (forms validate it; this guards raw loads)."""
        return rendering.safe_url(self.url)

    def natural_key(self):
        return (*self.era.natural_key(), self.url)

    natural_key.dependencies = ["timeline.era"]


class TalkManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Talk(models.Model):
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

    objects = TalkManager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("timeline:talk-present", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    def ordered_eras(self):
        return [item.era for item in self.items.select_related("era").order_by("order")]


class TalkEraManager(models.Manager):
    def get_by_natural_key(self, talk_slug, era_slug):
        return self.get(talk__slug=talk_slug, era__slug=era_slug)


class TalkEra(models.Model):
    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="items")
    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="talk_items")
    order = models.PositiveSmallIntegerField(validators=ORDER_VALIDATORS)

    objects = TalkEraManager()

    class Meta:
        ordering = ["talk", "order"]
        constraints = [
            models.UniqueConstraint(fields=["talk", "era"], name="unique_era_per_talk"),
        ]
        verbose_name = "era in talk"
        verbose_name_plural = "eras in talk"

    def __str__(self):
        return f"{self.talk}: {self.order}. {self.era.title}"

    def natural_key(self):
        return (*self.talk.natural_key(), *self.era.natural_key())

    natural_key.dependencies = ["timeline.talk", "timeline.era"]


class TalkNoteManager(models.Manager):
    def get_by_natural_key(self, talk_slug, era_slug, order):
        return self.get(talk__slug=talk_slug, slide__era__slug=era_slug, slide__order=order)


class TalkNote(models.Model):
    """A talk's own speaker notes for one slide. A cut skips eras, so a transition written for
    the full history ("next, the last era…") can be wrong in it; the slide itself is shared."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="notes")
    slide = models.ForeignKey(Slide, on_delete=models.CASCADE, related_name="talk_notes")
    notes = LineTextField(
        help_text="Speaker notes (markdown) for this slide in this talk only; they replace the "
        "slide's own notes in its speaker view and handout."
    )
    notes_html = models.TextField(blank=True, editable=False)

    objects = TalkNoteManager()

    class Meta:
        ordering = ["talk", "slide"]
        constraints = [
            models.UniqueConstraint(fields=["talk", "slide"], name="unique_note_per_talk_slide"),
        ]
        verbose_name = "speaker notes for this talk"
        verbose_name_plural = "speaker notes for this talk"

    def __str__(self):
        return f"{self.talk}: {self.slide}"

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def natural_key(self):
        return (*self.talk.natural_key(), *self.slide.natural_key())

    natural_key.dependencies = ["timeline.talk", "timeline.slide"]

    def render(self):
        self.notes_html = rendering.render_markdown(self.notes)


HINT_BREAK = "\n---\n"


class ExerciseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Exercises of the eras this user may see (staff preview unpublished ones)."""
        return self.filter(era__in=Era.objects.visible_to(user))


class ExerciseManager(models.Manager.from_queryset(ExerciseQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Exercise(models.Model):
    """A task in an era's voice: the learner writes an app (or a request), hidden checks test it."""

    class Kind(models.TextChoices):
        APP = "app", "Write the app: each check sends it a request"
        REQUEST = "request", "Write the request: it is sent to the exercise's own app"

    slug = models.SlugField(unique=True, help_text="The address: /exercises/ then the slug.")
    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="exercises")
    order = models.PositiveSmallIntegerField(default=1, help_text="Position within the era.")
    title = models.CharField(max_length=200)
    statement = LineTextField(help_text="Markdown: the task, told in the era's voice.")
    statement_html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.APP)
    runtime = models.CharField(
        max_length=10,
        choices=[
            (c.value, c.label) for c in CodeSample.Runtime if c.value in ("cgi", "wsgi", "asgi")
        ],
        default=CodeSample.Runtime.WSGI,
        help_text="How the app runs: the learner's app, or for a request exercise its target.",
    )
    language = models.CharField(
        max_length=40,
        default="python",
        validators=[validate_lexer_alias],
        help_text="What the learner writes, as a Pygments alias: python, or http for a request.",
    )
    starter = LineTextField(help_text="What the editor holds at first. It must fail a check.")
    solution = LineTextField(help_text="A reference solution: it must pass every check.")
    solution_html = models.TextField(blank=True, editable=False)
    target = LineTextField(
        blank=True, help_text="For a request exercise: the app the learner's request is sent to."
    )
    hints = LineTextField(
        blank=True,
        help_text="Markdown hints, revealed one at a time; separate them with a line of ---.",
    )
    hints_html = models.JSONField(default=list, blank=True, editable=False)

    objects = ExerciseManager()

    class Meta:
        ordering = ["era", "order", "slug"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("timeline:exercise", kwargs={"slug": self.slug})

    def clean(self):
        if self.kind == self.Kind.REQUEST and not self.target.strip():
            raise ValidationError({"target": "A request exercise needs an app to send it to."})

    def natural_key(self):
        return (self.slug,)

    natural_key.dependencies = ["timeline.era"]

    def render(self):
        self.statement_html = rendering.render_markdown(self.statement)
        self.solution_html = rendering.highlight_code(
            self.solution, self.language, label=f"Reference solution: {self.title}"
        )
        self.hints_html = [rendering.render_markdown(hint) for hint in self.hint_texts]

    @property
    def hint_texts(self):
        return [hint.strip() for hint in self.hints.split(HINT_BREAK) if hint.strip()]


class ExerciseCheckManager(models.Manager):
    def get_by_natural_key(self, exercise_slug, order):
        return self.get(exercise__slug=exercise_slug, order=order)


class ExerciseCheck(models.Model):
    """One hidden check: a request, and what the response must hold."""

    class BodyMatch(models.TextChoices):
        EXACT = "exact", "is exactly"
        CONTAINS = "contains", "contains"

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="checks")
    order = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=200, help_text="What the learner sees, e.g. “greets Ada”.")
    request = LineTextField(
        blank=True,
        help_text="The raw HTTP request to send. Leave empty in a request exercise: the "
        "learner's own request is sent.",
    )
    status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The status code the response must have."
    )
    headers = LineTextField(
        blank=True,
        help_text="One “Name: value” a line; the response's header must contain the value.",
    )
    body = LineTextField(blank=True, help_text="What the body must hold (empty: not checked).")
    body_match = models.CharField(
        max_length=10, choices=BodyMatch.choices, default=BodyMatch.CONTAINS
    )

    objects = ExerciseCheckManager()

    class Meta:
        ordering = ["exercise", "order"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "order"], name="unique_check_order")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from .exercise_checks import header_lines

        try:
            header_lines(self.headers)
        except ValueError as exc:
            raise ValidationError({"headers": str(exc)}) from exc

    def natural_key(self):
        return (*self.exercise.natural_key(), self.order)

    natural_key.dependencies = ["timeline.exercise"]


# Everything editors change: a save or delete of any of these makes every cached page stale.
CONTENT_MODELS = (
    Era,
    EraRelation,
    Slide,
    CodeSample,
    Reference,
    Talk,
    TalkEra,
    TalkNote,
    Exercise,
    ExerciseCheck,
)


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
    # Bumped on every change; the event id that a reconnecting follower sends back.
    seq = models.PositiveBigIntegerField(default=0)
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
