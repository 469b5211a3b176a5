import filecmp
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from timeline import history_fixtures
from timeline.models import CodeSample, Era, EraRelation, Reference, Slide, Talk, TalkEra

from .factories import generate_eras, make_talk

pytestmark = pytest.mark.django_db

MODELS = [Era, EraRelation, Slide, CodeSample, Reference, Talk, TalkEra]
# Four eras and two talks with every record type, written by tests/data/make_small_history.py:
# loading it takes a fraction of the real history's time, so the error paths below (and `make
# mutate`) use it; the real fixtures are loaded by the round-trip tests at the top.
SMALL_HISTORY = Path(__file__).parent / "data" / "history"


def snapshot():
    """Every row of every content model, as comparable tuples (pks excluded)."""
    rows = {}
    for model in MODELS:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        rows[model.__name__] = sorted(
            tuple(_value(obj, f) for f in fields) for obj in model.objects.all()
        )
    return rows


def _value(obj, field):
    if field.is_relation:
        related = getattr(obj, field.name)
        return str(related.natural_key()) if related else "None"
    return str(getattr(obj, field.attname))


def test_load_history_renders_and_is_idempotent():
    call_command("load_history", verbosity=0)
    first = snapshot()
    assert first["Era"], "the fixtures hold no era"
    assert all(era.body_html for era in Era.objects.all())
    assert all(s.highlighted_html for s in CodeSample.objects.all())
    assert all(s.body_html for s in Slide.objects.exclude(body=""))
    call_command("load_history", verbosity=0)
    assert snapshot() == first


def test_if_empty_keeps_an_editors_change():
    call_command("load_history", verbosity=0)
    era = Era.objects.order_by("year").first()
    era.summary = "An editor's better summary."
    era.save()
    call_command("load_history", "--if-empty", verbosity=0)
    era.refresh_from_db()
    assert era.summary == "An editor's better summary."


def test_dump_then_load_round_trips(tmp_path):
    call_command("load_history", verbosity=0)
    slide = Slide.objects.first()
    slide.notes = "Edited note with ünïcode."
    slide.save()
    before = snapshot()
    call_command("dump_history", dir=str(tmp_path), verbosity=0)
    written = sorted(p.name for p in (tmp_path / "eras").glob("*.json"))
    assert written == sorted(f"{slug}.json" for slug in Era.objects.values_list("slug", flat=True))
    text = (tmp_path / "eras" / f"{slide.era.slug}.json").read_text()
    assert "ünïcode" in text and '"pk"' not in text and "_html" not in text
    for model in MODELS:
        model.objects.all().delete()
    call_command("load_history", dir=str(tmp_path), verbosity=0)
    assert snapshot() == before


def test_dump_is_stable(tmp_path):
    call_command("load_history", verbosity=0)
    call_command("dump_history", dir=str(tmp_path / "a"), verbosity=0)
    call_command("dump_history", dir=str(tmp_path / "b"), verbosity=0)
    for path in (tmp_path / "a").rglob("*.json"):
        assert path.read_text() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_text()


@pytest.fixture
def fixture_copy(tmp_path, settings):
    """A copy of the small history, which `load_history` then loads by default."""
    target = tmp_path / "fixtures"
    shutil.copytree(SMALL_HISTORY, target)
    settings.HISTORY_FIXTURES_DIR = target
    return target


def fixture_names(directory):
    return sorted(str(p.relative_to(directory)) for p in Path(directory).rglob("*.json"))


