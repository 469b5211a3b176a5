import re

import pytest
from django.urls import reverse

from timeline.models import Era, EraRelation

from .factories import make_era, make_reference, make_sample, make_slide

pytestmark = pytest.mark.django_db


def test_timeline_groups_eras_by_decade_in_date_order(client):
    make_era(title="Flask", year=2010, kind="framework", summary="Micro.")
    make_era(title="CGI", year=1993, kind="interface", summary="Processes.")
    make_era(title="WSGI", year=2003, kind="interface", summary="Callables.")
    response = client.get(reverse("timeline:timeline"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>A short history of Python web frameworks · historyweb</title>" in html
    html = html[html.index('<ol class="timeline">') :]
    assert html.index("1990s") < html.index("CGI") < html.index("2000s") < html.index("WSGI")
    assert html.index("WSGI") < html.index("2010s") < html.index("Flask")
    assert "Processes." in html


def test_timeline_filters_by_kind_and_text(client):
    make_era(title="CGI", kind="interface", summary="Processes and pipes.")
    make_era(title="Django", kind="framework", summary="Batteries.")
    html = client.get("/", {"kind": "interface"}).content.decode()
    assert "CGI" in html and "Django</span>" not in html
    html = client.get("/", {"q": "batteries"}).content.decode()
    assert "Django" in html and "Processes and pipes." not in html
    html = client.get("/", {"q": "nothing-matches"}).content.decode()
    assert "Nothing matches" in html


def test_timeline_ignores_unknown_kind(client):
    make_era(title="CGI")
    response = client.get("/", {"kind": "<script>"})
    assert response.status_code == 200
    assert "CGI" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_timeline_hides_unpublished_from_visitors(client, admin_client_logged):
    make_era(title="Secret era", published=False)
    assert "Secret era" not in client.get("/").content.decode()
    response = admin_client_logged.get("/")
    assert "Secret era" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def _full_era():
    era = make_era(slug="wsgi", title="WSGI", year=2003, body="The **body**.")
    slide = make_slide(era, order=1, title="First slide", body="Slide *one*")
    make_slide(era, order=2, title="Second slide")
    make_sample(era, title="On a slide", slide=slide, runtime="wsgi")
    make_sample(era, title="Old style", historical=True, language="python2")
    make_reference(era, title="PEP 333", url="https://peps.python.org/pep-0333/", kind="pep")
    return era


def test_era_page_shows_slides_samples_references(client):
    era = _full_era()
    before = make_era(title="CGI", year=1993)
    after = make_era(title="Django", year=2005)
    other = make_era(title="ASGI", year=2016)
    era.related.add(other)
    response = client.get(era.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>WSGI (2003) · historyweb</title>" in html
    assert 'id="slide-1"' in html and 'id="slide-2"' in html
    assert html.index("First slide") < html.index("Second slide")
    assert "<strong>body</strong>" in html
    assert "Historical" in html
    assert "PEP 333" in html
    assert f'href="{other.get_absolute_url()}"' in html
    assert f'rel="prev" href="{before.get_absolute_url()}"' in html
    assert f'rel="next" href="{after.get_absolute_url()}"' in html


def test_era_page_404s(client):
    make_era(slug="hidden", published=False)
    assert client.get("/eras/no-such-era/").status_code == 404
    assert client.get("/eras/hidden/").status_code == 404
    response = client.get("/eras/no-such-era/")
    assert "no such page" in response.content.decode()


def test_staff_preview_unpublished_is_not_cached(admin_client_logged):
    make_era(slug="hidden", title="Hidden", published=False)
    response = admin_client_logged.get("/eras/hidden/")
    assert response.status_code == 200
    assert "staff preview" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_unknown_url_gets_site_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Back to the timeline" in response.content.decode()


def test_base_template_has_skip_link_and_landmarks(client):
    html = client.get("/").content.decode()
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html
    assert '<html lang="en">' in html


def _timeline_queries(django_assert_num_queries, client, count):
    for _ in range(count):
        make_era()
    with django_assert_num_queries(1):
        response = client.get("/")
    assert response.content.decode().count('class="era-card') == Era.objects.count()


@pytest.mark.parametrize("count", [5, 50])
def test_timeline_query_count_is_constant(django_assert_num_queries, client, count):
    """One query whatever the number of eras (anonymous visitor, no session)."""
    _timeline_queries(django_assert_num_queries, client, count)


@pytest.mark.parametrize("slides", [3, 30])
def test_era_page_query_count_is_constant(django_assert_num_queries, client, slides):
    """Era + slides + samples + references + exercises + related + neighbours: seven queries."""
    era = make_era(slug="big")
    for n in range(1, slides + 1):
        slide = make_slide(era, order=n)
        make_sample(era, slide=slide)
        make_reference(era)
        EraRelation.objects.create(era=era, other=make_era(), kind="built-on")
        EraRelation.objects.create(era=make_era(), other=era, kind="replaced")
    with django_assert_num_queries(7):
        response = client.get("/eras/big/")
    assert response.content.decode().count('class="slide"') == slides


def test_markdown_preview_is_staff_only_and_sanitised(client, admin_client_logged):
    url = reverse("timeline:markdown-preview")
    assert client.post(url, {"text": "x"}).status_code == 302
    response = admin_client_logged.post(url, {"text": "**hi** <script>alert(1)</script>"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>hi</strong>" in html and "<script" not in html
    assert admin_client_logged.get(url).status_code == 405


def test_era_page_keeps_the_talk_for_speakers_at_the_end(client):
    """A chapter first: the deck link and each slide's notes, named by their slide, sit closed in
    one "For speakers" section after the pager."""
    era = make_era(date_note="The talk said 1991; the record shows 1993.")
    make_slide(era, order=1, title="Before", notes="")
    make_slide(
        era,
        order=2,
        title="The contract",
        notes="The record shows **1993** ([source](https://example.org/)).",
    )
    html = client.get(era.get_absolute_url()).content.decode()
    speakers = html.index('<section class="for-speakers"')
    assert html.index('class="era-pager"') < speakers
    for text in ("Present this era", "The talk said 1991", "<strong>1993</strong>"):
        assert html.index(text) > speakers, text
    notes = html[speakers:]
    assert re.search(r'<details class="talk-notes">\s*<summary>', notes)
    assert re.search(r'Slide 2: <a href="#slide-2">The contract</a>', notes)
    assert "Slide 1:" not in notes and 'href="https://example.org/"' in notes
    assert html.count('class="talk-notes"') == 1 and "Speaker notes" not in html


def test_timeline_links_each_decade_it_shows(client):
    make_era(title="CGI", year=1993, kind="interface")
    make_era(title="WSGI", year=2003, kind="interface")
    make_era(title="Flask", year=2010)
    html = client.get("/").content.decode()
    nav = html[
        html.index('<nav class="decade-nav"') : html.index("</nav>", html.index("decade-nav"))
    ]
    assert re.findall(r'href="#(\w+)"', nav) == ["1990s", "2000s", "2010s"]
    for decade in ["1990s", "2000s", "2010s"]:
        assert f'<li class="decade" id="{decade}">' in html
    # Filtered by kind, only the decades that still hold an era.
    html = client.get("/", {"kind": "interface"}).content.decode()
    assert 'href="#2010s"' not in html and 'href="#1990s"' in html
    # A search ranks instead of grouping: no decades.
    assert "decade-nav" not in client.get("/", {"q": "wsgi"}).content.decode()


def test_era_page_says_how_related_eras_relate_closest_first(client):
    wsgi = make_era(slug="wsgi", title="WSGI", year=2003)
    links = [
        ("Flask", 2010, "built-on", True),  # Flask built on WSGI: "Basis for"
        ("Pylons", 2005, "built-on", True),
        ("CGI", 1993, "influenced-by", False),  # WSGI was influenced by CGI
        ("FastCGI", 1996, "same-idea", False),
        ("ASGI", 2016, "succeeded", True),  # ASGI succeeded WSGI: its successor, listed first
        ("Gunicorn", 2010, "built-on", True),
    ]
    for title, year, kind, points_here in links:
        other = make_era(title=title, year=year)
        era, target = (other, wsgi) if points_here else (wsgi, other)
        EraRelation.objects.create(era=era, other=target, kind=kind)
    make_era(title="Hidden", year=2004, published=False).relations.create(other=wsgi)
    html = client.get(wsgi.get_absolute_url()).content.decode()
    section = html[html.index('<section class="related"') :]
    shown, more = section.split('<details class="related-more">')
    pairs = re.findall(r'relation-kind">([^<]+)</span> <span><a href="[^"]+">([^<]+)</a>', shown)
    assert pairs == [
        ("Succeeded by", "ASGI"),
        ("Basis for", "Pylons"),
        ("Basis for", "Flask"),
        ("Basis for", "Gunicorn"),
    ]
    assert re.search(r"<summary>2 more related eras</summary>", more)
    later = re.findall(r'relation-kind">([^<]+)</span> <span><a href="[^"]+">([^<]+)</a>', more)
    assert later == [("Same idea as", "FastCGI"), ("Influenced by", "CGI")]
    assert "Hidden" not in html
