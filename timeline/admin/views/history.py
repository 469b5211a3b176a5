"""Revisions of an era compared, as a unified diff.

Every save of an era through the admin (with its slides, samples and references) is a
django-reversion revision with its author and time; reverting is reversion's own history
page (with views/revert.py). What reversion does not give is a comparison: it is here.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from reversion.models import Version

from ... import revisions
from ...diffs import diff_lines
from ...models import CodeSample, Era, EraRelation, Reference, Slide

# The order an era's file lists its records in, so a comparison reads like the fixture.
MODEL_ORDER = [Era, Slide, CodeSample, Reference, EraRelation]


def revision_text(revision):
    """A revision's objects as readable text: one block per object, one line per field
    (multi-line values indented), models in fixture order."""
    blocks = []
    versions = list(revision.version_set.select_related("content_type"))

    # Each row keeps its place whatever its order field says (rows by creation), so moving
    # a slide or a reference reads as "-order: 1 / +order: 2", not as a block removed and
    # another added.
    def key(version):
        model = version.content_type.model_class()
        rank = MODEL_ORDER.index(model) if model in MODEL_ORDER else len(MODEL_ORDER)
        pk = version.object_id
        return (rank, int(pk) if pk.isdigit() else 0, pk)

    names = _related_names(versions)
    for version in sorted(versions, key=key):
        model = version.content_type.model_class()
        name = model._meta.verbose_name if model else version.content_type.model
        lines = [f"== {name}: {version.object_repr} =="]
        fields = _fields(version)
        for field, value in fields.items():
            if field.endswith("_html") or field == "id":
                continue
            if field == "related":
                value = ", ".join(_era_titles(value))
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
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


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
        fields = _fields(version)
        for attname, value in fields.items():
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


def _fields(version):
    try:
        return version.field_dict
    except Exception:  # noqa: BLE001 - a version saved under an older schema still shows
        return {"(stored data)": version.serialized_data}


def _era_titles(ids):
    return sorted(Era.objects.filter(pk__in=list(ids or [])).values_list("title", flat=True))


def compare_view(request, object_id, model_admin):
    """Two revisions of one era, side by side as a unified diff (older to newer)."""
    era = get_object_or_404(Era, pk=object_id)
    if not model_admin.has_view_or_change_permission(request, era):
        raise PermissionDenied
    versions = Version.objects.get_for_object(era).select_related("revision__user")
    chosen = []
    for name in ("older", "newer"):
        try:
            chosen.append(versions.get(pk=int(request.GET.get(name, ""))))
        except (ValueError, Version.DoesNotExist):
            messages.error(request, "Choose two revisions of this era to compare.")
            return redirect("admin:timeline_era_history", era.pk)
    older, newer = sorted(chosen, key=lambda v: v.revision.date_created)
    lines = diff_lines(
        revision_text(older.revision),
        revision_text(newer.revision),
        _label(older),
        _label(newer),
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Compare revisions of {era.title}",
        "opts": Era._meta,
        "original": era,
        "older": older,
        "newer": newer,
        "diff": lines,
        "revert_url": (
            reverse("admin:timeline_era_revision", args=[era.pk, older.pk])
            if model_admin.has_change_permission(request, era)
            else None
        ),
    }
    return TemplateResponse(request, "admin/timeline/era/compare.html", context)


def _label(version):
    user = version.revision.user.get_username() if version.revision.user else "unknown"
    return f"{version.revision.date_created:%Y-%m-%d %H:%M:%S} by {user}"


def history_versions(era):
    """The era's versions, newest first, for the history page's compare form."""
    versions = Version.objects.get_for_object(era).select_related("revision__user")
    return list(versions.order_by("-revision__date_created"))


class FirstStateMixin:
    """A VersionAdmin whose first save of an object also keeps the state before it."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            revisions.record_first_state(self.get_object(request, object_id))
        return super().change_view(request, object_id, form_url, extra_context)
