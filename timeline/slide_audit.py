"""The slide fit audit: every slide of every deck, measured in Chromium as the audience sees it.

The measuring is static/js/slide-audit.js, the same module the admin's preview can load; this
side renders the pages (before the browser starts, so no database access happens while it
runs), serves them and the static files to one Chromium from a small local server, and steps
one page per screen size through the slides.

A slide's layout depends only on its own markup and the size of the stage, so a slide already
measured at a size (same markup fingerprint, whichever deck it came from) is not measured
again: era decks repeat the full deck's slides, and talks repeat a selection of them.
"""

import mimetypes
import os
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import resolve

from .browser import CHROMIUM_ARGS, chromium_path
from .deck_pieces import load_outline
from .models import Era, Slide, Talk
from .presenter import deck_urls, single_slide_deck
from .recorded_results import run_results

# (name, width, height): the screens a talk meets, wide, small, 4:3 and the common laptop.
SCREENS = (
    ("1920x1080", 1920, 1080),
    ("1280x720", 1280, 720),
    ("1024x768", 1024, 768),
    ("1366x768", 1366, 768),
)
# A phone held upright following a live talk: the follow page's layout (static/css/live.css).
FOLLOWER = ("follower 390x844", 390, 844)
PRINT = "print"
# The handout (print view with notes): three slides per A4 page, each laid out at its printed size.
HANDOUT = "handout"


class AuditUnavailable(Exception):
    """Playwright or Chromium is missing: the audit cannot run here."""


