"""A save checked against the version its form was loaded from, field by field.

Each form of the POST (the object's and every inline row's) compares, for each field it
showed, the hash it was loaded with (base), the row now (theirs) and the cleaned value
(mine). Theirs alone changed: theirs is put back into the cleaned data, so the save keeps
it. Both changed, differently: an error on the field. A row deleted since is dropped when the
editor did not touch it, and otherwise refused with their text kept on the row. A second
POST from the conflict page ("on top") may keep the editor's value over theirs, but only
where theirs is still what the conflict page showed.
"""

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import F, Max

from ..edit_versions import BadVersion, load, model_field, row_key, row_state, stored_value
from ..edit_versions import value_hash as hashed
from ..renumbering import ORDER

PROBLEMS = {
    "missing": "This form did not say which version of the page it was opened from",
    "unreadable": "The version this form was opened from could not be read",
    "another object's": "This form was opened from another page",
}


def lock_row(model, pk):
    """Hold `model`'s row `pk` until the transaction ends, before anything is read: a second
    save of the same object waits here, then reads what the first one saved. PostgreSQL locks
    the row; SQLite has no row locks, so a no-op write takes its one database write lock."""
    try:
        rows = model._base_manager.filter(pk=model._meta.pk.to_python(pk))
    except ValidationError:
        return  # not an id: the admin says the object does not exist
    if connections[router.db_for_write(model)].features.has_select_for_update:
        list(rows.select_for_update().values_list("pk", flat=True))
    else:
        rows.update(**{model._meta.pk.attname: F(model._meta.pk.attname)})


def describe(instance, values=None):
    """“slide “Title””, from the row or from a form's cleaned `values` for it."""
    values = values if values is not None else vars(instance)
    label = values.get("title") or values.get("name") or str(instance)
    return f"{instance._meta.verbose_name} “{label}”"


def shown(value, limit=300):
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EditCheck:
    """One POST's comparison with the version its page was loaded from."""

    def __init__(self, data):
        self.token = data.get("_version", "")
        self.on_top_token = data.get("_on_top", "")
        self.base = self.on_top = self.problem = None
        self.current = {}  # {row key: state now}, of every row posted
        self.kept = []  # what theirs changed and this save keeps
        self.overridden = []  # where this save puts the editor's value over theirs
        self.conflicts = []  # {"what", "theirs", "mine"}
        self.gone = []  # rows deleted since that the editor changed: refused
        self.dropped = []  # rows deleted since that the editor did not change
        self.readded = []  # rows deleted since, added back "on top"
        self.stale = False

    def bind(self, obj):
        try:
            self.on_top = load(self.on_top_token, obj) if self.on_top_token else None
        except BadVersion:
            self.on_top = None
        try:
            self.base = load(self.token, obj)
        except BadVersion as exc:
            # "Save anyway on top" after a missing or unreadable version: the version the
            # conflict page showed is the base, so only what changes after it is theirs.
            self.base, self.problem = (self.on_top, None) if self.on_top else (None, str(exc))

    @property
    def refused(self):
        return bool(self.problem or self.conflicts or self.gone)

    def mine_wins(self, key, name, current):
        """On top: the editor saw theirs on the conflict page, and theirs has not changed."""
        if self.on_top is None:
            return False
        seen = self.on_top.rows.get(key)
        return seen is not None and seen.get(name) == current

    def check_object(self, form):
        if self.problem:
            self.stale = True
            form.add_error(None, f"{PROBLEMS.get(self.problem, self.problem)}: nothing was saved.")
        self.merge(form)

    def merge(self, form):
        if self.base is None:
            return
        if getattr(form, "edit_gone", None) is not None:
            return self.merge_gone(form)
        instance = form.instance
        if instance.pk is None:
            return  # a row added on this page
        key = row_key(instance)
        base, current = self.base.rows.get(key), form.edit_current
        if base is None:
            return  # a row this page did not show when opened
        theirs = [name for name, h in base.items() if current.get(name, h) != h]
        if not theirs:
            return
        self.stale = True
        if form.cleaned_data.get("DELETE"):
            if not all(self.mine_wins(key, name, current[name]) for name in theirs):
                names = ", ".join(self.label(instance, name) for name in theirs)
                form.add_error(None, f"Changed since you opened the page ({names}): not deleted.")
                form.edit_keep = True  # so the formset counts the error of a row marked DELETE
                conflict = {"what": describe(instance), "theirs": "changed", "mine": "deleted"}
                self.conflicts.append(conflict)
            return
        for name in theirs:
            if name not in form.cleaned_data:
                continue  # mine does not validate: the field shows its own error
            field = model_field(type(instance), name)
            mine = hashed(stored_value(field, form.cleaned_data[name]))
            what = f"{self.label(instance, name)} of {describe(instance)}"
            if mine == base[name]:
                # Theirs alone: keep it (construct_instance runs after clean(), so the
                # instance still holds the row as it is now).
                form.cleaned_data[name] = getattr(instance, field.name)
                if name in form.changed_data:
                    form.changed_data.remove(name)
                self.kept.append(what)
            elif mine == current[name]:
                continue  # both made the same change
            elif self.mine_wins(key, name, current[name]):
                self.overridden.append(what)
            else:
                theirs_value = shown(getattr(instance, field.name))
                mine_value = shown(form.cleaned_data[name])
                form.add_error(name, f"Changed since you opened the page, to: “{theirs_value}”.")
                self.conflicts.append({"what": what, "theirs": theirs_value, "mine": mine_value})

    def merge_gone(self, form):
        """A row the page showed that was deleted since."""
        model = form._meta.model
        key = f"{model._meta.label_lower}:{form.edit_gone}"
        base = self.base.rows.get(key)
        if base is None:
            return  # not a row of this page: the id field's own error stands
        form._errors.pop(model._meta.pk.name, None)  # said below, in words
        self.stale = True
        label = describe(form.instance, form.cleaned_data)
        if form.cleaned_data.get("DELETE"):
            self.dropped.append(label)
            form.edit_drop = True
            return
        edited = [
            name
            for name, h in base.items()
            if name in form.cleaned_data
            and hashed(stored_value(model_field(model, name), form.cleaned_data[name])) != h
        ]
        if not edited:
            self.dropped.append(label)
            form.edit_drop = True
        elif self.on_top is not None and key not in self.on_top.rows:
            self.readded.append(label)
            form.edit_readd = True
        else:
            self.gone.append(label)
            form.add_error(
                None,
                f"This {model._meta.verbose_name} was deleted since you opened the page. "
                "What you typed is kept here: “Save anyway on top of the current version” "
                "adds it back as a new one.",
            )

    @staticmethod
    def label(instance, name):
        return str(model_field(type(instance), name).verbose_name)


