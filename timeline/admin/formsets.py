"""Reordering inline rows (an era's slides, samples and references, an exercise's checks, a
talk's eras) in one POST.

Each row has an `order` that is unique within its parent. The rows whose order changes (or
that are deleted) are first parked on orders nobody uses or asks for, in one UPDATE, and then
saved with their new orders (timeline/renumbering.py); the admin wraps it all in one transaction.
Duplicate orders among the posted rows are a validation error shown on the form.

Two editors may add (or move) rows of the same parent at once: each page numbers its new row
after the rows it shows, so the second save asks for an order the first one took. That row is
not the editor's to move and not on their page, so their row goes after every other row
instead, and the admin tells them where (OrderedParentMixin).
"""

from django.contrib import messages
from django.forms.models import BaseInlineFormSet

from ..renumbering import MAX_ORDER, ORDER, park
from .media import REORDER_MEDIA


class OrderedInlineFormSet(BaseInlineFormSet):
    def save_existing_objects(self, commit=True):
        # Runs before save_new_objects: both the new and the moved rows are placed here.
        self.placed_elsewhere = []
        if commit:
            self.place_after_unseen_rows()
            self.park_moved_rows()
        return super().save_existing_objects(commit)

    def _deleted(self, form):
        return self.can_delete and self._should_delete_form(form)

    def _placed_forms(self):
        """The forms whose row takes an order it does not hold yet: new rows and moved ones."""
        new = [f for f in self.extra_forms if f.has_changed() and not self._deleted(f)]
        moved = [
            form
            for form in self.initial_forms
            if form.instance.pk and ORDER in form.changed_data and not self._deleted(form)
        ]
        return new + moved

    def place_after_unseen_rows(self):
        """Rows added or moved onto an order held by a row this page never showed (saved by
        someone else since it was opened) go after every row instead, in the order asked;
        the rest keep the order asked for. Notes each as (row, asked, given)."""
        placing = self._placed_forms()
        if not placing:
            return
        shown = [form.instance.pk for form in self.initial_forms if form.instance.pk]
        rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
        unseen = set(rows.exclude(pk__in=shown).values_list(ORDER, flat=True))
        clashing = sorted(
            (form for form in placing if getattr(form.instance, ORDER) in unseen),
            key=lambda form: getattr(form.instance, ORDER),
        )
        if not clashing:
            return
        taken = unseen | {
            form.cleaned_data.get(ORDER) for form in self.forms if hasattr(form, "cleaned_data")
        }
        last = max(order for order in taken if order is not None)
        free = (n for n in [*range(last + 1, MAX_ORDER + 1), *range(1, last)] if n not in taken)
        for form in clashing:
            asked = getattr(form.instance, ORDER)
            given = next(free)
            setattr(form.instance, ORDER, given)
            form.cleaned_data[ORDER] = given
            self.placed_elsewhere.append((form.instance, asked, given))

    def park_moved_rows(self):
        moved = [
            form.instance.pk
            for form in self.initial_forms
            if form.instance.pk and (ORDER in form.changed_data or self._deleted(form))
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


class OrderedParentMixin:
    """A ModelAdmin with ordered inlines: says where a row went when the place asked for was
    taken by a row saved since the page was opened."""

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for row, asked, given in getattr(formset, "placed_elsewhere", ()):
            name = row._meta.verbose_name
            label = getattr(row, "title", None) or getattr(row, "name", None) or str(row)
            self.message_user(
                request,
                f"The {name} “{label}” is now at {given}, not {asked}: another {name} was added "
                f"or moved to {asked} since you opened this page.",
                messages.WARNING,
            )
