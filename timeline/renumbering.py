"""Rows numbered within a parent (an era's slides, samples and references), unique per parent.

Moving rows to new numbers one by one trips the unique constraint midway through any
permutation (swap 1 and 2: the first UPDATE finds 2 taken). Both ways rows get renumbered
go through `park`, which first moves the rows in the way to numbers nobody uses or asks for:

- the admin's inline formsets park every row whose order changes, in one UPDATE, then save
  them with their new orders (timeline/admin/formsets.py);
- raw saves (loading fixtures, reverting a revision) save one row at a time with its stored
  order, so `make_room` parks whichever row holds that order just before; that row gets its
  own order when its turn comes. Both run inside the caller's transaction.
"""

from django.db.models import Case, Value, When
from django.db.models.signals import pre_save

from .models import CodeSample, ExerciseCheck, ExerciseWrongAnswer, Reference, Slide

ORDER = "order"
MAX_ORDER = 32767  # PositiveSmallIntegerField on PostgreSQL


def park(rows, pks, wanted=()):
    """Move the rows `pks` (among `rows`, one parent's rows) to orders neither in use nor in
    `wanted`, in one UPDATE; parking places stay within a small integer. Returns
    {pk: parking place}."""
    pks = list(pks)
    if not pks:
        return {}
    taken = set(rows.values_list(ORDER, flat=True)) | set(wanted)
    free = (n for n in range(MAX_ORDER + 1) if n not in taken)
    places = {pk: next(free) for pk in pks}
    cases = [When(pk=pk, then=Value(place)) for pk, place in places.items()]
    rows.filter(pk__in=pks).update(**{ORDER: Case(*cases)})
    return places


def ordered_models():
    """{model: the name of its parent field} for every model numbered within a parent."""
    return {
        Slide: "era",
        CodeSample: "era",
        Reference: "era",
        ExerciseCheck: "exercise",
        ExerciseWrongAnswer: "exercise",
    }


def make_room(sender, instance, raw=False, **kwargs):
    """Before a raw save, park any other row of the same parent that holds this row's order."""
    if not raw:
        return
    parent = ordered_models()[sender] + "_id"
    order = getattr(instance, ORDER, None)
    if order is None or getattr(instance, parent, None) is None:
        return
    rows = sender._default_manager.filter(**{parent: getattr(instance, parent)})
    in_the_way = rows.filter(**{ORDER: order})
    if instance.pk is not None:
        in_the_way = in_the_way.exclude(pk=instance.pk)
    park(rows, in_the_way.values_list("pk", flat=True), wanted={order})


def connect_signals():
    for model in ordered_models():
        pre_save.connect(make_room, sender=model, dispatch_uid=f"ordering-{model.__name__}")