def test_load_then_dump_gives_back_the_same_bytes(tmp_path):
    """Every record, field, order and character of the files survives load + dump exactly."""
    call_command("load_history", dir=str(SMALL_HISTORY), verbosity=0)
    call_command("dump_history", dir=str(tmp_path), verbosity=0)
    names = fixture_names(SMALL_HISTORY)
    assert fixture_names(tmp_path) == names
    _, mismatch, errors = filecmp.cmpfiles(SMALL_HISTORY, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_load_says_what_it_loaded(capsys):
    call_command("load_history", dir=str(SMALL_HISTORY))
    assert capsys.readouterr().out == (
        "Loaded 5 files: 8 timeline.CodeSample, 4 timeline.Era, 4 timeline.EraRelation, "
        "3 timeline.Exercise, 4 timeline.ExerciseCheck, 16 timeline.Reference, "
        "8 timeline.Slide, 2 timeline.Talk, 5 timeline.TalkEra, 10 timeline.TalkNote.\n"
    )
    assert Era.objects.count() == 4 and Era.objects.filter(published=False).count() == 1


def test_dump_says_what_it_wrote_and_removes_stale_era_files(tmp_path, capsys):
    call_command("load_history", dir=str(SMALL_HISTORY), verbosity=0)
    (tmp_path / "eras").mkdir()
    (tmp_path / "eras" / "deleted-era.json").write_text("[]")
    capsys.readouterr()
    call_command("dump_history", dir=str(tmp_path))
    assert capsys.readouterr().out == "Wrote 5 files.\n"
    assert fixture_names(tmp_path) == fixture_names(SMALL_HISTORY)


def test_if_empty_loads_into_an_empty_database(capsys):
    call_command("load_history", "--if-empty", dir=str(SMALL_HISTORY), verbosity=0)
    assert Era.objects.count() == 4
    capsys.readouterr()
    call_command("load_history", "--if-empty", dir=str(SMALL_HISTORY))
    assert capsys.readouterr().out == ("The database already holds the history; nothing loaded.\n")


def test_broken_json_names_the_file_and_changes_nothing(fixture_copy):
    call_command("load_history", verbosity=0)
    before = snapshot()
    broken = fixture_copy / "eras" / "zz-broken.json"
    broken.write_text('[{"model": "timeline.era", "fields": {')
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(fixture_copy), verbosity=0)
    assert "zz-broken.json" in str(info.value) and "Nothing was loaded" in str(info.value)
    assert snapshot() == before


def test_invalid_record_names_file_and_record_and_rolls_back(fixture_copy):
    path = sorted((fixture_copy / "eras").glob("*.json"))[0]
    records = json.loads(path.read_text())
    records[0]["fields"]["summary"] = "Changed by a load that must roll back."
    records.append(
        {
            "model": "timeline.codesample",
            "fields": {
                "era": records[0]["fields"]["slug"] and [records[0]["fields"]["slug"]],
                "order": 99,
                "title": "Bad language",
                "language": "klingon",
                "code": "x",
            },
        }
    )
    path.write_text(json.dumps(records))
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(fixture_copy), verbosity=0)
    message = str(info.value)
    assert path.name in message and f"record {len(records)}" in message
    assert "language" in message and "klingon" in message
    assert not Era.objects.filter(summary__startswith="Changed by a load").exists()
    assert not CodeSample.objects.filter(title="Bad language").exists()


def test_unknown_model_is_reported(fixture_copy):
    (fixture_copy / "eras" / "zz.json").write_text('[{"model": "timeline.nope", "fields": {}}]')
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(fixture_copy), verbosity=0)
    assert "zz.json" in str(info.value) and "record 1" in str(info.value)


def test_empty_folder_is_reported(tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(tmp_path), verbosity=0)
    assert str(info.value) == f"Nothing was loaded. No fixtures found in {tmp_path}."


def _era_record(slug, **fields):
    base = {"slug": slug, "title": slug.title(), "year": 2000, "kind": "framework"}
    base.update(summary="A summary.", body="", published=True)
    base.update(fields)
    return {"model": "timeline.era", "fields": base}


# Broken records the loader must refuse, naming the file and the record, loading nothing.
# (id, records, words the message must contain)
BROKEN_RECORDS = [
    (
        "javascript-url",
        [
            _era_record("zz-era"),
            {
                "model": "timeline.reference",
                "fields": {"era": ["zz-era"], "title": "x", "url": "javascript:alert(1)"},
            },
        ],
        ["record 2", "url"],
    ),
    (
        "dangling-era",
        [{"model": "timeline.slide", "fields": {"era": ["no-such-era"], "order": 1, "title": "x"}}],
        ["record 1"],
    ),
    (
        "duplicate-slide-order",
        [
            _era_record("zz-era"),
            {"model": "timeline.slide", "fields": {"era": ["zz-era"], "order": 1, "title": "a"}},
            {"model": "timeline.slide", "fields": {"era": ["zz-era"], "order": 1, "title": "b"}},
        ],
        ["record 3", "already defined in zz-bad.json, record 2"],
    ),
    ("year-out-of-range", [_era_record("zz-era", year=1066)], ["record 1", "year"]),
    ("not-a-list", {"model": "timeline.era"}, ["JSON list"]),
    ("nul-in-title", [_era_record("zz-era", title="a\x00b")], ["record 1", "title"]),
]


