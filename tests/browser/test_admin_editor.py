"""The editor's admin in a real browser: reordering rows by keyboard and by drag, previews,
and a sample's code editor and Run / Record, each loaded as an ES module."""

import pytest

from timeline.models import CodeSample, Era, ExerciseWrongAnswer

from ..factories import make_era, make_exercise
from .site_pages import STAFF_USER, login, seed_history

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editor_page(live_server, page, django_user_model):
    seed_history()
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    era = Era.objects.get(slug="wsgi")
    page.goto(f"{live_server.url}/admin/timeline/era/{era.pk}/change/")
    return page, era


def slide_titles(era):
    return list(era.slides.order_by("order").values_list("title", flat=True))


def test_move_down_by_keyboard_then_save(editor_page):
    """Tab to "Move down" on the first slide, press Enter: the rows swap on screen, their
    order fields renumber, focus stays on the moved row's button, and Save keeps it."""
    page, era = editor_page
    first = page.locator("#slides-0")
    first.locator(".reorder-down").focus()
    page.keyboard.press("Enter")
    rows = "#slides-group .inline-related:not(.empty-form) input[name$='-title']"
    assert page.locator(rows).first.input_value() == "The callable"
    assert page.input_value("#id_slides-0-order") == "2"
    assert page.input_value("#id_slides-1-order") == "1"
    assert page.evaluate("document.activeElement.classList.contains('reorder-up')")
    assert "is now 2 of 2" in page.locator("#slides-group .reorder-status").inner_text()
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/timeline/era/")
    assert slide_titles(era) == ["The callable", "Why a standard"]


def test_drag_a_slide_above_another_then_save(editor_page):
    page, era = editor_page
    page.set_viewport_size({"width": 1280, "height": 3000})  # both rows on screen at once
    page.hover("#slides-1 .reorder-handle")
    page.mouse.down()
    box = page.locator("#slides-0 h3").bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 3, steps=8)
    page.mouse.up()
    assert page.input_value("#id_slides-1-order") == "1"
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/timeline/era/")
    assert slide_titles(era) == ["The callable", "Why a standard"]


def test_slide_preview_is_shaped_like_the_slide_and_gives_the_fit_verdict(editor_page):
    """Each slide body shows the deck's slide at 16:9 and 4:3 with the audit's verdict; typing
    (debounced) updates both, and a slide that cannot fit says why."""
    page, era = editor_page
    panel = page.locator("#slides-0 .slide-preview")
    assert panel.locator("iframe").count() == 2
    verdict = panel.locator(".slide-preview-verdict")
    verdict.filter(has_text="Fits at 16:9 and 4:3").wait_for()
    frame = page.frame_locator("#slides-0 .slide-preview iframe >> nth=0")
    assert frame.locator(".slide-heading").inner_text() == "Why a standard"
    assert frame.locator(".slide-body em").inner_text() == "agreed"
    long_text = "\n".join(f"- point {n}, with a few more words to read aloud" for n in range(60))
    page.fill("#id_slides-0-body", long_text)
    verdict.filter(has_text="Does not fit").wait_for()
    assert "16:9" in verdict.inner_text() and "4:3" in verdict.inner_text()
    assert frame.locator(".slide-body li").count() == 60


def test_markdown_preview_sits_below_its_field_with_bullets(editor_page):
    """The Preview button keeps its own height, the preview takes the form's width, and list
    items show their bullets."""
    page, era = editor_page
    page.fill("#id_slides-0-notes", "- one\n- two")
    button = page.locator("#slides-0 .field-notes .markdown-preview-button")
    button.click()
    preview = page.locator("#slides-0 .field-notes .markdown-preview")
    preview.locator("li").first.wait_for()
    box, field = button.bounding_box(), page.locator("#id_slides-0-notes").bounding_box()
    assert box["height"] < 60 and box["y"] > field["y"] + field["height"] - 1
    assert preview.bounding_box()["width"] >= field["width"] - 1
    style = preview.locator("li").first.evaluate("li => getComputedStyle(li).listStyleType")
    assert style == "disc"


def reference_titles(era):
    return list(era.references.order_by("order").values_list("title", flat=True))


@pytest.fixture
def references_page(live_server, page, django_user_model):
    """The WSGI era's change page with three references, in a table inline."""
    seed_history()
    era = Era.objects.get(slug="wsgi")
    for n, title in enumerate(["PEP 3333", "wsgiref docs"], start=2):
        era.references.create(order=n, title=title, url=f"https://example.org/{n}")
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/timeline/era/{era.pk}/change/")
    return page, era


