import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from timeline.models import Era, Talk, TalkNote
from timeline.presenter import DeckSlide, build_deck, deck_eras

from .factories import make_era, make_reference, make_sample, make_slide, make_talk

pytestmark = pytest.mark.django_db


def _era_with_slides(n_slides, **fields):
    era = make_era(**fields)
    for _ in range(n_slides):
        slide = make_slide(era)
        make_sample(era, slide=slide, code="print('on a slide')\n")
    make_reference(era, supports_date=True, evidence="Released today.")
    return era


def _slide_numbers(html):
    return [
        int(n) for n in re.findall(r'<section class="deck-slide[^"]*" data-number="(\d+)"', html)
    ]


def test_full_deck_is_eras_in_date_order_each_opening_with_a_title_slide(client):
    later = _era_with_slides(2, title="WSGI", year=2003, summary="One calling convention.")
    earlier = _era_with_slides(1, title="CGI", year=1993, summary="A process per request.")
    make_era(title="Hidden", year=1999, published=False)
    response = client.get(reverse("timeline:present"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _slide_numbers(html) == [1, 2, 3, 4, 5]
    assert html.index("A process per request.") < html.index("One calling convention.")
    assert 'data-title="CGI"' in html and 'data-title="WSGI"' in html
    assert "Hidden" not in html
    assert html.count('<div class="slide-sample">') == 3
    assert f'data-number="1" data-title="{earlier.title}"' in html
    assert f'data-number="3" data-title="{later.title}"' in html


def test_deck_pages_carry_no_per_user_data(client):
    _era_with_slides(1, slug="cgi")
    for name, kwargs in [
        ("timeline:present", {}),
        ("timeline:present-speaker", {}),
        ("timeline:present-print", {}),
        ("timeline:present-era", {"slug": "cgi"}),
    ]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies
        assert "no-store" not in response.get("Cache-Control", "")


def test_templates_have_no_inline_script_or_style(client):
    era = _era_with_slides(2, slug="cgi")
    talk = make_talk([era], slug="short")
    urls = [
        reverse("timeline:present"),
        reverse("timeline:present-speaker"),
        reverse("timeline:present-print") + "?notes=1",
        talk.get_absolute_url(),
        reverse("timeline:talk-present-speaker", kwargs={"slug": "short"}),
        reverse("timeline:talks"),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), url
        assert " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_era_deck_and_its_speaker_and_print_views(client):
    era = _era_with_slides(3, slug="wsgi", title="WSGI", year=2003)
    for name in [
        "timeline:present-era",
        "timeline:present-era-speaker",
        "timeline:present-era-print",
    ]:
        response = client.get(reverse(name, kwargs={"slug": era.slug}))
        assert response.status_code == 200
        assert _slide_numbers(response.content.decode()) == [1, 2, 3, 4]
    assert client.get(reverse("timeline:present-era", kwargs={"slug": "nope"})).status_code == 404


def test_unpublished_era_deck_is_staff_only_and_never_cached(client, admin_client_logged):
    _era_with_slides(1, slug="draft", published=False)
    url = reverse("timeline:present-era", kwargs={"slug": "draft"})
    assert client.get(url).status_code == 404
    response = admin_client_logged.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_talk_deck_follows_the_talks_order_and_links(client):
    cgi = _era_with_slides(1, slug="cgi", title="CGI", year=1993)
    asgi = _era_with_slides(1, slug="asgi", title="ASGI", year=2016)
    talk = make_talk([asgi, cgi], slug="backwards", title="Backwards", duration_minutes=10)
    assert talk.get_absolute_url() == "/talks/backwards/present/"
    html = client.get(talk.get_absolute_url()).content.decode()
    assert html.index('data-title="ASGI"') < html.index('data-title="CGI"')
    assert 'data-speaker-url="/talks/backwards/present/speaker/"' in html
    speaker = client.get(reverse("timeline:talk-present-speaker", kwargs={"slug": "backwards"}))
    text = speaker.content.decode()
    # Ten minutes over four slides, two per era: five minutes each.
    assert 'data-first="1" data-last="2" data-start="0" data-budget="300"' in text
    assert 'data-first="3" data-last="4" data-start="300" data-budget="300"' in text
    assert client.get("/talks/missing/present/").status_code == 404


def test_print_view_adds_notes_only_for_the_handout(client):
    era = make_era(slug="cgi", date_note="The talk said 1991.")
    make_slide(era, title="Scripts", notes="Say **this** clearly.")
    plain = client.get(reverse("timeline:present-print")).content.decode()
    handout = client.get(reverse("timeline:present-print") + "?notes=1").content.decode()
    assert "<strong>this</strong>" not in plain
    assert "<strong>this</strong>" in handout
    assert "The talk said 1991." in handout
    # Two slides (the era's title and "Scripts") share one page, each in its own row.
    assert handout.count('class="print-sheet"') == 1
    assert handout.count('class="handout-row"') == 2
    assert 'class="print-page handout"' in handout
    assert "handout, 1 page</h1>" in handout


def test_handout_pages_hold_three_slides_each(client):
    era = make_era()
    for _ in range(6):
        make_slide(era)  # seven slides with the title: pages of 3, 3 and 1
    handout = client.get(reverse("timeline:present-print") + "?notes=1").content.decode()
    pages = handout.split('class="print-sheet"')[1:]
    assert [page.count('class="handout-row"') for page in pages] == [3, 3, 1]
    assert "handout, 3 pages</h1>" in handout


def test_empty_deck_says_so(client):
    response = client.get(reverse("timeline:present"))
    assert response.status_code == 200
    assert "There are no slides to present yet." in response.content.decode()


def test_the_speaker_views_help_lists_only_the_keys_that_work_there(client):
    """S (open the speaker view) belongs to the audience window; L (go live) works in both."""
    _era_with_slides(1, title="WSGI", year=2003)
    deck = client.get(reverse("timeline:present")).content.decode()
    speaker = client.get(reverse("timeline:present-speaker")).content.decode()
    assert "<kbd>S</kbd>" in deck and "<kbd>S</kbd>" not in speaker
    assert "<kbd>L</kbd>" in deck and "<kbd>L</kbd>" in speaker
    assert "<kbd>O</kbd>" in speaker and "<kbd>T</kbd>" in speaker


def test_only_the_speaker_view_has_a_place_for_the_remotes_code(client):
    """The remote's link and QR code hold the control key: the audience window, which the room
    sees, has no element for them, only the follow code; the speaker view has both."""
    _era_with_slides(1, title="WSGI", year=2003)
    deck = client.get(reverse("timeline:present")).content.decode()
    speaker = client.get(reverse("timeline:present-speaker")).content.decode()
    assert "data-live-remote" not in deck and "data-live-remote-qr" not in deck
    assert "data-live-follow" in deck
    assert "data-live-remote" in speaker and "data-live-follow" in speaker
    assert 'data-live-role="speaker"' in speaker


def test_slide_notes_are_sanitised_in_the_speaker_view(client):
    era = make_era()
    make_slide(era, notes="<script>alert(1)</script><img src=x onerror=alert(2)>Fine")
    html = client.get(reverse("timeline:present-speaker")).content.decode()
    assert "alert(1)</script>" not in html and "onerror" not in html
    assert "Fine" in html


@pytest.mark.parametrize("eras,slides_each", [(1, 1), (12, 6)])
def test_deck_queries_do_not_grow_with_the_deck(
    client, django_assert_num_queries, eras, slides_each
):
    made = [_era_with_slides(slides_each) for _ in range(eras)]
    talk = make_talk(made, slug="all")
    # The outline (eras, slide titles), then the first slides' eras, slides, samples, evidence
    with django_assert_num_queries(6):
        assert client.get(reverse("timeline:present")).status_code == 200
    # Print: eras, slides, samples, the evidence for date notes
    with django_assert_num_queries(4):
        assert client.get(reverse("timeline:present-print") + "?notes=1").status_code == 200
    with django_assert_num_queries(6):
        url = reverse("timeline:present-era", kwargs={"slug": made[0].slug})
        assert client.get(url).status_code == 200
    # talk, outline (2), first slides (4) and their talk notes; the time plan weighs the whole
    # talk: talk, eras, slides, samples, evidence, the talk's own notes
    with django_assert_num_queries(8 + 6):
        url = reverse("timeline:talk-present-speaker", kwargs={"slug": talk.slug})
        assert client.get(url).status_code == 200
    # talks, their visible eras
    with django_assert_num_queries(2):
        assert client.get(reverse("timeline:talks")).status_code == 200


def test_talk_list_shows_talks_with_their_eras_and_links(client):
    cgi = make_era(title="CGI", year=1993)
    hidden = make_era(title="Draft era", published=False)
    make_talk([cgi, hidden], slug="lightning", title="Lightning talk", duration_minutes=5)
    html = client.get(reverse("timeline:talks")).content.decode()
    assert "Lightning talk" in html and "5 minutes · 1 era" in html
    assert 'href="/talks/lightning/present/"' in html
    assert 'href="/talks/lightning/present/print/?notes=1"' in html
    assert "Draft era" not in html
    assert 'href="/present/"' in html


def test_era_page_and_nav_link_to_the_presenter(client):
    era = make_era(slug="cgi")
    html = client.get(era.get_absolute_url()).content.decode()
    assert 'href="/present/cgi/"' in html
    assert 'href="/present/"' in html and 'href="/talks/"' in html


def test_build_deck_numbers_slides_and_splits_time_by_slide_count():
    a = _era_with_slides(2)
    b = _era_with_slides(0)
    eras = deck_eras(Era.objects.filter(pk__in=[a.pk, b.pk]).order_by("pk"))
    deck = build_deck("T", eras, duration_minutes=1)
    assert [s.number for s in deck.slides] == [1, 2, 3, 4]
    assert [s.is_title for s in deck.slides] == [True, False, False, True]
    assert [(s.first, s.last) for s in deck.sections] == [(1, 3), (4, 4)]
    assert [(s.start_seconds, s.budget_seconds) for s in deck.sections] == [(0, 45), (45, 15)]


def test_split_time_never_loses_a_second():
    eras = [_era_with_slides(1), _era_with_slides(1), _era_with_slides(0)]
    deck = build_deck("T", deck_eras(Era.objects.order_by("pk")), duration_minutes=1)
    assert sum(s.budget_seconds for s in deck.sections) == 60
    assert deck.sections[-1].end_seconds == 60
    assert len(eras) == len(deck.sections)
    assert deck.plan == sorted(deck.plan) and deck.plan[0] == 0


def test_time_budget_counts_runs_and_build_steps_not_only_slides():
    """A slide with a runnable sample takes two slides' time; each highlight step past the
    first adds half a slide."""
    plain = make_era(title="Plain", year=2000)
    for _ in range(2):
        make_slide(plain)
    busy = make_era(title="Busy", year=2001)
    for _ in range(2):
        make_sample(busy, slide=make_slide(busy), runtime="python", code="print(1)\n")
    eras = deck_eras(Era.objects.filter(pk__in=[plain.pk, busy.pk]).order_by("year"))
    deck = build_deck("T", eras, duration_minutes=8)
    # weights: Plain 1 + 1 + 1 = 3; Busy 1 + 2 + 2 = 5; 480 s split 3 : 5
    assert [s.weight for s in deck.slides] == [1, 1, 1, 1, 2, 2]
    assert [(s.start_seconds, s.budget_seconds) for s in deck.sections] == [(0, 180), (180, 300)]
    assert deck.plan == [0, 60, 120, 180, 240, 360]
    # Each build adds half a slide (build_steps.py counts them): highlight steps past the
    # first ("1-4|6-9|all": two) and each bullet revealed, nested ones coming with their parent.
    code = "".join(f"x = {n}\n" for n in range(9))
    steps = SimpleNamespace(slide_steps="1-4|6-9|all", slide_html="<pre>", code=code, runnable=True)
    slide = busy.slides.first()
    assert DeckSlide(number=5, era=busy, slide=slide, samples=[steps]).weight == 1 + 1 + 1
    slide.fragments = True
    slide.body_html = "<ul><li>a<ul><li>a1</li></ul></li><li>b</li><li>c</li></ul>"
    assert DeckSlide(number=5, era=busy, slide=slide, samples=[]).weight == 1 + 1.5


def test_a_talk_replaces_a_slides_notes_in_its_own_decks_only(client):
    era = make_era(slug="fastapi", title="FastAPI", year=2018)
    slide = make_slide(era, title="Why it took off", notes="Transition: the last era, Esmerald.")
    talk = make_talk([era], slug="cut")
    TalkNote.objects.create(talk=talk, slide=slide, notes="This is the **end** of the cut.")
    for name in ["timeline:talk-present-speaker", "timeline:talk-present-print"]:
        html = client.get(reverse(name, kwargs={"slug": "cut"}) + "?notes=1").content.decode()
        assert "This is the <strong>end</strong> of the cut." in html
        assert "Esmerald" not in html
    for url in [reverse("timeline:present-speaker"), "/present/fastapi/print/?notes=1"]:
        html = client.get(url).content.decode()
        assert "Transition: the last era, Esmerald." in html
        assert "end</strong> of the cut" not in html


def test_talk_notes_are_one_per_slide_and_rendered_safely():
    era = make_era()
    slide = make_slide(era)
    talk = make_talk([era])
    note = TalkNote.objects.create(talk=talk, slide=slide, notes="<script>x</script>*ok*")
    assert "<script>" not in note.notes_html and "<em>ok</em>" in note.notes_html
    with pytest.raises(IntegrityError):
        TalkNote.objects.create(talk=talk, slide=slide, notes="again")


def test_talk_admin_links_to_the_talks_deck(admin_client_logged):
    talk = make_talk([make_era()])
    html = admin_client_logged.get(reverse("admin:timeline_talk_change", args=[talk.pk])).content
    assert Talk.objects.get().get_absolute_url() == f"/talks/{talk.slug}/present/"
    assert b"View on site" in html


@pytest.mark.parametrize("slug", ["speaker", "print"])
def test_era_slugs_that_would_shadow_the_decks_views_are_refused(slug):
    era = Era(slug=slug, title="X", year=2000, summary="S.")
    with pytest.raises(ValidationError) as error:
        era.full_clean()
    assert "taken by the presenter" in str(error.value)
