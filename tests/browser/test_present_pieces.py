"""A deck longer than its first view: deep links, paging on, the overview and the speaker view
load the slides they need from the server, and the presenter's window then holds every one."""

import re

import pytest
from playwright.sync_api import expect

from timeline.deck_pieces import CHUNK_SIZE
from timeline.models import CodeSample

from ..factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = None  # a directory to keep screenshots in while working on the deck's look


def make_long_deck(eras=4, slides=7):
    """`eras` eras of a title slide and `slides` slides each (era e's point s is slide
    8e + 1 + s), point 2 with a sample in two highlight steps."""
    for e in range(eras):
        era = make_era(slug=f"era-{e}", title=f"Era {e}", year=1990 + e, summary=f"Summary {e}.")
        for s in range(1, slides + 1):
            slide = make_slide(era, order=s, title=f"Era {e} point {s}", notes=f"Notes {e}.{s}")
            if s == 2:
                code = "def app(environ):\n    return environ\n"
                make_sample(era, slide=slide, title=f"Code {e}", code=code, slide_steps="1|2")
    return eras * (slides + 1)


def current(page):
    slide = page.locator(".stage .deck-slide.is-current")
    return int(slide.get_attribute("data-number")), slide


def test_a_deep_link_past_the_first_view_shows_that_slide_whole(live_server, page):
    count = make_long_deck()
    page.goto(f"{live_server.url}/present/#/19")
    expect(
        page.locator(".stage .deck-slide.is-current:not(.is-pending) .sample-code")
    ).to_be_visible()
    number, slide = current(page)
    assert number == 19 and "Era 2 point 2" in slide.inner_text()
    assert page.locator("[data-current]").inner_text() == "19"
    assert page.locator(".stage > .deck-slide").count() == count
    assert page.locator(".stage .deck-slide:visible").count() == 1
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/deep-link-{page.viewport_size['width']}.png")


def test_a_sample_on_a_slide_past_the_first_view_runs(live_server, page, sandbox):
    """Its Run, Edit and Share come with it: the slides of a later part are enhanced as the
    first view's are."""
    make_long_deck()
    CodeSample.objects.filter(title="Code 2").update(runtime="python")  # slide 19, part 3
    page.goto(f"{live_server.url}/present/#/19")
    slide = page.locator(".stage .deck-slide.is-current:not(.is-pending)")
    expect(slide.get_by_role("button", name="Edit")).to_be_visible()
    slide.get_by_role("button", name="Run").click()
    expect(page.locator(".run-panel .run-panel-body")).to_be_visible(timeout=20_000)


def test_paging_on_past_the_first_view_walks_the_steps_of_each_slide(live_server, page):
    make_long_deck()
    page.goto(f"{live_server.url}/present/")
    expect(page.locator(".stage .deck-slide.is-current")).to_have_attribute("data-number", "1")
    seen = []
    for _ in range(CHUNK_SIZE + 5):  # slides 3 and 11 take two presses each
        page.keyboard.press("ArrowRight")
        seen.append(page.locator(".stage .deck-slide.is-current").get_attribute("data-number"))
    # Slide 11 (era 1's point 2) has two highlight steps: → shows the second before slide 12.
    assert seen[-3:] == ["11", "11", "12"]
    number, slide = current(page)
    assert "is-pending" not in slide.get_attribute("class")
    assert "Era 1 point 3" in slide.inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/paged-{page.viewport_size['width']}.png")


def test_the_overview_lists_every_slide_and_jumps_to_one_not_yet_loaded(live_server, page):
    count = make_long_deck()
    page.goto(f"{live_server.url}/present/")
    page.wait_for_selector(".deck-slide.is-current")
    page.keyboard.press("o")
    overview = page.locator("#overview")
    expect(overview).to_be_visible()
    assert overview.locator("[data-goto]").count() == count
    overview.get_by_role("link", name=re.compile("Era 3 point 6")).click()
    expect(overview).to_be_hidden()
    expect(page.locator(".stage .deck-slide.is-current:not(.is-pending)")).to_contain_text(
        "Era 3 point 6"
    )
    assert current(page)[0] == 31


def test_the_presenters_window_soon_holds_every_slide(live_server, page):
    make_long_deck()
    page.goto(f"{live_server.url}/present/")
    expect(page.locator(".stage > .deck-slide.is-pending")).to_have_count(0, timeout=15000)


def test_the_speaker_view_deep_linked_shows_that_slide_its_notes_and_the_next(live_server, page):
    make_long_deck()
    page.goto(f"{live_server.url}/present/speaker/#/19")
    notes = page.locator("[data-pane='notes']")
    expect(notes).to_contain_text("Notes 2.2")
    now = page.locator("[data-pane='current'] .deck-slide")
    assert now.get_attribute("data-number") == "19" and "is-pending" not in now.get_attribute(
        "class"
    )
    expect(page.locator("[data-pane='next'] .deck-slide:not(.is-pending)")).to_contain_text(
        "Era 2 point 3"
    )
    page.keyboard.press("ArrowRight")  # slide 19 has two steps
    page.keyboard.press("ArrowRight")
    expect(notes).to_contain_text("Notes 2.3")


def test_back_onto_a_slide_still_on_its_way_lands_on_its_last_step(live_server, page):
    """← from slide 17 onto slide 16, whose part has not come yet: once it comes, the slide
    shows every build (its count is the server's, sent with the slide)."""
    era = make_era(slug="long", title="Long", year=2000)
    for s in range(1, 17):
        body = "- one\n- two" if s == 15 else "A point."
        make_slide(era, order=s, title=f"Point {s}", body=body, fragments=s == 15)
    held = []
    part = re.compile(r"/present/slides/2/$")

    def hold(route):
        held.append(route)

    page.route(part, hold)
    page.goto(f"{live_server.url}/present/#/17")
    expect(page.locator(".stage .deck-slide.is-current:not(.is-pending)")).to_have_attribute(
        "data-number", "17"
    )
    page.keyboard.press("ArrowLeft")
    number, slide = current(page)
    assert number == 16 and "is-pending" in slide.get_attribute("class")
    assert held  # the part was asked for, and is held back
    page.unroute(part, hold)  # lets the held requests go on
    page.wait_for_function("() => document.getElementById('deck').dataset.step === '2/2'")
    number, slide = current(page)
    assert number == 16 and slide.locator("li.revealed").count() == 2
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.getElementById('deck').dataset.step === '1/2'")
