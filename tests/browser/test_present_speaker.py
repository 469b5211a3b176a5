"""The speaker view: follows the audience window and leads it, notes, timer, time budget."""

import re

import pytest
from playwright.sync_api import expect

from .decks import make_deck, make_deck_talk

pytestmark = pytest.mark.django_db(transaction=True)


def shown(page, selector=".stage .deck-slide.is-current"):
    return int(page.locator(selector).get_attribute("data-number"))


def speaker_slide(page):
    return int(page.locator("[data-pane='current'] .deck-slide").get_attribute("data-number"))


def wait_for_counter(page, n):
    page.wait_for_function(
        f"document.querySelector('[data-current]').textContent === '{n}'", timeout=5000
    )


def open_both(context, live_server):
    """The audience deck and the speaker view of the full deck, in one browser."""
    audience = context.new_page()
    audience.goto(f"{live_server.url}/present/")
    audience.wait_for_selector(".deck-slide.is-current")
    speaker = context.new_page()
    speaker.goto(f"{live_server.url}/present/speaker/")
    speaker.wait_for_selector("[data-pane='current'] .deck-slide")
    return audience, speaker


# Records window.open's arguments, then opens as asked.
SPY_ON_OPEN = """() => {
    const open = window.open;
    window.opened = [];
    window.open = (...args) => {
        window.opened.push(args.map(String));
        return open.apply(window, args);
    };
}"""


def test_s_opens_the_speaker_view_in_a_window_of_its_own_on_the_same_slide(live_server, context):
    """A window, not a tab of the projected one: a tab would put the notes on the projector."""
    make_deck()
    audience = context.new_page()
    audience.goto(f"{live_server.url}/present/#/3")
    audience.wait_for_selector(".deck-slide.is-current")
    audience.evaluate(SPY_ON_OPEN)
    with context.expect_page() as new_page:  # the context's "page" event: the popup
        audience.keyboard.press("s")
    speaker = new_page.value
    speaker.wait_for_selector("[data-pane='current'] .deck-slide")
    assert speaker.url == f"{live_server.url}/present/speaker/#/3"
    assert speaker_slide(speaker) == 3
    [[url, name, features]] = audience.evaluate("window.opened")
    assert url.endswith("/present/speaker/#/3") and name == "historyweb-speaker"
    assert "popup" in features and "width=" in features and "height=" in features
    assert speaker.evaluate("window.toolbar.visible") is False  # a popup window, not a tab


def test_speaker_and_audience_follow_each_other(live_server, context):
    """Two windows on one deck: each follows the other, both ways, through BroadcastChannel."""
    make_deck()
    audience, speaker = open_both(context, live_server)

    audience.keyboard.press("ArrowRight")
    wait_for_counter(speaker, 2)
    assert speaker_slide(speaker) == 2
    assert "NCSA HTTPd" in speaker.locator("[data-pane='notes']").inner_text()
    assert speaker.locator("[data-pane='next'] h2").inner_text() == "A CGI script"
    assert speaker.evaluate("location.hash") == "#/2"

    speaker.keyboard.press("ArrowRight")
    speaker.keyboard.press("ArrowRight")
    wait_for_counter(audience, 4)
    assert shown(audience) == 4
    assert audience.evaluate("location.hash") == "#/4"
    assert speaker.locator("[data-pane='next'] h2").inner_text() == "A long application"

    speaker.keyboard.type("6")
    speaker.keyboard.press("Enter")
    wait_for_counter(audience, 6)
    assert speaker.locator("[data-end]").is_visible()  # nothing after the last slide
    assert speaker.locator("[data-pane='next'] .deck-slide").count() == 0


def test_typed_numbers_and_the_theme_note_show_in_the_speaker_view_not_on_the_projector(
    live_server, context
):
    """The audience window says nothing of the keys pressed in it: the slide number being
    typed and "Dark theme" show in the speaker view; the projector stays the slide."""
    make_deck()
    audience, speaker = open_both(context, live_server)

    audience.bring_to_front()
    audience.keyboard.type("5")
    expect(speaker.locator(".jump")).to_have_text("Go to slide 5, then Enter")
    assert audience.locator(".jump").is_hidden()
    audience.keyboard.press("Enter")
    wait_for_counter(speaker, 5)
    expect(speaker.locator(".jump")).to_be_hidden()

    theme = audience.evaluate("document.documentElement.dataset.theme || ''")
    audience.keyboard.press("t")
    assert audience.evaluate("document.documentElement.dataset.theme") not in ("", theme)
    expect(speaker.locator(".toast")).to_have_text(re.compile(r"^(Dark|Light) theme$"))
    assert audience.locator(".toast").is_hidden()

    # Typed in the speaker view, the number shows there, and still not on the projector.
    speaker.bring_to_front()
    speaker.keyboard.type("3")
    expect(speaker.locator(".jump")).to_have_text("Go to slide 3, then Enter")
    assert audience.locator(".jump").is_hidden()


