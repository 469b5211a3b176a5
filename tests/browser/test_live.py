"""Live sessions in three separate browser contexts (nothing shared through BroadcastChannel or
storage): the presenting deck, the remote on a phone (touch), and a follower."""

import json
import os
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from timeline.live import channel
from timeline.models import LiveSession

from ..factories import make_era, make_sample, make_slide
from .conftest import csp_safe_waits
from .decks import make_deck
from .test_accessibility import AXE_PATH
from .test_csp import csp_problems, watch_console

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("HISTORYWEB_SCREENSHOTS")  # a directory: save what a person should look at


@pytest.fixture(autouse=True)
def open_live(settings, tmp_path):
    settings.LIVE_REQUIRE_STAFF = False  # as under make run
    settings.LIVE_SOCKET_DIR = str(tmp_path / "live")
    channel.reset_hub()
    yield
    channel.reset_hub()


def new_page(browser, **options):
    context = browser.new_context(**options)
    context.on("page", csp_safe_waits)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def pages(browser):
    """Pages in contexts of their own; none may meet a CSP refusal or an uncaught error."""
    made, problems = {}, {}

    def make(name, **options):
        made[name] = new_page(browser, **options)
        if not options.get("bypass_csp"):
            problems[name] = watch_console(made[name])
        return made[name]

    yield make
    for page in made.values():
        page.context.close()
    refused = {name: csp_problems(found) for name, found in problems.items()}
    assert not any(refused.values()), refused


def current(page):
    return int(page.locator(".stage .deck-slide.is-current").get_attribute("data-number"))


def wait_for_slide(page, n):
    page.wait_for_function(
        "(n) => document.querySelector('.stage .deck-slide.is-current')?.dataset.number == n",
        arg=n,
        timeout=5000,
    )


def start_live(presenter):
    """Go live with the button in the audience window; answers the speaker view it opened (in
    a window of its own), whose panel holds the remote's link and QR code."""
    with presenter.context.expect_page() as opened:
        presenter.get_by_role("button", name="Go live").click()
    speaker = opened.value
    speaker.set_default_timeout(10_000)
    speaker.locator("a[data-live-remote]").wait_for(state="visible")
    speaker.wait_for_function(
        "[...document.querySelectorAll('#live-panel img.qr')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    presenter.locator("a[data-live-follow]").wait_for(state="visible")
    return speaker


def go_live(live_server, pages, at=1):
    """The presenter opens the deck at slide `at` and goes live with the button; returns the
    three pages (the speaker view it opened is closed: the tests here do not need it)."""
    presenter = pages("presenter", viewport={"width": 1920, "height": 1080})
    presenter.goto(f"{live_server.url}/present/#/{at}")
    wait_for_slide(presenter, at)
    speaker = start_live(presenter)
    presenter.wait_for_function("document.querySelector('#live-panel img.qr').naturalWidth > 0")
    if SHOTS:
        presenter.screenshot(path=f"{SHOTS}/live-panel-audience-1920.png")
    remote_url = speaker.locator("a[data-live-remote]").get_attribute("href")
    follow_url = presenter.locator("a[data-live-follow]").get_attribute("href")
    speaker.close()
    presenter.keyboard.press("Escape")
    remote = pages("remote", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    remote.goto(remote_url)
    remote.get_by_text("Connected").wait_for()
    follower = pages("follower", viewport={"width": 1024, "height": 768})
    follower.goto(follow_url)
    follower.get_by_text("Live: following the speaker.").wait_for()
    return presenter, remote, follower


def remote_shows(remote, n):
    remote.wait_for_function(
        "(n) => document.querySelector('[data-current]').textContent === String(n)", arg=n
    )


def test_next_on_the_remote_moves_the_presenter_and_the_follower(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 2)
    wait_for_slide(follower, 2)
    remote.get_by_role("button", name="Next").tap()
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 4)
    wait_for_slide(follower, 4)
    remote.get_by_role("button", name="Previous").tap()
    wait_for_slide(presenter, 3)
    wait_for_slide(follower, 3)
    # The remote shows the slide and the next one, with the notes.
    assert remote.locator("[data-current]").inner_text() == "3"
    assert remote.locator("[data-pane='next'] .deck-slide").get_attribute("data-number") == "4"
    assert "Read it aloud." in remote.locator("[data-pane='notes']").inner_text()
    if SHOTS:
        remote.screenshot(path=f"{SHOTS}/live-remote-390.png")
    # Jump, and the laptop's own keys move the remote and the follower too.
    remote.get_by_label("Go to slide").fill("6")
    remote.get_by_role("button", name="Go", exact=True).tap()
    wait_for_slide(presenter, 6)
    wait_for_slide(follower, 6)
    presenter.keyboard.press("ArrowLeft")
    wait_for_slide(follower, 5)
    remote.wait_for_function("document.querySelector('[data-current]').textContent === '5'")
    # Blackout covers the projector and followers; B on the laptop shows on the remote too.
    remote.get_by_role("button", name="Blackout").tap()
    presenter.locator(".blank-screen").wait_for(state="visible")
    follower.locator(".blank-screen").wait_for(state="visible")
    remote.get_by_role("button", name="Show the slides").tap()
    presenter.locator(".blank-screen").wait_for(state="hidden")
    follower.locator(".blank-screen").wait_for(state="hidden")
    presenter.keyboard.press("b")
    remote.get_by_role("button", name="Show the slides").wait_for()
    presenter.keyboard.press("x")  # any key brings the slide back
    remote.get_by_role("button", name="Blackout").wait_for()


def make_long_deck(slides=32):
    era = make_era(slug="many", title="Many slides", year=2000)
    for n in range(1, slides + 1):
        make_slide(era, order=n, title=f"Point {n}", notes=f"Note {n}.")


def test_going_live_from_a_deep_link_starts_on_that_slide(live_server, pages):
    """Opened at #/29 (as after a reload mid-talk) and not moved: the session starts on 29,
    so the remote and followers show 29 and the first Next goes to 30, not to 2."""
    make_long_deck()
    presenter, remote, follower = go_live(live_server, pages, at=29)
    remote_shows(remote, 29)
    wait_for_slide(follower, 29)
    assert current(presenter) == 29
    assert LiveSession.objects.get().slide == 29
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 30)
    wait_for_slide(follower, 30)
    remote_shows(remote, 30)


