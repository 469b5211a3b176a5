"""The audience deck in a real browser: keys, deep links, overlays, fit, themes."""

import re

import pytest
from playwright.sync_api import expect

from ..factories import make_era, make_sample, make_slide
from .decks import make_deck

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 6


def open_deck(page, live_server, hash=""):
    page.goto(f"{live_server.url}/present/{hash}")
    page.wait_for_selector(".deck-slide.is-current")


def current(page):
    return int(page.locator(".stage .deck-slide.is-current").get_attribute("data-number"))


def test_keys_move_through_the_deck_and_the_address_follows(live_server, page):
    """→ Space PageDown go on; ← Shift+Space PageUp go back; Home and End; #/N without history."""
    make_deck()
    open_deck(page, live_server)
    assert current(page) == 1
    assert page.locator(".counter").inner_text() == f"1 / {COUNT}"
    history_length = page.evaluate("history.length")
    steps = [
        ("ArrowRight", 2),
        ("Space", 3),
        ("PageDown", 4),
        ("ArrowLeft", 3),
        ("Shift+Space", 2),
        ("PageUp", 1),
        ("PageUp", 1),  # stays on the first slide
        ("End", COUNT),
        ("ArrowRight", COUNT),  # and on the last
        ("Home", 1),
    ]
    for key, expected in steps:
        page.keyboard.press(key)
        assert current(page) == expected, key
        assert page.evaluate("location.hash") == f"#/{expected}"
    assert page.evaluate("history.length") == history_length
    page.keyboard.press("End")
    assert page.locator(".counter").inner_text() == f"{COUNT} / {COUNT}"
    assert page.locator("[data-announcer]").inner_text() == f"Slide {COUNT} of {COUNT}: A wide line"
    assert page.locator(".progress-bar").evaluate("e => e.style.transform") == "scaleX(1)"


def test_number_then_enter_jumps_to_that_slide(live_server, page):
    """The number being typed is the speaker's business: it never shows on the projector
    (the speaker view shows it, test_present_speaker.py)."""
    make_deck()
    open_deck(page, live_server)
    page.keyboard.type("5")
    assert page.locator(".jump").is_hidden()
    page.keyboard.press("Enter")
    assert current(page) == 5
    page.keyboard.type("99")
    page.keyboard.press("Enter")
    assert current(page) == COUNT
    assert page.locator(".jump").is_hidden()


def test_deep_link_reload_and_out_of_range_links(live_server, page):
    """A shared #/N link opens that slide; reload keeps it; a number past the end opens the last."""
    make_deck()
    open_deck(page, live_server, "#/4")
    assert current(page) == 4
    assert page.locator(".deck-slide.is-current h2").inner_text() == "WSGI"
    page.keyboard.press("ArrowRight")
    page.reload()
    page.wait_for_selector(".deck-slide.is-current")
    assert current(page) == 5
    open_deck(page, live_server, "#/999")
    assert current(page) == COUNT
    page.evaluate("location.hash = '#/2'")
    page.wait_for_function("document.querySelector('.counter [data-current]').textContent === '2'")


def test_only_the_current_slide_is_visible_and_announced(live_server, page):
    make_deck()
    open_deck(page, live_server, "#/2")
    visible = page.locator(".stage .deck-slide:visible")
    assert visible.count() == 1
    assert visible.get_attribute("data-number") == "2"
    live = page.locator("[data-announcer]")
    assert live.get_attribute("aria-live") == "polite"
    assert live.inner_text() == f"Slide 2 of {COUNT}: Scripts in cgi-bin"


