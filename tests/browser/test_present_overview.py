"""The overview's thumbnails and filter, and Enlarge filling the screen, in a real browser."""

import os
import re

import pytest
from playwright.sync_api import expect

from .decks import make_deck
from .test_accessibility import audit, axe_source, describe  # noqa: F401 (a fixture)
from .test_present_pieces import make_long_deck

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("HISTORYWEB_SCREENSHOTS")  # a directory: save what a person should look at
SIZES = [(1920, 1080), (1024, 768), (390, 844)]


def open_deck(browser, live_server, size, hash="", **options):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/present/{hash}")
    page.wait_for_selector(".stage .deck-slide.is-current:not(.is-pending)")
    return page


def current(page):
    return int(page.locator(".stage .deck-slide.is-current").get_attribute("data-number"))


def shown_numbers(overview):
    return [
        int(n)
        for n in overview.locator(".overview-item:visible [data-goto]").evaluate_all(
            "links => links.map(l => l.dataset.goto)"
        )
    ]


def test_thumbnails_by_era_picture_the_slides_here_and_stand_in_for_the_rest(live_server, browser):
    count = make_long_deck()  # 4 eras of 8 slides: the page holds the first 8
    page = open_deck(browser, live_server, (1280, 800), "#/3")
    page.keyboard.press("o")
    overview = page.locator("#overview")
    expect(overview).to_be_visible()
    assert overview.locator("[data-goto]").count() == count
    titles = overview.locator(".overview-section-title").all_inner_texts()
    assert [t.lower() for t in titles] == ["era 0", "era 1", "era 2", "era 3"]
    here = overview.locator(".overview-item:has([aria-current='true'])")
    assert here.locator("[data-goto]").get_attribute("data-goto") == "3"
    # A slide on the page is pictured by a copy of itself, code included; a far one (not
    # fetched yet) by what the outline knows: its era and title.
    thumb = here.locator(".overview-thumb .deck-slide")
    assert "is-pending" not in thumb.get_attribute("class")
    assert "Era 0 point 2" in thumb.inner_text() and "def app" in thumb.inner_text()
    last = overview.locator(".overview-item:has([data-goto='32']) .overview-thumb .deck-slide")
    overview.locator("[data-goto='32']").scroll_into_view_if_needed()  # pictured once seen
    expect(last).to_contain_text("Era 3 point 7")
    # The copies are pictures: no id twice on the page, nothing in them takes focus or is read.
    duplicates = page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    )
    assert duplicates == []
    thumbs = overview.locator(".overview-thumb")
    assert thumbs.evaluate_all(
        "ts => ts.every(t => t.inert && t.getAttribute('aria-hidden') === 'true')"
    )
    assert overview.locator(".overview-thumb button").count() == 0
    page.context.close()


def test_the_filter_narrows_as_you_type_and_enter_picks(live_server, browser):
    make_long_deck()
    page = open_deck(browser, live_server, (1280, 800), "#/2")
    page.keyboard.press("o")
    overview = page.locator("#overview")
    expect(overview).to_be_visible()
    assert page.evaluate("document.activeElement.dataset.goto") == "2"  # focus on the slide shown
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.matches('[data-overview-filter]')")
    page.keyboard.type("point 6")
    assert shown_numbers(overview) == [7, 15, 23, 31]
    assert overview.locator(".overview-status").inner_text() == "4 of 32 slides match “point 6”."
    page.keyboard.type("  era 2")  # every word, in title or era
    assert shown_numbers(overview) == [23]
    assert overview.locator(".overview-section:visible").count() == 1
    page.keyboard.press("Enter")
    expect(overview).to_be_hidden()
    shown = page.locator(".stage .deck-slide.is-current:not(.is-pending)")
    expect(shown).to_contain_text("Era 2 point 6")
    assert current(page) == 23
    # Opened again: the filter is empty and every slide is back. A filter matching nothing says so.
    page.keyboard.press("o")
    assert page.locator("[data-overview-filter]").input_value() == ""
    assert len(shown_numbers(overview)) == 32
    page.locator("[data-overview-filter]").fill("nothing like it")
    assert shown_numbers(overview) == []
    status = overview.locator(".overview-status").inner_text()
    assert status == "No slide matches “nothing like it”."
    # A lone number finds that slide too (not 16 or 26), besides the titles holding it.
    page.locator("[data-overview-filter]").fill("6")
    assert shown_numbers(overview) == [6, 7, 15, 23, 31]
    # Down from the filter reaches the first match; arrows move among matches only; Esc closes.
    page.locator("[data-overview-filter]").fill("point 2")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.goto") == "3"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.goto") == "11"
    page.keyboard.press("/")
    page.keyboard.press("Escape")
    expect(overview).to_be_hidden()
    assert current(page) == 23
    page.context.close()


