"""Build steps: a line range on the slide, highlight steps and bullets that → walks through."""

import pytest

from ..factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "".join(f"line_{n} = {n}\n" for n in range(1, 11))  # ten lines, line_1 … line_10


def make_steps_deck():
    """WSGI: title (1), a slide with 3 bullets and stepped code (2), a plain slide (3)."""
    era = make_era(slug="wsgi", title="WSGI", year=2003, kind="interface", summary="A callable.")
    slide = make_slide(
        era, order=1, title="Built in steps", body="- first\n- second\n- third", fragments=True
    )
    make_sample(
        era, slide=slide, title="Ten lines", code=CODE, slide_lines="3-8", slide_steps="3-4|6-8|all"
    )
    make_slide(era, order=2, title="Afterwards", body="The end.")


def state(page):
    """What the audience sees: slide number, revealed bullets, lit and shown code lines."""
    return page.evaluate(
        """() => {
            const slide = document.querySelector('.deck-slide.is-current');
            const lines = [...slide.querySelectorAll('.sample-code .line')];
            return {
                slide: Number(slide.dataset.number),
                bullets: [...slide.querySelectorAll('.slide-body li')]
                    .filter((li) => getComputedStyle(li).visibility === 'visible').length,
                lit: lines.filter((l) => !l.classList.contains('dim'))
                    .map((l) => l.textContent.trim()),
                shown: lines.length,
            };
        }"""
    )


def lit(*numbers):
    return [f"line_{n} = {n}" for n in numbers]


def open_deck(page, url, hash_):
    page.goto(f"{url}/present/{hash_}")
    page.wait_for_function("() => document.querySelector('.deck-slide.is-current') !== null")


def test_right_arrow_walks_bullets_then_highlights_then_the_next_slide(live_server, page):
    make_steps_deck()
    open_deck(page, live_server.url, "#/2")
    # #/N opens the slide at step 0: no bullet yet, lines 3-4 lit, only lines 3-8 shown.
    assert state(page) == {"slide": 2, "bullets": 0, "lit": lit(3, 4), "shown": 6}
    expected = [
        (2, 1, lit(3, 4)),
        (2, 2, lit(3, 4)),
        (2, 3, lit(3, 4)),
        (2, 3, lit(6, 7, 8)),
        (2, 3, lit(3, 4, 5, 6, 7, 8)),
    ]
    for slide, bullets, lines in expected:
        page.keyboard.press("ArrowRight")
        now = state(page)
        assert (now["slide"], now["bullets"], now["lit"]) == (slide, bullets, lines)
    page.keyboard.press("ArrowRight")
    assert state(page)["slide"] == 3
    # Back from the next slide lands on the last step; back again takes one step back.
    page.keyboard.press("ArrowLeft")
    assert state(page) == {"slide": 2, "bullets": 3, "lit": lit(3, 4, 5, 6, 7, 8), "shown": 6}
    page.keyboard.press("ArrowLeft")
    assert state(page)["lit"] == lit(6, 7, 8)
    # Opening the address again starts the slide over.
    page.goto(f"{live_server.url}/present/#/3")
    page.goto(f"{live_server.url}/present/#/2")
    page.wait_for_function(
        "() => document.querySelector('.deck-slide.is-current')?.dataset.number === '2'"
    )
    assert state(page) == {"slide": 2, "bullets": 0, "lit": lit(3, 4), "shown": 6}


def test_print_and_the_era_page_show_the_whole_code_and_every_bullet(live_server, page):
    make_steps_deck()
    page.goto(f"{live_server.url}/present/print/")
    page.wait_for_selector("html[data-fitted]", state="attached")
    # Paper cannot step: the slide's own sheet shows every bullet and the whole code, nothing
    # dimmed, and the next sheet is the next slide (page N is slide N).
    assert page.locator(".print-sheet").count() == 3
    sheet = page.locator(".print-sheet").nth(1)
    code = sheet.locator(".sample-code pre").inner_text()
    assert "line_1 = 1" in code and "line_10 = 10" in code
    assert sheet.locator(".slide-body li").evaluate_all(
        "items => items.every((li) => getComputedStyle(li).visibility === 'visible')"
    )
    assert sheet.locator(".line.dim").count() == 0
    assert "Afterwards" in page.locator(".print-sheet").nth(2).inner_text()
    page.goto(f"{live_server.url}/eras/wsgi/")
    code = page.locator(".sample-code pre").first.inner_text()
    assert "line_1 = 1" in code and "line_10 = 10" in code


def test_speaker_view_shows_the_step_and_what_comes_next_and_steers_the_deck(live_server, context):
    make_steps_deck()
    audience = context.new_page()
    open_deck(audience, live_server.url, "#/2")
    speaker = context.new_page()
    speaker.goto(f"{live_server.url}/present/speaker/#/2")
    step = speaker.locator("[data-step-counter]")
    coming = speaker.locator("[data-next-step]")
    # Steps as the server numbers them (and the remote says): 0 is the slide as it opens.
    assert step.inner_text() == "Step 0 of 5"
    assert coming.inner_text() == "Next step: bullet “first”"
    for _ in range(3):
        speaker.keyboard.press("ArrowRight")
    assert step.inner_text() == "Step 3 of 5"
    assert coming.inner_text() == "Next step: lines 6-8 of “Ten lines”"
    audience.wait_for_function("() => document.getElementById('deck').dataset.step === '3/5'")
    assert state(audience)["bullets"] == 3
    # The audience's → moves the speaker view too.
    audience.keyboard.press("ArrowRight")
    speaker.wait_for_function(
        "() => document.querySelector('[data-step-counter]').textContent === 'Step 4 of 5'"
    )
    audience.keyboard.press("ArrowRight")
    audience.keyboard.press("ArrowRight")
    speaker.wait_for_function("() => document.querySelector('[data-current]').textContent === '3'")
    assert step.is_hidden()  # a slide without steps
