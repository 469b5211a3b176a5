"""Reordering inline rows (an era's slides, samples and references, an exercise's checks, a
talk's eras) in one POST.

Each row has an `order` that is unique within its parent. The rows whose order changes (or
that are deleted) are first parked on orders nobody uses or asks for, in one UPDATE, and then
saved with their new orders (timeline/renumbering.py); the admin wraps it all in one transaction.
Duplicate orders among the posted rows are a validation error shown on the form.
"""

from django.forms.models import BaseInlineFormSet

from ..renumbering import ORDER, park
from .media import REORDER_MEDIA


class OrderedInlineFormSet(BaseInlineFormSet):
    def save_existing_objects(self, commit=True):
        if commit:
            self.park_moved_rows()
        return super().save_existing_objects(commit)

    def park_moved_rows(self):
        moved = [
            form.instance.pk
            for form in self.initial_forms
            if form.instance.pk
            and (ORDER in form.changed_data or (self.can_delete and self._should_delete_form(form)))
        ]
        wanted = {
            form.cleaned_data.get(ORDER) for form in self.forms if hasattr(form, "cleaned_data")
        }
        rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
        park(rows, moved, wanted)


class OrderedInlineMixin:
    """An inline whose rows can be moved by drag or by Move up / Move down buttons
    (static/js/admin-reorder.js renumbers the order fields in the new row order)."""

    formset = OrderedInlineFormSet
    ordering = [ORDER]

    @property
    def media(self):
        return super().media + REORDER_MEDIA