def test_up_and_down_move_by_row_in_the_grid(live_server, browser):
    make_long_deck()
    page = open_deck(browser, live_server, (1920, 1080), "#/2")
    page.keyboard.press("o")
    expect(page.locator("#overview")).to_be_visible()
    page.keyboard.press("ArrowDown")
    below = int(page.evaluate("document.activeElement.dataset.goto"))
    assert below > 3  # a row further, not the next card
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.dataset.goto") == "2"
    page.context.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_overview_with_a_filter_has_no_axe_violation(live_server, browser, axe_source, size):  # noqa: F811
    make_long_deck()
    page = open_deck(browser, live_server, size, "#/3", bypass_csp=True)
    page.keyboard.press("o")
    expect(page.locator("#overview")).to_be_visible()
    page.locator("[data-overview-filter]").fill("point")
    width = page.evaluate("document.querySelector('#overview').scrollWidth")
    assert width <= size[0]  # no sideways scrolling, not even on a phone
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/overview-{size[0]}.png")
    violations = audit(page, axe_source)["violations"]
    assert not violations, describe(violations)
    page.context.close()


def code_sizes(page, number):
    """The slide's code font size, then Enlarge's: px, and whether the enlarged code scrolls."""
    page.goto(page.url.split("#")[0] + f"#/{number}")
    slide = page.locator(f".stage .deck-slide[data-number='{number}']")
    expect(slide).to_have_class(re.compile(r"\bis-current\b"))
    pre = slide.locator(".sample-code pre")
    before = pre.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    slide.get_by_role("button", name="Enlarge").click()
    dialog = page.locator("#enlarge")
    expect(dialog).to_be_visible()
    big = dialog.locator("pre")
    after = big.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    fits = big.evaluate(
        "e => ({across: e.scrollWidth <= e.clientWidth + 1,"
        " down: e.scrollHeight <= e.clientHeight + 1})"
    )
    return before, after, fits


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_enlarge_fills_the_screen_with_the_code(live_server, browser, size):
    make_deck()
    page = open_deck(browser, live_server, size, "#/3")
    box = page.evaluate("() => ({w: innerWidth, h: innerHeight})")
    # Short code: at least 1.6 times the slide's, all of it on screen.
    before, after, fits = code_sizes(page, 3)
    assert after >= 1.6 * before - 0.05, (before, after)
    assert fits == {"across": True, "down": True}
    dialog = page.locator("#enlarge")
    frame = dialog.bounding_box()
    assert frame["width"] >= box["w"] - 1 and frame["height"] >= box["h"] - 1  # the whole screen
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/enlarge-short-{size[0]}.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # 63 lines: 1.6 times larger all the same, and it scrolls to its last line.
    before, after, fits = code_sizes(page, 5)
    assert after >= 1.6 * before - 0.05, (before, after)
    assert fits["across"] and not fits["down"]
    pre = dialog.locator("pre")
    pre.evaluate("e => { e.scrollTop = e.scrollHeight; }")
    assert pre.evaluate("e => e.scrollTop > 0")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/enlarge-long-{size[0]}.png")
    page.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    slide_pre = page.locator(".stage .deck-slide.is-current .sample-code pre")
    restored = slide_pre.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert restored == before  # the slide as it was
    page.context.close()
