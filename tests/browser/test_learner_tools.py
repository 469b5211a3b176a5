"""In a browser: the theme toggle (remembered, set before the first paint), progress kept in
localStorage with its export and import, and the era read mark."""

import json

import pytest

from .site_pages import seed_history

pytestmark = pytest.mark.django_db(transaction=True)

# Records the theme the moment <body> is created: after the head's blocking scripts, before any
# module script (those are deferred) and before the first paint.
THEME_AT_BODY = """
new MutationObserver((_, observer) => {
  if (document.body) {
    window.themeAtBody = document.documentElement.dataset.theme || "unset";
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_theme_toggle_is_remembered_and_set_before_first_paint(live_server, browser):
    seed_history()
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.add_init_script(THEME_AT_BODY)
    page.goto(live_server.url + "/")
    toggle = page.locator("[data-theme-toggle]")
    assert page.evaluate("window.themeAtBody") == "unset"  # follows the system when unset
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 27)"  # the dark --bg
    for url in ["/glossary/", "/eras/wsgi/", "/start/"]:
        page.goto(live_server.url + url)
        assert page.evaluate("window.themeAtBody") == "dark", url
        assert page.locator("[data-theme-toggle]").get_attribute("aria-pressed") == "true"
    # The code highlighting follows too: the dark Pygments sheet is the one that applies.
    media = page.evaluate(
        "[...document.querySelectorAll('link[data-theme-css]')]"
        ".map(l => l.dataset.themeCss + ':' + l.media)"
    )
    assert media == ["light:not all", "dark:all"]
    page.locator("[data-theme-toggle]").click()
    page.reload()
    assert page.evaluate("window.themeAtBody") == "light"
    context.close()


def progress_page(live_server, browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/progress/")
    return context, page


def stored(page):
    return page.evaluate(
        "Object.fromEntries(['historyweb:eras-read', 'historyweb:samples-run',"
        " 'historyweb:exercises'].map(k => [k, localStorage.getItem(k)]))"
    )


def test_progress_exports_and_imports_a_file(live_server, browser, tmp_path):
    seed_history()
    context, page = progress_page(live_server, browser)
    page.evaluate(
        """() => {
        localStorage.setItem('historyweb:eras-read', JSON.stringify({cgi: '2026-01-02'}));
        localStorage.setItem('historyweb:samples-run', JSON.stringify({'7': 'wsgi'}));
        localStorage.setItem('historyweb:exercises', JSON.stringify({'wsgi-hello': 'wsgi'}));
        }"""
    )
    page.reload()
    assert page.locator("[data-progress-count=eras]").text_content() == "1 of 3 eras"
    assert "✓ Read 2026-01-02" in page.locator("[data-read-mark=cgi]").text_content()
    with page.expect_download() as download:
        page.click("[data-progress-export]")
    path = tmp_path / "progress.json"
    download.value.save_as(path)
    data = json.loads(path.read_text())
    assert data["format"] == "historyweb-progress" and data["eras"] == {"cgi": "2026-01-02"}
    assert data["samples"] == {"7": "wsgi"} and data["exercises"] == {"wsgi-hello": "wsgi"}

    page.evaluate("localStorage.clear()")
    page.reload()
    assert page.locator("[data-progress-count=exercises]").text_content() == "0 exercises"
    page.set_input_files("[data-progress-import]", str(path))
    message = page.locator("[data-progress-message]")
    page.wait_for_function("document.querySelector('[data-progress-message]').textContent")
    assert "1 eras read, 1 samples run, 1 exercises solved" in message.text_content()
    assert page.locator("[data-progress-count=exercises]").text_content() == "1 exercise"
    assert json.loads(stored(page)["historyweb:eras-read"]) == {"cgi": "2026-01-02"}
    context.close()


HOSTILE = {
    "not JSON": ("{nope", "is not JSON"),
    "wrong shape": ('["cgi"]', "not a historyweb progress file"),
    "other version": ('{"format": "historyweb-progress", "version": 9}', "version 9"),
    "a prototype key": (
        '{"format": "historyweb-progress", "version": 1, "eras": {"__proto__": "2026-01-01"}}',
        "not valid",
    ),
    "markup in a key": (
        '{"format": "historyweb-progress", "version": 1, '
        '"exercises": {"<img src=x onerror=alert(1)>": "wsgi"}}',
        "not valid: “<img src=x onerror=alert(1)>”",
    ),
    "a list for a map": (
        '{"format": "historyweb-progress", "version": 1, "samples": []}',
        "samples",
    ),
    "huge": ('{"format": "historyweb-progress", "version": 1, "x": "' + "a" * 200_000 + '"}', "kB"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_bad_progress_file_changes_nothing_and_says_why(live_server, browser, tmp_path, case):
    text, expected = HOSTILE[case]
    context, page = progress_page(live_server, browser)
    page.evaluate(
        "localStorage.setItem('historyweb:exercises', JSON.stringify({'wsgi-hello': 'wsgi'}))"
    )
    before = stored(page)
    path = tmp_path / "bad.json"
    path.write_text(text)
    page.set_input_files("[data-progress-import]", str(path))
    page.wait_for_function("document.querySelector('[data-progress-message]').textContent")
    message = page.locator("[data-progress-message]").text_content()
    assert message.startswith("Nothing was imported.") and expected in message, message
    assert page.locator(".progress-message img").count() == 0  # shown as text
    assert stored(page) == before
    context.close()


def test_reaching_the_end_of_an_era_marks_it_read(live_server, page):
    seed_history()
    page.set_viewport_size({"width": 1280, "height": 300})
    page.goto(live_server.url + "/eras/wsgi/")
    assert stored(page)["historyweb:eras-read"] is None
    page.locator("[data-era-end]").scroll_into_view_if_needed()
    page.wait_for_function("localStorage.getItem('historyweb:eras-read')")
    assert "wsgi" in json.loads(stored(page)["historyweb:eras-read"])
    page.goto(live_server.url + "/start/")
    assert page.locator("[data-read-mark=wsgi]").text_content() == "✓ Read"
