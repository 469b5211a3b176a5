"""Run inside a slide of the deck: the result opens beside the code and the code stays whole."""

import pytest

from ..factories import make_era, make_sample, make_slide

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]

REQUEST = "GET /hello?name=Ada HTTP/1.1\r\nHost: localhost\r\n\r\n"
WSGI = (
    "def application(environ, start_response):\n"
    '    start_response("200 OK", [("Content-Type", "text/plain")])\n'
    '    return [b"Hello from a slide"]\n'
)
CGI = 'print("Content-Type: text/plain")\nprint()\nprint("Hello from CGI")\n'
PYTHON = "\n".join(f"print('line {i} of the output')" for i in range(8)) + "\n"
# Like the history's "The whole protocol in one line": a list and a line of text over a script
# as wide as the slide, so on 4:3 there is no room beside or above the code but the title's.
WIDE_SCRIPT = (
    "# What a 1990 browser had to work out before it could fetch a page.\n"
    "from urllib.parse import urlsplit\n\n"
    'address = "http://info.cern.ch/hypertext/WWW/TheProject.html"\n'
    "parts = urlsplit(address)\n\n"
    'print("scheme:", parts.scheme)\n'
    'print("host:  ", parts.hostname)\n'
    'print("port:  ", parts.port or 80)  # no port given: HTTP assumes 80\n'
    'print("path:  ", parts.path)\n'
    "print()\n"
    'print("Connect to", f"{parts.hostname}:{parts.port or 80}", "and send one line:")\n'
    'print(repr(f"GET {parts.path}\\r\\n"))\n'
)
LONGER_WSGI = (
    "from urllib.parse import parse_qs\n\n\n"
    "def application(environ, start_response):\n"
    '    query = parse_qs(environ.get("QUERY_STRING", ""))\n'
    '    name = query.get("name", ["world"])[0]\n'
    '    body = f"Hello, {name}!".encode()\n'
    "    headers = [\n"
    '        ("Content-Type", "text/plain; charset=utf-8"),\n'
    '        ("Content-Length", str(len(body))),\n'
    "    ]\n"
    '    start_response("200 OK", headers)\n'
    "    return [body]\n"
)


def make_run_deck():
    """Six runnable slides of different shapes: bare code, text above code, a table beside
    code, two samples side by side, a script's printed output, text over a script as wide as
    the slide. Slide 1 is the era's title."""
    era = make_era(slug="wsgi", title="WSGI", year=2003, kind="interface")
    shapes = [
        ("Only code", "", [("Hello", "wsgi", WSGI)]),
        ("Text then code", "- one\n- two\n- three", [("Greeter", "wsgi", LONGER_WSGI)]),
        (
            "A table beside the code",
            "| In | Out |\n|---|---|\n| environ | status |\n| stdin | body |\n\n"
            "A longer line of text that takes the slide's width so that the code goes beside it.",
            [("CGI hello", "cgi", CGI)],
        ),
        ("Two samples", "Both answer.", [("First", "wsgi", WSGI), ("Second", "wsgi", LONGER_WSGI)]),
        ("Printed output", "A script prints.", [("Printer", "python", PYTHON)]),
        (
            "The whole protocol in one line",
            "1. Connect to the host, port 80\n2. Send `GET` and the document's path\n"
            "3. Read until the server hangs up\n\nThe server's job: find the file and send it.",
            [("What a browser works out from an address", "python", WIDE_SCRIPT)],
        ),
    ]
    for order, (title, body, samples) in enumerate(shapes, start=1):
        slide = make_slide(era, order=order, title=title, body=body)
        for sample_title, runtime, code in samples:
            request = "" if runtime == "python" else REQUEST
            make_sample(
                era, slide=slide, title=sample_title, runtime=runtime, code=code, request=request
            )


CODE_STATE = """slide => [...slide.querySelectorAll('.sample-code pre')].map(pre => {
    const r = pre.getBoundingClientRect();
    return {top: r.top, height: r.height, scrolls: pre.scrollHeight > pre.clientHeight + 1};
})"""

