"""The admin for exercises: an exercise with its hidden checks and its wrong answers inline,
its code in the code editor, its revisions (History, compare, revert) as an era's."""

from django import forms
from django.contrib import admin
from django.db import models

from .. import revisions
from ..models import Exercise, ExerciseCheck, ExerciseWrongAnswer
from .concurrency import EditVersionMixin
from .formsets import OrderedInlineMixin, OrderedParentMixin
from .media import CODE_EDITOR_MEDIA, LINKS_MEDIA, PREVIEW_MEDIA
from .revision_pages import RevisionPagesAdmin
from .widgets import CodeTextarea

MONO = {"class": "vLargeTextField code-field", "spellcheck": "false"}

# What the learner writes, highlighted in the exercise's own language (python, or http for a
# request exercise); the exercise form's field is named `language`.
LEARNER_CODE = CodeTextarea(language="python", language_from="language", rows=12)


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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The request and the inner app's answer are HTTP messages, the headers HTTP lines.
        if db_field.name in ("request", "headers", "inner_response"):
            kwargs["widget"] = CodeTextarea(language="http", rows=4)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ExerciseWrongAnswerInline(OrderedInlineMixin, admin.StackedInline):
    """Answers the checks must refuse, each on its rule: `manage.py check_exercises` proves it."""

    model = ExerciseWrongAnswer
    extra = 0
    fields = [("order", "title"), "rule", "code"]
    formfield_overrides = {models.TextField: {"widget": LEARNER_CODE}}


# Before ExerciseAdmin: what a revision of an exercise holds (VersionAdmin would guess otherwise).
revisions.register()


@admin.register(Exercise)
class ExerciseAdmin(EditVersionMixin, OrderedParentMixin, RevisionPagesAdmin):
    list_display = ["title", "era", "difficulty", "kind", "runtime", "check_count"]
    list_filter = ["difficulty", "kind", "runtime"]
    list_select_related = ["era"]
    search_fields = ["title", "slug", "statement", "era__title"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["era"]
    inlines = [ExerciseCheckInline, ExerciseWrongAnswerInline]
    revision_holds = "its checks and wrong answers"
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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("starter", "solution"):
            kwargs["widget"] = LEARNER_CODE
        elif db_field.name == "target":  # the app a request exercise's request is sent to
            kwargs["widget"] = CodeTextarea(language="python", rows=12)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @property
    def media(self):
        return super().media + PREVIEW_MEDIA + CODE_EDITOR_MEDIA + LINKS_MEDIA

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(check_total=models.Count("checks"))

    @admin.display(description="Checks", ordering="check_total")
    def check_count(self, obj):
        return obj.check_total
