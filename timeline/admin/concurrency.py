"""Optimistic concurrency on every change form: no save silently overwrites another's.

The page carries the version it was loaded from (timeline/edit_versions.py). A save locks
the object's row (and its inline rows) first, then compares each field with that version
(merging.py): changes to different fields or rows merge, and the editor is told what was
kept of theirs; the same field changed by both, or a row deleted since that the editor
changed, refuses the save, keeps everything typed, says who saved what since, and offers
"Save anyway on top of the current version".

A POST without a version (an old page, a script) is refused like a stale one: it cannot show
that it saw the current state, and taking it as current would reopen the lost update.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import router, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from ..edit_versions import dump, row_state, saved_since, version_at
from .media import EDIT_VERSION_MEDIA, UNSAVED_EDITS_MEDIA
from .merging import EditCheck, lock_row, versioned_form, versioned_formset


def loaded_rows(context):
    """{row key: state} of the rows a change page shows: its object and its inline rows."""
    forms = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", ()):
        forms.extend(inline.formset.initial_forms)
    return {
        f"{form.instance._meta.label_lower}:{form.instance.pk}": row_state(
            form.instance, form.fields
        )
        for form in forms
        if form.instance.pk is not None
    }


class EditVersionMixin:
    """A ModelAdmin whose change form is checked against the version it was loaded from."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or object_id is None or getattr(request, "edit_reverting", 0):
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            lock_row(self.model, unquote(object_id))
            request.edit_check = EditCheck(request.POST)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def revision_view(self, request, *args, **kwargs):
        # Reverting sets every row to the revision's state on purpose (views/revert.py).
        request.edit_reverting = True
        return super().revision_view(request, *args, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        check = getattr(request, "edit_check", None)
        if check is None or obj is None:
            return form
        check.bind(obj)
        return versioned_form(form, check, edit_object=True)

    def get_formsets_with_inlines(self, request, obj=None):
        check = getattr(request, "edit_check", None)
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield (versioned_formset(formset, check) if check else formset), inline

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        check = getattr(request, "edit_check", None)
        if check is not None and check.stale:
            self.message_user(
                request, self.merged_message(request, form.instance, check), messages.WARNING
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context.update(self.edit_version_context(request, context, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    @property
    def media(self):
        return super().media + EDIT_VERSION_MEDIA + UNSAVED_EDITS_MEDIA

    def edit_version_context(self, request, context, obj):
        check = getattr(request, "edit_check", None)
        if check is None:
            return {"edit_version": dump(obj, loaded_rows(context))}
        # A POST shown again keeps the version it was loaded from: the edits are based on it.
        extra = {"edit_version": check.token}
        if check.refused:
            loaded_at = check.base.loaded_at if check.base else None
            extra["edit_conflict"] = {
                "problem": check.problem,
                "conflicts": check.conflicts,
                "gone": check.gone,
                "kept": check.kept,
                "saved": saved_since(obj, loaded_at) if loaded_at else [],
                "compare_url": self.compare_url(obj, loaded_at),
            }
            extra["edit_on_top"] = dump(obj, check.current)
        return extra

    def compare_url(self, obj, loaded_at):
        """The revisions compared, from the one the page was loaded from to the newest, where
        the admin has a compare page; else the object's history."""
        opts = self.model._meta
        info = f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}"
        newest = saved_since(obj, loaded_at, limit=1) if loaded_at else []
        older = version_at(obj, loaded_at) if newest else None
        try:
            if newest and older:
                url = reverse(f"{info}_compare", args=[obj.pk])
                return f"{url}?older={older.pk}&newer={newest[0].pk}"
        except NoReverseMatch:
            pass
        return reverse(f"{info}_history", args=[obj.pk])

    def merged_message(self, request, obj, check):
        saved = saved_since(obj, check.base.loaded_at) if check.base else []
        by = ", ".join(
            f"{v.revision.user.get_username() if v.revision.user else 'someone'} at "
            f"{localtime(v.revision.date_created):%H:%M:%S}"
            for v in saved
        )
        parts = [
            format_html(
                "Saved on top of a newer version: since you opened this page, {} saved it "
                '(<a href="{}">compare</a>).',
                by or "someone",
                self.compare_url(obj, check.base.loaded_at),
            )
        ]
        for label, rows in [
            ("Their changes were kept: {}.", check.kept),
            ("Yours replaced theirs: {}.", check.overridden),
            ("Deleted by them, and not edited by you: {}.", check.dropped),
            ("Deleted by them and added back with your edits: {}.", check.readded),
        ]:
            if rows:
                parts.append(format_html(label, "; ".join(rows)))
        return format_html_join(" ", "{}", ((part,) for part in parts))