def test_overview_picks_a_slide_with_keyboard_or_mouse(live_server, page):
    make_deck()
    open_deck(page, live_server, "#/3")
    page.keyboard.press("o")
    overview = page.locator("#overview")
    expect(overview).to_be_visible()
    focused = page.evaluate("document.activeElement.dataset.goto")
    assert focused == "3"  # focus starts on the current slide
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(overview).to_be_hidden()
    assert current(page) == 4
    page.keyboard.press("Escape")  # Esc never opens the overview: on a projector it only closes
    expect(overview).to_be_hidden()
    # The overlay gives focus back when its close event fires; the next key goes to the deck.
    page.wait_for_function(
        "!document.querySelector('dialog[open]') && !document.activeElement.closest('dialog')"
    )
    page.keyboard.press("O")
    expect(overview).to_be_visible()
    page.keyboard.press("ArrowRight")  # moves in the grid, not the deck
    assert current(page) == 4
    page.keyboard.press("Escape")
    expect(overview).to_be_hidden()
    page.get_by_role("button", name="Overview").click()
    overview.get_by_role("link", name=re.compile("A wide line")).click()
    assert current(page) == 6
    expect(overview).to_be_hidden()


def test_help_lists_the_keys_and_traps_focus(live_server, page):
    make_deck()
    open_deck(page, live_server)
    page.keyboard.press("?")
    help_dialog = page.locator("#help")
    assert help_dialog.is_visible()
    text = help_dialog.inner_text()
    for words in ["Next slide", "Overview", "Speaker view", "Full screen", "Go to that slide"]:
        assert words in text
    page.keyboard.press("ArrowRight")
    assert current(page) == 1  # keys do not reach the deck behind the overlay
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('#help')")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("ArrowRight")
    assert current(page) == 2


def test_on_screen_controls_and_visible_focus(live_server, page):
    make_deck()
    open_deck(page, live_server)
    page.get_by_role("button", name="Next slide").click()
    page.get_by_role("button", name="Next slide").click()
    assert current(page) == 3
    page.get_by_role("button", name="Previous slide").click()
    assert current(page) == 2
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_swipe_left_and_right(live_server, browser):
    make_deck()
    context = browser.new_context(viewport={"width": 800, "height": 600}, has_touch=True)
    page = context.new_page()
    open_deck(page, live_server)
    swipe = """([from, to]) => {
        const stage = document.querySelector('.stage');
        const touch = (x) => new Touch({identifier: 1, target: stage, clientX: x, clientY: 300});
        const start = {touches: [touch(from)], changedTouches: [touch(from)], bubbles: true};
        stage.dispatchEvent(new TouchEvent('touchstart', start));
        const end = {touches: [], changedTouches: [touch(to)], bubbles: true};
        stage.dispatchEvent(new TouchEvent('touchend', end));
    }"""
    page.evaluate(swipe, [600, 200])
    assert current(page) == 2
    page.evaluate(swipe, [200, 600])
    assert current(page) == 1
    page.evaluate(swipe, [400, 390])  # too short to count
    assert current(page) == 1
    context.close()


def test_long_code_is_never_cut_off(live_server, page):
    """Long code shrinks, then scrolls; Enlarge shows all of it; the slide fills 16:10."""
    make_deck()
    open_deck(page, live_server, "#/5")
    slide = page.locator(".deck-slide.is-current")
    box = page.locator(".stage").bounding_box()
    assert (box["width"], box["height"]) == (1280, 800)  # the window's shape: no letterbox
    pre = slide.locator(".sample-code pre")
    assert pre.evaluate("e => getComputedStyle(e).overflowY") == "auto"
    assert pre.evaluate("e => e.scrollHeight > e.clientHeight")  # 63 lines cannot fit legibly
    assert pre.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 12
    pre.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    assert pre.evaluate("e => e.scrollTop > 0")
    slide.get_by_role("button", name=re.compile("Enlarge")).click()
    dialog = page.locator("#enlarge")
    assert dialog.is_visible()
    assert "the very last line" in dialog.inner_text()
    assert dialog.locator("h2").inner_text() == "Long app"
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Short code keeps its full size and needs no scrolling.
    open_deck(page, live_server, "#/3")
    short = page.locator(".deck-slide.is-current .sample-code pre")
    assert short.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    scale = page.locator(".deck-slide.is-current .slide-inner").evaluate(
        "e => e.style.getPropertyValue('--code-scale')"
    )
    assert scale == "1"


