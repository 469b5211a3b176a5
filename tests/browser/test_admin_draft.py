"""An editor saves a draft of an era in the browser: the banner names it, the staff preview
shows it, and the era's public page does not until it is published."""

import os
from pathlib import Path

import pytest

from timeline.models import Era, EraDraft

from .site_pages import STAFF_USER, login, seed_history

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"1920": (1920, 1080), "1280": (1280, 800), "1024": (1024, 768), "390": (390, 844)}


def shoot(page, name):
    """Screenshots at each size, when SHOTS_DIR names where to keep them (to look at)."""
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_draft_saved_in_the_browser_is_previewed_then_published(
    live_server, page, browser, django_user_model
):
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    seed_history()
    era = Era.objects.get(slug="wsgi")
    slide = era.slides.order_by("order").first()
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/timeline/era/{era.pk}/change/")
    page.fill("#id_slides-0-title", "Drafted title of the first slide")
    page.click("input[name=_save_draft]")
    banner = page.locator(".era-draft")
    banner.wait_for()
    assert "A draft is waiting: saved by" in banner.inner_text()
    shoot(page, "era-draft-banner")
    slide.refresh_from_db()
    assert slide.title != "Drafted title of the first slide"

    visitor = browser.new_page()
    visitor.goto(f"{live_server.url}/eras/wsgi/")
    assert "Drafted title of the first slide" not in visitor.content()

    page.click("text=Preview the era page")
    page.wait_for_load_state()
    assert "Drafted title of the first slide" in page.content()
    shoot(page, "era-draft-preview")

    page.go_back()
    page.click("text=Publish the draft")
    page.wait_for_selector(".messagelist")
    assert not EraDraft.objects.exists()
    visitor.goto(f"{live_server.url}/eras/wsgi/")
    assert "Drafted title of the first slide" in visitor.content()
    visitor.close()
