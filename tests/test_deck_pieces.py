"""A deck's first view holds its first slides and an outline of all; the rest come in parts."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from historyweb.content_version import bump_content_version
from timeline.deck_pieces import CHUNK_SIZE
from timeline.live import sessions
from timeline.models import Era, LiveSession
from timeline.presenter import load_deck

from .factories import generate_eras, make_era, make_slide, make_talk

pytestmark = pytest.mark.django_db

INDEX = re.compile(r'<script id="deck-index" type="application/json">(.*?)</script>', re.S)


def numbers(html):
    return [int(n) for n in re.findall(r'class="deck-slide[^"]*" data-number="(\d+)"', html)]


def outline(html):
    return json.loads(INDEX.search(html).group(1))


def test_the_first_view_holds_the_first_slides_and_an_outline_of_every_slide(client):
    eras = generate_eras(5, slides=4, samples=1, references=1)  # 25 slides
    html = client.get(reverse("timeline:present")).content.decode()
    assert numbers(html) == list(range(1, CHUNK_SIZE + 1))
    index = outline(html)
    assert len(index["slides"]) == 25 and index["chunk"] == CHUNK_SIZE
    assert index["eras"][0] == [eras[0].title, eras[0].kind]
    assert index["slides"][:2] == [[0], [0, "Slide 1"]]  # the era's title slide, then its own
    assert 'data-slides-url="/present/slides/"' in html
    assert "/ 25</span>" in html  # the counter counts every slide


def test_each_part_holds_its_slides_and_the_speakers_their_notes(client):
    era = make_era(slug="cgi")
    for n in range(12):
        make_slide(era, title=f"Point {n}", notes=f"Say **point {n}**.")
    part = client.get(reverse("timeline:present-slides", kwargs={"chunk": 2})).content.decode()
    assert numbers(part) == list(range(CHUNK_SIZE + 1, 14))
    assert "data-notes" not in part and "<strong>point" not in part
    url = reverse("timeline:present-era-speaker-slides", kwargs={"slug": "cgi", "chunk": 2})
    speaker = client.get(url).content.decode()
    assert numbers(speaker) == list(range(CHUNK_SIZE + 1, 14))
    assert re.findall(r'data-notes="(\d+)"', speaker) == [str(n) for n in range(9, 14)]
    assert "<strong>point 11</strong>" in speaker  # slide 13: the title slide, then points 0-11
    for chunk in (0, 3):
        assert (
            client.get(reverse("timeline:present-slides", kwargs={"chunk": chunk})).status_code
            == 404
        )


@pytest.mark.parametrize("count", [30, 500])
def test_first_view_and_parts_take_the_same_queries_at_any_size(
    client, django_assert_num_queries, count
):
    generate_eras(count, slides=4, samples=1, references=1)
    bump_content_version()  # bulk inserts send no signal; the page cache's version is then read
    # The outline (eras, slide titles), then the part's eras, slides, samples, evidence.
    for name in ("timeline:present", "timeline:present-speaker"):
        with django_assert_num_queries(6):
            assert client.get(reverse(name)).status_code == 200
    for name in ("timeline:present-slides", "timeline:present-speaker-slides"):
        with django_assert_num_queries(6):
            last = -(-count * 5 // CHUNK_SIZE)  # five slides an era
            assert client.get(reverse(name, kwargs={"chunk": last})).status_code == 200


@pytest.mark.parametrize("count", [30, 500])
def test_a_talks_speaker_view_takes_the_same_queries_at_any_size(
    client, django_assert_num_queries, count
):
    """The speaker view of a talk adds its time plan, which weighs every slide of the talk: in
    a fixed number of queries, however many eras the talk spans."""
    talk = make_talk(generate_eras(count, slides=4, samples=1, references=1), slug="all")
    bump_content_version()
    url = reverse("timeline:talk-present-speaker", kwargs={"slug": talk.slug})
    # talk, outline (2), first slides (4) and their talk notes; the plan: talk, eras, slides,
    # samples, evidence, the talk's own notes
    with django_assert_num_queries(8 + 6):
        html = client.get(url).content.decode()
    assert html.count('<tr data-first="') == count  # a budget row per era


def test_the_first_view_grows_only_by_its_outline(client):
    """From 30 eras to 500, the page grows by what its outline grows, and no more."""
    sizes = {}
    generate_eras(30, slides=4, samples=1, references=1)
    for total in (30, 500):
        if total == 500:
            generate_eras(470, slides=4, samples=1, references=1)
        bump_content_version()
        for name in ("timeline:present", "timeline:present-speaker"):
            html = client.get(reverse(name)).content.decode()
            index = INDEX.search(html).group(0)
            sizes[name, total] = (len(html) - len(index), len(index))
    for name in ("timeline:present", "timeline:present-speaker"):
        (small, small_index), (large, large_index) = sizes[name, 30], sizes[name, 500]
        assert large_index > 10 * small_index
        # "8 of 150" becomes "8 of 2500" on each slide of the first part: a few bytes.
        assert abs(large - small) <= 2 * CHUNK_SIZE + 20, name


def test_the_follow_page_is_light_and_compressed_and_its_parts_cached(
    client, django_assert_num_queries
):
    era = make_era(slug="cgi", published=False)
    for n in range(12):
        make_slide(era, title=f"Draft point {n}")
    make_era(slug="wsgi", title="WSGI")
    deck, _ = load_deck("full", "", Era.objects.all())
    session, _ = sessions.create(deck, "full", "", with_unpublished=True)
    url = reverse("timeline:live-follow", kwargs={"code": session.code})
    page = client.get(url, HTTP_ACCEPT_ENCODING="br")
    assert page.status_code == 200 and page["Content-Encoding"] == "br"
    assert "no-store" not in page["Cache-Control"] and "private" not in page["Cache-Control"]
    html = client.get(url).content.decode()
    assert numbers(html) == list(range(1, CHUNK_SIZE + 1))
    assert 'data-slides-url="/live/' in html
    # Its parts are the session's deck (with the staff's unpublished era), not the public one,
    # and the second visitor's copy comes from the page cache.
    part_url = reverse("timeline:live-slides", kwargs={"code": session.code, "chunk": 2})
    part = client.get(part_url).content.decode()
    assert "Draft point 11" in part
    with django_assert_num_queries(0):
        assert client.get(part_url).content.decode() == part
    public = client.get(reverse("timeline:present-slides", kwargs={"chunk": 1})).content.decode()
    assert "Draft point" not in public and "WSGI" in public


def test_a_staff_preview_of_an_unpublished_eras_part_is_never_stored(admin_client_logged):
    make_slide(make_era(slug="draft", published=False))
    url = reverse("timeline:present-era-slides", kwargs={"slug": "draft", "chunk": 1})
    assert "no-store" in admin_client_logged.get(url)["Cache-Control"]


def follow_url(session):
    return reverse("timeline:live-follow", kwargs={"code": session.code})


def test_phones_joining_a_session_share_one_render_of_its_follow_page(
    client, django_assert_num_queries
):
    era = make_era(slug="cgi")
    for n in range(12):
        make_slide(era, title=f"Point {n}")
    deck, _ = load_deck("full", "", Era.objects.all())
    session, _ = sessions.create(deck, "full", "")
    first = client.get(follow_url(session), HTTP_ACCEPT_ENCODING="br")
    assert first.status_code == 200 and first["Content-Encoding"] == "br"
    # The next phone: the session's check, one short query, and the stored render.
    with django_assert_num_queries(1):
        second = client.get(follow_url(session), HTTP_ACCEPT_ENCODING="br")
    assert second.status_code == 200 and second.content == first.content
    assert second["ETag"] == first["ETag"]
    with django_assert_num_queries(1):
        again = client.get(
            follow_url(session), HTTP_ACCEPT_ENCODING="br", HTTP_IF_NONE_MATCH=first["ETag"]
        )
        assert again.status_code == 304


@pytest.mark.parametrize(
    "change, status",
    [
        ({"ended_at": timezone.now}, 410),
        ({"touched_at": lambda: timezone.now() - timedelta(days=2)}, 410),
        (None, 404),
    ],
    ids=["ended", "expired", "deleted"],
)
def test_a_warm_follow_page_is_not_served_once_its_session_is_over(client, change, status):
    make_slide(make_era(slug="cgi"))
    deck, _ = load_deck("full", "", Era.objects.all())
    session, _ = sessions.create(deck, "full", "")
    etag = client.get(follow_url(session))["ETag"]
    assert client.get(follow_url(session))["ETag"] == etag  # served from the cache
    rows = LiveSession.objects.filter(pk=session.pk)
    if change is None:
        rows.delete()
    else:
        rows.update(**{field: make() for field, make in change.items()})
    for headers in ({}, {"HTTP_IF_NONE_MATCH": etag}):
        response = client.get(follow_url(session), **headers)
        assert response.status_code == status
        assert "deck-slide" not in response.content.decode()
