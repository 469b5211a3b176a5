"""A date note shows the quoted sources that back it, on the era page and in the speaker notes."""

import pytest
from django.urls import reverse

from .factories import make_era, make_reference, make_slide

pytestmark = pytest.mark.django_db

QUOTE = 'f302723 2009-06-30 "first commit"'


def _era_with_evidence():
    era = make_era(
        slug="bottle", title="Bottle", date_note="The talk said 1 July; the record shows 30 June."
    )
    make_slide(era, notes="")
    make_reference(
        era,
        title="bottle: git history",
        url="https://github.com/bottlepy/bottle",
        supports_date=True,
        evidence=QUOTE,
    )
    make_reference(
        era, title="Unrelated docs", url="https://example.org/docs", evidence="Not for the date."
    )
    return era


def _evidence_list(html):
    start = html.index('class="evidence"')
    return html[start : html.index("</ul>", start)]


def test_era_page_quotes_the_evidence_under_sources_and_the_talks_date_for_speakers(client):
    """Learners get the date and its evidence by the Sources; the talk's claim is for speakers."""
    era = _era_with_evidence()
    html = client.get(era.get_absolute_url()).content.decode()
    sources = html.index('id="references-title"')
    speakers = html.index('id="for-speakers-title"')
    listing = _evidence_list(html)
    assert sources < html.index("Sources and dates") < html.index('class="evidence"') < speakers
    assert html.index("The talk said 1 July") > speakers
    assert "f302723 2009-06-30 &quot;first commit&quot;" in listing
    assert 'href="https://github.com/bottlepy/bottle"' in listing
    assert "Unrelated docs" not in listing and "Not for the date." not in html


def test_speaker_notes_and_handout_of_the_title_slide_carry_the_evidence(client):
    _era_with_evidence()
    for url in (
        reverse("timeline:present-speaker"),
        reverse("timeline:present-print") + "?notes=1",
    ):
        html = client.get(url).content.decode()
        assert "The talk said 1 July" in html, url
        assert "f302723 2009-06-30 &quot;first commit&quot;" in _evidence_list(html), url


def test_evidence_is_escaped_and_unsafe_urls_are_not_linked(client):
    era = make_era(date_note="Dated.")
    make_reference(
        era,
        title="<b>T</b>",
        url="javascript:alert(1)",
        supports_date=True,
        evidence="<script>alert(1)</script>",
    )
    html = client.get(era.get_absolute_url()).content.decode()
    listing = _evidence_list(html)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in listing
    assert "javascript:" not in listing and "&lt;b&gt;T&lt;/b&gt;" in listing


def test_no_evidence_list_without_a_date_note(client):
    era = make_era(date_note="")
    make_reference(era, supports_date=True, evidence="Quoted.")
    assert 'class="evidence"' not in client.get(era.get_absolute_url()).content.decode()
