"""The learner's pages: the Start here path, the progress page, the glossary and its links."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from timeline.glossary import TERMS, link_first_uses
from timeline.learning_path import PATH
from timeline.search import glossary_results

from .factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db


def fixture_slugs():
    eras = Path(settings.HISTORY_FIXTURES_DIR) / "eras"
    return {
        record["fields"]["slug"]
        for path in eras.glob("*.json")
        for record in json.loads(path.read_text())
        if record["model"] == "timeline.era"
    }


def test_every_path_stop_and_glossary_era_is_an_era_of_the_history():
    slugs = fixture_slugs()
    assert len(PATH) == 8
    assert [stop.slug for stop in PATH if stop.slug not in slugs] == []
    assert [term.name for term in TERMS if term.era not in slugs] == []


def test_start_lists_the_path_in_order_with_reading_times(client):
    # 400 words of body, 200 on a slide, a 10-line sample (100 words): 700 / 200 -> 4 minutes.
    wsgi = make_era(slug="wsgi", title="WSGI", year=2003, body="word " * 400)
    make_slide(wsgi, body="word " * 200)
    make_sample(wsgi, code="x = 1\n" * 10)
    make_era(slug="cgi", title="CGI", year=1993, body="word " * 10)
    make_era(slug="fastapi", title="FastAPI", year=2018, published=False)
    make_era(slug="not-on-the-path", title="Elsewhere", year=2000)
    html = client.get(reverse("timeline:start")).content.decode()
    assert html.index(">CGI</a>") < html.index(">WSGI</a>")
    assert "About 1 min read" in html and "About 4 min read" in html
    assert "About 5 minutes in all" in html
    assert ">FastAPI</a>" not in html and "Elsewhere" not in html  # hidden, and not a stop
    assert PATH[3].why in html


def test_start_costs_the_same_queries_for_any_number_of_stops(client, django_assert_num_queries):
    for stop in PATH:
        era = make_era(slug=stop.slug, title=stop.slug)
        make_slide(era)
        make_sample(era)
    with django_assert_num_queries(3):  # eras, their slides, their samples
        client.get(reverse("timeline:start"))


def test_progress_page_lists_every_visible_era_for_the_script(client):
    make_era(slug="cgi", title="CGI")
    make_era(slug="secret", title="Hidden", published=False)
    html = client.get(reverse("timeline:progress")).content.decode()
    assert 'data-read-mark="cgi"' in html and "Hidden" not in html
    assert "js/progress.js" in html


def test_glossary_defines_each_term_with_its_era(client):
    make_era(slug="wsgi", title="WSGI")
    html = client.get(reverse("timeline:glossary")).content.decode()
    for term in TERMS:
        assert f'id="{term.anchor}"' in html
    assert 'href="/eras/wsgi/">Introduced in WSGI</a>' in html
    assert "Introduced in ASGI" not in html  # no such era here: no dead link


def link(html):
    return link_first_uses([html])[0]


def test_glossary_links_only_the_first_use_across_fragments():
    body, slide = link_first_uses(
        ["<p>The <code>environ</code> and a gateway.</p>", "<p>Again <code>environ</code>.</p>"]
    )
    assert body == (
        '<p>The <a class="glossary-link" href="/glossary/#term-environ" title="Glossary: environ">'
        '<code>environ</code></a> and a <a class="glossary-link" href="/glossary/#term-gateway" '
        'title="Glossary: gateway">gateway</a>.</p>'
    )
    assert slide == "<p>Again <code>environ</code>.</p>"


def test_glossary_links_never_enter_code_blocks_links_or_attributes():
    untouched = [
        '<pre tabindex="0"><code>def app(environ, start_response): # middleware</code></pre>',
        '<p><a href="https://example.org/">the middleware</a></p>',
        '<p><img alt="middleware" src="x.png"> &amp; <code>environ.get</code></p>',
        "<p>gateways and sub-middleware-ish</p>",  # not whole words
    ]
    for html in untouched:
        assert link(html) == html
    # After a skipped block, prose is linked again.
    assert 'href="/glossary/#term-middleware"' in link("<pre>middleware</pre><p>middleware</p>")


def test_glossary_case_rules():
    assert "term-pep" in link("<p>PEP 333</p>")
    assert "term-pep" not in link("<p>a pep talk</p>")  # acronyms only in capitals
    assert "term-middleware" in link("<p>Middleware wraps</p>")


def test_era_page_links_first_use_of_terms(client):
    era = make_era(slug="wsgi", title="WSGI", body="A WSGI server calls the app.\n")
    make_slide(era, body="Every WSGI server and `start_response`.\n")
    html = client.get(era.get_absolute_url()).content.decode()
    assert html.count('href="/glossary/#term-wsgi-server"') == 1
    assert html.count('href="/glossary/#term-start-response"') == 1


def test_search_lists_glossary_terms_a_query_names(client):
    assert [t.name for t in glossary_results("what is environ")] == ["environ"]
    assert [t.name for t in glossary_results("start_response")] == ["start_response"]
    assert "WSGI server" in [t.name for t in glossary_results("wsgi server")]
    assert glossary_results("flask") == []
    html = client.get("/", {"q": "what is a scope"}).content.decode()
    assert "In the glossary" in html and 'href="/glossary/#term-scope"' in html
    assert "In the glossary" not in client.get("/", {"q": "django"}).content.decode()


def test_every_page_has_the_theme_script_before_the_stylesheets_apply(client):
    html = client.get("/glossary/").content.decode()
    head = html[: html.index("</head>")]
    early = head.index('src="/static/js/theme-early.js"')
    assert head[head.rindex("<script", 0, early) : early] == "<script "  # classic, not deferred
    assert head.index('data-theme-css="dark"') < early
    assert 'data-theme-toggle hidden aria-pressed="false"' in html
