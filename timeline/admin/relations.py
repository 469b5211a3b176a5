"""An era's two relation tables, checked together.

“How this era relates to others” holds the rows that start with this era, “Eras that relate to
this one” the rows that end with it. Each pair is stored once, in one direction, so a pair typed
into both tables in one save is refused on the row that repeats it, and an error about the
table's hidden end (the era being edited) is shown on the column the editor filled in.
"""

from django.forms.models import BaseInlineFormSet


class RelationFormSet(BaseInlineFormSet):
    # The other relation formsets of the same page (EraAdmin links them after building them).
    siblings = ()

    @property
    def shown_field(self):
        return "other" if self.fk.name == "era" else "era"

    def live_forms(self):
        """(form, the era at the shown end) for the rows that will be saved."""
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            if form in self.extra_forms and not form.has_changed():
                continue
            era = form.cleaned_data.get(self.shown_field)
            if era is not None:
                yield form, era

    def clean(self):
        super().clean()
        for form in self.forms:
            hidden = form.errors.pop(self.fk.name, None) if form.is_bound else None
            if hidden:
                form.add_error(
                    self.shown_field if self.shown_field in form.fields else None, hidden
                )
        for sibling in self.siblings:
            sibling.errors  # noqa: B018 - cleans the sibling first, so its rows can be compared
            named = {era.pk: other for other, era in sibling.live_forms()}
            for form, era in self.live_forms():
                # Both rows untouched: a pair an older version stored both ways stays saveable.
                if era.pk in named and (form.has_changed() or named[era.pk].has_changed()):
                    form.add_error(
                        self.shown_field,
                        f"{era} is also in the other relations table: a pair is stored once, "
                        "in one direction. Keep one of the two rows.",
                    )
