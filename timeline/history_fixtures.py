"""Reading and writing the history fixtures: one JSON file per era plus talks.json.

Records carry natural keys (slugs), so loading twice updates rows instead of duplicating
them, and a dump gives a stable, readable diff. `loaddata` skips `save()`, so loading
renders the markdown and code here.
"""

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

from .models import (
    CodeSample,
    Era,
    EraRelation,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
    Reference,
    Slide,
    Talk,
    TalkEra,
    TalkNote,
)

ERA_DIR = "eras"
TALKS_FILE = "talks.json"
RELATION_MODEL = "timeline.erarelation"
REFERENCE_MODEL = "timeline.reference"


class FixtureError(Exception):
    """A fixture that cannot be loaded; the message names the file and the record."""


@dataclass
class LoadResult:
    files: int = 0
    counts: dict = field(default_factory=dict)
    seen: dict = field(default_factory=dict, repr=False)


def fixtures_dir():
    return Path(settings.HISTORY_FIXTURES_DIR)


def fixture_files(directory=None):
    directory = Path(directory or fixtures_dir())
    files = sorted((directory / ERA_DIR).glob("*.json"))
    if (directory / TALKS_FILE).exists():
        files.append(directory / TALKS_FILE)
    return files


def load(directory=None):
    """Load every fixture in one transaction: on any error nothing changes."""
    files = fixture_files(directory)
    if not files:
        raise FixtureError(f"No fixtures found in {Path(directory or fixtures_dir())}.")
    result = LoadResult(files=len(files))
    with transaction.atomic():
        deferred, links = [], {}
        for path in files:
            deferred.extend(_load_file(path, result, links))
        for path, number, obj in deferred:
            with _naming(path, number, obj.object):
                obj.save_deferred_fields()
        _set_related(links)
    return result


def _set_related(links):
    """Apply the relations of every loaded era once all files are in.

    A relation names an era that another file may define, so relations are set last. Each
    pair is stored once, on the era its sentence starts with ("flask built on wsgi" lives in
    flask.json); a loaded era's relations are exactly those its file lists.
    """
    slugs = set(links)
    for slug, (path, wanted) in links.items():
        for other, (number, _) in wanted.items():
            if other == slug:
                raise FixtureError(f"{path}, record {number}: era {slug!r} is related to itself.")
            if other in links and slug in links[other][1]:
                raise FixtureError(
                    f"{path}, record {number}: {slug!r} and {other!r} name each other; "
                    "keep the relation on one side."
                )
    named = {other for _, wanted in links.values() for other in wanted}
    eras = {era.slug: era for era in Era.objects.filter(slug__in=slugs | named)}
    EraRelation.objects.filter(era__slug__in=slugs).delete()
    rows = []
    for slug, (path, wanted) in links.items():
        for other, (number, kind) in wanted.items():
            if other not in eras:
                raise FixtureError(
                    f"{path}, record {number}: era {slug!r} is related to unknown era {other!r}."
                )
            relation = EraRelation(era=eras[slug], other=eras[other], kind=kind)
            try:
                relation.clean_fields()  # the pair itself was checked above
            except ValidationError as exc:
                raise FixtureError(
                    f"{path}, record {number} ({relation}): {_message(exc)}"
                ) from exc
            rows.append(relation)
    # An era outside these files may name a loaded one the other way round: the files win.
    pairs = {(row.era.pk, row.other.pk) for row in rows}
    for stale in EraRelation.objects.filter(other__slug__in=slugs).exclude(era__slug__in=slugs):
        if (stale.other_id, stale.era_id) in pairs:
            stale.delete()
    EraRelation.objects.bulk_create(rows)


