"""The era's admin: an era with its slides, samples, references and relations inline,
its revision history (compare, revert) and the export of every era to the fixtures."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Case, Count, Q, Value, When
from django.urls import path
from django.views.decorators.http import require_http_methods

from .. import revisions
from ..models import (
    CHRONOLOGICAL,
    CodeSample,
    Era,
    EraDraft,
    EraRelation,
    Reference,
    Slide,
    TalkNote,
)
from .concurrency import EditVersionMixin
from .content import HTTPS_URLS, SAMPLE_CODE_FIELDS
from .drafts import EraDraftMixin
from .formsets import OrderedInlineMixin, OrderedParentMixin
from .media import CODE_EDITOR_MEDIA, DRAFT_MEDIA, LINKS_MEDIA, PREVIEW_MEDIA, REFERENCES_MEDIA
from .relations import RelationFormSet
from .revision_pages import RevisionPagesAdmin
from .sample_checks import SampleCheckInlineMixin
from .tabular import LabelledTabularInline
from .views import admin_page, export
from .views.runs import record_outputs
from .widgets import KnownAutocompleteMixin, share_choices, slide_label


class EraChildInline(admin.StackedInline):
    """An inline of an era's slides or samples: their titles name the era, so load it with them."""

    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("era")


class SlideInline(OrderedInlineMixin, EraChildInline):
    model = Slide
    fields = ["order", "title", "body", "fragments", "notes"]


class CodeSampleInline(SampleCheckInlineMixin, OrderedInlineMixin, EraChildInline):
    model = CodeSample
    fields = ["order", "title", "slide", *SAMPLE_CODE_FIELDS, "expected_output"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A sample's slide is one of its own era's slides: list only those, read once for the
        # whole formset rather than once per sample.
        slides = Slide.objects.filter(era=obj) if obj else Slide.objects.none()
        share_choices(formset.form.base_fields["slide"], slides, slide_label)
        return formset


class ReferenceInline(OrderedInlineMixin, LabelledTabularInline):
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
        return super().media + REFERENCES_MEDIA


class RelationInline(KnownAutocompleteMixin, LabelledTabularInline):
    """One of the era's two relation tables; both are checked together (relations.py)."""

    model = EraRelation
    formset = RelationFormSet
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("era", "other")


class EraRelationInline(RelationInline):
    """This era's sentences about others: “<this era> built on <related era>”."""

    fk_name = "era"
    fields = ["kind", "other"]
    autocomplete_fields = ["other"]  # no list of every era per row
    verbose_name = "relation to another era"
    verbose_name_plural = "How this era relates to others (“this era … the related era”)"


class InverseEraRelationInline(RelationInline):
    """Other eras' sentences about this one, editable here too (each pair is stored once)."""

    fk_name = "other"
    fields = ["era", "kind"]
    autocomplete_fields = ["era"]
    verbose_name = "era that names this one"
    verbose_name_plural = "Eras that relate to this one (“that era … this era”)"


# Before EraAdmin: what a revision of an era holds (VersionAdmin would guess otherwise).
revisions.register()


@admin.register(Era)
class EraAdmin(EraDraftMixin, EditVersionMixin, OrderedParentMixin, RevisionPagesAdmin):
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
    revision_holds = "its slides, samples and references"
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "summary", "published"]}),
        ("Date", {"fields": ["year", "date", "date_note"]}),
        ("Story", {"fields": ["body"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(slide_total=Count("slides"))

    def _create_formsets(self, request, obj, change):
        # The only hook that sees every formset of one page: the relation tables are checked
        # against each other (relations.py).
        formsets, inlines = super()._create_formsets(request, obj, change)
        relations = [formset for formset in formsets if isinstance(formset, RelationFormSet)]
        for index, formset in enumerate(relations):
            formset.siblings = relations[:index]
        return formsets, inlines

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

    @admin.action(description="Run and record output of their samples", permissions=["record"])
    def run_and_record(self, request, queryset):
        samples = CodeSample.objects.filter(era__in=queryset).select_related("era")
        record_outputs(self, request, samples.order_by("era", "order"))

    def has_record_permission(self, request):
        """Running and recording rewrites the eras' samples: it takes change permission on
        eras and on code samples (without either the action is neither offered nor run)."""
        samples = self.admin_site.get_model_admin(CodeSample)
        return self.has_change_permission(request) and samples.has_change_permission(request)

    @property
    def media(self):
        return super().media + PREVIEW_MEDIA + CODE_EDITOR_MEDIA + LINKS_MEDIA + DRAFT_MEDIA

    change_list_template = "admin/timeline/era/change_list.html"  # reversion's, plus Export

    def get_urls(self):
        export_page = require_http_methods(["GET", "POST"])(admin_page(self, export.export_view))
        return [
            path("export-fixtures/", export_page, name="timeline_era_export_fixtures"),
            *super().get_urls(),
        ]

    def rows_to_keep(self, object_id, revision):
        """A revision saved before revisions kept talk notes holds none: reverting to it keeps
        the notes of the era's slides rather than deleting them as added since."""
        if revision.version_set.filter(content_type__model="talknote").exists():
            return []
        return list(TalkNote.objects.filter(slide__era_id=object_id))

    def history_view(self, request, object_id, extra_context=None):
        draft = EraDraft.objects.filter(era_id=object_id).select_related("author").first()
        extra = {"era_draft": draft, **(extra_context or {})}
        return super().history_view(request, object_id, extra)
