"""Helpers for the browser audits. Which pages they visit is tests/pages.py (`audit`,
`phone`, `keyboard`); the data they visit is the seed history (tests/seed.py)."""

import time

from ..seed import seed_history  # noqa: F401  (the browser tests' seed, re-exported)

STAFF_USER = ("editor", "a-long-test-password")


def login(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", STAFF_USER[0])
    page.fill("#id_password", STAFF_USER[1])
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


# Pages that lay themselves out with JavaScript say when they are done; audits wait for it.
READY_WHEN = [
    # The print view shrinks or wraps code to fit each sheet, then sets data-fitted.
    "!document.querySelector('.print-pages') || document.documentElement.dataset.fitted === 'true'",
]


def wait_until_ready(page, timeout=10.0):
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + timeout
    for condition in READY_WHEN:
        # Polled with evaluate: Playwright's wait_for_function needs eval, which the CSP forbids.
        while not page.evaluate(condition):
            assert time.monotonic() < deadline, f"page never ready: {condition}"
            page.wait_for_timeout(50)
