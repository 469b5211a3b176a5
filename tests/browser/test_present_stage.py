"""On stage: Edit and Run at every supported screen size, a result that stays readable and off
the slide's text, and keys a clicker can trust after a click."""

import pytest

from ..factories import make_era, make_sample, make_slide
from .decks import make_deck

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1920, 1080), (1366, 768), (1280, 720), (1024, 768)]
# Like the talk's "Bodies are models": nineteen lines, one of them long, and a POST with a body.
ORDERS = (
    "import json\n\n"
    'PRICES = {"tea": 3, "scone": 4}\n\n\n'
    "def application(environ, start_response):\n"
    '    size = int(environ.get("CONTENT_LENGTH") or 0)\n'
    '    order = json.loads(environ["wsgi.input"].read(size))\n'
    '    item = order["item"]\n'
    '    quantity = order["quantity"]\n'
    "    # Reaching this line means the body was valid JSON with an item and a quantity.\n"
    "    price = PRICES.get(item, 5)\n"
    '    total = {"item": item, "quantity": quantity, "total": price * quantity}\n'
    "    body = json.dumps(total, indent=None, separators=(', ', ': ')).encode()\n"
    "    headers = [\n"
    '        ("Content-Type", "application/json"),\n'
    '        ("Content-Length", str(len(body))),\n'
    "    ]\n"
    '    start_response("201 Created", headers)\n'
    "    return [body]\n"
)
POST = (
    "POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    'Content-Length: 32\r\n\r\n{"item": "scone", "quantity": 3}'
)
SENTENCE = "A parameter typed with a model is read from the JSON body of the request and validated."


def make_stage_deck():
    """Slide 2: a sentence over the orders app; slide 3: something to move on to."""
    era = make_era(slug="fastapi", title="FastAPI", year=2018, kind="framework")
    slide = make_slide(era, order=1, title="Bodies are models", body=SENTENCE)
    make_sample(era, slide=slide, title="Orders", runtime="wsgi", code=ORDERS, request=POST)
    make_slide(era, order=2, title="After the run", body="The next slide.")


def open_slide(browser, live_server, size, hash="#/2"):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/present/{hash}")
    page.wait_for_selector(".stage .deck-slide.is-current")
    return context, page


def current(page):
    return int(page.locator(".stage .deck-slide.is-current").get_attribute("data-number"))


# What the audience sees of a slide in edit mode, measured as laid out.
EDIT_STATE = """() => {
    const slide = document.querySelector('.stage .deck-slide.is-current');
    const inner = slide.querySelector('.slide-inner');
    const editors = [...slide.querySelectorAll('textarea')].filter(e => e.getClientRects().length);
    const run = slide.querySelector('.run-button');
    const box = run.getBoundingClientRect();
    const bar = document.querySelector('.controls').getBoundingClientRect();
    const title = slide.querySelector('.slide-heading');
    const head = title.getBoundingClientRect();
    const clip = inner.getBoundingClientRect();
    const x = (box.left + box.right) / 2, y = (box.top + box.bottom) / 2;
    return {
        sizes: editors.map(e => parseFloat(getComputedStyle(e).fontSize)),
        runOnScreen: box.top >= 0 && box.left >= 0
            && box.bottom <= innerHeight && box.right <= innerWidth,
        runUnderBar: box.left < bar.right && box.right > bar.left
            && box.top < bar.bottom && box.bottom > bar.top,
        runOnTop: document.elementFromPoint(x, y) === run,
        scrolls: [slide, inner, document.scrollingElement, document.querySelector('.stage')]
            .some(e => e.scrollHeight > e.clientHeight + 1 || e.scrollTop > 0),
        titleWhole: head.top >= clip.top - 1 && head.bottom <= clip.bottom + 1 && head.top >= 0
            && title.scrollWidth <= title.clientWidth + 1
            && getComputedStyle(title).display !== 'none',
    };
}"""


@pytest.mark.usefixtures("sandbox")
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_edit_then_run_fits_the_stage_and_space_then_moves_on(live_server, browser, size):
    make_stage_deck()
    context, page = open_slide(browser, live_server, size)
    slide = page.locator(".stage .deck-slide.is-current")
    slide.get_by_role("button", name="Edit").click()
    page.mouse.move(size[0] / 2, size[1] / 2)  # the control bar shows, as it would for a speaker
    state = page.evaluate(EDIT_STATE)
    assert len(state["sizes"]) == 2, state  # the code and the request
    assert min(state["sizes"]) >= 0.022 * size[1] - 0.05, state
    assert state["runOnScreen"] and state["runOnTop"] and not state["runUnderBar"], state
    assert not state["scrolls"] and state["titleWhole"], state
    slide.get_by_role("button", name="Run").click()
    panel = slide.locator(".run-panel")
    panel.locator(".run-output").first.wait_for(state="visible", timeout=20_000)
    assert '"total": 12' in panel.inner_text()
    assert not page.evaluate(EDIT_STATE)["scrolls"]
    page.keyboard.press("Space")  # the click on Run left the keys with the deck
    assert current(page) == 3
    context.close()


