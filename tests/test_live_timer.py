"""The talk's one timer, held by its live session: started and paused by the speaker view or
the remote (the control key), shown alike by both, from the state the server publishes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from timeline.live.state import elapsed_ms
from timeline.live.stream import thread_events
from timeline.models import LiveSession

from .test_live import control, deck_era, live, live_settings, read_events  # noqa: F401

pytestmark = pytest.mark.django_db

TIMER = "timeline:live-timer"


@pytest.fixture
def talk(live):  # noqa: F811 (the fixture of that name)
    """A live session just started: its timer at 0:00, not running."""
    return live


def press(client, session, key, action):
    return control(client, session, key, {"action": action}, TIMER)


def back_dated(session, seconds):
    """The running timer as if started `seconds` ago (no sleeping in tests)."""
    LiveSession.objects.filter(pk=session.pk).update(
        timer_started_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_start_pause_resume_and_reset_are_the_sessions_state(client, talk):
    session, key, _ = talk
    response = press(client, session, key, "start")
    assert response.status_code == 200
    assert response.json()["timer"]["running"] is True
    assert response.json()["seq"] == 1
    back_dated(session, 65)
    # Any device asking now (the remote, a reload) is told the same time.
    state = client.get(f"/live/{session.code}/state/").json()
    assert state["timer"]["running"] is True
    assert 65_000 <= state["timer"]["elapsed_ms"] < 70_000
    paused = press(client, session, key, "pause").json()["timer"]
    assert paused["running"] is False and 65_000 <= paused["elapsed_ms"] < 70_000
    # Paused, it stands still.
    assert client.get(f"/live/{session.code}/state/").json()["timer"] == paused
    press(client, session, key, "start")
    back_dated(session, 5)
    resumed = client.get(f"/live/{session.code}/state/").json()["timer"]
    assert paused["elapsed_ms"] + 5_000 <= resumed["elapsed_ms"] < paused["elapsed_ms"] + 10_000
    reset = press(client, session, key, "reset").json()
    assert reset["timer"] == {"running": False, "elapsed_ms": 0}


def test_start_twice_starts_once(client, talk):
    """Two devices pressing start together: the second changes nothing and announces nothing."""
    session, key, _ = talk
    press(client, session, key, "start")
    back_dated(session, 30)
    again = press(client, session, key, "start").json()
    assert again["seq"] == 1
    assert again["timer"]["elapsed_ms"] >= 30_000


def test_the_timer_is_not_a_move_so_a_move_based_on_before_it_stands(client, talk):
    """The phone moves from the state it saw before the laptop started the timer: not stale."""
    session, key, _ = talk
    press(client, session, key, "start")
    response = control(client, session, key, {"seq": 0, "slide": 2})
    assert response.status_code == 200
    assert response.json()["slide"] == 2
    assert response.json()["timer"]["running"] is True


@pytest.mark.parametrize("body", [{"action": "toggle"}, {"action": 1}, {}, {"action": ["start"]}])
def test_only_the_three_actions_are_accepted(client, talk, body):
    session, key, _ = talk
    response = control(client, session, key, body, TIMER)
    assert response.status_code == 400
    assert "start, pause, reset" in response.json()["error"]
    session.refresh_from_db()
    assert (session.seq, session.timer_started_at) == (0, None)


def test_an_ended_session_keeps_its_timer_still(client, talk):
    session, key, _ = talk
    control(client, session, key, {}, "timeline:live-end")
    assert press(client, session, key, "start").status_code == 410
    session.refresh_from_db()
    assert session.timer_started_at is None


@pytest.mark.django_db(transaction=True)
def test_a_device_connecting_later_is_told_the_time_so_far(client, talk):
    """The stream's first event carries the elapsed time at the moment it opens."""
    session, key, _ = talk
    press(client, session, key, "start")
    back_dated(session, 125)
    [(name, seq, data)] = read_events(next(thread_events(session.code)))
    assert (name, seq, data["timer"]["running"]) == ("state", 1, True)
    assert 125_000 <= data["timer"]["elapsed_ms"] < 130_000


def test_a_timer_read_at_its_start_or_before_it_adds_nothing_to_what_was_banked():
    started = timezone.now()
    session = LiveSession(timer_banked_ms=1500, timer_started_at=started)
    assert elapsed_ms(session, now=started) == 1500
    assert elapsed_ms(session, now=started - timedelta(seconds=2)) == 1500  # a clock stepped back
    assert elapsed_ms(session, now=started + timedelta(seconds=10, milliseconds=250)) == 11750