# The panel must be on screen, show all of its result, and lie over none of the text of the
# code that ran (two samples side by side: it may cover the other one) and nothing of the
# slide's title (bounding rects: the heading's box and the panel's).
PANEL_STATE = """([slide, index]) => {
    const panel = slide.querySelector('.run-panel');
    const box = panel.getBoundingClientRect();
    const title = slide.querySelector('.slide-heading').getBoundingClientRect();
    const coversTitle = title.left < box.right && title.right > box.left
        && title.top < box.bottom && title.bottom > box.top;
    const body = panel.querySelector('.run-panel-body');
    const ran = slide.querySelectorAll('.sample')[index];
    // The code's text, node by node: a highlighted line is a block as wide as its pre.
    const textRects = pre => {
        const rects = [], range = document.createRange();
        const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            range.selectNodeContents(node);
            rects.push(...range.getClientRects());
        }
        return rects;
    };
    const overlaps = [...ran.querySelectorAll('.sample-code pre')].some(pre => {
        return textRects(pre).some(line => line.width && line.left < box.right - 1
            && line.right > box.left + 1 && line.top < box.bottom - 1 && line.bottom > box.top + 1);
    });
    return {
        onScreen: box.left >= 0 && box.top >= 0
            && box.right <= innerWidth && box.bottom <= innerHeight,
        whole: body.scrollHeight <= body.clientHeight + 1,
        overlaps,
        coversTitle,
        gap: Math.round(box.top - title.bottom),
        text: panel.innerText,
    };
}"""


def run_and_wait(slide, button_index=0):
    slide.locator(".run-button").nth(button_index).click()
    slide.locator(".run-panel .run-output").first.wait_for(state="visible", timeout=20_000)


@pytest.mark.parametrize(
    "size", [(1920, 1080), (1280, 720), (1024, 768)], ids=["1080p", "720p", "1024x768"]
)
def test_run_on_six_slides_keeps_the_code_whole_the_title_clear_and_the_result_on_screen(
    live_server, browser, size
):
    make_run_deck()
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    expected = {
        2: "Hello from a slide",
        3: "Hello, Ada!",
        4: "Hello from CGI",
        5: "Hello, Ada!",
        6: "line 7",
        7: "GET /hypertext/WWW/TheProject.html",
    }
    for number, words in expected.items():
        page.goto(f"{live_server.url}/present/#/{number}")
        page.reload()  # a fresh layout for each slide
        slide = page.locator(".stage .deck-slide.is-current")
        before = slide.evaluate(CODE_STATE)
        index = 1 if number == 5 else 0
        run_and_wait(slide, button_index=index)
        after = slide.evaluate(CODE_STATE)
        for was, now in zip(before, after, strict=True):
            assert now["height"] == pytest.approx(was["height"], abs=1), (
                f"slide {number}: code resized"
            )
            assert now["top"] == pytest.approx(was["top"], abs=1), f"slide {number}: code moved"
            assert now["scrolls"] == was["scrolls"]
        panel = page.evaluate(PANEL_STATE, [slide.element_handle(), index])
        assert panel["onScreen"] and panel["whole"], f"slide {number}: {panel}"
        # At 4:3 the result's text stays at 2.2% of the screen's height or more, and beside text
        # over a script as wide as the slide only the code has that room: there, and only
        # there, the result lies over the code's right part.
        covers = size == (1024, 768) and number == 7
        assert panel["overlaps"] == covers, f"slide {number}: the result covers the code: {panel}"
        assert ("covers-code" in slide.locator(".run-panel").get_attribute("class")) == covers
        assert not panel["coversTitle"], f"slide {number}: the result covers the title: {panel}"
        assert words in panel["text"]
        # The in-slide result stays empty: nothing under the code pushes it together.
        assert slide.locator(".sample-run .run-result:visible").count() == 0
    context.close()