def _relation_records(path, records):
    """Split an era file's relation records from the rest.

    Returns the other records, their numbers in the file, the era's slug, and the relations
    as {other slug: (number, kind)}."""
    rest, numbers, wanted, era_slug = [], [], {}, None
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            rest.append(record)
            numbers.append(number)
            continue
        fields = record.get("fields") if isinstance(record.get("fields"), dict) else {}
        if record.get("model") == "timeline.era":
            era_slug = fields.get("slug")
            if "related" in fields:
                # Loaded as it stands, the list would be set and then replaced by the relation
                # records: refuse it rather than drop it without a word.
                raise FixtureError(
                    f"{path}, record {number}: an era's related eras are "
                    f"{RELATION_MODEL} records, one per pair with its kind, not a `related` list."
                )
            rest.append(record)
            numbers.append(number)
        elif record.get("model") == RELATION_MODEL:
            era, other = _slug_of(fields.get("era")), _slug_of(fields.get("other"))
            if era_slug is None or era != era_slug:
                raise FixtureError(
                    f"{path}, record {number}: a relation belongs in the file of its era ({era!r})."
                )
            if other in wanted:
                raise FixtureError(f"{path}, record {number}: {era!r} names {other!r} twice.")
            wanted[other] = (number, fields.get("kind", EraRelation.Kind.SAME_IDEA))
        else:
            rest.append(record)
            numbers.append(number)
    return rest, numbers, era_slug, wanted


def _number_unordered_references(records):
    """References written before they had an order (or by hand without one) follow the file's
    numbered ones, in the order the file lists them."""
    fields = [
        record["fields"]
        for record in records
        if isinstance(record, dict)
        and record.get("model") == REFERENCE_MODEL
        and isinstance(record.get("fields"), dict)
    ]
    numbers = [f["order"] for f in fields if isinstance(f.get("order"), int)]
    last = max(numbers, default=0)
    for unordered in (f for f in fields if "order" not in f):
        last += 1
        unordered["order"] = last


def _load_file(path, result, links):
    try:
        text = path.read_text(encoding="utf-8")
        records = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FixtureError(f"{path}: not readable JSON: {exc}") from exc
    if not isinstance(records, list):
        raise FixtureError(f"{path}: expected a JSON list of records.")
    # Relations are set once every era is in (see _set_related); the rest loads now, and
    # messages keep each record's number in the file.
    rest, numbers, era_slug, wanted = _relation_records(path, records)
    _number_unordered_references(rest)
    if era_slug is not None:
        links[era_slug] = (path, wanted)
        counted = result.counts.get("timeline.EraRelation", 0)
        result.counts["timeline.EraRelation"] = counted + len(wanted)
    text = json.dumps(rest)
    deferred = []
    objects = serializers.deserialize("json", text, handle_forward_references=True)
    for index in itertools.count():
        number = numbers[index] if index < len(numbers) else len(records) + 1
        try:
            obj = next(objects)
        except StopIteration:
            break
        except (DeserializationError, ValidationError, DatabaseError, LookupError) as exc:
            where = _describe(records, number)
            raise FixtureError(f"{path}, record {number} {where}: {exc}") from exc
        with _naming(path, number, obj.object, records):
            instance = obj.object
            if hasattr(instance, "render"):
                instance.render()
            instance.full_clean(validate_unique=False, validate_constraints=False)
            _refuse_nul(instance)
            _refuse_duplicate(instance, path, number, result)
            obj.save()
        if obj.deferred_fields:
            deferred.append((path, number, obj))
        label = instance._meta.label
        result.counts[label] = result.counts.get(label, 0) + 1
    return deferred


def _refuse_nul(instance):
    """PostgreSQL cannot store NUL and SQLite would: refuse it on both, with the field's name."""
    for model_field in instance._meta.concrete_fields:
        value = getattr(instance, model_field.attname)
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError({model_field.name: ["contains a NUL character."]})


def _refuse_duplicate(instance, path, number, result):
    """Two records with one natural key would silently overwrite each other: refuse the second."""
    if not hasattr(instance, "natural_key"):
        return
    key = (instance._meta.label, instance.natural_key())
    first = result.seen.setdefault(key, f"{path.name}, record {number}")
    if first != f"{path.name}, record {number}":
        raise ValidationError(f"{instance._meta.label} {key[1]} is already defined in {first}.")


class _naming:
    """Turns any error while saving a record into a FixtureError naming file and record."""

    def __init__(self, path, number, instance, records=None):
        self.path, self.number, self.instance, self.records = path, number, instance, records

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, FixtureError):
            return False
        if not isinstance(exc, ValidationError | DatabaseError | DeserializationError | ValueError):
            return False
        where = _describe(self.records, self.number) if self.records else ""
        raise FixtureError(
            f"{self.path}, record {self.number} {where}({self.instance._meta.label} "
            f"{self.instance}): {_message(exc)}"
        ) from exc