def test_a_speaker_view_opened_without_an_address_joins_the_audience(live_server, context):
    make_deck()
    audience = context.new_page()
    audience.goto(f"{live_server.url}/present/#/5")
    audience.wait_for_selector(".deck-slide.is-current")
    speaker = context.new_page()
    speaker.goto(f"{live_server.url}/present/speaker/")
    wait_for_counter(speaker, 5)


def test_bad_messages_are_ignored(live_server, context):
    """Only {type: 'goto', slide: whole number in range} moves a window; nothing becomes HTML."""
    make_deck()
    audience = context.new_page()
    audience.goto(f"{live_server.url}/present/#/2")
    audience.wait_for_selector(".deck-slide.is-current")
    intruder = context.new_page()
    intruder.goto(f"{live_server.url}/present/print/")
    intruder.evaluate(
        """() => {
        const channel = new BroadcastChannel('historyweb-deck:/present/');
        for (const message of [
            {type: 'goto', slide: 99}, {type: 'goto', slide: 0}, {type: 'goto', slide: '3'},
            {type: 'goto', slide: 2.5},
            {type: 'html', slide: 3, html: '<img src=x onerror=boom()>'},
            '<b>3</b>', null, 3,
        ]) channel.postMessage(message);
        channel.postMessage({type: 'goto', slide: 4});
    }"""
    )
    wait_for_counter(audience, 4)
    assert audience.locator("img:not(#live-panel .qr)").count() == 0
    # A different deck's channel does not move this one.
    intruder.evaluate(
        "new BroadcastChannel('historyweb-deck:/present/wsgi/').postMessage({type:'goto',slide:1})"
    )
    audience.wait_for_timeout(300)
    assert shown(audience) == 4


def test_timer_starts_pauses_resets_and_clock_shows(live_server, page):
    make_deck()
    page.clock.install()
    page.goto(f"{live_server.url}/present/speaker/")
    page.wait_for_selector("[data-pane='current'] .deck-slide")
    elapsed = page.locator("[data-elapsed]")
    assert elapsed.inner_text() == "0:00"
    assert page.locator("[data-clock]").inner_text() != "--:--"
    page.get_by_role("button", name="Start").click()
    page.clock.run_for(65_500)
    assert elapsed.inner_text() == "1:05"
    page.get_by_role("button", name="Pause").click()
    page.clock.run_for(30_000)
    assert elapsed.inner_text() == "1:05"
    page.reload()  # a reload mid-talk keeps the time
    page.wait_for_selector("[data-pane='current'] .deck-slide")
    assert elapsed.inner_text() == "1:05"
    page.get_by_role("button", name="Resume").click()
    page.clock.run_for(5_000)
    assert elapsed.inner_text() == "1:10"
    page.get_by_role("button", name="Reset").click()
    assert elapsed.inner_text() == "0:00"


