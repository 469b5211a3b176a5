import functools

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Case, Count, Q, Value, When
from django.urls import path
from django.views.decorators.http import require_http_methods
from reversion.admin import VersionAdmin

from . import admin_history, admin_revert, admin_runs, revisions
from .admin_choices import KnownAutocompleteMixin, share_choices, slide_label
from .admin_ordering import OrderedInlineMixin
from .models import (
    CHRONOLOGICAL,
    CodeSample,
    Era,
    EraRelation,
    Reference,
    Slide,
    Talk,
    TalkEra,
    TalkNote,
)


def record_outputs(modeladmin, request, samples):
    """Run each runnable sample in the sandbox and store what it printed as expected_output."""
    from .runner import record
    from .runner.sandbox import SandboxUnavailable

    saved, problems = 0, []
    for sample in samples:
        if not sample.runnable:
            continue
        try:
            result, stored = record.record(sample)
        except SandboxUnavailable as exc:
            modeladmin.message_user(request, str(exc), messages.ERROR)
            return
        if stored:
            saved += 1
            if not result.ok:
                problems.append(
                    f"{sample}: recorded, but it failed: {result.error.splitlines()[-1]}"
                )
        else:
            problems.append(f"{sample}: not recorded: {result.error.splitlines()[0]}")
    modeladmin.message_user(request, f"Recorded the output of {saved} sample(s).", messages.SUCCESS)
    for problem in problems:
        modeladmin.message_user(request, problem, messages.WARNING)


# Previews under markdown fields, slide-shaped for a slide's body (staff-only views render them).
PREVIEW_MEDIA = forms.Media(
    js=[forms.Script("js/admin-preview.js", type="module")],
    css={"all": ["css/admin-preview.css"]},
)


class MarkdownPreviewMedia:
    """Adds PREVIEW_MEDIA to an admin that defines no `media` of its own (ExerciseAdmin)."""

    class Media:
        js = PREVIEW_MEDIA._js
        css = PREVIEW_MEDIA._css


# The shared code editor on code fields, with the site's Pygments colours for either scheme.
CODE_EDITOR_MEDIA = forms.Media(
    js=[
        forms.Script("js/code-editor.js", type="module"),
        forms.Script("js/admin-code-editor.js", type="module"),
    ],
    css={
        "all": ["css/code-editor.css"],
        "(prefers-color-scheme: light), (prefers-color-scheme: no-preference)": [
            "css/pygments-light.css"
        ],
        "(prefers-color-scheme: dark)": ["css/pygments-dark.css"],
    },
)


class EraChildInline(admin.StackedInline):
    """An inline of an era's slides or samples: their titles name the era, so load it with them."""

    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("era")


class SlideInline(OrderedInlineMixin, EraChildInline):
    model = Slide
    fields = ["order", "title", "body", "fragments", "notes"]


class CodeSampleInline(OrderedInlineMixin, EraChildInline):
    model = CodeSample
    fields = [
        "order",
        "title",
        "slide",
        "language",
        "runtime",
        "historical",
        "code",
        "slide_lines",
        "slide_steps",
        "request",
    ]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A sample's slide is one of its own era's slides: list only those, read once for the
        # whole formset rather than once per sample.
        slides = Slide.objects.filter(era=obj) if obj else Slide.objects.none()
        share_choices(formset.form.base_fields["slide"], slides, slide_label)
        return formset


# Editors paste bare domains now and then; https is the right guess for a source.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class ReferenceInline(OrderedInlineMixin, admin.TabularInline):
    model = Reference
    extra = 0
    fields = ["order", "title", "url", "kind", "supports_date", "evidence"]
    # Narrow fields, so that a row fits beside the admin's side menu at 1280 px; the link to
    # the source is one click away on the reference's own page.
    formfield_overrides = {
        models.URLField: {
            **HTTPS_URLS[models.URLField],
            "widget": forms.URLInput(attrs={"size": 28}),
        },
        models.CharField: {"widget": forms.TextInput(attrs={"size": 28})},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 28})},
    }

    @property
    def media(self):
        return super().media + forms.Media(css={"all": ["css/admin-references.css"]})


class EraRelationInline(KnownAutocompleteMixin, admin.TabularInline):
    """This era's sentences about others: “<this era> built on <related era>”."""

    model = EraRelation
    fk_name = "era"
    extra = 0
    fields = ["kind", "other"]
    autocomplete_fields = ["other"]  # no list of every era per row
    verbose_name = "relation to another era"
    verbose_name_plural = "How this era relates to others (“this era … the related era”)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("era", "other")


class InverseEraRelationInline(KnownAutocompleteMixin, admin.TabularInline):
    """Other eras' sentences about this one, editable here too (each pair is stored once)."""

    model = EraRelation
    fk_name = "other"
    extra = 0
    fields = ["era", "kind"]
    autocomplete_fields = ["era"]
    verbose_name = "era that names this one"
    verbose_name_plural = "Eras that relate to this one (“that era … this era”)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("era", "other")