def _slug_of(key):
    """A related era as written in a fixture: a natural key ["slug"] or a bare slug."""
    return key[0] if isinstance(key, list | tuple) else key


def _describe(records, number):
    try:
        record = records[number - 1]
        fields = record.get("fields", {})
        key = fields.get("slug") or fields.get("title") or fields.get("order")
        return f"[{record.get('model')} {key!r}] "
    except (IndexError, AttributeError, TypeError):
        return ""


def _message(exc):
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _fields(model):
    """Every editable field; the rendered *_html fields are derived, so never dumped."""
    names = [f.name for f in model._meta.fields if f.editable and not f.primary_key]
    names += [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
    return [name for name in names if not name.endswith("_html")]


# Presentation options most records leave unset: written only when set, so a fixture gains a
# line where an editor chose one, not on every record (loading fills in the model's default).
SPARSE_FIELDS = {"fragments": False, "slide_lines": "", "slide_steps": ""}


def _records(objects):
    """Objects of one model as fixture records with natural keys and no pk."""
    objects = list(objects)
    if not objects:
        return []
    text = serializers.serialize(
        "json",
        objects,
        fields=_fields(type(objects[0])),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    records = json.loads(text)
    for record in records:
        for name, default in SPARSE_FIELDS.items():
            if record["fields"].get(name, default) == default:
                record["fields"].pop(name, None)
    return records


def _write(path, records):
    # ensure_ascii=False keeps non-ASCII text readable in diffs.
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _grouped(queryset, key=lambda row: row.era_id):
    """{key (the era): [rows in the queryset's order]}: every row of a model in one query."""
    groups = {}
    for row in queryset:
        groups.setdefault(key(row), []).append(row)
    return groups


def dump(directory=None):
    """Write the database to fixtures: one file per era, talks.json; return paths written.
    Each model is read once and grouped by era (or talk), so the queries do not grow with
    the number of eras; within an era, rows keep the order each file lists them in."""
    directory = Path(directory or fixtures_dir())
    era_dir = directory / ERA_DIR
    era_dir.mkdir(parents=True, exist_ok=True)
    children = [
        _grouped(Slide.objects.select_related("era").order_by("order")),
        _grouped(CodeSample.objects.select_related("era", "slide__era").order_by("order")),
        _grouped(Reference.objects.select_related("era").order_by("order")),
        _grouped(Exercise.objects.select_related("era").order_by("order", "slug")),
        _grouped(
            ExerciseCheck.objects.select_related("exercise").order_by(
                "exercise__order", "exercise__slug", "order"
            ),
            key=lambda check: check.exercise.era_id,
        ),
        _grouped(
            ExerciseWrongAnswer.objects.select_related("exercise").order_by(
                "exercise__order", "exercise__slug", "order"
            ),
            key=lambda answer: answer.exercise.era_id,
        ),
        # Each relation once, in the file of the era its sentence starts with.
        _grouped(EraRelation.objects.select_related("era", "other").order_by("other__slug")),
    ]
    written = []
    for era in Era.objects.order_by("slug"):
        records = _records([era])
        for rows in children:
            records += _records(rows.get(era.pk, []))
        path = era_dir / f"{era.slug}.json"
        _write(path, records)
        written.append(path)
    for stale in set(era_dir.glob("*.json")) - set(written):
        stale.unlink()
    items = _grouped(
        TalkEra.objects.select_related("talk", "era").order_by("order"), lambda i: i.talk_id
    )
    notes = _grouped(
        TalkNote.objects.select_related("talk", "slide__era").order_by(
            "slide__era__slug", "slide__order"
        ),
        lambda note: note.talk_id,
    )
    talks = []
    for talk in Talk.objects.order_by("slug"):
        talks += _records([talk])
        talks += _records(items.get(talk.pk, []))
        talks += _records(notes.get(talk.pk, []))
    talks_path = directory / TALKS_FILE
    _write(talks_path, talks)
    written.append(talks_path)
    return written