@pytest.mark.parametrize(
    "records,words", [b[1:] for b in BROKEN_RECORDS], ids=[b[0] for b in BROKEN_RECORDS]
)
def test_broken_records_are_refused_and_nothing_changes(fixture_copy, records, words):
    call_command("load_history", verbosity=0)
    before = snapshot()
    (fixture_copy / "eras" / "zz-bad.json").write_text(json.dumps(records))
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(fixture_copy), verbosity=0)
    message = str(info.value)
    assert "zz-bad.json" in message and "Nothing was loaded" in message
    for word in words:
        assert word in message
    assert snapshot() == before


def test_hostile_markup_in_a_fixture_is_sanitised_on_load(fixture_copy):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(1)">[x](javascript:alert(1))'
    records = [_era_record("zz-era", body=hostile)]
    records.append(
        {
            "model": "timeline.slide",
            "fields": {
                "era": ["zz-era"],
                "order": 1,
                "title": "t",
                "body": hostile,
                "notes": hostile,
            },
        }
    )
    (fixture_copy / "eras" / "zz-hostile.json").write_text(json.dumps(records))
    call_command("load_history", dir=str(fixture_copy), verbosity=0)
    slide = Slide.objects.get(era__slug="zz-era")
    for html in (slide.era.body_html, slide.body_html, slide.notes_html):
        assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_build_steps_round_trip_and_are_written_only_where_set(tmp_path):
    """Line ranges, highlight steps and fragments survive dump + load; unset ones add no lines."""
    call_command("load_history", verbosity=0)
    slide = Slide.objects.order_by("era__slug", "order").first()
    slide.fragments = True
    slide.save()
    samples = CodeSample.objects.filter(slide_lines="", slide_steps="").order_by(
        "era__slug", "order"
    )
    sample = next(s for s in samples if s.code.count("\n") >= 4)
    sample.slide_lines = "2-4"
    sample.slide_steps = "2|3-4|all"
    sample.save()
    key = (sample.era.slug, sample.order)
    before = snapshot()
    call_command("dump_history", dir=str(tmp_path), verbosity=0)
    texts = [p.read_text() for p in (tmp_path / "eras").glob("*.json")]
    # Written where set, and nowhere else.
    fragments = Slide.objects.filter(fragments=True).count()
    ranges = CodeSample.objects.exclude(slide_lines="").count()
    assert sum(text.count('"fragments"') for text in texts) == fragments
    assert sum(text.count('"slide_lines"') for text in texts) == ranges
    assert sum(text.count('"slide_steps": "2|3-4|all"') for text in texts) == 1
    for model in MODELS:
        model.objects.all().delete()
    call_command("load_history", dir=str(tmp_path), verbosity=0)
    assert snapshot() == before
    loaded = CodeSample.objects.get(era__slug=key[0], order=key[1])
    assert loaded.slide_html.count('<span class="line">') == 3  # rendered on load: lines 2-4


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"slide_lines": "2-900"}, ["slide_lines", "lines"]),
        ({"slide_steps": "1-2|<script>"}, ["slide_steps"]),
        ({"slide_steps": "1|99"}, ["slide_steps", "99"]),
    ],
)
def test_a_line_range_or_step_the_code_lacks_is_refused(fixture_copy, fields, words):
    call_command("load_history", verbosity=0)
    before = snapshot()
    era = _era_record("zz-era")
    sample = {
        "model": "timeline.codesample",
        "fields": {"era": ["zz-era"], "order": 1, "title": "Three lines", "code": "a\nb\nc\n"},
    }
    sample["fields"].update(fields)
    (fixture_copy / "eras" / "zz-steps.json").write_text(json.dumps([era, sample]))
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(fixture_copy), verbosity=0)
    for word in words:
        assert word in str(info.value)
    assert snapshot() == before


