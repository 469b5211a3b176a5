"""Clicker and keyboard conventions: blank screens, F5, an Esc that only ever closes."""

import pytest
from playwright.sync_api import expect

from .decks import make_deck

pytestmark = pytest.mark.django_db(transaction=True)

BLANK = """() => {
    const screen = document.querySelector('.blank-screen');
    if (!screen || screen.hidden) return null;
    const box = screen.getBoundingClientRect();
    const covers = box.width >= innerWidth && box.height >= innerHeight;
    const top = document.elementFromPoint(innerWidth / 2, innerHeight / 2) === screen;
    return covers && top ? getComputedStyle(screen).backgroundColor : 'not covering';
}"""
BLACK, WHITE = "rgb(0, 0, 0)", "rgb(255, 255, 255)"


def open_deck(page, live_server, hash="#/2"):
    page.goto(f"{live_server.url}/present/{hash}")
    page.wait_for_selector(".deck-slide.is-current")


def current(page):
    return int(page.locator(".stage .deck-slide.is-current").get_attribute("data-number"))


@pytest.mark.parametrize("key", ["b", "B", "Period"])
def test_b_and_period_black_the_screen_and_any_key_brings_it_back(live_server, page, key):
    make_deck()
    open_deck(page, live_server)
    page.keyboard.press(key)
    assert page.evaluate(BLANK) == BLACK
    page.keyboard.press("ArrowRight")  # the key that ends the blank does nothing else
    assert page.evaluate(BLANK) is None
    assert current(page) == 2
    page.keyboard.press("ArrowRight")
    assert current(page) == 3


def test_w_whitens_the_screen_and_esc_brings_the_slide_back(live_server, page):
    make_deck()
    open_deck(page, live_server)
    page.keyboard.press("w")
    assert page.evaluate(BLANK) == WHITE
    page.keyboard.press("Shift")  # a modifier alone does not count as a key
    assert page.evaluate(BLANK) == WHITE
    page.keyboard.press("Escape")
    assert page.evaluate(BLANK) is None
    assert page.locator("#overview").is_hidden()


def test_esc_never_opens_the_overview_and_o_does(live_server, page):
    make_deck()
    open_deck(page, live_server)
    for _ in range(3):
        page.keyboard.press("Escape")
        assert page.locator("#overview").is_hidden()
        assert page.locator("dialog[open]").count() == 0
    assert current(page) == 2
    page.keyboard.press("o")
    assert page.locator("#overview").is_visible()
    page.keyboard.press("Escape")  # and it closes the overlay it did not open
    expect(page.locator("#overview")).to_be_hidden()


def test_f5_starts_full_screen_instead_of_reloading(live_server, page):
    make_deck()
    open_deck(page, live_server)
    page.evaluate("window.notReloaded = true")
    for key in ["F5", "Shift+F5"]:
        page.keyboard.press(key)
        page.wait_for_function("() => document.fullscreenElement !== null")
        assert page.evaluate("window.notReloaded") is True
        page.evaluate("document.exitFullscreen()")
        page.wait_for_function("() => document.fullscreenElement === null")
    assert current(page) == 2


def test_pagedown_pageup_and_arrows_move(live_server, page):
    make_deck()
    open_deck(page, live_server)
    for key, expected in [
        ("PageDown", 3),
        ("ArrowDown", 4),
        ("PageUp", 3),
        ("ArrowUp", 2),
        ("ArrowLeft", 1),
    ]:
        page.keyboard.press(key)
        assert current(page) == expected, key


def test_help_lists_every_key(live_server, page):
    make_deck()
    open_deck(page, live_server)
    page.keyboard.press("?")
    text = page.locator("#help").inner_text()
    for words in [
        "Black screen",
        "White screen",
        "F5",
        "Page Down",
        "Esc",
        "never opens",
        "Overview",
    ]:
        assert words in text, words


def test_a_blank_screen_from_the_speaker_view_shows_on_the_deck(live_server, context):
    """A clicker usually talks to the focused window: often the speaker view."""
    make_deck()
    deck = context.new_page()
    open_deck(deck, live_server)
    speaker = context.new_page()
    speaker.goto(f"{live_server.url}/present/speaker/#/2")
    speaker.wait_for_selector("[data-pane='current'] .deck-slide")
    speaker.keyboard.press("b")
    deck.wait_for_function("() => !document.querySelector('.blank-screen').hidden")
    assert deck.evaluate(BLANK) == BLACK
    status = speaker.locator("[data-blank-status]")
    assert "black screen" in status.inner_text()
    assert speaker.evaluate(BLANK) is None  # the speaker's own screen stays lit
    speaker.keyboard.press("ArrowRight")
    deck.wait_for_function("() => document.querySelector('.blank-screen').hidden")
    assert status.is_hidden()
    assert current(deck) == 2  # that key only brought the slide back
    deck.keyboard.press("w")
    speaker.wait_for_function("() => !document.querySelector('[data-blank-status]').hidden")
    assert "white screen" in status.inner_text()


def test_forged_blank_messages_are_ignored(live_server, context):
    make_deck()
    deck = context.new_page()
    open_deck(deck, live_server)
    other = context.new_page()
    other.goto(f"{live_server.url}/present/print/")
    for mode in ["red", 1, "", {"x": 1}]:
        other.evaluate(
            "m => new BroadcastChannel('historyweb-deck:/present/')"
            ".postMessage({type: 'blank', mode: m})",
            mode,
        )
    deck.wait_for_timeout(300)
    assert deck.evaluate(BLANK) is None
