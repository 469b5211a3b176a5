"""Try it on an exercise page, as a learner uses it: edit the request, see the response, its raw
text and environ as tabs, compare with the previous try; no verdict, with or without JavaScript."""

import os
from pathlib import Path

import pytest

from ..factories import make_era, make_exercise
from .test_accessibility import audit, axe_source, describe, scheme_page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]

# An app that answers with the path it was asked for, and boasts a verdict of its own.
ECHO = (
    "def application(environ, start_response):\n"
    "    print('Solved: all 2 checks passed')\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [('Solved? ' + environ['PATH_INFO']).encode()]\n"
)
SIZES = {"1920": (1920, 1080), "1280": (1280, 800), "1024": (1024, 768), "390": (390, 844)}


@pytest.fixture
def exercise():
    return make_exercise(
        make_era(slug="wsgi", title="WSGI", year=2003), slug="wsgi-hello", checks=2
    )


def open_exercise(page, live_server, exercise):
    page.goto(live_server.url + exercise.get_absolute_url())
    page.locator(".exercise-try .code-editor-shell").wait_for()  # the script has made the editor
    page.wait_for_load_state("networkidle")


def set_request(page, text):
    editor = page.locator("#try-request")
    editor.fill(text)
    return editor


def try_it(page):
    page.get_by_role("button", name="Try it").click()
    page.locator(".try-result .run-tablist").wait_for()
    return page.locator(".try-result")


def test_try_it_with_an_edited_request_shows_the_sample_views_and_no_verdict(
    live_server,
    scheme_page,  # noqa: F811
    exercise,
    axe_source,  # noqa: F811
):
    page, scheme = scheme_page
    open_exercise(page, live_server, exercise)
    assert page.locator("#try-request").input_value() == "GET /hello HTTP/1.1\nHost: localhost\n"
    page.locator("#exercise-code").fill(ECHO)
    set_request(page, "GET /first HTTP/1.1\nHost: localhost\n")
    result = try_it(page)
    tabs = result.get_by_role("tab")
    assert tabs.all_inner_texts()[:3] == ["Response", "Raw", "environ"]
    assert "Solved? /first" in result.locator(".run-body").inner_text()
    # The tabs are walked with the arrow keys, as on a sample.
    tabs.first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    environ = result.get_by_role("tabpanel")
    assert "/first" in environ.locator("tr", has_text="PATH_INFO").inner_text()
    # Ungraded: the app's "Solved" marks nothing solved, and no check ran.
    assert page.locator("[data-exercise-status]").first.inner_text() == ""
    assert page.evaluate("localStorage.getItem('historyweb:exercises')") is None
    assert page.locator(".exercise-results").count() == 0

    set_request(page, "GET /second HTTP/1.1\nHost: localhost\n")
    page.get_by_role("button", name="Try it").click()
    compare = page.get_by_role("button", name="Compare with your previous try")
    compare.wait_for()
    compare.click()
    diff = page.locator(".try-result .run-diff")
    assert "Solved? /first" in diff.locator("del").inner_text()
    assert "Solved? /second" in diff.locator("ins").inner_text()
    report = audit(page, axe_source)
    assert report["violations"] == [], describe(report["violations"])
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        for name, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            page.locator(".exercise-try").scroll_into_view_if_needed()
            page.screenshot(path=str(Path(shots) / f"exercise-try-{name}-{scheme}.png"))


def test_esc_then_tab_leaves_the_request_editor_for_try_it(live_server, page, exercise):
    open_exercise(page, live_server, exercise)
    page.locator("#try-request").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "try-request"  # Tab indents
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Try it"
    page.keyboard.press("Enter")
    page.locator(".try-result .run-tablist").wait_for()


def test_try_it_works_without_javascript(live_server, browser, exercise):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + exercise.get_absolute_url())
    page.locator("#exercise-code").fill(ECHO)
    page.locator("#try-request").fill("GET /plain HTTP/1.1\nHost: localhost\n")
    page.get_by_role("button", name="Try it").click()
    page.locator(".try-result .run-result-view").wait_for()
    assert "Solved? /plain" in page.locator(".try-result .run-body").inner_text()
    assert page.locator("#exercise-code").input_value() == ECHO
    assert page.locator("#try-request").input_value() == "GET /plain HTTP/1.1\nHost: localhost\n"
    assert page.locator(".exercise-results").count() == 0
    # The next try is compared with this one.
    page.locator("#try-request").fill("GET /again HTTP/1.1\nHost: localhost\n")
    page.get_by_role("button", name="Try it").click()
    page.locator(".try-result .run-compare").wait_for()
    assert "Solved? /again" in page.locator(".try-result .run-diff ins").inner_text()
    context.close()
