"""Slides, samples and references on pages of their own (an era's page has them inline)."""

from django.contrib import admin
from django.db import models
from django.urls import path
from django.views.decorators.http import require_GET
from reversion.admin import VersionAdmin

from .. import revisions
from ..models import CodeSample, Reference, Slide
from .concurrency import EditVersionMixin
from .era_revisions import EraRevisionMixin
from .media import CODE_EDITOR_MEDIA, PREVIEW_MEDIA, SAMPLE_CHECK_MEDIA
from .views import admin_page, runners, runs
from .views.runs import record_outputs
from .widgets import share_choices, slide_label

# Editors paste bare domains now and then; https is the right guess for a source.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}

# Before the VersionAdmins below: what a revision of an era holds (they would guess otherwise).
revisions.register()

# A sample's code and how it runs and shows, in the order both of its forms list them (its own
# page and the era's inline).
SAMPLE_CODE_FIELDS = [
    "language",
    "runtime",
    "historical",
    "code",
    "slide_lines",
    "slide_steps",
    "request",
]


@admin.register(Slide)
class SlideAdmin(EraRevisionMixin, EditVersionMixin, VersionAdmin):
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
class CodeSampleAdmin(EraRevisionMixin, EditVersionMixin, VersionAdmin):
    list_display = ["title", "era", "order", "language", "runtime", "historical"]
    list_filter = ["runtime", "historical", "language"]
    list_select_related = ["era"]
    search_fields = ["title", "code", "era__title"]
    autocomplete_fields = ["era"]
    fields = ["era", "slide", "order", "title", *SAMPLE_CODE_FIELDS, "expected_output"]
    actions = ["run_and_record"]
    change_list_template = "admin/timeline/codesample/change_list.html"  # reversion's + Runners

    @property
    def media(self):
        return super().media + CODE_EDITOR_MEDIA + SAMPLE_CHECK_MEDIA

    def get_urls(self):
        return [
            path("<int:pk>/run/", admin_page(self, runs.run_view), name="timeline_codesample_run"),
            path(
                "<int:pk>/record/",
                admin_page(self, runs.record_view),
                name="timeline_codesample_record",
            ),
            path(
                "runners/",
                require_GET(admin_page(self, runners.runners_view)),
                name="timeline_codesample_runners",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Run and record output", permissions=["change"])
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
class ReferenceAdmin(EraRevisionMixin, EditVersionMixin, VersionAdmin):
    list_display = ["title", "era", "order", "kind", "supports_date", "url"]
    list_filter = ["kind", "supports_date"]
    list_select_related = ["era"]
    search_fields = ["title", "url", "evidence", "era__title"]
    autocomplete_fields = ["era"]
    formfield_overrides = HTTPS_URLS