def test_dump_writes_a_fixed_order_whatever_order_the_rows_were_made_in(tmp_path):
    """The rows are made out of order (slides, samples, references, exercises, checks, relations,
    talks, notes): the files still come out exactly as committed."""
    from tests.data.make_small_history import build

    build()
    written = history_fixtures.dump(tmp_path)
    assert [str(p.relative_to(tmp_path)) for p in written] == [
        "eras/asgi.json",
        "eras/cgi.json",
        "eras/flask.json",
        "eras/wsgi.json",
        "talks.json",
    ]
    names = fixture_names(SMALL_HISTORY)
    _, mismatch, errors = filecmp.cmpfiles(SMALL_HISTORY, tmp_path, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_dump_costs_the_same_queries_at_any_number_of_eras(tmp_path, django_assert_num_queries):
    """Each model is read once (natural keys name related rows: without select_related each
    record would cost a query), so more eras and talks cost no more queries."""
    history_fixtures.load(SMALL_HISTORY)
    with django_assert_num_queries(DUMP_QUERIES):
        history_fixtures.dump(tmp_path)
    make_talk(generate_eras(12))
    with django_assert_num_queries(DUMP_QUERIES):
        history_fixtures.dump(tmp_path)


DUMP_QUERIES = 11  # eras, talks, and one per model of their rows


# What a refused record's message says, exactly: the file, the record's number, its model and
# key, the object, and each field's complaint.
DESCRIBED = [
    (
        [_era_record("zz-era", title="", kind="nope")],
        "record 1 [timeline.era 'zz-era'] (timeline.Era  (2000)): title: This field cannot be "
        "blank.; kind: Value 'nope' is not a valid choice.",
    ),
    (
        [{"model": "timeline.slide", "fields": {"era": ["no-such-era"], "order": 1, "title": "x"}}],
        "record 1 [timeline.slide 'x'] : Error deserializing object: Slide has no era.",
    ),
    (
        [_era_record("zz-era"), "just text"],
        "record 2 : Error deserializing object: string indices must be integers, not 'str'",
    ),
    (
        [
            _era_record("zz-era"),
            {"model": "timeline.slide", "fields": {"era": ["zz-era"], "order": 1, "title": "a"}},
            {"model": "timeline.slide", "fields": {"era": ["zz-era"], "order": 1, "title": "b"}},
        ],
        "record 3 [timeline.slide 'b'] (timeline.Slide Zz-Era #1: b): timeline.Slide "
        "('zz-era', 1) is already defined in zz.json, record 2.",
    ),
    (
        [_era_record("zz-era", title="a\x00b")],
        "record 1 [timeline.era 'zz-era'] (timeline.Era a\x00b (2000)): title: contains a NUL "
        "character.",
    ),
    (
        [_era_record("a b!" * 15)],
        f"record 1 [timeline.era '{'a b!' * 15}'] (timeline.Era {'A B!' * 15} (2000)): slug: "
        "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens. Ensure this "
        "value has at most 50 characters (it has 60).",
    ),
    (
        [{"model": "timeline.era"}],
        "record 1 [timeline.era None] : Error deserializing object: 'fields'",
    ),
    (
        [{"model": "timeline.era", "fields": []}],
        "record 1 : Error deserializing object: 'list' object has no attribute 'items'",
    ),
    (
        [{"model": "timeline.exercisecheck", "fields": {"exercise": ["nope"], "order": 7}}],
        "record 1 [timeline.exercisecheck 7] : Error deserializing object: ExerciseCheck has no "
        "exercise.",
    ),
]


@pytest.mark.parametrize("records, message", DESCRIBED)
def test_a_refused_record_is_described_exactly(fixture_copy, records, message):
    path = fixture_copy / "eras" / "zz.json"
    path.write_text(json.dumps(records))
    with pytest.raises(history_fixtures.FixtureError) as info:
        history_fixtures.load(fixture_copy)
    assert str(info.value) == f"{path}, {message}"


def test_a_record_that_names_a_missing_row_is_reported_once_all_are_in(fixture_copy):
    """A forward reference is resolved after every file: then its failure names the record."""
    sample = {"era": ["zz-era"], "order": 1, "title": "T", "code": "x\n", "slide": ["zz-era", 9]}
    path = fixture_copy / "eras" / "zz.json"
    path.write_text(
        json.dumps([_era_record("zz-era"), {"model": "timeline.codesample", "fields": sample}])
    )
    with pytest.raises(history_fixtures.FixtureError) as info:
        history_fixtures.load(fixture_copy)
    assert str(info.value).startswith(
        f"{path}, record 2 (timeline.CodeSample Zz-Era: T): Slide matching query does not exist."
    )


def test_loading_renders_what_loaddata_would_not():
    """loaddata skips save(), where markdown and code are rendered: the loader renders them."""
    history_fixtures.load(SMALL_HISTORY)
    assert Era.objects.get(slug="cgi").body_html == "<p>All about <strong>CGI</strong>.</p>"
    sample = CodeSample.objects.get(era__slug="flask", order=1)
    assert sample.highlighted_html.startswith('<div class="highlight"><pre tabindex="0"')
    assert sample.slide_html.count('<span class="line">') == 2  # slide_lines 3-4
    assert Slide.objects.get(era__slug="cgi", order=2).body_html == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )


