"""After an edited run, "Compare with the recorded output" shows what the edit changed as a line
diff a screen reader can read (words, not colour alone); Reset puts the original back. The diff
itself is the server's (tests/test_diffs.py)."""

import pytest

from .test_accessibility import audit, describe
from .test_accessibility import axe_source as axe_source_fixture
from .test_run import WSGI
from .test_run import era as era_fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]
era = era_fixture
axe_source = axe_source_fixture


def edit_and_run(page, live_server, era):
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Edit").click()
    figure.get_by_label("Code", exact=True).fill(
        WSGI.replace("'text/plain'", "'text/html'").replace("b'Hello, '", "b'Goodbye, '")
    )
    figure.get_by_role("button", name="Run").click()
    figure.locator(".run-compare-button").wait_for()
    return figure


def rows(figure):
    return figure.locator(".diff-line").evaluate_all(
        "rows => rows.map(r => [r.className.replace('diff-line ', ''), r.textContent])"
    )


def test_compare_shows_the_changed_lines_as_text(live_server, page, era):
    figure = edit_and_run(page, live_server, era)
    button = figure.get_by_role("button", name="Compare with the recorded output")
    assert button.get_attribute("aria-expanded") == "false"
    assert not figure.locator(".run-diff").is_visible()
    # By keyboard: focus the button, Enter opens the diff.
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    titles = figure.locator(".run-diff-title").all_inner_texts()
    assert titles == ["Status line and headers", "Body"]
    found = rows(figure)
    assert ["diff-same", "  HTTP/1.1 200 OK"] in found
    assert ["diff-removed", "− Removed: Content-Type: text/plain"] in found
    assert ["diff-added", "+ Added: Content-Type: text/html"] in found
    assert ["diff-removed", "− Removed: Hello, Ada"] in found
    assert ["diff-added", "+ Added: Goodbye, Ada"] in found
    # The marks are hidden from screen readers, the words are there for them.
    assert figure.locator(".diff-added .diff-mark").first.get_attribute("aria-hidden") == "true"
    # Tab goes on into each diff region (they scroll sideways on a phone).
    page.keyboard.press("Tab")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label == "Status line and headers: differences from the recorded output"
    page.keyboard.press("Tab")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label == "Body: differences from the recorded output"
    # Enter on the button again closes it.
    button.focus()
    page.keyboard.press("Enter")
    assert not figure.locator(".run-diff").is_visible()


def test_an_unedited_run_offers_no_compare_and_reset_restores(live_server, page, era):
    figure = edit_and_run(page, live_server, era)
    figure.get_by_role("button", name="Reset").click()
    assert figure.locator(".run-compare").count() == 0
    assert figure.get_by_label("Code", exact=True).input_value() == WSGI
    request = figure.get_by_label("Request (method, path")
    assert request.input_value() == "GET /?Ada HTTP/1.1\nHost: localhost\n\n"
    figure.get_by_role("button", name="Run").click()
    figure.locator(".run-status").wait_for()
    assert figure.locator(".run-compare").count() == 0


@pytest.mark.parametrize("width", [320, 390, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_with_the_diff_open(live_server, browser, era, axe_source, width, scheme):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme, bypass_csp=True
    )
    page = context.new_page()
    figure = edit_and_run(page, live_server, era)
    figure.get_by_role("button", name="Compare with the recorded output").click()
    results = audit(page, axe_source)
    assert results["violations"] == [], describe(results["violations"])
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    context.close()
