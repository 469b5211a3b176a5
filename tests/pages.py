"""Every kind of page the site serves, listed once: every quality check reads it.

A new page joins the checks (security headers, XSS payloads, fuzzing, the page cache tests,
the axe and CSP audits in a browser, phone widths, keyboard walks) by one line in PAGES. A page
is `cached` exactly when its view is marked @page_cached (historyweb/page_cache.py), which also
says which query parameters count; tests/test_page_cache.py holds the two lists together.

URLs are examples on the tests' seed history (tests/seed.py); the placeholders {era}, {talk},
{sample} and {era_pk} are filled from it, or from whatever data a check builds.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

# Values the placeholders take when only the URL's shape matters (which view answers it).
SHAPE = {"era": "x", "talk": "x", "sample": 1, "era_pk": 1, "exercise": "x", "live": "x"}


@dataclass(frozen=True)
class Walk:
    """A keyboard walk: Tab must reach `stops` in order, then `follow`; Enter on it opens
    `target`."""

    stops: tuple
    follow: str
    target: str


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    status: int = 200
    staff: bool = False  # needs a staff login
    # Served whole from the page cache to anonymous visitors: its view is @page_cached.
    cached: bool = False
    content: bool = False  # shows editors' content: the XSS payloads are checked on it
    axe: bool = False  # the axe audit in a real browser, light and dark (implies csp)
    csp: bool = False  # loaded in a real browser: nothing is refused by the CSP
    phone: bool = False  # holds long code or tables: axe at 390 and 320 px, no sideways scroll
    fuzz: bool = True  # random slugs (for {era}/{talk} URLs), query strings, admin filters
    keyboard: Walk | None = None

    def format(self, **values):
        return self.url.format(**values)

    @property
    def path(self):
        return urlsplit(self.url).path

    @property
    def anonymous(self):
        return not self.staff

    @property
    def in_browser(self):
        return self.axe or self.csp

    @property
    def takes_slug(self):
        return any(f"{{{name}}}" in self.path for name in ("era", "talk", "exercise"))


PAGES = [
    Page(
        "timeline",
        "/",
        cached=True,
        content=True,
        axe=True,
        phone=True,
        keyboard=Walk(
            (
                "a.skip-link",
                "a.brand",
                "#filter-q",
                "#filter-kind",
                "form button[type=submit]",
                "a[href='#1990s']",  # the decade links
                "a[href='#2000s']",
            ),
            "a.era-link[href='/eras/cgi/']",
            "/eras/cgi/",
        ),
    ),
    Page(
        "timeline-filtered",
        "/?kind=interface&q=wsgi",
        cached=True,
        content=True,
        axe=True,
    ),
    Page(
        "era",
        "/eras/{era}/",
        cached=True,
        content=True,
        axe=True,
        phone=True,
        keyboard=Walk(
            ("a.skip-link", "a.brand", "#slide-1 a.anchor", ".references a"),
            "a[rel=next]",
            "/eras/django/",
        ),
    ),
    Page("not-found", "/eras/no-such-era/", status=404, axe=True, fuzz=False),
    Page(
        "evolution",
        "/evolution/",
        cached=True,
        content=True,
        axe=True,
        phone=True,
        keyboard=Walk(
            ("a.skip-link", "a.brand", "a[href='#evolution-cgi-1']"),
            "a[href='/eras/cgi/']",
            "/eras/cgi/",
        ),
    ),
    Page("start", "/start/", cached=True, content=True, axe=True, phone=True),
    Page("progress", "/progress/", cached=True, content=True, axe=True, phone=True),
    Page("glossary", "/glossary/", cached=True, content=True, axe=True, phone=True),
    Page(
        "talks",
        "/talks/",
        cached=True,
        content=True,
        axe=True,
        keyboard=Walk(
            ("a.skip-link", "a.brand"), "a[href='/talks/short/present/']", "/talks/short/present/"
        ),
    ),
    Page(
        "deck",
        "/present/",
        cached=True,
        content=True,
        axe=True,
        keyboard=Walk(
            ("button[data-action=prev]", "button[data-action=next]"),
            "a[href='/present/print/']",
            "/present/print/",
        ),
    ),
    Page(
        "speaker",
        "/present/speaker/",
        cached=True,
        axe=True,
        keyboard=Walk(("button",), "a[href='/present/']", "/present/"),
    ),
    Page("print", "/present/print/", cached=True),
    Page(
        "print-handout",
        "/present/print/?notes=1",
        cached=True,
        axe=True,
    ),
    # The parts of a deck its first view leaves out (timeline/deck_pieces.py).
    Page("deck-part", "/present/slides/1/", cached=True, content=True),
    Page("speaker-part", "/present/speaker/slides/1/", cached=True, content=True),
    Page("deck-era-part", "/present/{era}/slides/1/", cached=True),
    Page("deck-era-speaker-part", "/present/{era}/speaker/slides/1/", cached=True),
    Page("talk-part", "/talks/{talk}/present/slides/1/", cached=True),
    Page("talk-speaker-part", "/talks/{talk}/present/speaker/slides/1/", cached=True),
    # A live session's follow page (its session checked on each visit, cached or not) and its
    # parts (the seed history has a session on its talk).
    Page("live-follow", "/live/{live}/", cached=True, content=True, fuzz=False),
    Page("live-part", "/live/{live}/slides/1/", cached=True, fuzz=False),
    Page("deck-era", "/present/{era}/", cached=True, content=True, axe=True, phone=True),
    Page("deck-era-speaker", "/present/{era}/speaker/", cached=True, content=True),
    Page(
        "deck-era-handout",
        "/present/{era}/print/?notes=1",
        cached=True,
        content=True,
    ),
    Page("talk-deck", "/talks/{talk}/present/", cached=True, content=True, axe=True),
    Page("talk-speaker", "/talks/{talk}/present/speaker/", cached=True, content=True, axe=True),
    Page("talk-print", "/talks/{talk}/present/print/", cached=True),
    Page("run", "/samples/{sample}/run/", phone=True),
    Page(
        "exercises",
        "/exercises/",
        cached=True,
        content=True,
        axe=True,
        keyboard=Walk(
            ("a.skip-link", "a.brand", "a[href='/eras/wsgi/']"),
            "a[href='/exercises/wsgi-hello/']",
            "/exercises/wsgi-hello/",
        ),
    ),
    # Not cached: its form carries a CSRF token, so the form works without JavaScript.
    Page(
        "exercise",
        "/exercises/{exercise}/",
        content=True,
        axe=True,
        phone=True,
        keyboard=Walk(
            ("a.skip-link", "a.brand", "a[href='/exercises/']"),
            "a[href='/eras/wsgi/']",
            "/eras/wsgi/",
        ),
    ),
    Page("admin-login", "/admin/login/", csp=True, fuzz=False),
    Page("admin-index", "/admin/", staff=True, fuzz=False),
    Page("admin-era-list", "/admin/timeline/era/", staff=True, csp=True),
    Page("admin-era-change", "/admin/timeline/era/{era_pk}/change/", staff=True, csp=True),
    Page("admin-slide-list", "/admin/timeline/slide/", staff=True),
    Page("admin-sample-list", "/admin/timeline/codesample/", staff=True),
    Page("admin-slide-add", "/admin/timeline/slide/add/", staff=True, csp=True, fuzz=False),
]


def pages(**flags):
    """The pages whose attributes have the given values: pages(cached=True, staff=False)."""
    return [page for page in PAGES if all(getattr(page, k) == v for k, v in flags.items())]