class FirstStateMixin:
    """A VersionAdmin whose first save of an object also keeps the state before it."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            revisions.record_first_state(self.get_object(request, object_id))
        return super().change_view(request, object_id, form_url, extra_context)


# Before EraAdmin: what a revision of an era holds (VersionAdmin would guess otherwise).
revisions.register()


@admin.register(Era)
class EraAdmin(FirstStateMixin, VersionAdmin):
    list_display = ["year", "title", "kind", "slide_count", "published"]
    list_display_links = ["title"]
    list_filter = ["kind", "published"]
    list_editable = ["published"]
    search_fields = ["title", "summary", "body", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [
        SlideInline,
        CodeSampleInline,
        ReferenceInline,
        EraRelationInline,
        InverseEraRelationInline,
    ]
    actions = ["run_and_record"]
    view_on_site = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "summary", "published"]}),
        ("Date", {"fields": ["year", "date", "date_note"]}),
        ("Story", {"fields": ["body"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(slide_total=Count("slides"))

    def get_search_results(self, request, queryset, search_term):
        """Best match first, so "WSGI" then Enter in a picker chooses WSGI, not ASGI (whose
        story mentions WSGI): an exact title or slug, then titles that start with the words,
        then titles that contain them, then the rest; chronological within each."""
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            rank = Case(
                When(Q(title__iexact=term) | Q(slug__iexact=term), then=Value(0)),
                When(title__istartswith=term, then=Value(1)),
                When(title__icontains=term, then=Value(2)),
                default=Value(3),
            )
            queryset = queryset.annotate(match_rank=rank).order_by("match_rank", *CHRONOLOGICAL)
        return queryset, duplicates

    @admin.display(description="Slides", ordering="slide_total")
    def slide_count(self, obj):
        return obj.slide_total

    @admin.action(description="Run and record output of their samples")
    def run_and_record(self, request, queryset):
        samples = CodeSample.objects.filter(era__in=queryset).select_related("era")
        record_outputs(self, request, samples.order_by("era", "order"))

    @property
    def media(self):
        return super().media + PREVIEW_MEDIA + CODE_EDITOR_MEDIA

    object_history_template = "admin/timeline/era/object_history.html"
    change_list_template = "admin/timeline/era/change_list.html"  # reversion's, plus Export

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(functools.partial(function, model_admin=self))

        export = require_http_methods(["GET", "POST"])(view(admin_history.export_view))
        return [
            path("export-fixtures/", export, name="timeline_era_export_fixtures"),
            path(
                "<path:object_id>/history/compare/",
                view(admin_history.compare_view),
                name="timeline_era_compare",
            ),
            *super().get_urls(),
        ]

    def revision_view(self, request, object_id, version_id, extra_context=None):
        parent = super().revision_view
        return admin_revert.revert(
            self,
            request,
            object_id,
            version_id,
            lambda: parent(request, object_id, version_id, extra_context),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if getattr(request, "reverting_revision", None):
            admin_revert.repair_dangling(request.reverting_revision)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        era = self.get_object(request, object_id)
        extra = {"versions": admin_history.history_versions(era) if era else []}
        return super().history_view(request, object_id, {**extra, **(extra_context or {})})


@admin.register(Slide)
class SlideAdmin(VersionAdmin):
    list_display = ["title", "era", "order"]
    list_filter = ["era__kind", "era"]
    list_select_related = ["era"]
    search_fields = ["title", "body", "notes", "era__title"]
    autocomplete_fields = ["era"]
    fields = ["era", "order", "title", "body", "fragments", "notes"]

    @property
    def media(self):
        return super().media + PREVIEW_MEDIA


@admin.register(CodeSample)
class CodeSampleAdmin(VersionAdmin):
    list_display = ["title", "era", "order", "language", "runtime", "historical"]
    list_filter = ["runtime", "historical", "language"]
    list_select_related = ["era"]
    search_fields = ["title", "code", "era__title"]
    autocomplete_fields = ["era"]
    fields = [
        "era",
        "slide",
        "order",
        "title",
        "language",
        "runtime",
        "historical",
        "code",
        "slide_lines",
        "slide_steps",
        "request",
        "expected_output",
    ]
    actions = ["run_and_record"]

    @property
    def media(self):
        check = forms.Media(
            js=[forms.Script("js/admin-sample-check.js", type="module")],
            css={"all": ["css/admin-diff.css", "css/admin-sample-check.css"]},
        )
        return super().media + CODE_EDITOR_MEDIA + check

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(functools.partial(function, model_admin=self))

        return [
            path("<int:pk>/run/", view(admin_runs.run_view), name="timeline_codesample_run"),
            path(
                "<int:pk>/record/", view(admin_runs.record_view), name="timeline_codesample_record"
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Run and record output")
    def run_and_record(self, request, queryset):
        record_outputs(self, request, queryset.select_related("era"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "slide" in form.base_fields:
            # Only the sample's own era's slides (an added sample chooses its era first).
            slides = Slide.objects.filter(era_id=obj.era_id) if obj else Slide.objects.none()
            share_choices(form.base_fields["slide"], slides, slide_label)
        return form


@admin.register(Reference)
class ReferenceAdmin(VersionAdmin):
    list_display = ["title", "era", "order", "kind", "supports_date", "url"]
    list_filter = ["kind", "supports_date"]
    list_select_related = ["era"]
    search_fields = ["title", "url", "evidence", "era__title"]
    autocomplete_fields = ["era"]
    formfield_overrides = HTTPS_URLS


class TalkEraInline(KnownAutocompleteMixin, OrderedInlineMixin, admin.TabularInline):
    model = TalkEra
    extra = 0
    autocomplete_fields = ["era"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("talk", "era")


class TalkNoteInline(KnownAutocompleteMixin, admin.StackedInline):
    """Notes that replace a slide's own in this talk: a cut needs its own transitions."""

    model = TalkNote
    extra = 0
    autocomplete_fields = ["slide"]
    fields = ["slide", "notes"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("talk", "slide__era")


@admin.register(Talk)
class TalkAdmin(FirstStateMixin, VersionAdmin):
    list_display = ["title", "slug", "duration_minutes", "era_count"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [TalkEraInline, TalkNoteInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(era_total=Count("items"))

    @admin.display(description="Eras", ordering="era_total")
    def era_count(self, obj):
        return obj.era_total


# Exercises have an admin module of their own; importing it registers them.
from . import admin_exercises  # noqa: E402, F401
