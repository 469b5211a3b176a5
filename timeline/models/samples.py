"""Code samples: shown on an era's page and its slides, run by the Run button (timeline/runner/)."""

from django.core.exceptions import ValidationError
from django.db import models

from .. import rendering
from ..fields import LineTextField
from ..runner.runtimes import MAX_CODE_CHARS, Runtime
from .content import (
    ORDER_VALIDATORS,
    Era,
    EraPart,
    Slide,
    validate_lexer_alias,
)


class CodeSample(EraPart):
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

    class Meta(EraPart.Meta):
        # Its name predates EraPart's pattern (which would say "codesample"); renaming it would
        # take a migration that changes nothing else.
        constraints = [
            models.UniqueConstraint(fields=["era", "order"], name="unique_sample_order_per_era")
        ]

    def __str__(self):
        return f"{self.era.title}: {self.title}"

    def get_absolute_url(self):
        return f"{self.era.get_absolute_url()}#sample-{self.order}"

    def clean(self):
        if self.slide_id and self.slide.era_id != self.era_id:
            raise ValidationError({"slide": "The slide must belong to the same era."})
        if self.historical and self.runtime != self.Runtime.NONE:
            raise ValidationError({"runtime": "Historical samples are never run: choose none."})
        if self.runnable and len(self.code) > MAX_CODE_CHARS:
            raise ValidationError(
                {
                    "code": f"Runs take at most {MAX_CODE_CHARS // 1024} KB of code and this is "
                    f"{len(self.code) // 1024} KB: shorten it, or set Runtime to none so it is "
                    "shown but not run."
                }
            )
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
