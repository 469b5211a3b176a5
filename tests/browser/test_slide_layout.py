"""The stage takes the screen's shape, and fitting never shrinks text below the audit's limits."""

import pytest

from ..factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db(transaction=True)

BULLETS = "\n".join(f"- Point {i}: a line of explanation beside the code" for i in range(1, 4))
MEDIUM_CODE = "".join(f"def handler_{i}(request):\n    return respond({i})\n" for i in range(7))
LONG_CODE = "".join(f"line_{i} = compute({i})\n" for i in range(70))


def make_layout_deck():
    era = make_era(slug="wsgi", title="WSGI", year=2003, kind="interface", summary="A callable.")
    both = make_slide(era, order=1, title="Text and code", body=BULLETS)
    make_sample(era, slide=both, title="Fourteen lines", code=MEDIUM_CODE)
    two = make_slide(era, order=2, title="Two samples", body="Then and now.")
    make_sample(
        era, slide=two, title="A long sample title that fills its caption (then)", code="a = 1\n"
    )
    make_sample(
        era, slide=two, title="A long sample title that fills its caption (now)", code="b = 2\n"
    )
    long = make_slide(era, order=3, title="Too long", body="")
    make_sample(era, slide=long, title="Seventy lines", code=LONG_CODE)


def open_slide(page, url, n, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{url}/present/#/{n}")
    page.wait_for_function(
        f"() => document.querySelector('.deck-slide.is-current')?.dataset.number === '{n}'"
    )
    page.evaluate("() => document.fonts.ready")


def stage_box(page):
    return page.evaluate(
        "() => { const r = document.getElementById('stage').getBoundingClientRect();"
        " return [Math.round(r.width), Math.round(r.height)]; }"
    )


@pytest.mark.parametrize(
    "width, height, stage",
    [
        (1920, 1080, [1920, 1080]),
        (1024, 768, [1024, 768]),  # a 4:3 projector: no letterbox
        (1280, 800, [1280, 800]),  # 16:10 fills the screen too
        (2560, 1080, [1920, 1080]),  # wider than 16:9: a 16:9 stage
        (1000, 1000, [1000, 750]),  # narrower than 4:3: a 4:3 stage
    ],
)
def test_the_stage_takes_the_screens_shape_between_4_3_and_16_9(
    live_server, page, width, height, stage
):
    make_layout_deck()
    open_slide(page, live_server.url, 2, width, height)
    assert stage_box(page) == stage


def test_code_goes_beside_the_text_on_16_9_and_under_it_on_4_3(live_server, page):
    make_layout_deck()
    layout = (
        "() => document.querySelector('.deck-slide.is-current').classList.contains('side-by-side')"
    )
    open_slide(page, live_server.url, 2, 1920, 1080)
    assert page.evaluate(layout) is True
    open_slide(page, live_server.url, 2, 1024, 768)
    assert page.evaluate(layout) is False


def test_fitting_stops_at_the_thresholds_instead_of_shrinking_code_to_nothing(live_server, page):
    """Seventy lines cannot fit: the code keeps 2.2% of the screen's height and scrolls."""
    make_layout_deck()
    for width, height in [(1920, 1080), (1024, 768)]:
        open_slide(page, live_server.url, 4, width, height)
        pre = page.locator(".is-current .sample-code pre")
        size = pre.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 0.022 * height
        assert page.evaluate(
            "() => document.querySelector('.is-current').classList.contains('code-scrolls')"
        )


def test_enlarge_never_covers_a_sample_title(live_server, page):
    make_layout_deck()
    for width, height in [(1920, 1080), (1024, 768)]:
        open_slide(page, live_server.url, 3, width, height)
        covered = page.evaluate(
            """() => [...document.querySelectorAll('.is-current .slide-sample')].some((sample) => {
                const b = sample.querySelector('.enlarge-button').getBoundingClientRect();
                const range = document.createRange();
                range.selectNodeContents(sample.querySelector('.sample-title'));
                return [...range.getClientRects()].some((t) =>
                    t.left < b.right && b.left < t.right && t.top < b.bottom && b.top < t.bottom);
            })"""
        )
        assert covered is False
