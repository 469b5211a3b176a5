"""Under the real Content-Security-Policy nothing on any page, the admin included, is refused."""

import pytest

from ..seed import PAGES, page_params, page_url
from .site_pages import STAFF_USER, login, seed_history

pytestmark = pytest.mark.django_db(transaction=True)


def watch_console(page):
    problems = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    return problems


def csp_problems(problems):
    return [p for p in problems if "Content Security Policy" in p or p.startswith("uncaught")]


@pytest.mark.parametrize("page_entry", page_params(p for p in PAGES if p.in_browser))
def test_no_csp_violation(live_server, page, django_user_model, page_entry):
    era = seed_history()
    staff = page_entry.staff
    if staff:
        django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
        login(page, live_server)
    problems = watch_console(page)
    response = page.goto(live_server.url + page_url(page_entry, era))
    assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
    page.wait_for_load_state("networkidle")
    assert csp_problems(problems) == []


def test_admin_era_form_works_under_the_policy(live_server, page, django_user_model):
    """Prepopulated slug, inlines, the related-eras autocomplete and markdown preview all run."""
    seed_history()
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    problems = watch_console(page)
    page.goto(live_server.url + "/admin/timeline/era/add/")
    page.locator("#id_title").press_sequentially("Flask Framework")
    assert page.input_value("#id_slug") == "flask-framework"  # prepopulate.js ran
    page.fill("#id_body", "Some *markdown*")
    page.locator(".field-body .markdown-preview-button").first.click()
    assert page.locator(".markdown-preview em").inner_text() == "markdown"
    page.locator("#slides-group .add-row a").click()
    assert page.locator("#id_slides-0-title").count() == 1  # inlines.js ran
    page.locator("#relations-group .add-row a").click()
    assert page.locator("#id_relations-0-other").count() == 1
    # autocomplete.js turned the related era's <select> into a search box.
    page.locator("#relations-group .select2-container").first.wait_for()
    assert csp_problems(problems) == []
