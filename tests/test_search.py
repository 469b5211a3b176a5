"""Ranked search on small, crafted data: hostile input, safety, ties (see test_search_history.py).

.ci/run runs these on SQLite (the ranked fallback) and on PostgreSQL (its full-text search).
"""

import re

import pytest

from timeline.models import Era
from timeline.search import plain_text, words_of

from .factories import make_era


def result_titles(html):
    results = html[html.index('<ol class="search-results"') :]
    return re.findall(r'<span class="era-title">([^<]*)</span>', results)


@pytest.mark.django_db
def test_nothing_found_says_so(client):
    make_era(title="CGI")
    html = client.get("/", {"q": "zzzz"}).content.decode()
    assert "No era matches" in html and "0 eras match" in html


@pytest.mark.django_db
def test_unpublished_eras_stay_hidden_from_visitors(client):
    make_era(title="Hidden WSGI", summary="wsgi", published=False)
    make_era(title="WSGI", summary="wsgi")
    assert result_titles(client.get("/", {"q": "wsgi"}).content.decode()) == ["WSGI"]


@pytest.mark.django_db
def test_equal_matches_keep_date_order():
    make_era(title="Later", year=2010, summary="An app server.")
    make_era(title="Earlier", year=1995, summary="An app server.")
    assert [era.title for era in Era.objects.search("app server")] == ["Earlier", "Later"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "a & b | !c :* ( ) <-> '",
        "\\ % _ ' \" ; -- /* */",
        "x" * 500,
        " ".join(f"w{i}" for i in range(50)),
    ],
)
def test_hostile_queries_neither_fail_nor_inject(client, query):
    make_era(title="Script", summary='<script> and & and " in content', body="script & <b>x</b>")
    response = client.get("/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html


@pytest.mark.django_db
def test_content_cannot_inject_html_through_the_snippet(client):
    """Tags in the content come out escaped (SQLite) or dropped (PostgreSQL's headline parser
    strips them); only the matched word is marked."""
    body = 'find <img src=x onerror="alert(1)"> <mark>me</mark> & Tom'
    make_era(title="Evil", summary="ok", body=body)
    html = client.get("/", {"q": "find"}).content.decode()
    snippet = html[html.index('<p class="era-snippet">') :].split("</p>", 1)[0]
    assert "<img" not in snippet and 'onerror="' not in snippet
    assert snippet.count("<mark>") == 1 and "<mark>find</mark>" in snippet
    assert "&amp; Tom" in snippet


@pytest.mark.django_db
def test_the_search_leaves_the_box_filled(client):
    make_era(title="WSGI")
    html = client.get("/", {"q": "wsgi <x>"}).content.decode()
    assert 'value="wsgi &lt;x&gt;"' in html


def test_words_of_keeps_word_characters_and_caps_the_count():
    assert words_of("WSGI  flask") == ["wsgi", "flask"]
    assert words_of("web.py HTTP/1.0 mod_wsgi") == ["web.py", "http/1.0", "mod", "wsgi"]
    assert words_of("a & b | !c :*") == ["a", "b", "c"]
    assert words_of("wsgi wsgi") == ["wsgi"]
    assert len(words_of(" ".join(f"w{i}" for i in range(50)))) == 8
    assert words_of("!!! ***") == []


def test_plain_text_drops_markdown_marks():
    assert plain_text("The **body** with `code` and [a link](https://x.org).") == (
        "The body with code and a link."
    )
