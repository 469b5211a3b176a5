"""Related eras with a kind: stored once per pair, loaded after every era, dumped where written."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from timeline.models import Era, EraRelation, related_eras

from .factories import make_era

pytestmark = pytest.mark.django_db


def _era(slug, year, relations=()):
    """An era file's records; `relations` as (other, kind)."""
    fields = {
        "slug": slug,
        "title": slug.upper(),
        "year": year,
        "kind": "protocol",
        "summary": f"{slug} summary",
        "body": "Body.",
    }
    records = [{"model": "timeline.era", "fields": fields}]
    for other, kind in relations:
        records.append(
            {
                "model": "timeline.erarelation",
                "fields": {"era": [slug], "other": [other], "kind": kind},
            }
        )
    return records


def _write(tmp_path, eras):
    folder = tmp_path / "eras"
    folder.mkdir(parents=True, exist_ok=True)
    for records in eras:
        path = folder / f"{records[0]['fields']['slug']}.json"
        path.write_text(json.dumps(records))
    return tmp_path


def _links():
    return sorted(EraRelation.objects.values_list("era__slug", "other__slug", "kind"))


def _load(folder):
    call_command("load_history", dir=str(folder), verbosity=0)


def test_relations_survive_whatever_order_the_files_load_in(tmp_path):
    """'b' names 'z' which loads last; a second load changes nothing."""
    folder = _write(
        tmp_path,
        [
            _era("b-later", 1996, relations=[("z-earliest", "built-on")]),
            _era("c", 1997, relations=[("b-later", "replaced")]),
            _era("z-earliest", 1991),
        ],
    )
    _load(folder)
    expected = [("b-later", "z-earliest", "built-on"), ("c", "b-later", "replaced")]
    assert _links() == expected
    _load(folder)
    assert _links() == expected


def test_a_relation_removed_or_changed_in_the_files_follows(tmp_path):
    folder = _write(tmp_path, [_era("a", 1991), _era("b", 1996, relations=[("a", "built-on")])])
    _load(folder)
    _write(tmp_path, [_era("b", 1996, relations=[("a", "influenced-by")])])
    _load(folder)
    assert _links() == [("b", "a", "influenced-by")]
    _write(tmp_path, [_era("b", 1996)])
    _load(folder)
    assert _links() == []


def test_a_related_list_on_the_era_is_refused_not_dropped(tmp_path):
    """Relations are records with a kind; a `related` list on the era record (the format before
    relations had a kind) would otherwise vanish without a word when the relations are set."""
    records = _era("b", 1996)
    records[0]["fields"]["related"] = [["a"]]
    folder = _write(tmp_path, [_era("a", 1991), records])
    with pytest.raises(CommandError) as info:
        _load(folder)
    assert str(info.value) == (
        f"Nothing was loaded. {folder / 'eras' / 'b.json'}, record 1: an era's related eras are "
        "timeline.erarelation records, one per pair with its kind, not a `related` list."
    )
    assert not Era.objects.exists()


@pytest.mark.parametrize(
    ("eras", "words"),
    [
        ([_era("a", 1991, relations=[("no-such-era", "built-on")])], ["a.json", "no-such-era"]),
        ([_era("a", 1991, relations=[("a", "built-on")])], ["a.json", "itself"]),
        ([_era("a", 1991, relations=[("b", "nonsense")]), _era("b", 1992)], ["a.json", "kind"]),
        (
            [_era("a", 1991, relations=[("b", "built-on")]), _era("b", 1992, [("a", "replaced")])],
            ["name each other"],
        ),
    ],
    ids=["unknown-era", "itself", "bad-kind", "both-sides"],
)
def test_broken_relations_are_reported_and_nothing_loads(tmp_path, eras, words):
    folder = _write(tmp_path, eras)
    with pytest.raises(CommandError) as info:
        _load(folder)
    for word in words:
        assert word in str(info.value)
    assert not Era.objects.exists() and not EraRelation.objects.exists()


def test_both_sides_naming_each_other_is_refused_with_how_to_fix_it(tmp_path):
    eras = [_era("a", 1991, relations=[("b", "built-on")]), _era("b", 1992, [("a", "replaced")])]
    with pytest.raises(CommandError) as info:
        _load(_write(tmp_path, eras))
    assert str(info.value) == (
        f"Nothing was loaded. {tmp_path / 'eras' / 'a.json'}, record 2: 'a' and 'b' name each "
        "other; keep the relation on one side."
    )


def test_an_era_outside_the_files_loses_only_the_relations_the_files_now_state(tmp_path):
    """The files win: a relation stored on the other end, from an era no file holds, goes when a
    file states the pair; its other relations stay."""
    _load(_write(tmp_path, [_era("a", 1991), _era("b", 1992)]))
    outside = make_era(slug="outside", year=1995)
    a, b = Era.objects.get(slug="a"), Era.objects.get(slug="b")
    EraRelation.objects.create(era=outside, other=a, kind="built-on")
    EraRelation.objects.create(era=outside, other=b, kind="replaced")
    _load(_write(tmp_path, [_era("a", 1991, relations=[("outside", "influenced-by")])]))
    assert _links() == [("a", "outside", "influenced-by"), ("outside", "b", "replaced")]