class VersionedFormMixin:
    """A change form (or inline row form) that takes part in its POST's EditCheck."""

    edit_check = None
    edit_object = False  # the change form's own object, not an inline row

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.edit_gone = None
        self.edit_current = {}
        if self.instance.pk is not None:
            self.edit_current = row_state(self.instance, self.fields)
            self.edit_check.current[row_key(self.instance)] = self.edit_current

    def clean(self):
        cleaned = super().clean()
        if self.edit_object:
            self.edit_check.check_object(self)
        else:
            self.edit_check.merge(self)
        return cleaned


class VersionedFormSetMixin:
    """An inline formset whose rows are locked while the POST runs, and whose rows deleted
    since the page was opened are dropped or added back instead of failing on their id."""

    edit_check = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.queryset = self.queryset.select_for_update(of=("self",))

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.is_bound and i < self.initial_form_count() and form.instance.pk is None:
            pk_field = self.model._meta.pk
            try:
                form.edit_gone = pk_field.to_python(self.data.get(f"{form.prefix}-{pk_field.name}"))
            except ValidationError:
                form.edit_gone = None
        return form

    def _should_delete_form(self, form):
        if getattr(form, "edit_keep", False):
            return False
        return getattr(form, "edit_drop", False) or super()._should_delete_form(form)

    def get_queryset(self):
        rows = super().get_queryset()
        if "forms" in self.__dict__ and any(f.edit_gone is not None for f in self.initial_forms):
            # The admin pairs each initial form with the row at its index: shown again,
            # a row deleted since has none, and the rows after it must keep their own.
            return [None if f.edit_gone is not None else f.instance for f in self.initial_forms]
        return rows

    def clean(self):
        readd = [form for form in self.initial_forms if getattr(form, "edit_readd", False)]
        if readd and model_field(self.model, ORDER) is not None:
            # Added back after every row, before the posted orders are checked for repeats.
            rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
            taken = [rows.aggregate(last=Max(ORDER))["last"] or 0]
            taken += [
                f.cleaned_data.get(ORDER) or 0 for f in self.forms if hasattr(f, "cleaned_data")
            ]
            for place, form in enumerate(readd, start=max(taken) + 1):
                form.cleaned_data[ORDER] = place
                setattr(form.instance, ORDER, place)
        super().clean()

    def save_new_objects(self, commit=True):
        saved = super().save_new_objects(commit)
        for form in self.initial_forms:
            if getattr(form, "edit_readd", False):
                self.new_objects.append(self.save_new(form, commit))
        return saved


def versioned_form(form_class, check, edit_object=False):
    attrs = {"edit_check": check, "edit_object": edit_object}
    versioned = type(form_class.__name__, (VersionedFormMixin, form_class), attrs)
    # The metaclass made its fields afresh from the model: keep the admin's own (a sample's
    # slide limited to its era's, with its choices read once: widgets.share_choices).
    versioned.base_fields = form_class.base_fields
    return versioned


def versioned_formset(formset_class, check):
    attrs = {"edit_check": check, "form": versioned_form(formset_class.form, check)}
    return type(formset_class.__name__, (VersionedFormSetMixin, formset_class), attrs)
