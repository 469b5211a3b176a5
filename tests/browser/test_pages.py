import pytest

from ..factories import make_era, make_slide

pytestmark = pytest.mark.django_db(transaction=True)


def test_timeline_and_era_page_in_a_real_browser(live_server, page):
    """The timeline links to an era, whose slide anchors work."""
    era = make_era(slug="wsgi", title="WSGI", year=2003, summary="One calling convention.")
    make_slide(era, order=1, title="Why a standard")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="WSGI").click()
    page.wait_for_url("**/eras/wsgi/")
    assert page.title() == "WSGI (2003) · historyweb"
    page.goto(live_server.url + "/eras/wsgi/#slide-1")
    assert page.locator("#slide-1 h3").inner_text() == "Why a standard"


def test_skip_link_is_first_tab_stop(live_server, page):
    make_era()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
