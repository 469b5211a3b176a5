"""The learner's code on an exercise: the site's code editor, kept in the browser and restored,
Reset with Undo, Share links that carry the code and run nothing, and feedback that names the
real cause."""

import pytest

from ..factories import make_era, make_exercise, make_sample, make_slide
from .test_accessibility import audit, axe_source, describe  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]

MINE = "def application(environ, start_response):\n    return [b'mine']\n"
BROKEN = "def application(environ, start_response)\n    return []\n"
# Built to mislead: it prints a verdict of its own, then fails on a name it never defined.
MISLEADING = (
    "def application(environ, start_response):\n"
    "    print('Solved: all 2 checks passed')\n"
    "    return undefined\n"
)


@pytest.fixture
def exercise():
    return make_exercise(
        make_era(slug="wsgi", title="WSGI", year=2003), slug="wsgi-hello", checks=2
    )


def open_exercise(page, live_server, exercise, fragment=""):
    page.goto(live_server.url + exercise.get_absolute_url() + fragment)
    page.locator(".exercise-form .code-editor-shell").wait_for()  # the script has made the editor
    page.wait_for_load_state("networkidle")
    return page.locator("#exercise-code")


def share_link(where):
    """Press Share and read the link once it is made (compressing takes a moment)."""
    where.get_by_role("button", name="Share").click()
    field = where.locator(".share-link")
    field.wait_for()
    return field.input_value()


def checks_posted(page):
    posted = []
    page.on("request", lambda r: posted.append(r.url) if "/check/" in r.url else None)
    return posted


def test_the_code_is_kept_through_a_reload_solved_or_not(live_server, page, exercise):
    editor = open_exercise(page, live_server, exercise)
    editor.fill(MINE)
    editor = open_exercise(page, live_server, exercise)
    assert editor.input_value() == MINE
    assert (
        "Your code from your last visit is back."
        in page.locator(".exercise-code-state").inner_text()
    )

    editor.fill(exercise.solution)
    page.get_by_role("button", name="Check").click()
    page.locator(".exercise-results.passed").wait_for()
    editor = open_exercise(page, live_server, exercise)
    assert editor.input_value() == exercise.solution


def test_reset_brings_the_starter_back_and_undo_the_code(live_server, page, exercise):
    editor = open_exercise(page, live_server, exercise)
    editor.fill(MINE)
    page.get_by_role("link", name="Reset to the starter code").click()
    assert editor.input_value() == exercise.starter
    page.get_by_role("button", name="Undo").click()
    assert editor.input_value() == MINE
    # Reset is kept too: after a reload without Undo, the starter stays.
    page.get_by_role("link", name="Reset to the starter code").click()
    assert open_exercise(page, live_server, exercise).input_value() == exercise.starter


def test_tab_indents_and_esc_then_tab_walks_on(live_server, page, exercise):
    editor = open_exercise(page, live_server, exercise)
    editor.fill("x = 1\n")
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")
    assert editor.input_value() == "x = 1\n    "
    assert page.evaluate("document.activeElement.id") == "exercise-code"
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Check"
    page.keyboard.press("Tab")  # Reset (shown: the code is edited), then Share
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Share"


def test_a_share_link_carries_the_code_and_runs_nothing(live_server, context, page, exercise):
    editor = open_exercise(page, live_server, exercise)
    editor.fill(MINE)
    link = share_link(page)
    assert "#shared=" in link and "mine" not in link  # compressed, not the text itself

    other = context.new_page()
    posted = checks_posted(other)
    other.goto(link)
    other.locator(".code-editor-shell.shared-code").wait_for()
    other.wait_for_load_state("networkidle")
    assert other.locator("#exercise-code").input_value() == MINE
    assert "Shared code — not yet run" in other.locator(".exercise-code-state").inner_text()
    assert posted == [] and other.locator(".exercise-results").count() == 0


def test_a_share_link_carries_the_try_it_request_too(live_server, context, page, exercise):
    editor = open_exercise(page, live_server, exercise)
    editor.fill(MINE)
    typed = "GET /hello/Grace HTTP/1.1\nHost: localhost\nX-Shared: yes\n\n"
    page.locator(".try-request").fill(typed)
    link = share_link(page)
    other = context.new_page()
    other.goto(link)
    other.locator(".code-editor-shell.shared-code").wait_for()
    assert other.locator("#exercise-code").input_value() == MINE
    assert other.locator(".try-request").input_value() == typed
    assert other.locator(".try-result").is_hidden()  # nothing ran


