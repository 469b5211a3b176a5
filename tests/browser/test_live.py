"""Live sessions in three separate browser contexts (nothing shared through BroadcastChannel or
storage): the presenting deck, the remote on a phone (touch), and a follower."""

import json
import os
from datetime import timedelta

import pytest
from django.utils import timezone

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


def go_live(live_server, pages):
    """The presenter opens the deck and goes live with the button; returns the three pages."""
    presenter = pages("presenter", viewport={"width": 1920, "height": 1080})
    presenter.goto(f"{live_server.url}/present/#/1")
    presenter.get_by_role("button", name="Go live").click()
    remote_link = presenter.locator("a[data-live-remote]")
    follow_link = presenter.locator("a[data-live-follow]")
    follow_link.wait_for(state="visible")
    presenter.locator("[data-live-remote-qr]").wait_for(state="visible")
    presenter.wait_for_function(
        "[...document.querySelectorAll('#live-panel img.qr')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    if SHOTS:
        presenter.screenshot(path=f"{SHOTS}/live-panel-1920.png")
    remote_url, follow_url = remote_link.get_attribute("href"), follow_link.get_attribute("href")
    presenter.keyboard.press("Escape")
    remote = pages("remote", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    remote.goto(remote_url)
    remote.get_by_text("Connected").wait_for()
    follower = pages("follower", viewport={"width": 1024, "height": 768})
    follower.goto(follow_url)
    follower.get_by_text("Live: following the speaker.").wait_for()
    return presenter, remote, follower


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
    # Blackout covers the projector only; B on the laptop shows on the remote too.
    remote.get_by_role("button", name="Blackout").tap()
    presenter.locator(".blank-screen").wait_for(state="visible")
    assert follower.locator(".blank-screen").is_hidden()
    remote.get_by_role("button", name="Show the slides").tap()
    presenter.locator(".blank-screen").wait_for(state="hidden")
    presenter.keyboard.press("b")
    remote.get_by_role("button", name="Show the slides").wait_for()
    presenter.keyboard.press("x")  # any key brings the slide back
    remote.get_by_role("button", name="Blackout").wait_for()


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
    presenter.keyboard.press("l")
    presenter.locator("a[data-live-follow]").wait_for(state="visible")
    assert axe(presenter, axe_js) == []
    remote_url = presenter.locator("a[data-live-remote]").get_attribute("href")
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
    assert follower.locator(".run-output:visible").count() == 0


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
    presenter.wait_for_function("document.getElementById('deck').dataset.step === '2/4'")
    follower.wait_for_function("document.getElementById('deck').dataset.step === '2/4'")
    # The laptop's → walks the steps too, and the remote follows.
    presenter.keyboard.press("ArrowRight")
    remote.get_by_text("step 2 of 3").wait_for()
    assert current(presenter) == 2