def test_result_has_tabs_and_closes_with_esc_or_close(live_server, page):
    make_run_deck()
    page.goto(f"{live_server.url}/present/#/2")
    slide = page.locator(".stage .deck-slide.is-current")
    run_and_wait(slide)
    panel = slide.locator(".run-panel")
    assert "200 OK" in panel.inner_text()
    panel.get_by_role("tab", name="environ").click()
    assert "REQUEST_METHOD" in panel.inner_text()
    panel.get_by_role("tab", name="Raw").click()
    assert "HTTP/1.1 200 OK" in panel.inner_text()
    page.keyboard.press("Escape")
    assert panel.count() == 0
    assert page.locator("#overview").is_hidden()  # Esc closed the result and did nothing else
    assert page.evaluate("location.hash") == "#/2"
    run_and_wait(slide)
    slide.get_by_role("button", name="Close").click()
    assert slide.locator(".run-panel").count() == 0
    run_and_wait(slide)
    page.keyboard.press("ArrowRight")  # moving on closes it
    page.keyboard.press("ArrowLeft")
    assert slide.locator(".run-panel").count() == 0


def test_a_run_in_the_speaker_view_shows_on_the_audience_screen(live_server, context):
    make_run_deck()
    deck = context.new_page()
    deck.goto(f"{live_server.url}/present/#/3")
    speaker = context.new_page()
    speaker.goto(f"{live_server.url}/present/speaker/#/3")
    now = speaker.locator("[data-pane='current'] .deck-slide")
    run_and_wait(now)
    audience = deck.locator(".stage .deck-slide.is-current .run-panel")
    audience.wait_for(state="visible")
    assert "Hello, Ada!" in audience.inner_text()
    assert "200 OK" in audience.inner_text()
    speaker.keyboard.press("Escape")  # dismissing it in the speaker view dismisses it on the deck
    audience.wait_for(state="detached")
    # And the other way round: Close on the deck closes the speaker's copy.
    run_and_wait(now)
    audience.wait_for(state="visible")
    audience.get_by_role("button", name="Close").click()
    now.locator(".run-panel").wait_for(state="detached")


def test_forged_run_messages_are_ignored(live_server, context):
    """Only a well-formed result for a sample of the current slide opens a panel, as text."""
    make_run_deck()
    deck = context.new_page()
    deck.goto(f"{live_server.url}/present/#/2")
    sample = int(deck.locator(".stage .deck-slide.is-current .sample").get_attribute("data-sample"))
    other = deck.context.new_page()
    other.goto(f"{live_server.url}/present/print/")  # any page of the same origin
    post = """([sample, result]) => new BroadcastChannel('historyweb-deck:/present/').postMessage(
        {type: 'run', slide: 2, sample, result})"""
    for bad in [
        None,
        {"ok": "yes"},
        {"ok": True, "headers": "Content-Type: text/html"},
        {"ok": True, "headers": [["a", 1]]},
    ]:
        other.evaluate(post, [sample, bad])
    other.evaluate(post, [sample + 999, {"ok": True, "output": "wrong sample"}])
    deck.wait_for_timeout(300)
    assert deck.locator(".run-panel").count() == 0
    other.evaluate(
        post, [sample, {"ok": True, "ran": True, "output": "<img src=x onerror=alert(1)>"}]
    )
    panel = deck.locator(".run-panel")
    panel.wait_for(state="visible")
    assert "<img src=x onerror=alert(1)>" in panel.inner_text()
    assert panel.locator("img").count() == 0
    # Rendered HTML keeps only what the result template uses.
    forged = (
        '<div class="run-result-view" onclick="alert(1)"><img src=x onerror=alert(1)>'
        '<p class="run-meta" style="color: red">Ran.</p><script>alert(1)</script></div>'
    )
    other.evaluate(post, [sample, {"ok": True, "ran": True, "html": forged}])
    deck.locator(".run-panel .run-meta").wait_for(state="visible")
    assert panel.locator("img, script, [onclick], [style]").count() == 0
