# ruff: noqa: F811 (the fixtures imported from test_live are the tests' arguments)
"""What followers and the remote mirror of the projector: the blank screen, a run's result and
its tab, through a follower's reconnection and a server that answers 503 for a while; and a
portrait phone follower's code. Three browser contexts, as in test_live.py.

The projector's run is answered by the test (the sandbox is not what is tested here): the
answer holds markup in its text and an "html" of its own, which no follower may render."""

import json

import pytest
from django.template.loader import render_to_string

from timeline.models import LiveSession
from timeline.runner.result import Outcome, RunResult

from ..factories import make_era, make_sample, make_slide
from .decks import LONG_CODE, WIDE_CODE
from .test_live import (  # noqa: F401 (fixtures)
    SHOTS,
    axe,
    axe_js,
    go_live,
    open_live,
    pages,
    remote_shows,
    wait_for_slide,
)

pytestmark = pytest.mark.django_db(transaction=True)

BODY = "Hello from the projector <b>not bold</b>"


def make_run_deck():
    """Slide 1 the era's title, 2 a WSGI sample, 3 a wide line of code, 4 a long program."""
    era = make_era(slug="wsgi", title="WSGI", year=2003, kind="interface", summary="A callable.")
    slide = make_slide(era, order=1, title="Hello WSGI")
    make_sample(era, slide=slide, title="Hello", runtime="wsgi", code="app = None\n")
    wide = make_slide(era, order=2, title="A wide line")
    make_sample(era, slide=wide, title="Wide", code=WIDE_CODE)
    long = make_slide(era, order=3, title="A long application")
    make_sample(era, slide=long, title="Long app", code=LONG_CODE)


def fake_runs(presenter):
    """The projector's runs answer an HTTP result, rendered by the real template."""
    result = RunResult(
        runtime="wsgi",
        ok=True,
        outcome=Outcome.OK,
        status="200 OK",
        headers=[["Content-Type", "text/plain"]],
        body=BODY,
        output=f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n{BODY}",
        duration_ms=12.0,
    )
    html = render_to_string("includes/run_result.html", {"result": result, "compare": None})
    answer = result.to_dict() | {"html": html + "<script>window.pwned = 1</script>"}
    presenter.route(
        "**/samples/*/run/",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(answer)
        ),
    )


def run_on_projector(presenter, remote):
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(presenter, 2)
    remote.get_by_role("button", name="Run “Hello” on the projector").tap()
    presenter.locator(".stage .deck-slide.is-current .run-panel").wait_for(state="visible")


def follower_result(follower):
    return follower.locator(".stage .deck-slide.is-current .run-panel")


def test_blackout_black_and_white_is_mirrored_to_followers(live_server, pages):
    make_run_deck()
    presenter, remote, follower = go_live(live_server, pages)
    screen = follower.locator(".blank-screen")
    presenter.keyboard.press("b")
    screen.wait_for(state="visible")
    assert screen.get_attribute("data-blank") == "black"
    remote.get_by_role("button", name="Show the slides").wait_for()
    presenter.keyboard.press("b")  # any key brings the slide back
    screen.wait_for(state="hidden")
    presenter.keyboard.press("w")
    follower.wait_for_function("document.querySelector('.blank-screen').dataset.blank === 'white'")
    assert LiveSession.objects.get().blank_white
    remote.get_by_role("button", name="Show the slides").tap()
    screen.wait_for(state="hidden")
    presenter.locator(".blank-screen").wait_for(state="hidden")


def test_a_run_shows_on_followers_and_the_remote_and_survives_a_reconnect(live_server, pages):
    make_run_deck()
    presenter, remote, follower = go_live(live_server, pages)
    fake_runs(presenter)
    run_on_projector(presenter, remote)
    panel = follower_result(follower)
    panel.wait_for(state="visible")
    # Followers see the server's rendering: the markup as text, nothing of the answer's own html.
    assert BODY in panel.locator(".run-body").inner_text()
    assert panel.locator("b, script").count() == 0
    assert follower.evaluate("window.pwned") is None
    # The remote shows it under the slide.
    output = remote.locator("[data-run-output]")
    output.wait_for(state="visible")
    assert BODY in output.locator(".run-body").inner_text()
    assert output.locator("b, script").count() == 0
    if SHOTS:
        remote.screenshot(path=f"{SHOTS}/live-remote-run-390.png", full_page=True)
        follower.screenshot(path=f"{SHOTS}/live-follower-run-1024.png")
    # A follower that (re)connects after the run gets it with the state.
    late = pages("late", viewport={"width": 1280, "height": 800})
    late.goto(follower.url)
    follower_result(late).wait_for(state="visible")
    assert BODY in follower_result(late).inner_text()
    # The speaker's tab choice (Raw) is mirrored, to the followers and the remote.
    presenter.locator(".stage .run-panel").get_by_role("tab", name="Raw").click()
    for page in (follower, late):
        page.locator(".stage .run-panel [role=tab][aria-selected=true]", has_text="Raw").wait_for()
        assert page.locator(".stage .run-panel .run-raw").is_visible()
    remote.locator("[data-run-output] [role=tab][aria-selected=true]", has_text="Raw").wait_for()
    if SHOTS:
        late.screenshot(path=f"{SHOTS}/live-follower-raw-1280.png")
    # The next slide clears it everywhere.
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(follower, 3)
    remote_shows(remote, 3)
    assert follower.locator(".run-panel").count() == 0
    assert output.is_hidden()
    assert LiveSession.objects.get().last_run is None


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_shown_run_passes_axe_on_the_remote_and_a_phone_follower(
    live_server,
    pages,
    axe_js,
    scheme,
):
    make_run_deck()
    presenter, remote, follower = go_live(live_server, pages)
    fake_runs(presenter)
    run_on_projector(presenter, remote)
    follower_result(follower).wait_for(state="visible")
    phone = {"viewport": {"width": 390, "height": 844}, "color_scheme": scheme, "bypass_csp": True}
    late_remote = pages("late-remote", has_touch=True, is_mobile=True, **phone)
    late_remote.goto(remote.url)
    late_remote.locator("[data-run-output] .run-body").wait_for()
    assert axe(late_remote, axe_js) == []
    late = pages("late", **phone)
    late.goto(follower.url)
    follower_result(late).wait_for(state="visible")
    assert axe(late, axe_js) == []
    if SHOTS:
        late.screenshot(path=f"{SHOTS}/live-follower-run-390-{scheme}.png")


