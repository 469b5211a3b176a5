"""The talk's admin: a named, ordered cut of eras, with notes that replace a slide's own."""

from django.contrib import admin
from django.db.models import Count
from reversion.admin import VersionAdmin

from ..models import Talk, TalkEra, TalkNote
from .concurrency import EditVersionMixin
from .era_revisions import TalkNotesRevisionMixin
from .formsets import OrderedInlineMixin, OrderedParentMixin
from .tabular import LabelledTabularInline
from .views.history import FirstStateMixin
from .widgets import KnownAutocompleteMixin


class TalkEraInline(KnownAutocompleteMixin, OrderedInlineMixin, LabelledTabularInline):
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
class TalkAdmin(
    TalkNotesRevisionMixin, EditVersionMixin, OrderedParentMixin, FirstStateMixin, VersionAdmin
):
    list_display = ["title", "slug", "duration_minutes", "era_count"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [TalkEraInline, TalkNoteInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(era_total=Count("items"))

    @admin.display(description="Eras", ordering="era_total")
    def era_count(self, obj):
        return obj.era_total
