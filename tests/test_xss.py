"""Known XSS payloads in every content field: nothing executable reaches a page.

The payloads are saved straight through the ORM, past the admin's form validation, so the
templates and the renderer are tested on their own. Each page is parsed and checked for script
elements that are not our own static files, event-handler attributes, style attributes, and
javascript:/data:/vbscript: URLs, and for the elements that load or submit elsewhere.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from django.urls import Resolver404, resolve, reverse

from timeline.models import Reference

from .factories import make_era, make_exercise, make_reference, make_sample, make_slide, make_talk
from .seed import page_url, pages

pytestmark = pytest.mark.django_db

OWN_POST_ENDPOINTS = {"timeline:exercise-check", "timeline:sample-run"}

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<details open ontoggle="alert(1)">x</details>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--<script>alert(1)//-->",
    "{{ 7|add:7 }}{% load static %}",
    "</textarea><script>alert(1)</script>",
    "</code></pre><script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "\u2028<script>alert(1)</script>",
    "javascript:alert(1)",
    " JavaScript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
]
DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcdoc", "data"}
FORBIDDEN_ELEMENTS = {
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "svg",
    "math",
}
# Pages that show editors' content (tests/pages.py).
CONTENT_PAGES = pages(content=True)


class ExecutableFinder(HTMLParser):
    """Collects everything in a page that could run script or leak elsewhere."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.in_script = False
        self.in_data = False  # a JSON data block (json_script): never run, but it must hold

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if (
            tag == "script"
            and attributes.get("type") == "application/json"
            and not attrs_src(attrs)
        ):
            self.in_data = True
        elif tag == "script":
            src = attributes.get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"script element {attrs}")
            self.in_script = True
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"meta http-equiv {attrs}")
        if tag == "form" and not own_form_target(attributes.get("action", "")):
            self.problems.append(f"form posting elsewhere {attrs}")
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                if squashed.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = self.in_data = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]!r}")
        if self.in_data:
            # Content that closed the block early leaves JSON cut short (and the rest as page).
            try:
                json.loads(data)
            except ValueError:
                self.problems.append(f"data block that is not JSON: {data[:60]!r}")


def attrs_src(attrs):
    return any(name == "src" for name, _ in attrs)


def executable_parts(html):
    finder = ExecutableFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_finder_finds_what_it_should():
    """The checker itself must catch each kind of fault, or a pass means nothing."""
    page = (
        '<script>x()</script><script src="https://cdn.example/x.js"></script>'
        '<a href=" JaVa\tScript:x()">a</a><img src=x onerror=x()><p style="x">'
        "<iframe></iframe><meta http-equiv=refresh content=0>"
    )
    problems = " | ".join(executable_parts(page))
    for expected in ("inline script", "cdn.example", "href=", "onerror", "style", "iframe", "meta"):
        assert expected in problems
    assert executable_parts('<script src="/static/js/run.js"></script><a href="/x">x</a>') == []
    assert executable_parts('<form action="/exercises/x/check/"></form>') == []
    data = '<script type="application/json">{"t": "\\u003C/script\\u003E"}</script>'
    assert executable_parts(data) == []
    assert executable_parts('<script type="application/json">{"t": "</script><p>x"}</script>')
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/eras/x/"):
        assert executable_parts(f'<form action="{elsewhere}"></form>'), elsewhere


def own_form_target(action):
    """A form may post to the page itself or to one of the site's own POST endpoints."""
    if action in ("", "/"):
        return True
    if not action.startswith("/") or action.startswith("//"):
        return False
    try:
        return resolve(action).view_name in OWN_POST_ENDPOINTS
    except Resolver404:
        return False


def era_full_of(payload, n):
    era = make_era(
        slug=f"hostile-{n}",
        title=payload[:120],
        summary=payload[:300],
        body=f"Before\n\n{payload}\n\nAfter",
        date_note=payload[:300],
    )
    slide = make_slide(era, title=payload[:200], body=payload, notes=payload)
    make_sample(
        era,
        slide=slide,
        title=payload[:200],
        code=payload,
        request=payload,
        expected_output=payload,
        runtime="wsgi",
        evolution=True,
    )
    make_sample(era, title=payload[:200], code=payload, language="html", historical=True)
    make_reference(era, title=payload[:300], url="https://example.org/?q=" + payload[:200])
    Reference.objects.create(era=era, order=9, title="raw", url=payload[:500], kind="docs")
    era.related.add(make_era(title=payload[:120], summary=payload[:300]))
    make_talk([era], slug=era.slug, title=payload[:200], description=payload)
    make_exercise(
        era,
        slug=era.slug,
        title=payload[:200],
        statement=payload,
        hints=f"{payload}\n---\n{payload}",
        starter=payload,
        solution=payload,
    )
    return era


@pytest.mark.parametrize(
    "n,payload", list(enumerate(PAYLOADS)), ids=[str(i) for i in range(len(PAYLOADS))]
)
def test_payload_stays_inert_on_every_content_page(client, admin_client_logged, n, payload):
    era = era_full_of(payload, n)
    for site_page in CONTENT_PAGES:
        url = page_url(site_page, era, talk=era.slug, exercise=era.slug)
        for who, visitor in (("anonymous", client), ("staff", admin_client_logged)):
            response = visitor.get(url)
            assert response.status_code == 200, (url, who)
            assert executable_parts(response.content.decode()) == [], (url, who, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_preview_stays_inert(admin_client_logged, payload):
    url = reverse("timeline:markdown-preview")
    html = admin_client_logged.post(url, {"text": payload}).json()["html"]
    assert executable_parts(html) == []


def test_unsafe_reference_urls_are_not_linked(client):
    era = make_era(slug="refs")
    Reference.objects.create(
        era=era, order=1, title="Bad link", url="javascript:alert(1)", kind="docs"
    )
    Reference.objects.create(
        era=era, order=2, title="Good link", url="https://peps.python.org/", kind="pep"
    )
    html = client.get("/eras/refs/").content.decode()
    assert 'href="https://peps.python.org/"' in html
    assert "Bad link" in html and "javascript:" not in html
