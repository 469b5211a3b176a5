"""Two editors on one era in two browsers at once: Alice saves first, then Bob from the page
he opened before. Different slides merge; the same field is refused with a notice that keeps
what Bob typed, and "Save anyway on top" saves it."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from timeline.models import Era

from .site_pages import seed_history, wait_until_ready
from .test_accessibility import axe_source, describe  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
BOB_SAYS = "Bob's own words about the callable."


@pytest.fixture
def two_pages(live_server, browser, django_user_model):
    """Alice's and Bob's pages (each its own browser context, logged in as its editor), both
    open on the WSGI era's change form before either saves."""
    seed_history()
    era = Era.objects.get(slug="wsgi")
    contexts, pages = [], []
    for name in ("alice", "bob"):
        django_user_model.objects.create_superuser(name, f"{name}@example.org", "pw-" + name * 3)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", "pw-" + name * 3)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        page.goto(f"{live_server.url}/admin/timeline/era/{era.pk}/change/")
        contexts.append(context)
        pages.append(page)
    yield (*pages, era)
    for context in contexts:
        context.close()


def save(page):
    page.click("input[name=_save]")
    page.wait_for_load_state()


def test_alice_moves_a_slide_while_bob_edits_another(two_pages):
    alice, bob, era = two_pages
    alice.locator("#slides-0 .reorder-down").click()
    save(alice)
    alice.wait_for_url("**/admin/timeline/era/")
    bob.fill("textarea[name=slides-0-body]", BOB_SAYS)
    save(bob)
    bob.wait_for_url("**/admin/timeline/era/")
    expect(bob.locator(".messagelist")).to_contain_text("Saved on top of a newer version")
    expect(bob.locator(".messagelist")).to_contain_text("alice at")
    rows = list(era.slides.order_by("order").values_list("title", "body"))
    assert [title for title, _ in rows] == ["The callable", "Why a standard"]
    assert rows[1][1] == BOB_SAYS + "\n"


def test_both_edit_one_body_bob_is_refused_then_saves_on_top(two_pages, axe_source):  # noqa: F811
    alice, bob, era = two_pages
    alice.fill("textarea[name=slides-0-body]", "Alice's words.")
    save(alice)
    alice.wait_for_url("**/admin/timeline/era/")
    bob.fill("textarea[name=slides-0-body]", BOB_SAYS)
    save(bob)
    notice = bob.get_by_role("alert").filter(has_text="Not saved")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("alice at")
    expect(notice.locator("table")).to_contain_text("Alice's words.")
    assert bob.input_value("textarea[name=slides-0-body]") == BOB_SAYS
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in [(1280, 800), (1920, 1080), (1024, 768), (390, 844)]:
        bob.set_viewport_size({"width": width, "height": height})
        notice.scroll_into_view_if_needed()
        bob.screenshot(path=str(SHOTS / f"edit-conflict-{width}x{height}.png"))
    # The notice only: the rest of the era page is audited with the page itself.
    wait_until_ready(bob)
    bob.add_script_tag(content=axe_source)
    results = json.loads(
        bob.evaluate("async () => JSON.stringify(await axe.run({include: [['.edit-conflict']]}))")
    )
    assert results["passes"] and not results["violations"], describe(results["violations"])

    bob.get_by_role("button", name="Save anyway on top of the current version").click()
    bob.wait_for_url("**/admin/timeline/era/")
    assert era.slides.order_by("order").first().body == BOB_SAYS + "\n"
