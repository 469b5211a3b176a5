"""Two revisions of an era or an exercise compared row by row, each row matched by its identity.

A revision is read as one block per row (the era, its slides, samples, references, relations,
the talk notes of its slides; the exercise, its checks, its wrong answers): one line per
field. Rows are matched by model and primary key, which a revert keeps, so a slide deleted
and another added show as one block removed and one added, never as one slide renamed into
the next; a row in both is diffed field by field.
"""

import difflib

from ...models import (
    CodeSample,
    Era,
    EraRelation,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
    Reference,
    Slide,
    TalkNote,
)

# The order an era's file lists its records in, so a comparison reads like the fixture.
MODEL_ORDER = [
    Era,
    Slide,
    CodeSample,
    Reference,
    EraRelation,
    TalkNote,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
]


def revision_rows(revision):
    """{(rank, pk, model name): (title, lines)} for each object of a revision."""
    versions = list(revision.version_set.select_related("content_type"))
    names = _related_names(versions)
    titles = _era_titles(versions)
    rows = {}
    for version in versions:
        model = version.content_type.model_class()
        name = model._meta.verbose_name if model else version.content_type.model
        rank = MODEL_ORDER.index(model) if model in MODEL_ORDER else len(MODEL_ORDER)
        pk = version.object_id
        key = (rank, int(pk) if pk.isdigit() else 0, pk, name)
        rows[key] = (f"{name} “{version.object_repr}”", _lines(model, version, names, titles))
    return rows


def _lines(model, version, names, titles):
    lines = []
    for field, value in _fields(version).items():
        if field.endswith("_html") or field == "id":
            continue
        if field == "related":
            value = ", ".join(sorted(titles.get(pk, str(pk)) for pk in value or []))
        foreign = _foreign_key(model, field)
        if foreign is not None:
            field = foreign.name
            value = names.get((foreign.related_model, value), value)
        text = str(value) if value is not None else ""
        if "\n" in text:
            lines.append(f"{field}:")
            lines.extend("    " + line for line in text.rstrip("\n").split("\n"))
        else:
            lines.append(f"{field}: {text}")
    return lines


def compare_revisions(older, newer, older_label, newer_label):
    """[{"text", "kind"}] as diffs.diff_lines gives, row by row; [] when they hold the same."""
    old, new = revision_rows(older), revision_rows(newer)
    out = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            title, lines = old[key]
            out.append(_line(f"@@ deleted: {title} @@", "diff-hunk"))
            out.extend(_line("-" + line, "diff-removed") for line in lines)
        elif key not in old:
            title, lines = new[key]
            out.append(_line(f"@@ added: {title} @@", "diff-hunk"))
            out.extend(_line("+" + line, "diff-added") for line in lines)
        elif old[key][1] != new[key][1]:
            out.append(_line(f"@@ changed: {new[key][0]} @@", "diff-hunk"))
            out.extend(_changed(old[key][1], new[key][1]))
    if not out:
        return []
    return [_line(f"--- {older_label}", ""), _line(f"+++ {newer_label}", ""), *out]


def _changed(old_lines, new_lines):
    """The changed lines of one row with a line of context each side; gaps as "…"."""
    diff = difflib.unified_diff(old_lines, new_lines, lineterm="", n=1)
    out = []
    for line in list(diff)[2:]:
        if line.startswith("@@"):
            if out:
                out.append(_line(" …", ""))
            continue
        out.append(_line(line, {"+": "diff-added", "-": "diff-removed"}.get(line[:1], "")))
    return out


def _line(text, kind):
    return {"text": text, "kind": kind}


def _foreign_key(model, attname):
    """The foreign key stored under `attname` ("era_id"), or None."""
    for field in model._meta.concrete_fields if model else ():
        if field.many_to_one and field.attname == attname:
            return field
    return None


def _related_names(versions):
    """{(model, pk): its name now} for every foreign key in the versions, so a comparison says
    "other: WSGI (2003)" rather than "other_id: 7"; one query per related model."""
    wanted = {}
    for version in versions:
        model = version.content_type.model_class()
        for attname, value in _fields(version).items():
            foreign = _foreign_key(model, attname)
            if foreign is not None and value is not None:
                wanted.setdefault(foreign.related_model, set()).add(value)
    names = {}
    for model, pks in wanted.items():
        related = model._base_manager.select_related(*_name_needs(model)).in_bulk(list(pks))
        names.update({(model, pk): str(obj) for pk, obj in related.items()})
    return names


def _name_needs(model):
    """What str() of a related row reads besides its own fields (a slide names its era)."""
    return ["era"] if model in (Slide, CodeSample, Reference) else []


def _era_titles(versions):
    """{era pk: title} for every era named in a "related" field: one query in all."""
    ids = set()
    for version in versions:
        ids.update(_fields(version).get("related") or [])
    return dict(Era.objects.filter(pk__in=list(ids)).values_list("pk", "title"))


def _fields(version):
    try:
        return version.field_dict
    except Exception:  # noqa: BLE001 - a version saved under an older schema still shows
        return {"(stored data)": version.serialized_data}
