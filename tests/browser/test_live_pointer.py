# ruff: noqa: F811 (the fixtures imported from test_live are the tests' arguments)
"""The speaker's pointer: a finger dragged on the remote's slide (a phone, touch) shows as a dot
at the same place on the projector and on followers' decks, whatever their screen, and goes
when the finger lifts. Three browser contexts, as in test_live.py."""

import pytest

from .decks import make_deck
from .test_live import (  # noqa: F401 (fixtures)
    SHOTS,
    go_live,
    open_live,
    pages,
    remote_shows,
    start_live,
    wait_for_slide,
)

pytestmark = pytest.mark.django_db(transaction=True)


def finger(remote):
    """Real touches (through the DevTools protocol, one session for the whole drag): Playwright's
    own taps cannot drag. Answers touch(kind, x, y)."""
    session = remote.context.new_cdp_session(remote)

    def touch(kind, x=None, y=None):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    return touch


def slide_box(page, selector):
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {x: r.left, y: r.top, width: r.width, height: r.height}; }",
        selector,
    )


def wait_for_dot(page, x, y, tolerance=0.02):
    page.wait_for_function(
        """([x, y, t]) => {
          const slide = document.querySelector('.stage .deck-slide.is-current');
          const dot = slide?.querySelector('.live-pointer');
          if (!dot) return false;
          const s = slide.getBoundingClientRect(), d = dot.getBoundingClientRect();
          return Math.abs((d.left + d.width / 2 - s.left) / s.width - x) < t
            && Math.abs((d.top + d.height / 2 - s.top) / s.height - y) < t;
        }""",
        arg=[x, y, tolerance],
        timeout=5000,
    )


def test_a_finger_on_the_remotes_slide_points_on_the_projector_and_for_followers(
    live_server, pages
):
    make_deck()
    presenter, remote, follower = go_live(live_server, pages)
    phone = pages("phone", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.goto(follower.url)
    phone.get_by_text("Live: following the speaker.").wait_for()
    remote.get_by_role("button", name="Next").tap()
    for page in (presenter, follower, phone):
        wait_for_slide(page, 2)
    remote_shows(remote, 2)
    touch = finger(remote)
    box = slide_box(remote, "[data-pane='current'] .deck-slide")
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    touch("touchStart", *at(0.2, 0.3))
    for step in range(1, 6):  # a drag to (0.7, 0.6)
        touch("touchMove", *at(0.2 + step * 0.1, 0.3 + step * 0.06))
    for page in (presenter, follower, phone):
        wait_for_dot(page, 0.7, 0.6)
    # The drag moved the pointer: it did not swipe the deck on.
    remote_shows(remote, 2)
    assert presenter.locator(".stage .deck-slide.is-current").get_attribute("data-number") == "2"
    if SHOTS:
        presenter.screenshot(path=f"{SHOTS}/live-pointer-projector-1920.png")
        follower.screenshot(path=f"{SHOTS}/live-pointer-follower-1024.png")
        phone.screenshot(path=f"{SHOTS}/live-pointer-follower-390.png")
        presenter.set_viewport_size({"width": 1024, "height": 768})
        touch("touchMove", *at(0.4, 0.5))
        wait_for_dot(presenter, 0.4, 0.5)
        presenter.screenshot(path=f"{SHOTS}/live-pointer-projector-1024.png")
        presenter.emulate_media(color_scheme="dark")
        touch("touchMove", *at(0.41, 0.5))
        wait_for_dot(presenter, 0.41, 0.5)
        presenter.screenshot(path=f"{SHOTS}/live-pointer-projector-1024-dark.png")
    # Lifting the finger hides it everywhere.
    touch("touchEnd")
    for page in (presenter, follower, phone):
        page.wait_for_function("!document.querySelector('.live-pointer')", timeout=5000)
    # A finger that leaves the slide hides it too.
    touch("touchStart", *at(0.5, 0.5))
    wait_for_dot(follower, 0.5, 0.5)
    touch("touchMove", *at(0.5, 1.3))
    follower.wait_for_function("!document.querySelector('.live-pointer')", timeout=5000)
    touch("touchEnd")
    presenter.wait_for_function("!document.querySelector('.live-pointer')", timeout=5000)


def test_the_mouse_points_over_the_speaker_views_slide_and_held_on_the_projector(
    live_server, pages
):
    make_deck()
    presenter = pages("presenter", viewport={"width": 1280, "height": 800})
    presenter.goto(f"{live_server.url}/present/#/2")
    wait_for_slide(presenter, 2)
    speaker = start_live(presenter)
    follow_url = presenter.locator("a[data-live-follow]").get_attribute("href")
    presenter.keyboard.press("Escape")
    speaker.keyboard.press("Escape")
    follower = pages("follower", viewport={"width": 1024, "height": 768})
    follower.goto(follow_url)
    follower.get_by_text("Live: following the speaker.").wait_for()
    # The speaker view (the laptop's screen, not the room's): the mouse over its slide points.
    box = slide_box(speaker, "[data-pane='current'] .deck-slide")
    speaker.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.4 * box["height"])
    speaker.mouse.move(box["x"] + 0.35 * box["width"], box["y"] + 0.45 * box["height"])
    wait_for_dot(follower, 0.35, 0.45)
    wait_for_dot(presenter, 0.35, 0.45)
    # Leaving the slide hides it.
    speaker.mouse.move(box["x"] + box["width"] + 40, box["y"] + box["height"] + 40)
    follower.wait_for_function("!document.querySelector('.live-pointer')", timeout=5000)
    # The projector: a mouse only moving does not point (the room sees that window) ...
    stage = slide_box(presenter, ".stage > .deck-slide.is-current")
    presenter.mouse.move(stage["x"] + 0.6 * stage["width"], stage["y"] + 0.2 * stage["height"])
    presenter.wait_for_timeout(300)
    assert follower.locator(".live-pointer").count() == 0
    # ... held down and dragged, it does.
    presenter.mouse.down()
    presenter.mouse.move(stage["x"] + 0.65 * stage["width"], stage["y"] + 0.25 * stage["height"])
    wait_for_dot(follower, 0.65, 0.25)
    presenter.mouse.up()
    follower.wait_for_function("!document.querySelector('.live-pointer')", timeout=5000)
    wait_for_slide(follower, 2)  # pointing moved nothing