@pytest.mark.parametrize("error", [RuntimeError("a bug"), history_fixtures.FixtureError("as is")])
def test_an_unexpected_error_while_loading_is_not_swallowed(monkeypatch, error):
    def render(self):
        raise error

    monkeypatch.setattr(Era, "render", render)
    with pytest.raises(type(error)) as info:
        history_fixtures.load(SMALL_HISTORY)
    assert info.value is error


def _era_references(path):
    records = json.loads(path.read_text())
    return records, [r["fields"] for r in records if r["model"] == "timeline.reference"]


def test_references_reordered_in_a_file_load_over_the_database(fixture_copy):
    """An era's file that swaps two references' orders loads over the rows in place (the
    unique order per era never trips midway), and a second load changes nothing."""
    call_command("load_history", dir=str(fixture_copy), verbosity=0)
    path = fixture_copy / "eras" / "wsgi.json"
    records, refs = _era_references(path)
    assert len(refs) >= 2
    refs[0]["order"], refs[1]["order"] = refs[1]["order"], refs[0]["order"]
    path.write_text(json.dumps(records))
    call_command("load_history", dir=str(fixture_copy), verbosity=0)
    loaded = list(Reference.objects.filter(era__slug="wsgi").values_list("order", "url"))
    assert loaded[:2] == [(1, refs[1]["url"]), (2, refs[0]["url"])]
    before = snapshot()
    call_command("load_history", dir=str(fixture_copy), verbosity=0)
    assert snapshot() == before


def test_references_that_all_lack_an_order_are_numbered_from_one(fixture_copy):
    path = fixture_copy / "eras" / "wsgi.json"
    records, refs = _era_references(path)
    for ref in refs:
        del ref["order"]
    path.write_text(json.dumps(records))
    call_command("load_history", dir=str(fixture_copy), verbosity=0)
    loaded = list(Reference.objects.filter(era__slug="wsgi").values_list("order", "url"))
    assert loaded == [(1 + n, ref["url"]) for n, ref in enumerate(refs)]


def test_references_without_an_order_follow_the_numbered_ones(fixture_copy):
    """A file written before references had an order loads them in the order it lists them."""
    path = fixture_copy / "eras" / "wsgi.json"
    records, refs = _era_references(path)
    urls = [ref["url"] for ref in refs]
    for ref in refs[1:]:
        del ref["order"]
    refs[0]["order"] = 7
    path.write_text(json.dumps(records))
    call_command("load_history", dir=str(fixture_copy), verbosity=0)
    loaded = list(Reference.objects.filter(era__slug="wsgi").values_list("order", "url"))
    assert loaded == [(7, urls[0])] + [(8 + n, url) for n, url in enumerate(urls[1:])]
