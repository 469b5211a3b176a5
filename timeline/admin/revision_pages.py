"""History, compare and revert for a ModelAdmin whose object is saved with rows of its own
(an era with its slides, samples and references; an exercise with its checks and wrong
answers): django-reversion's VersionAdmin, with the comparison (views/history.py) and a
revert that survives reordered rows (views/revert.py)."""

from django.urls import path
from reversion.admin import VersionAdmin

from .views import admin_page, history, revert
from .views.history import FirstStateMixin


class RevisionPagesMixin(FirstStateMixin):
    """Before VersionAdmin in a ModelAdmin's bases. `revision_holds` says on the History page
    what a revision keeps besides the object itself."""

    object_history_template = "admin/timeline/revisions/history.html"
    revision_holds = ""

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/history/compare/",
                admin_page(self, history.compare_view),
                name=f"{opts.app_label}_{opts.model_name}_compare",
            ),
            *super().get_urls(),
        ]

    def rows_to_keep(self, object_id, revision):
        """Rows outside the revision that reverting to it would delete but must not (none
        here; an era keeps its slides' talk notes), put back by revert.keep_notes."""
        return []

    def revision_view(self, request, object_id, version_id, extra_context=None):
        parent = super().revision_view
        return revert.revert(
            self,
            request,
            object_id,
            version_id,
            lambda: parent(request, object_id, version_id, extra_context),
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if getattr(request, "reverting_revision", None):
            revert.repair_dangling(request.reverting_revision)
            revert.keep_notes(getattr(request, "notes_to_keep", ()))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {
            "versions": history.history_versions(obj) if obj else [],
            "may_revert": self.has_change_permission(request, obj),
            "revision_holds": self.revision_holds,
        }
        return super().history_view(request, object_id, {**extra, **(extra_context or {})})


class RevisionPagesAdmin(RevisionPagesMixin, VersionAdmin):
    """A VersionAdmin with the pages above."""
