"""Tabular inlines whose controls have names: a table cell holds a control with no <label>
(its column header names it to the eye only), so a screen reader would read "edit text" for
each (WCAG 4.1.2). Each control is named for its column, and every header has text."""

from django.contrib import admin


class LabelledTabularInline(admin.TabularInline):
    template = "admin/timeline/edit_inline/tabular.html"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for field in formset.form.base_fields.values():
            field.widget.attrs["aria-label"] = str(field.label)

        def add_fields(self, form, index):
            super(labelled, self).add_fields(form, index)
            if "DELETE" in form.fields:
                form.fields["DELETE"].widget.attrs["aria-label"] = "Delete"

        labelled = type(formset.__name__, (formset,), {"add_fields": add_fields})
        return labelled