def hold(page, pattern):
    """Stop answering `page`'s requests to `pattern`; answers restore(), which aborts the
    held ones (they never reached the server) and lets later ones through."""
    held = []

    def keep(route):
        held.append(route)

    page.route(pattern, keep)

    def restore():
        page.unroute(pattern)
        for route in held:
            try:
                route.abort()
            except PlaywrightError:
                pass  # the browser gave up on it already (the page's own timeout)

    return held, restore


def test_a_tap_during_an_outage_never_desynchronises_the_talk(live_server, pages):
    """The server stops answering the remote; Next is tapped. The remote does not show a slide
    the others do not: it says "Reconnecting…" with its buttons off. Once the server answers
    again, everyone is on the same slide, and the next tap goes to the next slide (none is
    skipped)."""
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    for _ in range(3):
        remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 4)
    remote_shows(remote, 4)
    held, restore = hold(remote, "**/live/*/state/")
    remote.get_by_role("button", name="Next").tap()
    remote.get_by_text("Reconnecting…").wait_for()
    assert held, "the remote's move was never sent"
    assert remote.get_by_role("button", name="Next").is_disabled()
    assert remote.get_by_role("button", name="Previous").is_disabled()
    assert remote.locator("[data-current]").inner_text() == "4"
    if SHOTS:
        remote.screenshot(path=f"{SHOTS}/live-remote-reconnecting-390.png")
    assert current(presenter) == 4 and current(follower) == 4
    restore()
    remote.get_by_text("Connected: steering the deck.").wait_for()
    assert remote.get_by_role("button", name="Next").is_enabled()
    assert remote.locator("[data-current]").inner_text() == "4"
    assert current(presenter) == 4 and current(follower) == 4
    assert LiveSession.objects.get().slide == 4
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 5)
    wait_for_slide(follower, 5)
    remote_shows(remote, 5)


