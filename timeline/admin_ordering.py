"""Reordering inline rows (an era's slides and samples, a talk's eras) in one POST.

Each row has an `order` that is unique within its parent. Saving rows one by one would trip the
unique constraint midway through any permutation (swap 1 and 2: the first UPDATE finds 2
taken). So the rows whose order changes are first parked on orders nobody uses or asks for,
in one UPDATE, and then saved with their new orders; the admin wraps it all in one transaction.
Duplicate orders among the posted rows are a validation error shown on the form.
"""

from django import forms
from django.db.models import Case, Value, When
from django.forms.models import BaseInlineFormSet

ORDER = "order"
MAX_ORDER = 32767  # PositiveSmallIntegerField on PostgreSQL


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
        if not moved:
            return
        rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
        used = set(rows.values_list(ORDER, flat=True))
        used |= {
            form.cleaned_data.get(ORDER) for form in self.forms if hasattr(form, "cleaned_data")
        }
        # Parking places: orders neither in use nor asked for (smallint, so never past 32767).
        free = (n for n in range(MAX_ORDER + 1) if n not in used)
        places = {pk: next(free) for pk in moved}
        cases = [When(pk=pk, then=Value(place)) for pk, place in places.items()]
        rows.filter(pk__in=moved).update(**{ORDER: Case(*cases)})


class OrderedInlineMixin:
    """An inline whose rows can be moved by drag or by Move up / Move down buttons
    (static/js/admin-reorder.js renumbers the order fields in the new row order)."""

    formset = OrderedInlineFormSet
    ordering = [ORDER]

    @property
    def media(self):
        return super().media + forms.Media(
            js=["js/admin-reorder.js"], css={"all": ["css/admin-reorder.css"]}
        )
