"""Reverting an era or an exercise to a revision, where django-reversion alone would fail.

Reversion's revision page reverts the object and everything it follows (an era's slides,
samples, references, relations both ways; an exercise's checks and wrong answers), shows the
form, and keeps the result only when the editor saves it. Two things stop it:

- It restores rows one at a time. After a swap of two slides (or checks) each row's old
  order is held by the other, so every row fails the unique order per parent and the revert
  gives up. It also mutes pre_save while it previews, so renumbering.make_room cannot help
  there. So every numbered row of the era is parked first on an order the revision does not
  use; rows the revision holds get their own order back and the others are deleted by the
  revert, so a row still parked means the revert did not happen, and the parking is undone.
- A revision saved before revisions kept talk notes holds none, and reversion would delete
  every current talk note of the era's slides as "added since": those are kept (`keep_notes`,
  of the rows the ModelAdmin's `rows_to_keep` names), as they are a talk's content as much as
  the era's.
- A restored row may point at a row deleted since (a relation to an era that is gone, a
  sample's slide): the form would refuse that choice and the editor could never save, and
  the database would refuse it at commit. Such rows are treated as Django's on_delete would
  have treated them, before the form is built.
"""

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from reversion.models import Version

from ...models import Slide, Talk, TalkNote
from ...renumbering import ORDER, ordered_models, park


def revert(model_admin, request, object_id, version_id, view):
    """Run reversion's revision view `view()` for the model_admin's object, with room made.
    Opening a revision reverts to it (kept on save), so it takes change permission: a user
    who may only view compares revisions instead."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    version = (
        Version.objects.get_for_model(model_admin.model)
        .filter(pk=version_id, object_id=object_id)
        .select_related("revision")
        .first()
    )
    if version is None:
        return view()  # reversion answers 404
    children = [
        (model, parent)
        for model, parent in ordered_models().items()
        if model._meta.get_field(parent).related_model is model_admin.model
    ]
    wanted = _orders_in(version.revision, {model for model, _ in children})
    with transaction.atomic():
        parked = {}
        for model, parent in children:
            rows = model._default_manager.filter(**{f"{parent}_id": object_id})
            parked[model] = park(rows, rows.values_list("pk", flat=True), wanted.get(model, ()))
        request.reverting_revision = version.revision
        request.notes_to_keep = model_admin.rows_to_keep(object_id, version.revision)
        response = view()
        if _still_parked(parked):
            transaction.set_rollback(True)
    return response


def _orders_in(revision, models_):
    wanted = {}
    for version in revision.version_set.select_related("content_type"):
        model = version.content_type.model_class()
        if model in models_:
            try:
                wanted.setdefault(model, set()).add(version.field_dict.get(ORDER))
            except Exception:  # noqa: BLE001 - unreadable data: reversion reports it itself
                continue
    return wanted


def _still_parked(parked):
    for model, places in parked.items():
        if not places:
            continue
        where = models.Q()
        for pk, place in places.items():
            where |= models.Q(pk=pk, **{ORDER: place})
        if model._default_manager.filter(where).exists():
            return True
    return False


def repair_dangling(revision):
    """Restored rows of `revision` whose foreign key points at a row deleted since: deleted
    (CASCADE) or cleared (SET_NULL), as if they had been there when that row went."""
    by_model = {}
    for version in revision.version_set.select_related("content_type"):
        model = version.content_type.model_class()
        if model is not None:
            by_model.setdefault(model, []).append(version.object_id)
    for model, ids in by_model.items():
        for field in model._meta.concrete_fields:
            if not field.many_to_one:
                continue
            rows = model._default_manager.filter(pk__in=ids, **{f"{field.attname}__isnull": False})
            existing = field.related_model._base_manager.values("pk")
            dangling = rows.exclude(**{f"{field.attname}__in": existing})
            if field.remote_field.on_delete is models.CASCADE:
                dangling.delete()
            elif field.remote_field.on_delete is models.SET_NULL:
                dangling.update(**{field.attname: None})


def keep_notes(notes):
    """Put back `notes` (talk notes as they were before the revert) that it deleted, where their
    talk and slide are still there and no note holds that place."""
    if not notes:
        return
    talks = set(Talk.objects.filter(pk__in={n.talk_id for n in notes}).values_list("pk", flat=True))
    slides = Slide.objects.filter(pk__in={n.slide_id for n in notes}).values_list("pk", flat=True)
    taken = TalkNote.objects.filter(slide_id__in=list(slides)).values_list("talk_id", "slide_id")
    taken, slides = set(taken), set(slides)
    TalkNote.objects.bulk_create(
        note
        for note in notes
        if note.talk_id in talks
        and note.slide_id in slides
        and (note.talk_id, note.slide_id) not in taken
    )