def test_a_laptop_move_during_an_outage_is_sent_again_once_the_server_answers(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    held, restore = hold(presenter, "**/live/*/state/")
    presenter.keyboard.press("PageDown")
    wait_for_slide(presenter, 2)  # the projector shows its own move at once
    assert held
    assert current(follower) == 1 and LiveSession.objects.get().slide == 1
    restore()
    wait_for_slide(follower, 2)
    remote_shows(remote, 2)
    assert current(presenter) == 2
    session = LiveSession.objects.get()
    assert (session.slide, session.seq) == (2, 1)  # sent once, made once


def test_a_stale_laptop_move_after_an_outage_gives_way_to_the_remotes(live_server, pages):
    """During the laptop's outage the remote moved on: the laptop's move, based on the state
    before, is refused when it is sent again, and the projector comes to the remote's slide."""
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    _, restore = hold(presenter, "**/live/*/state/")
    presenter.keyboard.press("PageDown")
    wait_for_slide(presenter, 2)
    remote.get_by_label("Go to slide").fill("5")
    remote.get_by_role("button", name="Go", exact=True).tap()
    wait_for_slide(follower, 5)
    restore()
    wait_for_slide(presenter, 5)
    remote_shows(remote, 5)
    assert current(follower) == 5 and LiveSession.objects.get().slide == 5


def test_the_audience_window_never_holds_the_control_key(live_server, pages):
    """The remote's QR code and link are in the speaker view only: the audience window's page
    (what a mirrored screen shows) holds the follow code and never the key, not after L again
    and not after a reload."""
    make_deck()
    presenter = pages("presenter", viewport={"width": 1920, "height": 1080})
    presenter.goto(f"{live_server.url}/present/#/2")
    speaker = start_live(presenter)
    key = parse_qs(urlsplit(speaker.locator("a[data-live-remote]").get_attribute("href")).query)[
        "key"
    ][0]
    assert len(key) >= 43

    def audience_is_clean():
        html = presenter.content()
        assert key not in html
        assert presenter.locator("a[data-live-remote], [data-live-remote-qr]").count() == 0
        srcs = presenter.eval_on_selector_all("img", "imgs => imgs.map(i => i.src)")
        assert not any(key in src for src in srcs)

    audience_is_clean()
    assert presenter.locator("[data-live-follow-qr]").is_visible()
    presenter.keyboard.press("Escape")
    # Chromium closes a dialog on Escape a moment later; an L before that is the dialog's own
    # "L closes me", not the deck's "L opens the panel".
    expect(presenter.locator("#live-panel")).to_be_hidden()
    presenter.keyboard.press("l")  # already live: the panel again, still without the key
    presenter.locator("a[data-live-follow]").wait_for(state="visible")
    audience_is_clean()
    presenter.reload()
    presenter.keyboard.press("l")
    presenter.locator("a[data-live-follow]").wait_for(state="visible")
    audience_is_clean()
    if SHOTS:
        speaker.set_viewport_size({"width": 1920, "height": 1080})
        speaker.screenshot(path=f"{SHOTS}/live-speaker-panel-1920.png")
        speaker.set_viewport_size({"width": 390, "height": 844})
        speaker.screenshot(path=f"{SHOTS}/live-speaker-panel-390.png")
    # The speaker view's "Open the remote" is the key's only way out.
    assert key in speaker.locator("a[data-live-remote]").get_attribute("href")


def test_l_in_the_speaker_view_goes_live_on_the_slide_the_audience_sees(live_server, pages):
    make_deck()
    presenter = pages("presenter", viewport={"width": 1920, "height": 1080})
    presenter.goto(f"{live_server.url}/present/#/3")
    wait_for_slide(presenter, 3)
    speaker = presenter.context.new_page()
    speaker.set_default_timeout(10_000)
    speaker.goto(f"{live_server.url}/present/speaker/")
    speaker.wait_for_selector("[data-pane='current'] .deck-slide")
    speaker.keyboard.press("l")
    speaker.locator("a[data-live-remote]").wait_for(state="visible")
    speaker.locator("a[data-live-follow]").wait_for(state="visible")
    session = LiveSession.objects.get()
    assert (session.slide, session.step) == (3, 0)
    # The audience window went live without showing anything: no panel over the slide.
    assert presenter.locator("#live-panel").is_hidden()
    assert presenter.locator("#deck.is-live").count() == 1
    # Ending it from the speaker view ends it everywhere.
    speaker.get_by_role("button", name="End the live session").click()
    speaker.get_by_text("The live session has ended.").wait_for()
    presenter.wait_for_function("!document.getElementById('deck').classList.contains('is-live')")
    assert LiveSession.objects.get().ended_at is not None
    speaker.close()


def test_a_follower_browses_on_its_own_and_snaps_back_but_never_steers(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(follower, 2)
    follower.keyboard.press("ArrowRight")
    follower.keyboard.press("ArrowRight")
    wait_for_slide(follower, 4)
    back = follower.get_by_role("button", name="Back to live")
    back.wait_for(state="visible")
    # The speaker moves on; the browsing follower stays where it is, told where the speaker is.
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 3)
    follower.get_by_text("the speaker is on slide 3").wait_for()
    assert current(follower) == 4
    back.click()
    wait_for_slide(follower, 3)
    # Nothing the follower did moved the presenter or the session.
    assert current(presenter) == 3
    assert LiveSession.objects.get().slide == 3
    # Nor can it steer by hand: it has no key.
    code = LiveSession.objects.get().code
    status = follower.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', headers: {'Content-Type':
        'application/json'}, body: JSON.stringify({slide: 1})})).status""",
        f"/live/{code}/state/",
    )
    assert status == 403
    assert current(presenter) == 3


def test_a_wrong_key_cannot_steer(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    session = LiveSession.objects.get()
    stranger = pages("stranger", viewport={"width": 390, "height": 844}, has_touch=True)
    response = stranger.goto(f"{live_server.url}/live/{session.code}/remote/?key=guessed")
    assert response.status == 403
    assert stranger.get_by_role("heading", name="This remote address is not valid").is_visible()
    status = stranger.evaluate(
        """async (url) => {
          const token = (await (await fetch('/samples/csrf/')).json()).csrfToken;
          const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': token, 'X-Live-Key': 'guessed'}, body: JSON.stringify({slide: 5})});
          return r.status;
        }""",
        f"{live_server.url}/live/{session.code}/state/",
    )
    assert status == 403
    presenter.wait_for_timeout(300)
    assert current(presenter) == 1 and current(follower) == 1


def test_an_ended_session_leaves_followers_the_deck_and_an_expired_one_says_so(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(follower, 2)
    presenter.keyboard.press("l")
    presenter.get_by_role("button", name="End the live session").click()
    follower.get_by_text("The live session has ended.").wait_for()
    remote.get_by_text("has ended").wait_for()
    assert remote.get_by_role("button", name="Next").is_disabled()
    # The follower keeps the deck and reads on.
    follower.keyboard.press("ArrowRight")
    wait_for_slide(follower, 3)
    # A new visitor to the address is told clearly.
    late = pages("late")
    response = late.goto(f"{live_server.url}/live/{LiveSession.objects.get().code}/")
    assert response.status == 410
    assert "ended" in late.locator("main").inner_text()
    assert late.get_by_role("link", name="open the deck").is_visible()


def test_an_expired_session_answers_clearly(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    LiveSession.objects.update(touched_at=timezone.now() - timedelta(days=2))
    remote.get_by_role("button", name="Next").tap()
    remote.get_by_text("expired").wait_for()
    late = pages("late")
    response = late.goto(f"{live_server.url}/live/{LiveSession.objects.get().code}/")
    assert response.status == 410
    assert "idle for more than a day" in late.locator("main").inner_text()


@pytest.fixture(scope="session")
def axe_js():
    if not AXE_PATH.exists():
        message = f"axe-core is not installed at {AXE_PATH}: run `make axe`"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the accessibility audit.")
        pytest.skip(message)
    return AXE_PATH.read_text(encoding="utf-8")


def axe(page, axe_js):
    """axe-core on the page as it is now (the contexts bypass the CSP to inject it)."""
    page.add_script_tag(content=axe_js)
    results = json.loads(page.evaluate("async () => JSON.stringify(await axe.run(document))"))
    assert results["passes"], "axe ran no check at all"
    return [f"{v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in results["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_live_pages_pass_axe(live_server, pages, axe_js, scheme):
    make_deck()
    presenter = pages(
        "presenter", viewport={"width": 1920, "height": 1080}, color_scheme=scheme, bypass_csp=True
    )
    presenter.goto(f"{live_server.url}/present/")
    with presenter.context.expect_page() as opened:
        presenter.keyboard.press("l")
    presenter.locator("a[data-live-follow]").wait_for(state="visible")
    assert axe(presenter, axe_js) == []
    speaker = opened.value
    speaker.locator("a[data-live-remote]").wait_for(state="visible")
    assert axe(speaker, axe_js) == []
    remote_url = speaker.locator("a[data-live-remote]").get_attribute("href")
    follow_url = presenter.locator("a[data-live-follow]").get_attribute("href")
    remote = pages(
        "remote",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        color_scheme=scheme,
        bypass_csp=True,
    )
    remote.goto(remote_url)
    remote.get_by_text("Connected").wait_for()
    assert axe(remote, axe_js) == []
    # Nothing wider than the phone: no sideways scrolling on the remote.
    assert remote.evaluate("document.documentElement.scrollWidth <= innerWidth")
    follower = pages(
        "follower", viewport={"width": 390, "height": 844}, color_scheme=scheme, bypass_csp=True
    )
    follower.goto(follow_url)
    follower.get_by_text("Live: following the speaker.").wait_for()
    assert axe(follower, axe_js) == []


def test_a_swipe_on_the_remote_moves_the_deck(live_server, pages):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    swipe = """(dx) => {
      const target = document.querySelector('.remote-main');
      const at = (x) => new Touch({identifier: 1, target, clientX: x, clientY: 300});
      target.dispatchEvent(new TouchEvent('touchstart', {touches: [at(300)],
        changedTouches: [at(300)], bubbles: true}));
      target.dispatchEvent(new TouchEvent('touchend', {touches: [],
        changedTouches: [at(300 + dx)], bubbles: true}));
    }"""
    remote.evaluate(swipe, -150)  # right to left: next
    wait_for_slide(presenter, 2)
    wait_for_slide(follower, 2)
    remote.evaluate(swipe, 150)
    wait_for_slide(presenter, 1)


@pytest.mark.usefixtures("sandbox")
def test_run_on_the_remote_runs_on_the_projector(live_server, pages):
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    slide = make_slide(era, order=1, title="Hello WSGI")
    make_sample(
        era,
        slide=slide,
        title="Hello",
        runtime="wsgi",
        code=(
            "def application(environ, start_response):\n"
            '    start_response("200 OK", [("Content-Type", "text/plain")])\n'
            '    return [b"Hello from the remote"]\n'
        ),
        request="GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    presenter, remote, follower = go_live(live_server, pages)
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 2)
    remote.get_by_role("button", name="Run “Hello” on the projector").tap()
    output = presenter.locator(".stage .deck-slide.is-current .run-output")
    output.wait_for(state="visible", timeout=20_000)
    assert "Hello from the remote" in output.inner_text()
    # Followers see the same result, and the remote shows its output.
    mirrored = follower.locator(".stage .deck-slide.is-current .run-panel .run-output").first
    mirrored.wait_for(state="visible")
    assert "Hello from the remote" in mirrored.inner_text()
    remote.locator("[data-run-output]").get_by_text("Hello from the remote").first.wait_for()


def test_the_remote_walks_a_slides_build_steps(live_server, pages):
    """Bullets revealed one by one: Next on the remote shows the next bullet on the projector."""
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    make_slide(era, order=1, title="Three points", body="- one\n- two\n- three", fragments=True)
    presenter, remote, follower = go_live(live_server, pages)
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 2)
    remote.get_by_text("step 0 of 3").wait_for()
    remote.get_by_role("button", name="Next").tap()
    remote.get_by_text("step 1 of 3").wait_for()
    presenter.wait_for_function("document.getElementById('deck').dataset.step === '1/3'")
    follower.wait_for_function("document.getElementById('deck').dataset.step === '1/3'")
    # The laptop's → walks the steps too, and the remote follows.
    presenter.keyboard.press("ArrowRight")
    remote.get_by_text("step 2 of 3").wait_for()
    assert current(presenter) == 2
