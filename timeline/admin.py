from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from . import history_fixtures
from .models import CodeSample, Era, Reference, Slide, Talk, TalkEra


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


class MarkdownPreviewMedia:
    """Adds a Preview button under each markdown field (rendered by the staff-only view)."""

    class Media:
        js = ["js/admin-preview.js"]
        css = {"all": ["css/admin-preview.css"]}


class SlideInline(admin.StackedInline):
    model = Slide
    extra = 0
    show_change_link = True
    fields = ["order", "title", "body", "fragments", "notes"]


class CodeSampleInline(admin.StackedInline):
    model = CodeSample
    extra = 0
    show_change_link = True
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


# Editors paste bare domains now and then; https is the right guess for a source.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0
    fields = ["title", "url", "kind", "supports_date", "evidence"]
    formfield_overrides = {
        **HTTPS_URLS,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})},
    }


@admin.register(Era)
class EraAdmin(MarkdownPreviewMedia, admin.ModelAdmin):
    list_display = ["year", "title", "kind", "slide_count", "published"]
    list_display_links = ["title"]
    list_filter = ["kind", "published"]
    list_editable = ["published"]
    search_fields = ["title", "summary", "body", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["related"]
    inlines = [SlideInline, CodeSampleInline, ReferenceInline]
    actions = ["run_and_record"]
    view_on_site = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "summary", "published"]}),
        ("Date", {"fields": ["year", "date", "date_note"]}),
        ("Story", {"fields": ["body", "related"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(slide_total=Count("slides"))

    @admin.display(description="Slides", ordering="slide_total")
    def slide_count(self, obj):
        return obj.slide_total

    @admin.action(description="Run and record output of their samples")
    def run_and_record(self, request, queryset):
        samples = CodeSample.objects.filter(era__in=queryset).select_related("era")
        record_outputs(self, request, samples.order_by("era", "order"))

    def get_urls(self):
        export = self.admin_site.admin_view(require_POST(self.export_fixtures))
        return [
            path("export-fixtures/", export, name="timeline_era_export_fixtures"),
            *super().get_urls(),
        ]

    def export_fixtures(self, request):
        """Write the database back to fixtures/ (as `dump_history` does), ready to commit."""
        if not request.user.is_superuser:
            raise PermissionDenied("Only a superuser may write the fixtures.")
        try:
            written = history_fixtures.dump()
        except OSError as exc:
            self.message_user(request, f"Nothing exported: {exc}", messages.ERROR)
        else:
            folder = history_fixtures.fixtures_dir()
            self.message_user(
                request,
                f"Exported {len(written)} files to {folder}. Review them with `git diff fixtures/` "
                "and commit.",
                messages.SUCCESS,
            )
        return redirect(reverse("admin:timeline_era_changelist"))


@admin.register(Slide)
class SlideAdmin(MarkdownPreviewMedia, admin.ModelAdmin):
    list_display = ["title", "era", "order"]
    list_filter = ["era__kind", "era"]
    list_select_related = ["era"]
    search_fields = ["title", "body", "notes", "era__title"]
    autocomplete_fields = ["era"]
    fields = ["era", "order", "title", "body", "fragments", "notes"]


@admin.register(CodeSample)
class CodeSampleAdmin(admin.ModelAdmin):
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

    @admin.action(description="Run and record output")
    def run_and_record(self, request, queryset):
        record_outputs(self, request, queryset.select_related("era"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "slide":
            kwargs["queryset"] = Slide.objects.select_related("era")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ["title", "era", "kind", "supports_date", "url"]
    list_filter = ["kind", "supports_date"]
    list_select_related = ["era"]
    search_fields = ["title", "url", "evidence", "era__title"]
    autocomplete_fields = ["era"]
    formfield_overrides = HTTPS_URLS


class TalkEraInline(admin.TabularInline):
    model = TalkEra
    extra = 0
    autocomplete_fields = ["era"]
    ordering = ["order"]


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "duration_minutes", "era_count"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [TalkEraInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(era_total=Count("items"))

    @admin.display(description="Eras", ordering="era_total")
    def era_count(self, obj):
        return obj.era_total


# Exercises have an admin module of their own; importing it registers them.
from . import admin_exercises  # noqa: E402, F401