@pytest.mark.parametrize(
    "kinds",
    [("built-on", "replaced"), ("same-idea", "built-on"), ("same-idea", "same-idea")],
    ids=["two-kinds", "same-idea-first", "the-same-twice"],
)
def test_naming_one_era_twice_is_refused(tmp_path, kinds):
    """Two kinds for one pair is a contradiction, and one kind twice would be a second record
    with the first one's natural key; "same idea", the default kind, is no exception."""
    eras = [_era("a", 1991), _era("b", 1992, [("a", kind) for kind in kinds])]
    with pytest.raises(CommandError) as info:
        _load(_write(tmp_path, eras))
    assert str(info.value) == (
        f"Nothing was loaded. {tmp_path / 'eras' / 'b.json'}, record 3: 'b' names 'a' twice."
    )
    assert not EraRelation.objects.exists()


def test_a_relation_without_a_kind_is_the_same_idea(tmp_path):
    records = _era("b", 1992)
    records.append({"model": "timeline.erarelation", "fields": {"era": ["b"], "other": ["a"]}})
    _load(_write(tmp_path, [_era("a", 1991), records]))
    assert _links() == [("b", "a", "same-idea")]


def test_relations_may_name_eras_by_bare_slug(tmp_path):
    """As a natural key ["cgi"] or a bare "cgi", at either end of a relation."""
    records = _era("wsgi", 2003)
    records.append(
        {
            "model": "timeline.erarelation",
            "fields": {"era": "wsgi", "other": "cgi", "kind": "built-on"},
        }
    )
    mixed = _era("asgi", 2016)
    mixed.append(
        {
            "model": "timeline.erarelation",
            "fields": {"era": ["asgi"], "other": "wsgi", "kind": "replaced"},
        }
    )
    _load(_write(tmp_path, [_era("cgi", 1993), records, mixed]))
    assert _links() == [("asgi", "wsgi", "replaced"), ("wsgi", "cgi", "built-on")]


def test_a_relation_belongs_in_its_own_eras_file(tmp_path):
    records = _era("a", 1991)
    records.append(
        {
            "model": "timeline.erarelation",
            "fields": {"era": ["b"], "other": ["a"], "kind": "built-on"},
        }
    )
    folder = _write(tmp_path, [records, _era("b", 1992)])
    with pytest.raises(CommandError) as info:
        _load(folder)
    assert str(info.value) == (
        f"Nothing was loaded. {folder / 'eras' / 'a.json'}, record 2: a relation belongs in the "
        "file of its era ('b')."
    )


def test_dump_writes_each_relation_in_its_eras_file_and_round_trips(tmp_path):
    _load(
        _write(
            tmp_path / "in",
            [_era("aa", 2005, relations=[("bb", "built-on")]), _era("bb", 2001)],
        )
    )
    call_command("dump_history", dir=str(tmp_path / "out"), verbosity=0)
    dumped = {
        slug: json.loads((tmp_path / "out" / "eras" / f"{slug}.json").read_text())
        for slug in ("aa", "bb")
    }
    assert dumped["aa"][-1] == {
        "model": "timeline.erarelation",
        "fields": {"era": ["aa"], "other": ["bb"], "kind": "built-on"},
    }
    assert [r["model"] for r in dumped["bb"]] == ["timeline.era"]
    assert "related" not in dumped["aa"][0]["fields"]
    EraRelation.objects.all().delete()
    _load(tmp_path / "out")
    assert _links() == [("aa", "bb", "built-on")]


def test_a_pair_is_stored_once_and_never_to_itself():
    a, b = make_era(), make_era()
    EraRelation.objects.create(era=a, other=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        EraRelation.objects.create(era=a, other=b, kind="built-on")
    with pytest.raises(IntegrityError), transaction.atomic():
        EraRelation.objects.create(era=a, other=a)


def test_each_end_reads_the_relation_its_own_way():
    wsgi = make_era(title="WSGI", year=2003)
    flask = make_era(title="Flask", year=2010)
    relation = EraRelation.objects.create(era=flask, other=wsgi, kind="built-on")
    assert related_eras(flask, [relation]) == [("Built on", wsgi)]
    assert related_eras(wsgi, [relation]) == [("Basis for", flask)]
    relation.kind = "influenced-by"
    assert related_eras(wsgi, [relation]) == [("Influenced", flask)]
    assert str(relation) == "Flask was influenced by WSGI"


def test_closest_first_lineage_before_influence_then_nearest_in_time():
    wsgi = make_era(title="WSGI", year=2003)
    far = make_era(title="Far", year=2020)
    near = make_era(title="Near", year=2005)
    idea = make_era(title="Idea", year=2004)
    relations = [
        EraRelation.objects.create(era=far, other=wsgi, kind="built-on"),
        EraRelation.objects.create(era=wsgi, other=idea, kind="influenced-by"),
        EraRelation.objects.create(era=near, other=wsgi, kind="built-on"),
    ]
    assert [other.title for _, other in related_eras(wsgi, relations)] == ["Near", "Far", "Idea"]
