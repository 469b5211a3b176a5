"""The pages every browser audit visits (accessibility, CSP). Add a row for each new page.

Each row: (id, URL, needs a staff login). The URL may use {pk} for the seeded era's primary key.
"""

import time

from ..factories import make_era, make_reference, make_sample, make_slide, make_talk

PUBLIC_PAGES = [
    ("timeline", "/", False),
    ("timeline-filtered", "/?kind=interface&q=wsgi", False),
    ("era", "/eras/wsgi/", False),
    ("not-found", "/eras/no-such-era/", False),
    ("evolution", "/evolution/", False),
    ("talks", "/talks/", False),
    ("deck", "/present/", False),
    ("deck-era", "/present/wsgi/", False),
    ("speaker", "/present/speaker/", False),
    ("print-handout", "/present/print/?notes=1", False),
    ("talk-deck", "/talks/short/present/", False),
    ("talk-speaker", "/talks/short/present/speaker/", False),
]
ADMIN_PAGES = [
    ("admin-login", "/admin/login/", False),
    ("admin-era-list", "/admin/timeline/era/", True),
    ("admin-era-change", "/admin/timeline/era/{pk}/change/", True),
    ("admin-slide-add", "/admin/timeline/slide/add/", True),
]
STAFF_USER = ("editor", "a-long-test-password")


def seed_history():
    """A small but complete history: an era with slides, samples, a request, references."""
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
    return wsgi


def login(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", STAFF_USER[0])
    page.fill("#id_password", STAFF_USER[1])
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


# Pages that lay themselves out with JavaScript say when they are done; audits wait for it.
READY_WHEN = [
    # The print view shrinks or wraps code to fit each sheet, then sets data-fitted.
    "!document.querySelector('.print-pages') || document.documentElement.dataset.fitted === 'true'",
]


def wait_until_ready(page, timeout=10.0):
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + timeout
    for condition in READY_WHEN:
        # Polled with evaluate: Playwright's wait_for_function needs eval, which the CSP forbids.
        while not page.evaluate(condition):
            assert time.monotonic() < deadline, f"page never ready: {condition}"
            page.wait_for_timeout(50)
