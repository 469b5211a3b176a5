"""The talk's one timer, in a real browser: started from the speaker view's keyboard, the
phone remote (a browser context of its own) shows the same time, and pausing on the phone
stops the speaker view's too. Without a session the speaker view's timer is its own
(test_present_speaker.py)."""

import pytest
from playwright.sync_api import expect

from .decks import make_deck
from .test_live import open_live, pages, start_live, wait_for_slide  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def seconds(page):
    minutes, secs = page.locator("[data-elapsed]").inner_text().split(":")
    return int(minutes) * 60 + int(secs)


def test_the_speaker_view_and_the_remote_show_one_timer(live_server, pages):  # noqa: F811
    make_deck()
    presenter = pages("presenter", viewport={"width": 1920, "height": 1080})
    presenter.goto(f"{live_server.url}/present/")
    wait_for_slide(presenter, 1)
    speaker = start_live(presenter)
    remote_url = speaker.locator("a[data-live-remote]").get_attribute("href")
    presenter.keyboard.press("Escape")
    remote = pages("remote", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    remote.goto(remote_url)
    remote.get_by_text("Connected").wait_for()

    speaker.bring_to_front()
    speaker.keyboard.press("Escape")  # the live panel
    expect(speaker.locator("#live-panel")).to_be_hidden()
    speaker.keyboard.press("c")
    expect(speaker.get_by_role("button", name="Pause")).to_be_visible()
    remote.wait_for_selector("[data-timer].is-running")
    remote.wait_for_timeout(2300)
    on_speaker, on_remote = seconds(speaker), seconds(remote)
    assert on_speaker >= 2
    assert abs(on_speaker - on_remote) <= 1  # each counts on from what the server said

    # Paused on the phone: the speaker view stops too, at the same time to the second.
    remote.locator("[data-timer]").click()
    expect(speaker.get_by_role("button", name="Resume")).to_be_visible()
    remote.wait_for_selector("[data-timer]:not(.is-running)")
    speaker.wait_for_timeout(600)
    assert seconds(speaker) == seconds(remote) >= 2
    # A reloaded remote shows the session's time, not a timer of its own.
    paused = seconds(remote)
    remote.reload()
    remote.get_by_text("Connected").wait_for()
    assert seconds(remote) == paused

    # Reset in the speaker view (its button): the phone is back at 0:00.
    speaker.get_by_role("button", name="Reset").click()
    expect(remote.locator("[data-elapsed]")).to_have_text("0:00")
