"""The version an edit form was loaded from, and who saved what since.

A change form carries, signed, a short hash of every field it shows of every row it shows (the
object and its inline rows) and when it was loaded. A save then compares, field by field, the
hash it was loaded from (base), the row as it is now (theirs: saved by someone since) and what
was posted (mine): mine alone changed is saved, theirs alone is kept, both to different values
is a conflict. The version is derived from the rows themselves, so any change counts (another
form, a revert, Record, a script) and there is no version column to keep out of the fixtures.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

SALT = "timeline.edit-version"


class BadVersion(Exception):
    """The posted version is missing, unreadable (forged or damaged) or another object's."""


def row_key(instance):
    return f"{instance._meta.label_lower}:{instance.pk}"


def model_field(model, name):
    """The concrete, non-m2m model field a form field `name` edits, or None."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.many_to_many or not getattr(field, "concrete", False) or field.primary_key:
        return None
    return field


def stored_value(field, value):
    """A form's cleaned value as its model stores it: a related row by its key."""
    if field.is_relation and isinstance(value, models.Model):
        return value.pk
    return value


def value_hash(value):
    text = json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def row_state(instance, names):
    """{field name: hash of its stored value} for the model fields among `names`."""
    state = {}
    for name in names:
        field = model_field(type(instance), name)
        if field is not None:
            state[name] = value_hash(field.value_from_object(instance))
    return state


@dataclass
class Version:
    rows: dict  # {row key: {field name: hash}}
    loaded_at: datetime


def dump(obj, rows, loaded_at=None):
    loaded_at = loaded_at or timezone.now()
    data = {"object": row_key(obj), "at": loaded_at.isoformat(), "rows": rows}
    return signing.dumps(data, salt=SALT, compress=True)


def load(token, obj):
    """The Version in `token`, made by dump() for `obj`; BadVersion says why not."""
    if not token:
        raise BadVersion("missing")
    try:
        data = signing.loads(token, salt=SALT)
        rows, at = data["rows"], datetime.fromisoformat(data["at"])
        valid = data["object"] == row_key(obj) and isinstance(rows, dict)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadVersion("unreadable") from None
    if not valid:
        raise BadVersion("another object's")
    return Version(rows=rows, loaded_at=at)


def _versions(obj):
    from reversion.models import Version as Saved

    from .revisions import FIRST_STATE_COMMENT

    return Saved.objects.get_for_object(obj).select_related("revision__user"), FIRST_STATE_COMMENT


def saved_since(obj, since, limit=5):
    """Revisions of `obj` saved after `since`, newest first (none for an unversioned model)."""
    import reversion

    if not reversion.is_registered(type(obj)):
        return []
    versions, first_state = _versions(obj)
    versions = versions.filter(revision__date_created__gt=since)
    versions = versions.exclude(revision__comment=first_state)  # a state, not a save
    return list(versions.order_by("-revision__date_created")[:limit])


def version_at(obj, moment):
    """The revision holding `obj` as it was at `moment`: the last one before, or the state
    recorded just before its first change in the admin (which is saved with that change)."""
    versions, first_state = _versions(obj)
    before = versions.filter(revision__date_created__lte=moment)
    found = before.order_by("-revision__date_created").first()
    if found is None:
        found = versions.filter(revision__comment=first_state).order_by("pk").first()
    return found
