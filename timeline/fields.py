"""Model and form fields that keep multi-line text in one shape (see timeline/text.py)."""

from django import forms
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from .text import normalize_text


class TextForm(forms.CharField):
    """A textarea field that keeps leading spaces and normalises line ends and the final newline,
    so an unchanged textarea posted with CRLF counts as unchanged."""

    def __init__(self, final_newline=True, blank_lines_at_end=False, **kwargs):
        self.final_newline = final_newline
        self.blank_lines_at_end = blank_lines_at_end
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_text(super().to_python(value), *self.mode)

    @property
    def mode(self):
        return self.final_newline, self.blank_lines_at_end


class NormalizedText(DeferredAttribute):
    """Normalises on every assignment: forms, fixture loads, the shell and rows read back alike,
    so what is rendered on save is what is stored."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = normalize_text(value, *self.field.mode)


class LineTextField(models.TextField):
    """A TextField stored with LF line ends and exactly one final newline (or empty).
    final_newline=False strips it instead, for prose shown inline; blank_lines_at_end=True keeps
    empty lines at the end, for text where they mean something (a request typed by hand)."""

    descriptor_class = NormalizedText

    def __init__(self, *args, final_newline=True, blank_lines_at_end=False, **kwargs):
        self.final_newline = final_newline
        self.blank_lines_at_end = blank_lines_at_end
        super().__init__(*args, **kwargs)

    @property
    def mode(self):
        return self.final_newline, self.blank_lines_at_end

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if not self.final_newline:
            kwargs["final_newline"] = False
        if self.blank_lines_at_end:
            kwargs["blank_lines_at_end"] = True
        return name, path, args, kwargs

    def to_python(self, value):
        return normalize_text(super().to_python(value), *self.mode)

    def formfield(self, **kwargs):
        defaults = {
            "form_class": TextForm,
            "final_newline": self.final_newline,
            "blank_lines_at_end": self.blank_lines_at_end,
        }
        return super().formfield(**{**defaults, **kwargs})
