"""The list of talks reads cleanly at every width: no number drawn over another item."""

import pytest

from ..factories import make_era, make_talk

pytestmark = pytest.mark.django_db(transaction=True)

# For each era of a talk: its box, and where its text starts. The number must sit inside the
# item's own box (before its text), and items on one line must not overlap.
ITEMS = """() => [...document.querySelectorAll('.talk-eras li')].map(li => {
    const box = li.getBoundingClientRect();
    const text = li.querySelector('a').getBoundingClientRect();
    return {left: box.left, right: box.right, top: box.top, textLeft: text.left,
            fontSize: parseFloat(getComputedStyle(li).fontSize)};
})"""


@pytest.mark.parametrize("width", [320, 390, 1024, 1920])
def test_era_numbers_never_overlap_the_previous_item(live_server, browser, width):
    eras = [make_era(title=f"Era number {n}", year=1990 + n) for n in range(1, 13)]
    make_talk(eras, title="Twelve eras")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/talks/")
    items = page.evaluate(ITEMS)
    assert len(items) == 12
    for item in items:
        # The number ("1." to "12.") is inside the item, before the era's name.
        assert item["textLeft"] - item["left"] >= item["fontSize"], item
    for before, after in zip(items, items[1:], strict=False):
        if abs(before["top"] - after["top"]) < 2:  # same line
            assert after["left"] >= before["right"], (before, after)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
