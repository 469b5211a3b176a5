"""Widgets of the admin: choice lists that cost one query however many forms show them, and
the code editor's textarea."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect


def slide_label(slide):
    """The era is the page's own, so a slide is named by its place and title."""
    return f"#{slide.order}: {slide.title}"


def share_choices(field, queryset, label=None):
    """Limit a ModelChoiceField to `queryset` and read its choices once, now.

    Each form of a formset deep-copies the field, and a ModelChoiceField would run its query
    again for every copy it renders; fixed choices are copied instead. Validation still
    checks a posted value against the queryset."""
    field.queryset = queryset
    if label:
        field.label_from_instance = label
    field.choices = list(field.choices)


class KnownAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that names its selected object from the form's instance, when the
    inline loaded it (select_related), instead of one query per row."""

    known = None

    def optgroups(self, name, value, attr=None):
        known = self.known
        if known is None or [str(v) for v in value if v] != [str(known.pk)]:
            return super().optgroups(name, value, attr)
        option = self.create_option(
            name, known.pk, self.choices.field.label_from_instance(known), True, 0
        )
        groups = [(None, [], 0)]
        if not self.is_required:
            groups[0][1].append(self.create_option(name, "", "", False, 0))
        groups[0][1].append(option)
        return groups


class KnownChoicesForm(forms.ModelForm):
    """Gives each KnownAutocompleteSelect the object its instance already holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's wrapper
            if isinstance(widget, KnownAutocompleteSelect):
                attname = self.instance._meta.get_field(name).attname
                if getattr(self.instance, attname, None) is not None:
                    widget.known = getattr(self.instance, name)


class KnownAutocompleteMixin:
    """An inline whose autocomplete fields name their selected objects from the rows it
    loaded (its get_queryset select_related them): no query per row, however many rows."""

    form = KnownChoicesForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KnownAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CodeTextarea(forms.Textarea):
    """A textarea the admin's code editor takes over (static/js/admin-code-editor.js), in a
    fixed `language` or in the one the form's field named `language_from` holds."""

    def __init__(self, language="text", language_from=None, rows=8):
        attrs = {"class": "vLargeTextField", "rows": rows, "spellcheck": "false"}
        attrs["data-code-language"] = language
        if language_from:
            attrs["data-code-language-from"] = language_from
        super().__init__(attrs=attrs)