def test_esc_closes_the_result_then_leaves_edit_mode_and_keeps_the_edits(live_server, browser):
    make_stage_deck()
    context, page = open_slide(browser, live_server, (1024, 768))
    slide = page.locator(".stage .deck-slide.is-current")
    slide.get_by_role("button", name="Edit").click()
    code = slide.locator("textarea.sample-editor-code")
    code.click()
    page.keyboard.press("End")
    page.keyboard.type("  # edited")
    page.keyboard.press("Escape")  # in the editor: leaves edit mode, nothing open to close first
    assert slide.evaluate("e => e.classList.contains('is-editing')") is False
    assert slide.locator(".sample-code pre").is_visible()
    assert code.is_hidden()
    page.keyboard.press("PageDown")  # the keys are the deck's again
    assert current(page) == 3
    page.keyboard.press("PageUp")
    slide.get_by_role("button", name="Edit").click()
    assert "# edited" in code.input_value()
    context.close()


# The smallest text of a result, in px, and the lines of the slide's text it lies over.
PANEL_TEXT = """() => {
    const slide = document.querySelector('.stage .deck-slide.is-current');
    const panel = slide.querySelector('.run-panel');
    const box = panel.getBoundingClientRect();
    const texts = [...panel.querySelectorAll('*')].filter(e => e.getClientRects().length
        && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
    // The text itself, node by node: a paragraph's box is as wide as the slide, its lines not.
    const rects = [], range = document.createRange();
    const body = slide.querySelector('.slide-body');
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        range.selectNodeContents(node);
        rects.push(...range.getClientRects());
    }
    const covered = rects.filter(r => r.width && r.left < box.right
        && r.right > box.left && r.top < box.bottom && r.bottom > box.top);
    return {
        smallest: Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize))),
        covered: covered.length,
    };
}"""


@pytest.mark.usefixtures("sandbox")
@pytest.mark.parametrize("size", [(1920, 1080), (1024, 768)], ids=["1080p", "1024x768"])
def test_the_result_is_readable_and_leaves_the_slides_text_clear(live_server, browser, size):
    make_stage_deck()
    context, page = open_slide(browser, live_server, size)
    slide = page.locator(".stage .deck-slide.is-current")
    slide.get_by_role("button", name="Run").click()
    slide.locator(".run-panel .run-output").first.wait_for(state="visible", timeout=20_000)
    state = page.evaluate(PANEL_TEXT)
    assert state["smallest"] >= 0.022 * size[1] - 0.05, state
    assert state["covered"] == 0, state
    context.close()


def test_a_clicked_control_leaves_space_to_mean_next_and_the_bar_fades(live_server, page):
    make_deck()
    page.clock.install()
    page.goto(f"{live_server.url}/present/#/2")
    page.wait_for_selector(".stage .deck-slide.is-current")
    theme = page.evaluate("document.documentElement.dataset.theme || ''")
    page.get_by_role("button", name="Theme").click()
    toggled = page.evaluate("document.documentElement.dataset.theme")
    assert toggled != theme
    page.keyboard.press("Space")
    assert current(page) == 3
    assert page.evaluate("document.documentElement.dataset.theme") == toggled  # not pressed again
    page.get_by_role("button", name="Next slide").click()
    assert current(page) == 4
    page.clock.run_for(3_500)  # the mouse rests on the bar: it fades all the same
    page.wait_for_function("getComputedStyle(document.querySelector('.controls')).opacity === '0'")


@pytest.mark.parametrize("overlay", ["o", "?", "enlarge"])
def test_clicker_keys_close_an_overlay_and_act(live_server, page, overlay):
    make_deck()
    page.goto(f"{live_server.url}/present/#/3")
    page.wait_for_selector(".stage .deck-slide.is-current")

    def open_it():
        if overlay == "enlarge":
            page.locator(".stage .deck-slide.is-current [data-enlarge]").click()
        else:
            page.keyboard.press(overlay)
        page.locator("dialog[open]").wait_for(state="visible")

    open_it()
    page.keyboard.press("PageDown")
    assert page.locator("dialog[open]").count() == 0
    assert current(page) == 4
    page.keyboard.press("PageUp")
    open_it()
    page.keyboard.press("PageUp")
    assert page.locator("dialog[open]").count() == 0
    assert current(page) == 2
    page.keyboard.press("PageDown")
    open_it()
    page.keyboard.press("b")
    assert page.locator("dialog[open]").count() == 0
    page.wait_for_function("() => !document.querySelector('.blank-screen').hidden")


@pytest.mark.parametrize(
    ("overlay", "key", "inside"),
    [
        ("help", "?", "[data-close]"),
        ("overview", "ArrowRight", ".overview-body [data-goto]"),
    ],
)
def test_focus_left_in_a_closed_overlay_does_not_swallow_the_decks_keys(
    live_server, page, overlay, key, inside
):
    """Chromium may move focus out of a closed dialog a moment late; a clicker's next key,
    reaching the element still focused in it, is the deck's, not the closed overlay's."""
    make_deck()
    page.goto(f"{live_server.url}/present/#/2")
    page.wait_for_selector(".stage .deck-slide.is-current")
    page.keyboard.press("?" if overlay == "help" else "o")
    page.locator(f"#{overlay}[open]").wait_for(state="visible")
    # Close it and send the key at once, to the element focus was on, as in the race.
    page.evaluate(
        """([id, inside, key]) => {
            const dialog = document.getElementById(id);
            const left = dialog.querySelector(inside);
            dialog.close();
            const init = {key, bubbles: true, cancelable: true};
            left.dispatchEvent(new KeyboardEvent("keydown", init));
        }""",
        [overlay, inside, key],
    )
    if overlay == "help":
        page.locator("#help[open]").wait_for(state="visible")  # "?" opened help again
    else:
        page.wait_for_function("() => document.querySelector('.stage .deck-slide.is-current')")
        assert current(page) == 3  # ArrowRight moved the deck
