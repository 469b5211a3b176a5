"""Where text wraps: between words, never inside one; a wrapped line of code hangs under its
own indentation instead of restarting at column 0."""

import pytest

from ..factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db(transaction=True)

# The third line is indented 8 and far longer than a phone's line: it must wrap.
CODE = (
    "def app(environ, start_response):\n"
    "    if environ:\n"
    '        start_response("200 OK", [("Content-Type", "text/plain"), '
    '("X-Long-Header-Name", "a value long enough to wrap on any phone screen")])\n'
    "    return [b'ok']\n"
)

# The words of each matching element that the layout split over two lines. A line may end
# after a hyphen or a dash ("2017-11-|28"), as in print: the parts between are the words.
BROKEN_WORDS = """(selector) => {
    const broken = [];
    for (const element of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.data.matchAll(/[^\\s\\-–—]+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
                    .map((r) => Math.round(r.top)));
                if (tops.size > 1) broken.push(match[0]);
            }
        }
    }
    return broken;
}"""

# The wrapped line: where its first character is, and where its continuation lines start.
HANGING = """(pre) => {
    const line = [...pre.querySelectorAll(".line")].find((l) => l.textContent.includes("X-Long"));
    const text = line.textContent;
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    const first = nodes.find((node) => node.data.trim());
    const at = first.data.search(/\\S/);
    const range = document.createRange();
    range.setStart(first, at);
    range.setEnd(first, at + 1);
    const firstChar = range.getBoundingClientRect();
    range.selectNodeContents(line);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    const later = rects.filter((r) => r.top > firstChar.bottom - 1);
    const selection = getSelection();
    selection.selectAllChildren(pre.querySelector("code"));
    const copied = selection.toString();
    selection.removeAllRanges();
    return {
        firstChar: firstChar.left,
        charWidth: firstChar.width,
        continuations: later.map((r) => r.left),
        lineStart: line.getBoundingClientRect().left,
        copied,
        text,
    };
}"""


def test_a_wrapped_code_line_hangs_under_its_indentation(live_server, browser):
    """On a phone the evolution page wraps code: each continuation of the long line starts
    right of the line's first character, and copying the code gives the code unchanged."""
    era = make_era(year=2003)
    make_sample(era, title="A long call", code=CODE, evolution=True)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/evolution/")
        pre = page.locator(".evolution-step .sample-code pre")
        seen = pre.evaluate(HANGING)
        assert len(seen["continuations"]) >= 1, seen  # it wrapped
        indent = seen["firstChar"] - seen["lineStart"]
        assert indent > 7 * seen["charWidth"], seen  # eight spaces in, on its first line
        for left in seen["continuations"]:
            assert left > seen["firstChar"] + seen["charWidth"] / 2, seen
        # Line by line as typed (a selection ends before the last newline, as it always has).
        assert seen["copied"] == CODE.rstrip("\n")
    finally:
        context.close()


def make_text_deck():
    era = make_era(slug="asgi", title="ASGI", year=2015, kind="interface")
    make_slide(
        era,
        order=1,
        title="Three versions of the spec",
        body=(
            "| Version | Date | Shape |\n|---|---|---|\n"
            "| draft | 2015–16 | messages over a *channel layer* (e.g. Redis) |\n"
            "| 2.0 | 2017-11-28 | in-process `async`: `app(scope)` returns a coroutine, which the"
            " server awaits with `receive` and `send` for as long as the connection lasts |\n"
            "| 3.0 | 2019-03-04 | one coroutine: `app(scope, receive, send)` |\n"
        ),
    )
    make_slide(
        era,
        order=2,
        title="The contract",
        body=(
            "| In | Out |\n|---|---|\n"
            "| `REQUEST_METHOD`, `QUERY_STRING`, `CONTENT_TYPE` | header lines on stdout, then a"
            " blank line, then the body of the answer, which the server sends on as it comes |\n\n"
            '- `/hello?name=Ada` → `root.hello(name="Ada")`'
        ),
    )
    sample = make_slide(era, order=3, title="Code beside", body='- `root.hello(name="Ada")` ok')
    make_sample(era, slide=sample, title="Beside", code=CODE * 2)


@pytest.mark.parametrize("width, height", [(1920, 1080), (1024, 768), (390, 844)])
def test_slides_never_break_a_word(live_server, page, width, height):
    """Table headers ("Versio|n"), CGI names and inline code stay whole on every slide."""
    make_text_deck()
    page.set_viewport_size({"width": width, "height": height})
    for number in (2, 3, 4):  # after the era's title slide
        page.goto(f"{live_server.url}/present/#/{number}")
        page.wait_for_function(
            "(n) => document.querySelector('.deck-slide.is-current')?.dataset.number === n",
            arg=str(number),
        )
        page.evaluate("() => document.fonts.ready")
        slide = f".stage .deck-slide[data-number='{number}'] .slide-body :is(th, td, li)"
        broken = page.evaluate(BROKEN_WORDS, slide)
        assert broken == [], (number, broken)


def test_print_never_breaks_a_word(live_server, page):
    make_text_deck()
    page.set_default_timeout(60_000)
    page.goto(f"{live_server.url}/present/print/")
    page.wait_for_selector("html[data-fitted]", state="attached")
    page.emulate_media(media="print")
    cells = ".print-sheet .slide-body :is(th, td, li)"
    assert page.locator(cells).count() == 18
    assert page.evaluate(BROKEN_WORDS, cells) == []
