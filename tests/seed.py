"""The one seed history the tests share, and the registry's pages filled in from it.

Pages to check come from tests/pages.py; their URL placeholders are filled by page_url().
"""

import pytest

from timeline.live import sessions
from timeline.models import Era, LiveSession, Talk
from timeline.presenter import load_deck

from .factories import (
    make_era,
    make_exercise,
    make_reference,
    make_sample,
    make_slide,
    make_talk,
)
from .pages import PAGES, pages


def seed_history():
    """A small but complete history: three eras, slides, samples (one runnable with a
    request, one historical, two in the evolution page), a reference, a talk. Returns WSGI."""
    cgi = make_era(
        slug="cgi",
        title="CGI",
        year=1993,
        kind="interface",
        summary="A process per request, environment variables in, stdout out.",
    )
    wsgi = make_era(
        slug="wsgi",
        title="WSGI",
        year=2003,
        kind="interface",
        summary="One calling convention between servers and frameworks.",
        date_note="PEP 333 was created on 7 December 2003.",
        body="WSGI is a **calling convention**:\n\n```python\ndef app(environ, start_response):\n"
        "    ...\n```\n\n| Year | Event |\n|---|---|\n| 2003 | PEP 333 |\n",
    )
    make_era(slug="django", title="Django", year=2005, summary="Batteries included.")
    wsgi.related.add(cgi)
    slide = make_slide(wsgi, title="Why a standard", body="Servers and frameworks *agreed*.")
    make_slide(wsgi, title="The callable", body="- environ\n- start_response", notes="")
    make_sample(
        wsgi,
        slide=slide,
        title="Hello, WSGI",
        runtime="wsgi",
        evolution=True,  # after CGI's: the evolution page shows the diff between the two
        code="def app(environ, start_response):\n    start_response('200 OK', [])\n"
        "    return [b'hello']\n",
        request="GET /hello HTTP/1.1\nHost: example.org\n\n",
        expected_output="HTTP/1.1 200 OK\n\nhello",
    )
    make_sample(
        wsgi,
        title="As written in 2003",
        historical=True,
        language="python2",
        code="print 'hello'\n",
    )
    make_reference(wsgi, title="PEP 333", url="https://peps.python.org/pep-0333/", kind="pep")
    make_sample(
        cgi,
        title="Hello from CGI",
        runtime="cgi",
        evolution=True,
        code='print("Content-Type: text/plain")\nprint()\nprint("hello")\n',
    )
    make_talk([cgi, wsgi], slug="short", title="Short talk", duration_minutes=10)
    make_exercise(
        wsgi,
        slug="wsgi-hello",
        title="Say hello in WSGI",
        statement="Answer `GET /hello` with **hello**.",
        hints="Call `start_response` first.\n---\nReturn a list of bytes.\n",
    )
    return wsgi


def url_values(era, talk="short", sample=None, exercise="wsgi-hello"):
    """Values for the registry's placeholders, from an era (the seed's WSGI by default)."""
    if sample is None:
        sample = era.samples.exclude(runtime="none").first() or era.samples.first()
    return {
        "era": era.slug,
        "talk": talk,
        "sample": sample.pk if sample else 0,
        "era_pk": era.pk,
        "exercise": exercise,
        "live": live_code(talk),
    }


def live_code(talk):
    """The code of a live session on the talk's deck, started if there is none ("none" when
    there is no such talk)."""
    session = LiveSession.objects.filter(deck_kind="talk", deck_slug=talk).first()
    if session is None:
        if not Talk.objects.filter(slug=talk).exists():
            return "none"
        session, _ = sessions.create(load_deck("talk", talk, Era.objects.all())[0], "talk", talk)
    return session.code


def page_url(page, era, **values):
    return page.format(**{**url_values(era, talk=values.get("talk", "short")), **values})


def page_params(selected):
    """One pytest.param per page, with the page's id."""
    return [pytest.param(page, id=page.id) for page in selected]


__all__ = ["PAGES", "pages", "page_params", "page_url", "seed_history", "url_values"]
