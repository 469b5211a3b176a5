"""The admin for exercises: an exercise with its hidden checks and its wrong answers inline."""

from django import forms
from django.contrib import admin
from django.db import models

from ..models import Exercise, ExerciseCheck, ExerciseWrongAnswer
from .concurrency import EditVersionMixin
from .formsets import OrderedInlineMixin, OrderedParentMixin
from .media import PREVIEW_MEDIA

MONO = {"class": "vLargeTextField code-field", "spellcheck": "false"}


class ExerciseCheckInline(OrderedInlineMixin, admin.StackedInline):
    """The hidden checks, in the order they run; any reordering saves in one POST."""

    model = ExerciseCheck
    extra = 0
    fields = [
        ("order", "name"),
        "request",
        "status",
        "headers",
        ("body", "body_match"),
        "values",
        ("wraps", "inner_response"),
    ]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={**MONO, "rows": 3})}}


class ExerciseWrongAnswerInline(OrderedInlineMixin, admin.StackedInline):
    """Answers the checks must refuse, each on its rule: `manage.py check_exercises` proves it."""

    model = ExerciseWrongAnswer
    extra = 0
    fields = [("order", "title"), "rule", "code"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={**MONO, "rows": 8})}}


@admin.register(Exercise)
class ExerciseAdmin(EditVersionMixin, OrderedParentMixin, admin.ModelAdmin):
    list_display = ["title", "era", "difficulty", "kind", "runtime", "check_count"]
    list_filter = ["difficulty", "kind", "runtime"]
    list_select_related = ["era"]
    search_fields = ["title", "slug", "statement", "era__title"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["era"]
    inlines = [ExerciseCheckInline, ExerciseWrongAnswerInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "era",
                    "order",
                    "difficulty",
                    "kind",
                    "runtime",
                    "language",
                ]
            },
        ),
        ("What the learner reads", {"fields": ["statement", "hints"]}),
        ("Code", {"fields": ["starter", "solution", "target"]}),
    ]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={**MONO, "rows": 12})}}

    @property
    def media(self):
        return super().media + PREVIEW_MEDIA

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(check_total=models.Count("checks"))

    @admin.display(description="Checks", ordering="check_total")
    def check_count(self, obj):
        return obj.check_total