def test_talk_speaker_view_shows_the_time_budget_per_era(live_server, page):
    """Six minutes over six slides, three per era: three minutes each, against elapsed time."""
    make_deck_talk()
    page.clock.install()
    page.goto(f"{live_server.url}/talks/short/present/speaker/#/4")
    page.wait_for_selector("[data-pane='current'] .deck-slide")
    rows = page.locator(".budget tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().split("\t") == ["CGI", "1–3", "3:00", "3:00"]
    assert rows.nth(1).inner_text().split("\t") == ["WSGI", "4–6", "3:00", "6:00"]
    assert rows.nth(1).get_attribute("aria-current") == "true"
    pace = page.locator("[data-pace]")
    assert pace.inner_text() == "Plan for this slide: 3:00 · start the timer"
    page.get_by_role("button", name="Start").click()
    page.clock.run_for(240_000)
    assert pace.inner_text() == "Plan for this slide: 3:00 · 1:00 behind"
    page.keyboard.press("End")
    page.clock.run_for(2_000)
    assert pace.inner_text() == "Plan for this slide: 5:00 · 0:58 ahead"


def test_a_talk_shows_its_own_notes_and_plans_longer_for_a_run(live_server, page):
    """The talk's note replaces the slide's in its speaker view; a slide with a runnable
    sample gets two slides' time in the plan."""
    from timeline.models import Slide, TalkNote

    talk = make_deck_talk()
    slide = Slide.objects.get(title="A wide line")
    TalkNote.objects.create(talk=talk, slide=slide, notes="Transition: **end** of this cut.")
    run = Slide.objects.get(title="A CGI script").samples.get()
    run.runtime = "python"
    run.save()
    page.goto(f"{live_server.url}/talks/short/present/speaker/#/6")
    notes = page.locator("[data-pane='notes']")
    notes.wait_for()
    assert "Transition: end of this cut." in notes.inner_text()
    assert "Long notes." not in notes.inner_text()
    assert notes.locator("strong").inner_text() == "end"
    # 6 minutes over weights 1, 1, 2 (the run), 1, 1, 1: a minute is 7 units of 360 s.
    rows = page.locator(".budget tbody tr")
    assert rows.nth(0).inner_text().split("\t") == ["CGI", "1–3", "3:26", "3:26"]
    pace = page.locator("[data-pace]")
    assert pace.inner_text() == "Plan for this slide: 5:09 · start the timer"
    page.goto(f"{live_server.url}/present/speaker/#/6")  # the full deck keeps the slide's notes
    page.reload()
    assert "Long notes." in page.locator("[data-pane='notes']").inner_text()


def test_the_speaker_views_keys_and_overlays_are_the_decks(live_server, context):
    """Home, End, PageDown, ←, O, ? and T work as in the audience deck; S opens nothing (the
    speaker view is already open) and L is left alone (only the audience deck goes live)."""
    make_deck()
    speaker = context.new_page()
    speaker.goto(f"{live_server.url}/present/speaker/#/2")
    speaker.wait_for_selector("[data-pane='current'] .deck-slide")
    for key, n in [("End", 6), ("Home", 1), ("PageDown", 2), ("ArrowLeft", 1)]:
        speaker.keyboard.press(key)
        wait_for_counter(speaker, n)

    speaker.keyboard.press("o")
    overview = speaker.locator("#overview")
    assert overview.is_visible()
    assert speaker.evaluate("document.activeElement.dataset.goto") == "1"
    speaker.keyboard.press("ArrowRight")
    speaker.keyboard.press("Enter")
    assert overview.is_hidden()
    wait_for_counter(speaker, 2)
    assert speaker_slide(speaker) == 2

    speaker.keyboard.press("?")
    help_dialog = speaker.locator("#help")
    assert help_dialog.is_visible()
    speaker.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    speaker.get_by_role("button", name="Keyboard help").click()
    assert help_dialog.is_visible()
    speaker.keyboard.press("Escape")

    theme = speaker.evaluate("document.documentElement.dataset.theme || ''")
    speaker.keyboard.press("t")
    assert speaker.evaluate("document.documentElement.dataset.theme") not in ("", theme)

    speaker.evaluate(
        "window.claimed = {};"
        "document.addEventListener('keydown', e => window.claimed[e.key] = e.defaultPrevented);"
    )
    speaker.keyboard.press("s")
    speaker.keyboard.press("l")
    # L goes live from here too: the panel (where the remote's code would show) opens, and
    # with no audience window in this browser to hold the session, it says so.
    assert speaker.evaluate("window.claimed") == {"s": True, "l": True}
    speaker.get_by_text("No audience window answered").wait_for()
    speaker.keyboard.press("Escape")
    expect(speaker.locator("#live-panel")).to_be_hidden()
    assert context.pages == [speaker]
    assert speaker_slide(speaker) == 2


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720), (1024, 768), (1920, 1080)])
def test_the_speaker_view_fits_a_laptop_screen_without_scrolling(live_server, page, size):
    """Long notes and the time budget stay on the screen: they scroll inside their own boxes,
    the bar is one line (the ? does not wrap), and the current era's row is in view."""
    from timeline.models import Slide

    make_deck_talk()
    long_notes = "\n\n".join(
        f"Paragraph {n}: " + "a sentence of the notes. " * 12 for n in range(12)
    )
    slide = Slide.objects.get(title="A wide line")
    slide.notes = long_notes
    slide.save()
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/talks/short/present/speaker/#/6")
    page.locator("[data-pane='notes']").get_by_text("Paragraph 11").wait_for(state="attached")
    rects = page.evaluate(
        """() => {
        const rect = (s) => document.querySelector(s).getBoundingClientRect().toJSON();
        const notes = document.querySelector('.notes-body');
        return {
            scroll: document.documentElement.scrollHeight, inner: innerHeight,
            wide: document.documentElement.scrollWidth, across: innerWidth,
            counter: rect('.speaker-counter'), help: rect("[data-action='help']"),
            notes: rect('.notes-body'), current: rect('.speaker-current .pane-stage'),
            row: rect('.budget tr[aria-current]'), budget: rect('.speaker-budget'),
            notesScroll: notes.scrollHeight > notes.clientHeight,
        };
    }"""
    )
    assert rects["scroll"] <= rects["inner"] and rects["wide"] <= rects["across"]
    assert rects["notesScroll"]  # the notes are longer than their box: it scrolls, not the page
    assert rects["notes"]["bottom"] <= height
    assert abs(rects["help"]["top"] - rects["counter"]["top"]) < rects["counter"]["height"]
    assert rects["help"]["right"] <= width
    assert rects["current"]["bottom"] < rects["budget"]["top"]
    assert rects["budget"]["top"] <= rects["row"]["top"] and rects["row"]["bottom"] <= height
    # The slide keeps its 16:9 shape.
    assert abs(rects["current"]["width"] / rects["current"]["height"] - 16 / 9) < 0.02
