"""Working on a long era page in a real browser: rows folded to one line to reorder them, a
drop over a slide's preview frames, the question before leaving unsaved edits, and Run and
Record in a sample's row."""

import pytest

from timeline.models import CodeSample, Exercise, Slide, Talk

from ..factories import make_era, make_slide
from . import test_accessibility as accessibility
from .site_pages import STAFF_USER, login, seed_history
from .test_accessibility import audit, describe

axe_source = accessibility.axe_source  # axe's source, as the accessibility tests load it

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editor(live_server, page, django_user_model):
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    return page


@pytest.fixture
def axe_editor(live_server, browser, django_user_model):
    """An editor's page that axe can be injected into (test_csp.py checks the policy)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    yield page
    context.close()


def change_url(live_server, obj):
    return f"{live_server.url}/admin/timeline/{obj._meta.model_name}/{obj.pk}/change/"


def slide_titles(era):
    return list(era.slides.order_by("order").values_list("title", flat=True))


def test_compact_rows_fit_a_screen_move_by_keyboard_and_drag_and_save(editor, live_server):
    era = make_era()
    for n in range(1, 21):
        make_slide(era, title=f"Slide {n:02}")
    page = editor
    page.set_viewport_size({"width": 1920, "height": 1080})
    # Not "load": that waits for the 40 preview frames.
    page.goto(change_url(live_server, era), wait_until="domcontentloaded")
    toggle = page.get_by_role("button", name="One line per row (to reorder): Slides")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    status = page.locator("#slides-group .reorder-status")
    assert "20 rows, one line each" in status.inner_text()
    assert page.locator("#id_slides-0-body").is_hidden()
    tops = [page.locator(f"#slides-{n} h3").bounding_box() for n in (0, 19)]
    assert tops[1]["y"] + tops[1]["height"] - tops[0]["y"] < 1080 - 150  # all 20 on a screen
    assert page.locator("#slides-3 .reorder-summary").inner_text() == "4. Slide 04"

    page.locator("#slides-0 .reorder-down").focus()
    page.keyboard.press("Enter")
    assert "“Slide 01” is now 2 of 20" in status.inner_text()
    assert page.locator("#slides-0 .reorder-summary").inner_text() == "2. Slide 01"

    page.locator("#slides-group").evaluate("group => group.scrollIntoView()")
    page.hover("#slides-19 .reorder-handle")
    page.mouse.down()
    first = page.locator("#slides-1 h3").bounding_box()  # the top row now
    page.mouse.move(first["x"] + 40, first["y"] + 3, steps=10)
    page.mouse.up()
    assert page.input_value("#id_slides-19-order") == "1"

    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert page.locator("#id_slides-0-body").is_visible()
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/timeline/era/")
    titles = slide_titles(era)
    assert titles[:4] == ["Slide 20", "Slide 02", "Slide 01", "Slide 03"]
    assert len(titles) == 20


def test_a_slide_dropped_over_a_preview_frame_moves(editor, live_server):
    """The pointer over a preview frame is over the row, not inside the frame's page."""
    era = seed_history()
    page = editor
    page.set_viewport_size({"width": 1280, "height": 3000})  # both rows on screen at once
    page.goto(change_url(live_server, era))
    frame = page.locator("#slides-0 .slide-preview iframe").first
    frame.wait_for()
    row = page.locator("#slides-0").bounding_box()
    box = frame.bounding_box()
    target = (box["x"] + box["width"] / 2, box["y"] + 10)
    assert target[1] < row["y"] + row["height"] / 2  # above the row's middle: a drop before it
    handle = page.locator("#slides-1 .reorder-handle").bounding_box()
    page.mouse.move(handle["x"] + 4, handle["y"] + 4)
    page.mouse.down()
    page.mouse.move(handle["x"] + 12, handle["y"] - 4)  # the drag starts on the handle
    page.mouse.move(*target)  # and goes straight over the frame
    page.mouse.move(target[0] + 5, target[1] + 2)
    page.mouse.up()
    assert page.input_value("#id_slides-1-order") == "1"
    assert page.evaluate("document.body.classList.contains('reorder-drag-active')") is False


def leave(page):
    """Follow the breadcrumbs' first link, as an editor would leave; the dialogs asked."""
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    page.locator(".breadcrumbs a").first.click()
    page.wait_for_url("**/admin/")
    page.remove_listener("dialog", answer)
    return asked


def test_leaving_asks_only_when_a_field_really_changed(editor, live_server):
    era = seed_history()
    page = editor
    others = [
        CodeSample.objects.get(title="Hello, WSGI"),
        Slide.objects.filter(era=era).first(),
        Talk.objects.get(slug="short"),
        Exercise.objects.get(slug="wsgi-hello"),
    ]
    for obj in [era, *others]:  # pristine: no question on any change form
        page.goto(change_url(live_server, obj))
        assert page.locator("script[type=module][src$='/js/admin-unsaved.js']").count() == 1
        page.locator("#content-main form").first.click(position={"x": 2, "y": 2})
        assert leave(page) == [], obj

    page.goto(change_url(live_server, era))
    title = page.locator("#id_title")
    title.press("End")
    title.press("x")
    title.press("Backspace")  # typed, then undone
    assert leave(page) == []

    page.goto(change_url(live_server, era))
    page.locator("#id_samples-0-code").press("End")
    page.keyboard.type("# more\n")  # in the code editor of a sample row
    assert leave(page) == ["beforeunload"]

    page.goto(change_url(live_server, others[0]))
    page.locator("#id_title").fill("Hello again")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert asked == []  # a submit never asks
    assert CodeSample.objects.get(pk=others[0].pk).title == "Hello again"


@pytest.mark.usefixtures("sandbox")
def test_run_and_record_in_a_sample_row_of_the_era_page(axe_editor, live_server, axe_source):
    """Run runs the row's code as typed and diffs it against the row's expected output (axe
    finds nothing, with the slides folded too); Record stores the saved sample's output and
    puts it in the row's expected output, which then counts as saved (leaving does not ask)."""
    era = seed_history()
    sample = CodeSample.objects.get(title="Hello, WSGI")
    CodeSample.objects.filter(pk=sample.pk).update(expected_output="stale\n")
    page = axe_editor
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(change_url(live_server, era))
    code = page.locator("#id_samples-0-code")
    code.evaluate("t => { t.value = t.value.replace(\"b'hello'\", \"b'HELLO'\"); }")
    row = page.locator("#samples-0")
    row.get_by_role("button", name="Run", exact=True).click()
    result = row.locator(".sample-check-result")
    result.locator(".diff").wait_for(timeout=30_000)
    assert "+HELLO" in result.inner_text() and "-stale" in result.inner_text()
    assert CodeSample.objects.get(pk=sample.pk).code == sample.code  # Run saves nothing
    page.get_by_role("button", name="One line per row (to reorder): Slides").click()
    results = audit(page, axe_source)  # with a run's result and the slides folded
    assert results["passes"] and not results["violations"], describe(results["violations"])

    code.evaluate("t => { t.value = t.value.replace(\"b'HELLO'\", \"b'hello'\"); }")
    row.get_by_role("button", name="Record", exact=True).click()
    result.filter(has_text="Recorded").wait_for(timeout=30_000)
    expected = page.locator("#id_samples-0-expected_output").input_value()
    assert expected.startswith("HTTP/1.1 200 OK") and expected.rstrip().endswith("hello")
    assert CodeSample.objects.get(pk=sample.pk).expected_output == expected
    assert page.locator("#samples-1 [data-sample-check]").count() == 0  # historical
    assert leave(page) == []
