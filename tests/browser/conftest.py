"""Browser tests: Playwright driving the system Chromium against the live server.

Locally they skip when no Chromium is installed; under CI (CI=true) a missing browser
fails the run instead, because CI must prove these features.
"""

import os
import time

import pytest

from tests.system import in_ci
from timeline.browser import CHROMIUM_ARGS, chromium_path


def pytest_collection_modifyitems(config, items):
    """Mark the browser tests and run them last: Playwright's sync API keeps an event loop
    running in the main thread from the first browser test to the end of the session, and the
    `browser` fixture sets DJANGO_ALLOW_ASYNC_UNSAFE; neither may reach the other tests (async
    views called through async_to_sync, `check --deploy` in a subprocess)."""
    browser, others = [], []
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            browser.append(item)
        else:
            others.append(item)
    items[:] = others + browser


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        message = "No Chromium found (install Debian's chromium or set CHROMIUM_PATH)"
        if in_ci():
            pytest.fail(message + "; CI must run the browser tests.")
        pytest.skip(message)
    # Playwright's sync API runs an event loop; Django's ORM must still be usable from the
    # test thread that drives it and from the live server's threads.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def csp_safe_waits(page):
    """Make page.wait_for_function work under the site's Content-Security-Policy.

    Playwright polls the predicate inside the page through eval, which script-src 'self'
    (no 'unsafe-eval') refuses. page.evaluate is not subject to the policy, so poll with it.
    """

    def wait_for_function(expression, *, arg=None, timeout=None, polling=None):
        interval = polling if isinstance(polling, int | float) else 50
        deadline = time.monotonic() + (timeout if timeout is not None else 10_000) / 1000
        while True:
            if page.evaluate(expression, arg):
                return page.evaluate_handle(expression, arg)
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression!r}")
            page.wait_for_timeout(interval)

    page.wait_for_function = wait_for_function
    return page


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.on("page", csp_safe_waits)  # pages the tests open, popups included
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page