def test_references_move_by_keyboard_and_by_drag_in_their_table(references_page):
    """Each table row has one set of Move buttons (the table's wrapper is not a row); Move
    down by keyboard, then a drag, renumber the rows, and Save keeps that order."""
    page, era = references_page
    before = reference_titles(era)
    assert page.locator("#references-group .reorder-tools").count() == 3
    page.locator("#references-0 .reorder-down").focus()
    page.keyboard.press("Enter")
    assert "is now 2 of 3" in page.locator("#references-group .reorder-status").inner_text()
    assert page.evaluate("document.activeElement.classList.contains('reorder-down')")
    # On screen now: PEP 3333 (#references-1), the seed's PEP 333, wsgiref docs (#references-2).
    page.set_viewport_size({"width": 1280, "height": 3000})
    page.hover("#references-2 .reorder-handle")
    page.mouse.down()
    box = page.locator("#references-1").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 3, steps=8)
    page.mouse.up()
    rows = page.locator("#references-group tr.form-row:not(.empty-form) input[name$='-title']")
    on_screen = [rows.nth(i).input_value() for i in range(3)]
    assert on_screen == [before[2], before[1], before[0]]
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/timeline/era/")
    assert reference_titles(era) == on_screen


def test_a_reference_row_fits_beside_the_menu_at_1280(references_page):
    """The references table stays inside the page at 1280 px: no field is cut off."""
    page, _ = references_page
    table = page.locator("#references-group table").bounding_box()
    content = page.locator("#content-main").bounding_box()
    assert table["x"] + table["width"] <= content["x"] + content["width"] + 12


def test_the_sample_page_runs_its_scripts_as_modules(live_server, page, django_user_model):
    """The sample's page loads the code editor and Run / Record as ES modules, and they run:
    the code field is the code editor, and Record of edited code answers under its buttons
    (fetched, the page stays) that the sample must be saved first; no script fails."""
    seed_history()
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sample = CodeSample.objects.get(title="Hello, WSGI")
    url = f"{live_server.url}/admin/timeline/codesample/{sample.pk}/change/"
    page.goto(url)
    for script in ("code-editor.js", "admin-code-editor.js", "admin-sample-check.js"):
        assert page.locator(f"script[type=module][src$='/js/{script}']").count() == 1, script
    code = page.locator("#id_code")
    shell = code.locator("xpath=ancestor::div[contains(@class,'code-editor-shell')]")
    assert shell.locator(".code-editor-backdrop .k").first.inner_text() == "def"
    code.evaluate("t => { t.value += '# edited\\n'; }")
    page.get_by_role("button", name="Record", exact=True).click()
    result = page.locator(".sample-check-result")
    result.filter(has_text="Save the sample first").wait_for()
    assert page.url == url
    assert errors == []


def test_an_exercises_checks_move_by_keyboard_then_save(live_server, page, django_user_model):
    """The checks swap on screen by "Move down" and Save keeps the swap (one POST)."""
    exercise = make_exercise(make_era(), checks=2)
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/timeline/exercise/{exercise.pk}/change/")
    page.locator("#checks-0 .reorder-down").focus()
    page.keyboard.press("Enter")
    assert page.input_value("#id_checks-0-order") == "2"
    assert page.input_value("#id_checks-1-order") == "1"
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/timeline/exercise/")
    names = list(exercise.checks.order_by("order").values_list("name", flat=True))
    assert names == ["check 2", "check 1"]


def test_an_exercises_code_is_in_the_code_editor_and_wrong_answers_move(
    live_server, page, django_user_model
):
    """Starter, solution and wrong answers follow the exercise's language (python, then http
    when the editor types it); a check's request is HTTP; the statement has a markdown preview,
    a check's body none; a wrong answer moves by keyboard and Save keeps it."""
    exercise = make_exercise(make_era(), checks=1, target="def app():\n    pass\n")
    for order, title in [(1, "first"), (2, "second")]:
        ExerciseWrongAnswer.objects.create(
            exercise=exercise, order=order, title=title, rule="r", code="def wrong():\n    pass\n"
        )
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/timeline/exercise/{exercise.pk}/change/")

    def shell(name):
        textarea = page.locator(f"textarea[name='{name}']")
        return textarea.locator("xpath=ancestor::div[contains(@class,'code-editor-shell')]")

    for name in ("starter", "solution", "target", "wrong_answers-1-code"):
        assert shell(name).locator(".code-editor-backdrop .k").first.inner_text() == "def", name
    assert page.locator("textarea[name='checks-0-request']").get_attribute("data-language") == (
        "http"
    )
    page.fill("input[name=language]", "http")
    assert page.locator("textarea[name='starter']").get_attribute("data-language") == "http"
    assert page.locator("textarea[name='target']").get_attribute("data-language") == "python"
    page.fill("input[name=language]", "python")
    # The statement is markdown (a preview); a check's body is literal text (none).
    attached = "t => t.dataset.previewAttached || ''"
    assert page.locator("textarea[name=statement]").evaluate(attached) == "1"
    assert page.locator("textarea[name='checks-0-body']").evaluate(attached) == ""
    page.locator("#wrong_answers-0 .reorder-down").focus()
    page.keyboard.press("Enter")
    assert page.input_value("#id_wrong_answers-0-order") == "2"
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/timeline/exercise/")
    titles = list(exercise.wrong_answers.order_by("order").values_list("title", flat=True))
    assert titles == ["second", "first"]
    assert errors == []