def test_the_tab_chosen_in_the_speaker_view_reaches_the_projector_and_followers(live_server, pages):
    make_run_deck()
    presenter, remote, follower = go_live(live_server, pages)
    fake_runs(presenter)
    speaker = presenter.context.new_page()
    speaker.set_default_timeout(10_000)
    speaker.goto(f"{live_server.url}/present/speaker/#/1")
    run_on_projector(presenter, remote)
    speaker_panel = speaker.locator(".run-panel")
    speaker_panel.wait_for(state="visible")
    follower_result(follower).wait_for(state="visible")
    speaker_panel.get_by_role("tab", name="Raw").click()
    selected = ".stage .run-panel [role=tab][aria-selected=true]"
    presenter.locator(selected, has_text="Raw").wait_for()
    follower.locator(selected, has_text="Raw").wait_for()
    assert LiveSession.objects.get().last_run["tab"] == "Raw"


def test_a_follower_keeps_trying_through_503_and_follows_again(live_server, pages):
    """The server answers 503 (Retry-After: 1) to the follower's stream and state check: it says
    "Reconnecting…", never that the session ended; once the server recovers, it follows."""
    make_run_deck()
    presenter, remote, follower = go_live(live_server, pages)
    asked = []

    def unavailable(route):
        asked.append(route.request.url)
        route.fulfill(status=503, headers={"Retry-After": "1"}, body="Service Unavailable")

    late = pages("late", viewport={"width": 1024, "height": 768})
    late.route("**/live/*/events/", unavailable)
    late.route("**/live/*/state/", unavailable)
    late.goto(follower.url)
    late.get_by_text("Reconnecting…").wait_for()
    late.wait_for_timeout(3500)  # several attempts, Retry-After honoured
    assert any("/state/" in url for url in asked) and len(asked) >= 3
    assert "ended" not in late.locator("[data-live-status]").inner_text()
    assert "is-ended" not in late.locator("#deck").get_attribute("class")
    if SHOTS:
        late.screenshot(path=f"{SHOTS}/live-follower-reconnecting-1024.png")
    late.unroute("**/live/*/events/")
    late.unroute("**/live/*/state/")
    late.get_by_text("Live: following the speaker.").wait_for(timeout=15_000)
    remote.get_by_role("button", name="Next").tap()
    wait_for_slide(late, 2)
    wait_for_slide(follower, 2)


@pytest.mark.parametrize("slide", [3, 4])
def test_a_portrait_phone_follower_sees_code_whole_or_a_scroll_cue(live_server, pages, slide):
    make_run_deck()
    presenter, remote, _ = go_live(live_server, pages)
    phone = pages("phone", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone.goto(presenter.locator("a[data-live-follow]").get_attribute("href"))
    phone.get_by_text("Live: following the speaker.").wait_for()
    remote.get_by_label("Go to slide").fill(str(slide))
    remote.get_by_role("button", name="Go", exact=True).tap()
    wait_for_slide(phone, slide)
    pre = phone.locator(".stage .deck-slide.is-current .sample-code pre")
    pre.wait_for(state="visible")
    phone.wait_for_timeout(300)  # the cue is marked on the next frame
    seen = pre.evaluate(
        """(pre) => {
            const box = pre.getBoundingClientRect();
            const style = getComputedStyle(pre);
            return {
                onScreen: box.left >= 0 && box.right <= innerWidth + 1 && box.bottom <= innerHeight,
                size: parseFloat(style.fontSize),
                wide: pre.scrollWidth > pre.clientWidth + 1,
                tall: pre.scrollHeight > pre.clientHeight + 1,
                scrollsX: ["auto", "scroll"].includes(style.overflowX),
                scrollsY: ["auto", "scroll"].includes(style.overflowY),
                cueX: pre.closest(".sample-code").classList.contains("scrolls-x"),
                cueY: pre.closest(".deck-slide").classList.contains("code-scrolls"),
            };
        }"""
    )
    # The code's box is on screen, legible in the hand, and what it does not show it scrolls
    # to, with a cue in that direction: nothing is cut.
    assert seen["onScreen"] and seen["size"] >= 12, seen
    assert not seen["wide"] or (seen["scrollsX"] and seen["cueX"]), seen
    assert not seen["tall"] or (seen["scrollsY"] and seen["cueY"]), seen
    assert phone.locator(".stage").bounding_box()["height"] > 800  # the whole screen, not a strip
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/live-follower-portrait-{slide}-390.png")