def test_stage_keeps_4_3_in_a_tall_window(live_server, browser):
    make_deck()
    context = browser.new_context(viewport={"width": 600, "height": 900})
    page = context.new_page()
    open_deck(page, live_server)
    box = page.locator(".stage").bounding_box()
    assert box["width"] == pytest.approx(600, abs=1)
    assert box["height"] == pytest.approx(600 * 3 / 4, abs=1)
    context.close()


def test_theme_switch_and_reduced_motion(live_server, browser):
    make_deck()
    context = browser.new_context(color_scheme="light", reduced_motion="reduce")
    page = context.new_page()
    open_deck(page, live_server)
    duration = page.locator(".deck-slide.is-current").evaluate(
        "e => getComputedStyle(e).transitionDuration"
    )
    assert set(duration.replace(" ", "").split(",")) == {"0s"}
    page.keyboard.press("t")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.locator("link[data-theme-css='dark']").get_attribute("media") == "all"
    background = page.locator(".deck-slide.is-current").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert background == "rgb(21, 23, 27)"
    page.reload()  # the choice is remembered
    page.wait_for_selector(".deck-slide.is-current")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    context.close()


def test_era_deck_and_talk_deck_open(live_server, page):
    make_deck()
    page.goto(f"{live_server.url}/present/wsgi/")
    page.wait_for_selector(".deck-slide.is-current")
    assert page.locator(".counter").inner_text() == "1 / 3"
    assert page.locator(".deck-slide.is-current h2").inner_text() == "WSGI"
    page.goto(f"{live_server.url}/eras/wsgi/")
    page.get_by_role("link", name="Present this era").click()
    page.wait_for_url(re.compile(r".*/present/wsgi/(#/\d+)?$"))  # the deck adds #/1


def test_nothing_is_fetched_from_another_origin(live_server, page):
    make_deck()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    open_deck(page, live_server)
    page.goto(f"{live_server.url}/present/speaker/")
    page.goto(f"{live_server.url}/present/print/")
    assert requests
    assert all(url.startswith(live_server.url) for url in requests), requests


def test_controls_fade_while_the_mouse_rests_and_return_on_movement(live_server, page):
    make_deck()
    page.clock.install()
    open_deck(page, live_server)
    page.clock.run_for(3_500)
    assert page.locator("#deck.idle").count() == 1
    page.wait_for_function("getComputedStyle(document.querySelector('.controls')).opacity === '0'")
    page.mouse.move(300, 300)
    page.mouse.move(320, 310)
    assert page.locator("#deck").evaluate("e => e.classList.contains('idle')") is False
    page.clock.run_for(3_500)
    page.keyboard.press("Tab")  # keyboard focus shows them again
    page.wait_for_function("getComputedStyle(document.querySelector('.controls')).opacity === '1'")


def test_text_and_code_go_side_by_side_when_stacking_would_shrink_the_code(live_server, page):
    era = make_era(slug="cgi", title="CGI", year=1993)
    body = "\n".join(f"- Point number {n} about the environment" for n in range(6))
    slide = make_slide(era, order=1, title="The contract", body=body)
    code = "".join(f'print("line {n}")\n' for n in range(16))
    make_sample(era, slide=slide, title="Script", code=code)
    page.goto(f"{live_server.url}/present/#/2")
    current = page.locator(".deck-slide.is-current")
    current.wait_for()
    assert "side-by-side" in current.get_attribute("class")
    pre = current.locator(".sample-code pre")
    assert pre.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # all 16 lines show
    body_box = current.locator(".slide-body").bounding_box()
    code_box = pre.bounding_box()
    assert body_box["x"] + body_box["width"] <= code_box["x"]


def test_typing_in_an_editable_field_does_not_move_the_deck(live_server, page):
    """A code editor inside a slide (the runner's) keeps its keys."""
    make_deck()
    open_deck(page, live_server, "#/3")
    page.locator(".deck-slide.is-current .sample-code pre").evaluate(
        "e => { e.setAttribute('contenteditable', 'plaintext-only'); e.focus(); }"
    )
    for key in ["ArrowRight", "Space", "End", "o", "5", "Enter"]:
        page.keyboard.press(key)
    assert current(page) == 3
    assert page.locator("#overview").is_hidden()
