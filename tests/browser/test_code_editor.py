"""The shared code editor: in the admin's sample fields and in the learner's editor."""

import pytest

from timeline.models import Era

from ..factories import make_era, make_sample
from .site_pages import STAFF_USER, login

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "def application(environ, start_response):\n    return []\n"


@pytest.fixture
def era():
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    make_sample(era, runtime="wsgi", code=CODE, request="GET / HTTP/1.1\nHost: x\n", title="Hello")
    return era


def check_editor(page, textarea):
    """Monospace, numbered, highlighted; Tab and Shift+Tab indent; Esc then Tab leaves."""
    shell = textarea.locator("xpath=ancestor::div[contains(@class,'code-editor-shell')]")
    assert shell.locator(".code-editor-gutter").inner_text().split() == ["1", "2", "3"]
    assert shell.locator(".code-editor-backdrop .k").first.inner_text() == "def"
    assert shell.locator(".code-editor-backdrop .nf").first.inner_text() == "application"
    font = textarea.evaluate("t => getComputedStyle(t).fontFamily")
    assert "mono" in font.lower()
    textarea.focus()
    textarea.evaluate("t => t.setSelectionRange(0, 0)")
    page.keyboard.press("Tab")
    assert textarea.input_value().startswith("    def application")
    assert textarea.evaluate("t => document.activeElement === t")
    page.keyboard.press("Shift+Tab")
    assert textarea.input_value() == CODE
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    assert textarea.input_value().startswith(CODE.split("\n")[0] + "\n    \n")  # kept the indent
    page.keyboard.press("Control+z")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    # No keyboard trap: focus moved on, to the next control of the page.
    assert not textarea.evaluate("t => document.activeElement === t")
    assert page.evaluate("document.activeElement !== document.body")


def test_admin_code_field_is_a_code_editor(live_server, page, era, django_user_model):
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/timeline/era/{Era.objects.get().pk}/change/")
    textarea = page.locator("#id_samples-0-code")
    check_editor(page, textarea)
    request = page.locator("#id_samples-0-request")
    assert request.locator("xpath=..").locator(".code-editor-backdrop .nf").inner_text() == "GET"


def test_learner_editor_is_the_same_editor_without_a_second_request_box(live_server, page, era):
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    assert figure.locator(".sample-request").is_visible()
    figure.get_by_role("button", name="Edit").click()
    assert not figure.locator(".sample-request").is_visible()  # the editor is the request box
    textarea = figure.get_by_label("Code", exact=True)
    check_editor(page, textarea)
    figure.get_by_role("button", name="Reset").click()
    assert figure.locator(".sample-request").is_visible()