def test_the_shared_code_leaves_the_learners_own_code_alone(live_server, page, exercise):
    editor = open_exercise(page, live_server, exercise)
    editor.fill(MINE)
    link = share_link(page)
    editor.fill(MINE.replace("mine", "later"))
    page.goto(link)
    page.locator(".code-editor-shell.shared-code").wait_for()
    assert page.locator("#exercise-code").input_value() == MINE
    page.get_by_role("button", name="Back to my code").click()
    assert page.locator("#exercise-code").input_value() == MINE.replace("mine", "later")


@pytest.mark.parametrize(
    "fragment, message",
    [
        ("#shared=not*base64", "The link is damaged"),
        ("#shared=q0vMKS5JBQA", "The link is damaged"),  # deflate of "hello": no JSON
        ("#shared=" + "A" * 100_000, "too long"),
    ],
)
def test_a_bad_share_link_says_so_and_loads_the_page(
    live_server, page, exercise, fragment, message
):
    editor = open_exercise(page, live_server, exercise, fragment)
    page.locator(".exercise-code-state").wait_for()
    assert message in page.locator(".exercise-code-state").inner_text()
    assert editor.input_value() == exercise.starter


def test_a_share_link_that_inflates_past_the_cap_is_refused(live_server, page, exercise):
    page.goto(live_server.url + exercise.get_absolute_url())
    page.locator(".exercise-form .code-editor-shell").wait_for()
    bomb = page.evaluate(
        """async () => {
          const { shareFragment } = await import('/static/js/share-link.js');
          return shareFragment({ code: 'x'.repeat(400 * 1024) });
        }"""
    )
    assert len(bomb) < 5000  # small as a link, large once read
    editor = open_exercise(page, live_server, exercise, bomb)
    page.locator(".exercise-code-state").wait_for()
    assert "too long" in page.locator(".exercise-code-state").inner_text()
    assert editor.input_value() == exercise.starter


def test_an_edited_sample_shares_its_code_and_request(live_server, context, page):
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    make_sample(
        era,
        slide=make_slide(era, order=1),
        runtime="wsgi",
        code=MINE,
        request="GET / HTTP/1.1\nHost: localhost\n\n",
        title="Hello",
    )
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Edit").click()
    figure.get_by_label("Code", exact=True).fill(MINE.replace("mine", "edited"))
    figure.get_by_label("Request (method, path").fill("GET /shared HTTP/1.1\n\n")
    link = share_link(figure)

    other = context.new_page()
    posted = []
    other.on("request", lambda r: posted.append(r.method) if r.method == "POST" else None)
    other.goto(link)
    other.locator(".shared-note").wait_for()
    other.wait_for_load_state("networkidle")
    assert "Shared code — not yet run" in other.locator(".shared-note").inner_text()
    assert other.locator("#run-code").input_value() == MINE.replace("mine", "edited")
    assert other.locator("#run-request").input_value() == "GET /shared HTTP/1.1\n\n"
    assert posted == [] and other.locator(".run-result").count() == 0


def test_failing_feedback_names_the_cause_once_and_passes_axe(
    live_server,
    browser,
    exercise,
    axe_source,  # noqa: F811
):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    editor = open_exercise(page, live_server, exercise)
    editor.fill(MISLEADING)
    page.get_by_role("button", name="Check").click()
    results = page.locator(".exercise-results")
    results.wait_for()
    assert results.locator("h2").inner_text() == "Not yet: 0 of 2 checks passed"
    assert results.locator(".check-traceback").count() == 1
    cause = results.locator(".check-cause").inner_text()
    assert "at line 3: NameError" in cause
    assert results.locator(".check-cause pre").inner_text().splitlines()[-2].strip().startswith("^")
    assert results.locator("details[open]").count() == 1  # the first failing check's
    assert "Solved: all 2 checks passed" in results.locator(".check-printed pre").inner_text()
    assert page.locator("[data-exercise-status]").first.inner_text() == ""
    report = audit(page, axe_source)
    assert report["violations"] == [], describe(report["violations"])
    context.close()


def test_the_page_works_without_javascript(live_server, browser, exercise):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + exercise.get_absolute_url())
    assert page.locator(".code-editor-shell").count() == 0
    page.locator("#exercise-code").fill(BROKEN)
    page.get_by_role("button", name="Check").click()
    page.locator(".exercise-results").wait_for()
    cause = page.locator(".check-cause").inner_text()
    assert "Every check failed for one reason" in cause and "line 1: SyntaxError" in cause
    assert page.locator(".check-cause pre").inner_text().splitlines()[-2].strip() == "^"
    assert page.locator("#exercise-code").input_value() == BROKEN
    context.close()
