import pytest

from ..factories import make_era, make_sample

pytestmark = pytest.mark.django_db(transaction=True)

LONG_LINE = "print('" + "x" * 150 + "')\n"


@pytest.mark.parametrize("width", [375, 1280])
def test_evolution_page_fits_the_screen(live_server, browser, width):
    """On a phone and a laptop the page never scrolls sideways; long code scrolls in its box."""
    for year in (1993, 2003):
        era = make_era(year=year)
        make_sample(era, title=f"Hello {year}", code=LONG_LINE, evolution=True)
    context = browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/evolution/")
        assert page.locator(".evolution-step").count() == 2
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        boxes = [page.locator(".evolution-step").nth(i).bounding_box() for i in range(2)]
        if width < 600:
            assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1  # stacked
        else:
            assert abs(boxes[1]["y"] - boxes[0]["y"]) < 1  # side by side
    finally:
        context.close()
