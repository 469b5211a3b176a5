import pytest

from timeline.models import Exercise

from .site_pages import STAFF_USER, login, seed_history

pytestmark = pytest.mark.django_db(transaction=True)


def test_shots(live_server, page, django_user_model):
    from django.core.management import call_command

    call_command("load_history")
    django_user_model.objects.create_superuser(STAFF_USER[0], "ed@example.org", STAFF_USER[1])
    login(page, live_server)
    exercise = Exercise.objects.get(slug="wsgi-router")
    url = f"{live_server.url}/admin/timeline/exercise/{exercise.pk}/change/"
    page.goto(url)
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    for w, h in [(1920, 1080), (1280, 800), (1024, 768), (390, 844)]:
        page.set_viewport_size({"width": w, "height": h})
        page.goto(url)
        page.screenshot(path=f"/tmp/exadmin-shots/change-{w}.png")
        for sel in ("textarea[name=starter]", "#checks-0", "#checks-3", "#wrong_answers-0"):
            box = page.locator(sel).bounding_box()
            y = box["y"] - 60
            clip = {"x": 0, "y": y, "width": w, "height": h}
            tag = sel.strip("#").replace("textarea[name=", "").rstrip("]")
            page.screenshot(path=f"/tmp/exadmin-shots/at-{tag}-{w}.png", full_page=True, clip=clip)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/timeline/exercise/{exercise.pk}/history/")
    page.screenshot(path="/tmp/exadmin-shots/history-1280.png", full_page=True)
