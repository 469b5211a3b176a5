"""Related eras are symmetrical and listed on one side only: loading must merge them."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from timeline.models import Era

pytestmark = pytest.mark.django_db


def _era(slug, year, related=()):
    return {
        "model": "timeline.era",
        "fields": {
            "slug": slug,
            "title": slug.upper(),
            "year": year,
            "kind": "protocol",
            "summary": f"{slug} summary",
            "body": "Body.",
            "related": [[other] for other in related],
        },
    }


def _write(tmp_path, eras):
    folder = tmp_path / "eras"
    folder.mkdir(exist_ok=True)
    for record in eras:
        path = folder / f"{record['fields']['slug']}.json"
        path.write_text(json.dumps([record]))
    return tmp_path


def _links():
    return sorted(
        (a, b)
        for a, b in Era.related.through.objects.values_list("from_era__slug", "to_era__slug")
        if a < b
    )


def test_links_survive_whatever_order_the_files_load_in(tmp_path):
    """'b' lists 'a' and sorts first; 'a' (listing nothing) loading later must not erase it."""
    folder = _write(
        tmp_path,
        [_era("b-later", 1996, related=["z-earliest"]), _era("c", 1997, related=["b-later"])]
        + [_era("z-earliest", 1991)],
    )
    call_command("load_history", dir=str(folder), verbosity=0)
    expected = [("b-later", "c"), ("b-later", "z-earliest")]
    assert _links() == expected
    call_command("load_history", dir=str(folder), verbosity=0)
    assert _links() == expected
    assert set(Era.objects.get(slug="z-earliest").related.values_list("slug", flat=True)) == {
        "b-later"
    }


def test_a_link_removed_from_the_files_is_removed(tmp_path):
    folder = _write(tmp_path, [_era("a", 1991), _era("b", 1996, related=["a"])])
    call_command("load_history", dir=str(folder), verbosity=0)
    assert _links() == [("a", "b")]
    _write(tmp_path, [_era("b", 1996)])
    call_command("load_history", dir=str(folder), verbosity=0)
    assert _links() == []


def test_unknown_related_era_is_reported_and_nothing_loads(tmp_path):
    folder = _write(tmp_path, [_era("a", 1991, related=["no-such-era"])])
    with pytest.raises(CommandError) as info:
        call_command("load_history", dir=str(folder), verbosity=0)
    assert "a.json" in str(info.value) and "no-such-era" in str(info.value)
    assert not Era.objects.exists()
