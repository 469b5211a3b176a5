"""Saves on other pages that are revisions of the eras they touch too.

A slide, sample or reference saved on its own page, and a talk's notes saved on the talk's
page, change what a revision of the era holds. Were they revisions of that object alone, the
era's History would not list them and reverting the era would silently undo them. So each such
save adds the eras it touched (before and after a move to another era) to its revision, and
records an era's state before its first change if no revision holds it yet.
"""

import reversion

from .. import revisions
from ..models import Era, Slide, TalkNote


def _eras(*ids):
    return list(Era.objects.filter(pk__in=[pk for pk in ids if pk is not None]))


def _comment(obj, message):
    return f"{obj._meta.verbose_name.capitalize()} “{obj}”: {message}"


class EraRevisionMixin:
    """A VersionAdmin of an era's row: a save on the row's own page is a revision of its era."""

    def save_model(self, request, obj, form, change):
        request.touched_eras = _eras(obj.era_id, form.initial.get("era") if change else None)
        for era in request.touched_eras:
            revisions.record_first_state(era)
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        return self._era_revision(request, obj, super().log_addition(request, obj, message))

    def log_change(self, request, obj, message):
        return self._era_revision(request, obj, super().log_change(request, obj, message))

    def _era_revision(self, request, obj, entry):
        if reversion.is_active():
            revisions.add_eras(getattr(request, "touched_eras", ()))
            reversion.set_comment(_comment(obj, entry.get_change_message() or "Saved."))
        return entry

    def delete_model(self, request, obj):
        era = obj.era
        revisions.keep_revision(era, request.user, lambda: self._delete(request, obj))

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("era"):
            self.delete_model(request, obj)

    def _delete(self, request, obj):
        comment = _comment(obj, "Deleted.")
        super().delete_model(request, obj)
        return comment


class TalkNotesRevisionMixin:
    """The talk's admin: saving its notes is a revision of the talk and of each era whose
    slide's notes changed, as that era's History should say."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not TalkNote:
            return super().save_formset(request, form, formset, change)
        changed = [f for f in formset.forms if f.has_changed() or f in formset.deleted_forms]
        slide_ids = set()
        for note_form in changed:
            slide_ids.add(note_form.initial.get("slide"))
            slide = note_form.cleaned_data.get("slide") if note_form.is_valid() else None
            slide_ids.add(getattr(slide, "pk", slide))
        slides = Slide.objects.filter(pk__in=[pk for pk in slide_ids if pk is not None])
        eras = _eras(*{era_id for era_id in slides.values_list("era_id", flat=True)})
        for era in eras:
            revisions.record_first_state(era)
        result = super().save_formset(request, form, formset, change)
        if reversion.is_active():
            revisions.add_eras(eras)
        return result

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if reversion.is_active():
            reversion.set_comment(_comment(obj, entry.get_change_message() or "Saved."))
        return entry
