"""Exercises: a task in an era's voice, the hidden checks that test the learner's answer, and
the wrong answers those checks must refuse."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .. import rendering
from ..check_values import TEMPLATE_FIELDS, inner_response_parts, placeholders, value_kinds
from ..fields import LineTextField
from ..runner.runtimes import HTTP, Runtime
from ..text import normalize_text
from .content import (
    ContentModel,
    Era,
    NaturalKeyManager,
    ordered_part,
    validate_lexer_alias,
)
from .slugs import slug_errors

HINT_BREAK = "\n---\n"


def header_lines(text):
    """A check's expected headers, one "Name: value" a line, as (name, value) pairs."""
    pairs = []
    for line in normalize_text(text or "").splitlines():
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name != name.strip():
            raise ValueError(f"“{line[:60]}” is not a “Name: value” line.")
        pairs.append((name, value.strip()))
    return pairs


class ExerciseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Exercises of the eras this user may see (staff preview unpublished ones)."""
        return self.filter(era__in=Era.objects.visible_to(user))


class Exercise(ContentModel):
    """A task in an era's voice: the learner writes an app (or a request), hidden checks test it."""

    NATURAL_KEY = ("slug",)

    class Kind(models.TextChoices):
        APP = "app", "Write the app: each check sends it a request"
        REQUEST = "request", "Write the request: it is sent to the exercise's own app"

    class Difficulty(models.IntegerChoices):
        INTRO = 1, "Intro"
        PRACTICE = 2, "Practice"
        CHALLENGE = 3, "Challenge"

    slug = models.SlugField(unique=True, help_text="The address: /exercises/ then the slug.")
    era = models.ForeignKey(Era, on_delete=models.CASCADE, related_name="exercises")
    order = models.PositiveSmallIntegerField(default=1, help_text="Position within the era.")
    difficulty = models.PositiveSmallIntegerField(
        choices=Difficulty.choices,
        default=Difficulty.INTRO,
        help_text="Shown with the exercise: intro (one idea), practice, or challenge.",
    )
    title = models.CharField(max_length=200)
    statement = LineTextField(help_text="Markdown: the task, told in the era's voice.")
    statement_html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.APP)
    runtime = models.CharField(
        max_length=10,
        choices=[(runtime.value, runtime.label) for runtime in Runtime if runtime in HTTP],
        default=Runtime.WSGI,
        help_text="How the app runs: the learner's app, or for a request exercise its target.",
    )
    language = models.CharField(
        max_length=40,
        default="python",
        validators=[validate_lexer_alias],
        help_text="What the learner writes, as a Pygments alias: python, or http for a request.",
    )
    # Empty lines at the end are kept: in a request exercise the one after the headers counts.
    starter = LineTextField(
        blank_lines_at_end=True, help_text="What the editor holds at first. It must fail a check."
    )
    solution = LineTextField(
        blank_lines_at_end=True, help_text="A reference solution: it must pass every check."
    )
    solution_html = models.TextField(blank=True, editable=False)
    target = LineTextField(
        blank=True, help_text="For a request exercise: the app the learner's request is sent to."
    )
    hints = LineTextField(
        blank=True,
        help_text="Markdown hints, revealed one at a time; separate them with a line of ---.",
    )
    hints_html = models.JSONField(default=list, blank=True, editable=False)

    objects = NaturalKeyManager.from_queryset(ExerciseQuerySet)()

    class Meta:
        ordering = ["era", "order", "slug"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("timeline:exercise", kwargs={"slug": self.slug})

    def clean(self):
        errors = slug_errors(self.slug)
        if self.kind == self.Kind.REQUEST and not self.target.strip():
            errors["target"] = "A request exercise needs an app to send it to."
        if errors:
            raise ValidationError(errors)

    def render(self):
        self.statement_html = rendering.render_markdown(self.statement)
        self.solution_html = rendering.highlight_code(
            self.solution, self.language, label=f"Reference solution: {self.title}"
        )
        self.hints_html = [rendering.render_markdown(hint) for hint in self.hint_texts]

    @property
    def hint_texts(self):
        return [hint.strip() for hint in self.hints.split(HINT_BREAK) if hint.strip()]


# An exercise's checks and wrong answers, each kept in its order.
ExercisePart = ordered_part("exercise", "unique_%(class)s_order")


class ExerciseCheck(ExercisePart):
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
        help_text="One “Name: value” a line. Content-Type is compared as a media type "
        "(text/plain also matches text/plain; charset=utf-8); any other header must have exactly "
        "that value.",
    )
    body = LineTextField(blank=True, help_text="What the body must hold (empty: not checked).")
    body_match = models.CharField(
        max_length=10, choices=BodyMatch.choices, default=BodyMatch.CONTAINS
    )
    values = LineTextField(
        blank=True,
        help_text="Values drawn fresh for each submission, one “name: kind” a line; kinds: "
        "word, number LOW-HIGH, markup. Use one as {{name}} in the name, request, headers, body "
        "and inner response; {{name|url}} percent-encodes it, {{name|html}} escapes it.",
    )
    wraps = models.CharField(
        max_length=100,
        blank=True,
        help_text="For a WSGI middleware: the function the check calls with its own inner app "
        "(e.g. middleware); the request goes to what it returns.",
    )
    inner_response = LineTextField(
        blank=True,
        help_text="What that inner app answers: a status line such as 200 OK, “Name: value” "
        "header lines, an empty line, the body. Its headers and body must come through.",
    )

    class Meta(ExercisePart.Meta):
        # Named before the base existed; a new name would be a migration for nothing.
        constraints = [
            models.UniqueConstraint(fields=["exercise", "order"], name="unique_check_order")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            header_lines(self.headers)
        except ValueError as exc:
            raise ValidationError({"headers": str(exc)}) from exc
        try:
            kinds = value_kinds(self.values)
            for field in TEMPLATE_FIELDS:
                unknown = set(placeholders(getattr(self, field))) - set(kinds)
                if unknown:
                    raise ValueError(f"{{{{{sorted(unknown)[0]}}}}} is not one of the values.")
            if self.wraps and not self.wraps.isidentifier():
                raise ValueError("Wraps names a function: a Python identifier.")
            if self.wraps and self.exercise_id and self.exercise.runtime != Runtime.WSGI:
                raise ValueError("Only a WSGI check wraps an app (a WSGI middleware).")
            if self.wraps and not self.inner_response.strip():
                raise ValueError("A check that wraps an app says what that app answers.")
            inner_response_parts(self.inner_response)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class ExerciseWrongAnswer(ExercisePart):
    """An answer a teacher would mark wrong, kept with the exercise: check_exercises proves the
    checks refuse it, and on the rule it was written for (a check that lets it through fails CI)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="wrong_answers")
    order = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=200, help_text="What is wrong, e.g. “hard-codes Ada”.")
    code = LineTextField(
        blank_lines_at_end=True, help_text="The wrong answer, as a learner writes it."
    )
    rule = models.CharField(
        max_length=300,
        help_text="Text the failure message must contain: the words of the rule this answer "
        "breaks, e.g. “Content-Length says” or “not escaped”.",
    )

    def __str__(self):
        return self.title
