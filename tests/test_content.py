"""Fixture integrity: the history in fixtures/ loads, renders and follows the content rules.

Written against whatever eras are in fixtures/eras/, so it holds on a branch with a few
eras and on main with all of them. Each check names the era and the rule it breaks.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import escape

from timeline.models import FIRST_YEAR, CodeSample, Era, EraRelation, Talk

ERA_FILES = sorted((Path(settings.HISTORY_FIXTURES_DIR) / "eras").glob("*.json"))
SLUGS = [path.stem for path in ERA_FILES]

# A date note that mentions the talk must say where the record comes from.
TALK = re.compile(r"\btalk\b", re.IGNORECASE)
SOURCE = re.compile(
    r"\b(RFC|PEP|CHANGES|NEWS|HISTORY|changelog|release\w*|announce\w*|python-announce|"
    r"history|repository|documentation|docs|website|site|mailing list|paper|specification|"
    r"notes|README|W3C|IETF|proposal)\b",
    re.IGNORECASE,
)
EVOLUTION_REQUEST = "GET /hello?name=Ada HTTP/1.1"
WEB_RUNTIMES = {CodeSample.Runtime.CGI, CodeSample.Runtime.WSGI, CodeSample.Runtime.ASGI}
MAX_SLIDE_LINES = 20  # a slide must fit a 16:9 screen; this catches pasted essays
# A correction of the talk ("the talk said X; the record shows Y") must quote its evidence.
CORRECTION = re.compile(r"\b(record|repository) shows\b")


def _records(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _era_records(records):
    return [r for r in records if r["model"] == "timeline.era"]


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):
    """The whole history, loaded once for this module and removed afterwards."""
    with django_db_blocker.unblock():
        call_command("load_history", verbosity=0)
    yield
    with django_db_blocker.unblock():
        Era.objects.all().delete()  # cascades to slides, samples, references, talk items
        Talk.objects.all().delete()


def test_there_are_era_fixtures():
    assert ERA_FILES, "fixtures/eras/ holds no era file"


EXERCISE_PARTS = ("timeline.exercisecheck", "timeline.exercisewronganswer")


@pytest.mark.parametrize("path", ERA_FILES, ids=SLUGS)
def test_each_file_holds_one_era_named_like_the_file(path):
    records = _records(path)
    eras = _era_records(records)
    assert len(eras) == 1, f"{path.name}: expected exactly one timeline.era record"
    slug = eras[0]["fields"]["slug"]
    assert slug == path.stem, f"{path.name}: the era's slug is {slug!r}"
    exercises = {r["fields"]["slug"] for r in records if r["model"] == "timeline.exercise"}
    strays = [
        r["model"]
        for r in records
        if r["model"] not in ("timeline.era", *EXERCISE_PARTS) and r["fields"]["era"] != [slug]
    ]
    strays += [
        r["model"]
        for r in records
        if r["model"] in EXERCISE_PARTS and r["fields"]["exercise"][0] not in exercises
    ]
    assert not strays, f"{path.name}: records belonging to another era: {strays}"


def test_slugs_are_unique_across_files():
    slugs = [_era_records(_records(path))[0]["fields"]["slug"] for path in ERA_FILES]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    assert not duplicates, f"slugs used by more than one file: {duplicates}"


def test_related_eras_are_known_named_once_and_say_how_they_relate():
    kinds = {value for value, _ in EraRelation.Kind.choices}
    named = {}
    problems = []
    for path in ERA_FILES:
        records = _records(path)
        if "related" in _era_records(records)[0]["fields"]:
            problems.append(f"{path.stem}: old-style 'related' list (run dump_history)")
        for record in records:
            if record["model"] != "timeline.erarelation":
                continue
            fields = record["fields"]
            era, other = fields["era"][0], fields["other"][0]
            if era != path.stem:
                problems.append(f"{path.stem}: holds a relation of {era}")
            if other not in SLUGS:
                problems.append(f"{era} → {other}: no such era")
            if other == era:
                problems.append(f"{era} names itself")
            if fields.get("kind") not in kinds:
                problems.append(f"{era} → {other}: kind {fields.get('kind')!r}")
            if other in named.setdefault(era, set()):
                problems.append(f"{era} → {other}: listed twice")
            named[era].add(other)
    for era, others in named.items():
        for other in others:
            if era in named.get(other, ()):
                problems.append(f"{era} ↔ {other}: named on both sides (keep one)")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
def test_every_fixture_era_was_loaded():
    assert sorted(Era.objects.values_list("slug", flat=True)) == sorted(SLUGS)


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("slug", SLUGS)
def test_era_follows_the_content_rules(slug):
    era = Era.objects.prefetch_related("slides", "samples", "references").get(slug=slug)
    problems = []

    if not FIRST_YEAR <= era.year <= timezone.now().year:
        problems.append(f"year {era.year} is out of range")
    if era.date and era.date.year != era.year:
        problems.append(f"date {era.date} is not in year {era.year}")
    if not era.published:
        problems.append("not published")
    if not era.summary.strip() or not era.body_html.strip():
        problems.append("summary or rendered body is empty")
    if TALK.search(era.date_note) and not SOURCE.search(era.date_note):
        problems.append(f"date note mentions the talk but names no source: {era.date_note!r}")

    slides = sorted(era.slides.all(), key=lambda s: s.order)
    if len(slides) < 3:
        problems.append(f"{len(slides)} slides, at least 3 expected")
    if [s.order for s in slides] != list(range(1, len(slides) + 1)):
        problems.append(f"slide orders {[s.order for s in slides]} are not 1..N")
    for slide in slides:
        if not slide.body_html.strip():
            problems.append(f"slide {slide.order} has no rendered body")
        if not slide.notes.strip() or not slide.notes_html.strip():
            problems.append(f"slide {slide.order} has no speaker notes")
        if len(slide.body.strip().splitlines()) > MAX_SLIDE_LINES:
            problems.append(f"slide {slide.order} is longer than {MAX_SLIDE_LINES} lines")

    samples = list(era.samples.all())
    if not samples:
        problems.append("no code sample")
    for sample in samples:
        if not sample.highlighted_html.strip():
            problems.append(f"sample {sample.order} is not highlighted")
        if sample.historical and sample.runtime != CodeSample.Runtime.NONE:
            problems.append(f"sample {sample.order} is historical but runnable")
        if sample.runnable and sample.runtime in WEB_RUNTIMES and not sample.request.strip():
            problems.append(f"sample {sample.order} runs as {sample.runtime} but has no request")
    evolution = [s for s in samples if s.evolution]
    if len(evolution) > 1:
        problems.append(f"{len(evolution)} evolution samples, at most one expected")
    # A historical hello app is shown as written then; every other one must run the same request.
    for sample in evolution:
        if sample.historical:
            continue
        if not sample.runnable or not sample.request.startswith(EVOLUTION_REQUEST):
            problems.append(f"evolution sample {sample.order} must run {EVOLUTION_REQUEST}")

    references = list(era.references.all())
    if len(references) < 2:
        problems.append(f"{len(references)} references, at least 2 expected")
    problems += [
        f"reference is not https: {r.url}" for r in references if not r.url.startswith("https://")
    ]
    if era.date_note and not era.date_evidence:
        problems.append("date note has no reference marked as its evidence")
    quoted = any(ref.evidence for ref in era.date_evidence)
    if CORRECTION.search(era.date_note) and not quoted:
        problems.append("a correction of the talk quotes no evidence")

    assert not problems, f"{slug}:\n" + "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
def test_timeline_lists_every_era_in_date_order(client):
    html = client.get("/").content.decode()
    listed = re.findall(r'class="era-link" href="([^"]+)"', html)
    expected = [era.get_absolute_url() for era in Era.objects.published().chronological()]
    assert len(expected) == len(SLUGS)
    assert listed == expected


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("slug", SLUGS)
def test_era_page_renders_its_slides_and_sources(client, slug):
    era = Era.objects.get(slug=slug)
    response = client.get(era.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>{escape(era.title)} ({era.year}) · historyweb</title>" in html
    for slide in era.slides.all():
        assert f'id="slide-{slide.order}"' in html, f"slide {slide.order} missing"
    for reference in era.references.all():
        assert f'href="{escape(reference.url)}"' in html, f"reference {reference.url} missing"


def _eras_named(text, titles):
    """The era titles that `text` names as eras: whole names ("CGI" is not in "FastCGI"), and
    not an interface used as a word ("all these WSGI apps")."""
    used_as_word = r"(?!\s+(?:apps?|applications?|handlers?|servers?)\b)"
    return {
        title
        for title in titles
        if re.search(rf"(?<![\w/]){re.escape(title)}(?![\w/]){used_as_word}", text)
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
def test_each_talks_transitions_lead_to_the_era_that_follows_in_that_talk():
    """A note's "Transition: …" that names other eras names the next era of the deck it is
    presented in (a talk overrides the note where its cut skips eras), and the last era of a
    deck has no transition."""
    from timeline.presenter import build_deck, deck_eras, talk_notes

    titles = list(Era.objects.values_list("title", flat=True))
    decks = [build_deck("all", deck_eras(Era.objects.chronological()))]
    for talk in Talk.objects.all():
        eras = deck_eras(Era.objects.filter(talk_items__talk=talk).order_by("talk_items__order"))
        decks.append(build_deck(talk.title, eras, talk_notes=talk_notes(talk)))
    for deck in decks:
        for section, following in zip(deck.sections, [*deck.sections[1:], None], strict=True):
            notes = deck.slides[section.last - 1].notes_html
            _, said, transition = notes.partition("Transition")
            where = f"{deck.title}, {section.era.title}"
            if following is None:
                assert not said, f"{where}: the deck ends here but the note goes on to another era"
            elif said:
                others = [title for title in titles if title != section.era.title]
                named = _eras_named(transition, others)
                assert not named or following.era.title in named, (
                    f"{where}: the transition names {sorted(named)}, "
                    f"but {following.era.title} follows"
                )


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
def test_corrections_from_the_primary_sources_hold():
    """What a check against the projects' own repositories found, pinned."""
    webpy_2006 = CodeSample.objects.get(
        era__slug="web-py", historical=True, code__contains="web.run"
    )
    assert "web.run(urls)" in webpy_2006.code and "globals()" not in webpy_2006.code
    webpy_notes = " ".join(Era.objects.get(slug="web-py").slides.values_list("notes", flat=True))
    assert "runfcgi()" in webpy_notes and "PHP_FCGI_CHILDREN" in webpy_notes

    asgi = Era.objects.get(slug="asgi")
    assert (asgi.year, str(asgi.date)) == (2015, "2015-12-22")
    assert "the record agrees" in asgi.date_note

    dates = dict(Era.objects.filter(date__isnull=False).values_list("slug", "date"))
    assert str(dates["bottle"]) == "2009-07-01"
    assert str(dates["uwsgi"]) == "2009-05-06"
    assert "26 September 2010" in Era.objects.get(slug="wsgi").date_note
    starlette = Era.objects.get(slug="starlette").body
    assert "routing came in 0.1.3" in starlette and "WebSockets in 0.1.16" in starlette
    assert "0.6b1" in Era.objects.get(slug="quixote").body


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
def test_a_second_audit_against_the_primary_sources_holds():
    """A later audit of the claims against RFCs, PEPs and the projects' git history, pinned."""
    notes = Era.objects.get(slug="web2py").slides.get(order=4).notes
    assert "20 April 2009" in notes and "ChangeLog begins in May" not in notes
    fastcgi = Era.objects.get(slug="fastcgi")
    assert "0.137 (27 March 2006)" in fastcgi.body and "three months after" not in fastcgi.body
    assert fastcgi.references.filter(evidence__contains="2006-03-27: 0.137").exists()
    assert "so 0.9.0 came earlier" in Era.objects.get(slug="twisted").date_note
    webware = Era.objects.get(slug="webware").references.get(order=3)
    assert "Cito/w4py-olde-docs" in webware.url and "54190a64" in webware.evidence
    wsgi = Era.objects.get(slug="wsgi").references.get(order=3).evidence
    assert "20-Aug-2004, 27-Aug-2004, 27-Sep-2010" in wsgi
    cgi = Era.objects.get(slug="cgi")
    assert "NPH" in cgi.body and "nph-" in cgi.slides.get(order=2).body
    django_2005 = CodeSample.objects.get(era__slug="django", order=2).code
    assert "Django 0.90, November 2005" in django_2005 and "0.91" not in django_2005
    tornado = Era.objects.get(slug="tornado").slides.get(order=2).body
    assert "HTTPServer(app).listen(8888)" in tornado and "app.listen(" not in tornado
    esmerald = Era.objects.get(slug="esmerald")
    assert "forked" not in esmerald.body and "a rebrand of Esmerald" in esmerald.body
    assert "Renamed **Ravyn**" in esmerald.slides.get(order=4).body


@pytest.mark.django_db
@pytest.mark.usefixtures("history")
def test_the_wsgi_page_names_its_successor_first(client):
    html = client.get("/eras/wsgi/").content.decode()
    section = html[html.index('<section class="related"') :]
    first = re.search(r'relation-kind">([^<]+)</span> <span><a href="[^"]+">([^<]+)</a>', section)
    assert first.groups() == ("Succeeded by", "ASGI")
    asgi = client.get("/eras/asgi/").content.decode()
    assert re.search(r'relation-kind">Successor of</span> <span><a href="/eras/wsgi/"', asgi)
