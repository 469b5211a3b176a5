"""An exercise as a learner meets it: check, read what failed, open hints, solve, see progress."""

import pytest

from ..factories import make_era, make_exercise

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]


@pytest.fixture
def exercise():
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    return make_exercise(
        era,
        slug="wsgi-hello",
        title="Say hello",
        checks=2,
        hints="Call `start_response` first.\n---\nReturn a list of bytes.\n",
    )


def test_check_fails_then_passes_and_progress_is_remembered(live_server, page, exercise):
    page.goto(live_server.url + exercise.get_absolute_url())
    page.get_by_role("button", name="Check").click()
    results = page.locator(".exercise-results")
    results.wait_for()
    assert results.locator("h2").inner_text() == "Not yet: 0 of 2 checks passed"
    assert results.locator(".check-failed").count() == 2
    # The first failure opens on what was sent, expected and received.
    assert "GET /hello HTTP/1.1" in results.locator("details[open] pre").first.inner_text()

    page.locator("#exercise-code").fill(exercise.solution)
    page.get_by_role("button", name="Check").click()
    page.locator(".exercise-results.passed").wait_for()
    assert page.locator(".exercise-results h2").inner_text() == "Solved: all 2 checks passed"
    assert page.locator("[data-exercise-status]").first.inner_text() == "✓ Solved"

    page.goto(live_server.url + "/")
    counter = page.locator("[data-era-exercises='wsgi']")
    counter.wait_for()
    page.wait_for_function(
        "() => document.querySelector(\"[data-era-exercises='wsgi']\").textContent.includes('1 of')"
    )
    assert counter.inner_text() == "1 of 1 exercise solved"


def test_hints_open_one_at_a_time_and_reset_restores_the_starter(live_server, page, exercise):
    page.goto(live_server.url + exercise.get_absolute_url())
    hints = page.locator(".hint")
    assert hints.nth(0).is_visible() and not hints.nth(1).is_visible()
    hints.nth(0).locator("summary").click()
    hints.nth(1).wait_for(state="visible")
    assert "Return a list of bytes." not in hints.nth(1).inner_text()  # still closed

    editor = page.locator("#exercise-code")
    reset = page.get_by_role("link", name="Reset to the starter code")
    assert not reset.is_visible()
    editor.fill("print('mine')")
    assert reset.is_visible()
    reset.click()
    assert editor.input_value() == exercise.starter
