"""Ranked search over the real history: the cases the issue measured, and the ranking rules.

.ci/run runs these on SQLite (the ranked fallback) and on PostgreSQL (its full-text search).
"""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from timeline.models import Era, Talk

from .test_search import result_titles


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """The real history, loaded once for this module."""
    with django_db_blocker.unblock():
        call_command("load_history", verbosity=0)
    yield
    with django_db_blocker.unblock():
        Era.objects.all().delete()
        Talk.objects.all().delete()


def slugs(text):
    return [era.slug for era in Era.objects.published().search(text)]


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
class TestTheRealHistory:
    def test_every_word_must_match_wherever_it_is(self):
        """ "wsgi flask" used to find nothing: the whole phrase had to appear."""
        found = slugs("wsgi flask")
        # Flask has one word in its title and one in its body: it ranks first.
        assert found[0] == "flask" and len(found) > 1
        for slug in found:
            era = Era.objects.get(slug=slug)
            text = f"{era.title} {era.summary} {era.body}".lower()
            assert "wsgi" in text and "flask" in text, slug
        assert len(found) < Era.objects.count()

    def test_an_exact_title_comes_first(self):
        assert slugs("WSGI")[0] == "wsgi"
        assert slugs("fastapi")[0] == "fastapi"
        assert slugs("flask")[0] == "flask"
        assert slugs("http/1.0")[0] == "http-1-0"

    def test_a_slug_counts_as_an_exact_title(self):
        assert slugs("web-py")[0] == "web-py"

    @pytest.mark.parametrize("word", ["wsgi", "server", "async", "request"])
    def test_title_then_summary_then_body(self, word):
        """Past the exact match, eras with the word in the title, then summary, then body."""
        starts = re.compile(rf"(?<![^\W_]){word}", re.IGNORECASE)

        def tier(era):
            fields = [era.title, era.summary]
            return next((i for i, text in enumerate(fields) if starts.search(text)), len(fields))

        found = [era for era in Era.objects.published().search(word) if era.title.lower() != word]
        tiers = [tier(era) for era in found]
        assert tiers == sorted(tiers), [(era.title, t) for era, t in zip(found, tiers, strict=True)]
        assert len(set(tiers)) >= 2, tiers

    def test_words_match_from_their_start(self):
        assert "fastapi" in slugs("fast")
        assert "fastapi" not in slugs("astapi")

    def test_a_year_finds_its_eras(self):
        found = slugs("2010")
        assert "flask" in found

    def test_the_snippet_marks_the_matched_words(self):
        found = Era.objects.published().search("wsgi flask")
        flask = next(era for era in found if era.slug == "flask")
        assert re.search(r"<mark>wsgi</mark>", flask.snippet, re.IGNORECASE)
        assert re.search(r"<mark>flask</mark>", flask.snippet, re.IGNORECASE)
        assert "**" not in flask.snippet and "](" not in flask.snippet

    def test_the_timeline_lists_results_best_first_with_snippets(self, client):
        html = client.get("/", {"q": "fastapi"}).content.decode()
        assert result_titles(html)[0] == "FastAPI"
        assert '<p class="era-snippet">' in html and "<mark>" in html
        assert '<ol class="timeline">' not in html  # ranked, not grouped by decade

    def test_a_search_takes_at_most_three_queries(self, client):
        with CaptureQueriesContext(connection) as queries:
            Era.objects.published().search("wsgi flask server")
        assert len(queries) == 1
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/", {"q": "wsgi flask server", "kind": "framework"})
        assert response.status_code == 200
        assert len(queries) <= 3, [q["sql"][:120] for q in queries]

    def test_the_kind_filter_still_applies(self, client):
        html = client.get("/", {"q": "wsgi", "kind": "server"}).content.decode()
        kinds = set(re.findall(r'<li class="era-card kind-(\w+)">', html))
        assert kinds == {"server"}