def browser_or_reason():
    """Chromium's path, or raises AuditUnavailable saying what is missing and how to install it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise AuditUnavailable(
            "Playwright is not installed: pip install -r requirements/test.txt"
        ) from exc
    path = chromium_path()
    if not path:
        raise AuditUnavailable(
            "No Chromium found: sudo apt-get install chromium (or set CHROMIUM_PATH)."
        )
    return path


AUDIENCE_TEMPLATE = "timeline/present/deck.html"


@dataclass
class DeckPages:
    """One deck's addresses: the deck (screens), its print view, its handout and the deck as a
    live follower gets it (`follow`, never served by a view: rendered here)."""

    label: str
    audience: str
    print: str
    html: dict = field(default_factory=dict)  # path -> rendered page, when not served by a view
    rows: dict = field(default_factory=dict)  # slide number -> its Slide (an era's title: Era)
    # sample id -> a run's result (recorded_results.py): Edit and Run are audited on its slide
    results: dict = field(default_factory=dict)

    @property
    def handout(self):
        return self.print + "?notes=1"

    @property
    def follow(self):
        return self.audience + "?follower=1"


@dataclass
class SlideVerdict:
    deck: str
    number: int
    title: str
    size: str
    problems: list

    def __str__(self):
        lines = "; ".join(problem["message"] for problem in self.problems)
        return f"{self.deck} slide {self.number} “{self.title}” at {self.size}: {lines}"


def deck_pages(kind, slug=None):
    """The pages of one deck (presenter.load_deck's `kind` and `slug`), named by its address."""
    urls = deck_urls(kind, slug)
    pages = DeckPages(urls["audience"], urls["audience"], urls["print"])
    outline = load_outline(kind, slug, Era.objects.visible_to(AnonymousUser()))
    slides = outline.slides(1, outline.count) if outline.count else []
    context = {"deck": outline, "mode": "audience", "urls": urls, "talk": outline.talk}
    pages.html[pages.audience] = deck_page(context, slides)
    pages.html[pages.follow] = deck_page(context, slides, follower=True)
    pages.rows = {item.number: item.slide or item.era for item in slides}
    pages.results = run_results(slides)
    return pages


# A follower's deck with no session behind it: its stream answers 404, which it takes for an
# ended talk, so it stays where the audit moves it (a reader reading on), in the follower's
# layout and with its scroll cues.
NO_SESSION = {
    "role": "follow",
    "session": None,
    "urls": dict.fromkeys(["events", "state"], "/none/"),
}


def deck_page(context, slides, follower=False):
    """The audience deck with every slide in the page (the site sends them in pieces after the
    first, deck_pieces.py, and the audit measures them all); `follower`: as a live follower."""
    live = {"live": NO_SESSION} if follower else {}
    return render_to_string(AUDIENCE_TEMPLATE, {**context, "slides": slides, **live}).encode()


def all_decks():
    """The full deck, every published era's deck and every talk's deck."""
    eras = Era.objects.published().chronological().only("slug")
    talks = Talk.objects.order_by("slug").only("slug")
    return [
        deck_pages("full"),
        *(deck_pages("era", era.slug) for era in eras),
        *(deck_pages("talk", talk.slug) for talk in talks),
    ]


def slide_pages(slide, samples=None):
    """A deck of one slide (as the admin previews it), rendered without saving anything."""
    samples = list(slide.samples.all()) if samples is None else samples
    deck = single_slide_deck(slide, samples)
    urls = {"audience": "/audit/slide/", "speaker": "/audit/slide/", "print": "/audit/slide/print/"}
    pages = DeckPages(str(slide), urls["audience"], urls["print"])
    context = {"deck": deck, "mode": "audience", "urls": urls, "talk": None}
    pages.html[pages.audience] = deck_page(context, deck.slides)
    pages.html[pages.follow] = deck_page(context, deck.slides, follower=True)
    for path, notes in ((pages.print, False), (pages.handout, True)):
        context = {**context, "mode": "print", "with_notes": notes, "slides": deck.slides}
        pages.html[path] = render_to_string("timeline/present/print.html", context).encode()
    pages.results = run_results(deck.slides)
    return pages


def audit_slide(slide, samples=None, screens=SCREENS, browser=None, followers=False):
    """The verdicts (at each screen size and in print) for one slide; [] when it fits.

    `samples` defaults to the slide's saved ones; a preview passes unsaved objects instead.
    """
    pages = [slide_pages(slide, samples)]
    return audit(pages, screens=screens, browser=browser, followers=followers)


def render_page(path):
    """A deck page as an anonymous visitor gets it, straight from its view."""
    match = resolve(path.split("?")[0])
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    response = match.func(request, *match.args, **match.kwargs)
    return response.content


def static_file(path):
    """The file behind a /static/ address: collected (hashed names) or found in the sources."""
    name = path[len(static("")) :]
    if ".." in Path(name).parts:
        return None
    candidates = []
    try:
        candidates.append(staticfiles_storage.path(name))
    except NotImplementedError:
        pass
    candidates.append(finders.find(name))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def audit(decks, screens=SCREENS, print_view=True, browser=None, followers=True, stage=True):
    """Audit `decks` (DeckPages); returns a SlideVerdict per failing slide, deck and size.

    `followers`: also as a live follower's phone (FOLLOWER); `stage`: also Edit and a run's
    result on each runnable slide, at each screen size. Starts Chromium unless given a
    Playwright `browser` (the tests share theirs).
    """
    path = None if browser is not None else browser_or_reason()
    # Pages are rendered before the browser starts: no database access from its callbacks.
    pages = {}
    for deck in decks:
        for address in (deck.audience, deck.print, deck.handout, deck.follow):
            pages[address] = deck.html.get(address) or render_page(address)
    runs = [(name, width, height, "audience") for name, width, height in screens]
    if followers:
        runs.append((*FOLLOWER, "follow"))
    if print_view:
        runs.append((PRINT, 1280, 800, "print"))
        runs.append((HANDOUT, 1280, 800, "handout"))
    if not stage:
        decks = [replace(deck, results={}) for deck in decks]
    if browser is not None:
        return _audit_in(browser, decks, pages, runs)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            return _audit_in(browser, decks, pages, runs)
        finally:
            browser.close()


class _PageServer(ThreadingHTTPServer):
    """Serves the pre-rendered pages and the static files on 127.0.0.1, and nothing else.

    A plain server rather than Playwright's request interception, which turns the browser's
    cache off and answers each request slowly: with it, static files load once per size.
    """

    daemon_threads = True

    def __init__(self, pages):
        self.pages = pages
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        page = self.path.split("#")[0]  # the handout is the print view with ?notes=1
        address = page.split("?")[0]
        body, kind, cache = None, "", "no-store"
        if page in self.server.pages:
            body, kind = self.server.pages[page], "text/html; charset=utf-8"
        elif address.startswith(static("")) and (found := static_file(address)):
            body = Path(found).read_bytes()
            kind = "text/javascript" if found.endswith(".js") else mimetypes.guess_type(found)[0]
            cache = "max-age=3600"
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind or "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# Runs in the page: waits for fonts (fitting depends on them), then measures every slide.
AUDIT_SCRIPT = """async ([module, skip, phone]) => {
    await document.fonts.ready;
    const { auditPage } = await import(module);
    return auditPage({ skip, phone });
}"""
# Then, on each runnable slide: Edit, and a run's result in its panel (static/js/stage-audit.js).
STAGE_SCRIPT = """async ([module, skip, results]) => {
    const { auditStage } = await import(module);
    return auditStage({ skip, results });
}"""
EDIT, RUN = "edit", "run"


def _audit_in(browser, decks, pages, runs):
    verdicts = []
    with _PageServer(pages) as server:
        page = browser.new_page()
        # A long deck's print view fits every sheet before its load event: give it time.
        page.set_default_timeout(180_000)
        # Light theme and no motion: what a projector shows, without waiting on fades.
        page.emulate_media(color_scheme="light", reduced_motion="reduce")
        module = server.origin + static("js/slide-audit.js")
        stage_module = server.origin + static("js/stage-audit.js")
        try:
            for name, width, height, mode in runs:
                page.set_viewport_size({"width": width, "height": height})
                measured, staged = {}, {}
                for deck in decks:
                    address = {
                        "audience": deck.audience + "#/1",
                        "follow": deck.follow + "#/1",
                        "print": deck.print,
                    }.get(mode, deck.handout)
                    page.goto(server.origin + address)
                    if mode in ("print", "handout"):
                        page.wait_for_selector("html[data-fitted]", state="attached")
                    phone = mode == "follow"
                    for result in page.evaluate(AUDIT_SCRIPT, [module, list(measured), phone]):
                        problems = result.get("problems")
                        if problems is None:
                            problems = measured[result["fingerprint"]]
                        measured[result["fingerprint"]] = problems
                        if problems:
                            number, title = result["number"], result["title"]
                            verdicts.append(SlideVerdict(deck.label, number, title, name, problems))
                    if mode == "audience" and deck.results:
                        verdicts += _stage_verdicts(page, stage_module, deck, name, staged)
        finally:
            page.close()
    return verdicts


def _stage_verdicts(page, module, deck, size, staged):
    """Edit and Run on the deck's runnable slides (on `page`, at `size`); `staged`: fingerprint ->
    the result of a slide already measured at this size."""
    verdicts = []
    for result in page.evaluate(STAGE_SCRIPT, [module, list(staged), deck.results]):
        found = staged.setdefault(result["fingerprint"], result)
        for what in (EDIT, RUN):
            if found.get(what):
                number, title, label = result["number"], result["title"], f"{size} {what}"
                verdicts.append(SlideVerdict(deck.label, number, title, label, found[what]))
    return verdicts


def findings(decks, verdicts):
    """The verdicts as the health report keeps them: [(row, label, message)], where the row is
    the Slide (or, for an era's title slide, the Era) an editor opens to fix it."""
    rows = {deck.label: deck.rows for deck in decks}
    found = []
    for verdict in verdicts:
        row = rows.get(verdict.deck, {}).get(verdict.number)
        if row is None:
            continue
        label = (
            f"{row.era.title}: {row.title}" if isinstance(row, Slide) else f"{row.title} (title)"
        )
        what = "; ".join(problem["message"] for problem in verdict.problems)
        found.append((row, label, f"At {verdict.size}: {what}"))
    return found


def summarise(verdicts):
    """Distinct failing slides (deck, number), and how many fail at each size."""
    sizes = {}
    for verdict in verdicts:
        sizes[verdict.size] = sizes.get(verdict.size, 0) + 1
    return {"slides": len({(v.deck, v.number) for v in verdicts}), "sizes": sizes}
