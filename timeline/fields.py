"""Model and form fields that keep multi-line text in one shape (see timeline/text.py)."""

from django import forms
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from .text import normalize_text


class TextForm(forms.CharField):
    """A textarea field that keeps leading spaces and normalises line ends and the final newline,
    so an unchanged textarea posted with CRLF counts as unchanged."""

    def __init__(self, final_newline=True, **kwargs):
        self.final_newline = final_newline
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_text(super().to_python(value), self.final_newline)


class NormalizedText(DeferredAttribute):
    """Normalises on every assignment: forms, fixture loads, the shell and rows read back alike,
    so what is rendered on save is what is stored."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = normalize_text(value, self.field.final_newline)


class LineTextField(models.TextField):
    """A TextField stored with LF line ends and exactly one final newline (or empty).
    final_newline=False strips it instead, for prose shown inline."""

    descriptor_class = NormalizedText

    def __init__(self, *args, final_newline=True, **kwargs):
        self.final_newline = final_newline
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if not self.final_newline:
            kwargs["final_newline"] = False
        return name, path, args, kwargs

    def to_python(self, value):
        return normalize_text(super().to_python(value), self.final_newline)

    def formfield(self, **kwargs):
        defaults = {"form_class": TextForm, "final_newline": self.final_newline}
        return super().formfield(**{**defaults, **kwargs})
