# ruff: noqa: F811 (the fixtures imported from test_live are the tests' arguments)
"""The event stream's own rules (timeline/live/stream.py): what a stream sends of each message,
its opening and farewell, and how long it lasts."""

import types
import warnings

import pytest
from django.utils import timezone

from timeline.live import channel
from timeline.live import stream as stream_module
from timeline.live.stream import RETRY_MS, Forwarder, farewell, thread_events
from timeline.models import LiveSession

from .test_live import deck_era, live, live_settings  # noqa: F401

pytestmark = pytest.mark.django_db


def state(seq, **data):
    return {"code": "abc", "event": "state", "seq": seq, "data": {"slide": 1, **data}}


def test_only_newer_states_go_out_each_with_its_number():
    forwarder = Forwarder(seq=3)
    assert forwarder.render(state(3)) == b""  # the one the stream opened with
    assert forwarder.render(state(2)) == b""  # news that arrived late
    sent = forwarder.render(state(4, slide=2))
    assert sent == b'id: 4\nevent: state\ndata: {"slide": 2}\n\n'
    assert forwarder.render(state(4, slide=3)) == b""


def test_a_run_goes_out_with_the_number_of_the_last_state_sent():
    forwarder = Forwarder(seq=3)
    forwarder.render(state(5))
    run = {"code": "abc", "event": "run", "seq": 1, "data": {"sample": 7}}
    assert forwarder.render(run) == b'id: 5\nevent: run\ndata: {"sample": 7}\n\n'


@pytest.mark.parametrize(
    "message",
    [
        {"code": "abc", "event": "state", "seq": "9", "data": {}},
        {"code": "abc", "event": "state", "seq": 9, "data": [1]},
        {"code": "abc", "event": "state", "seq": 9},
        {"code": "abc", "event": "run", "data": {}},
        {"code": "abc", "event": "other", "seq": 9, "data": {}},
    ],
)
def test_a_malformed_or_unknown_message_sends_nothing_and_ends_nothing(message):
    forwarder = Forwarder(seq=3)
    assert forwarder.render(message) == b""
    assert not forwarder.done and forwarder.seq == 3


def test_the_ended_state_is_the_last_sent():
    forwarder = Forwarder(seq=0)
    assert b"event: state" in forwarder.render(state(1, ended=False))
    assert not forwarder.done
    assert b'"ended": true' in forwarder.render(state(2, ended=True))
    assert forwarder.done
    assert forwarder.render(state(3)) == b""
    assert forwarder.render({"code": "abc", "event": "run", "seq": 3, "data": {}}) == b""


def test_a_stream_opens_with_the_browsers_retry_and_the_state(live):
    session, _, _ = live
    events = thread_events(session.code)
    first = next(events)
    events.close()
    assert first.startswith(f"retry: {RETRY_MS}\nid: 0\nevent: state\n".encode())


def test_farewells_spread_the_reconnections_over_a_quarter_to_all_of_retry():
    delays = []
    for _ in range(400):
        with warnings.catch_warnings():
            # randint given a float (RETRY_MS / 4) only warns on Python 3.11; 3.12 refuses it.
            warnings.simplefilter("error")
            text = farewell().decode()
        assert text.endswith("\nevent: bye\ndata: {}\n\n")
        delays.append(int(text.split("\n", 1)[0].removeprefix("retry: ")))
    assert RETRY_MS // 4 <= min(delays) < RETRY_MS // 4 + 100
    assert RETRY_MS - 100 < max(delays) <= RETRY_MS


@pytest.fixture
def clocked(live, monkeypatch):
    """A stream on the session, on a clock the test moves; past its state and first keep-alive
    (its half hour starts once the state is sent)."""
    session, _, _ = live
    clock = [1000.0]
    monkeypatch.setattr(stream_module, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(stream_module, "KEEPALIVE_SECONDS", 0.01)

    def started():
        events = thread_events(session.code)
        next(events)
        assert next(events) == b": keep-alive\n\n"
        return events

    return clock, started


def test_a_stream_ends_after_half_an_hour_and_not_before(clocked, settings):
    del settings.LIVE_STREAM_SECONDS
    clock, started = clocked
    events = started()
    clock[0] += 30 * 60 - 1
    assert next(events) == b": keep-alive\n\n"
    clock[0] += 2
    with pytest.raises(StopIteration):
        next(events)


def test_a_stream_can_be_made_to_last_less(clocked, settings):
    settings.LIVE_STREAM_SECONDS = 5
    clock, started = clocked
    events = started()
    clock[0] += 5  # its time is up at the deadline itself
    with pytest.raises(StopIteration):
        next(events)


def test_a_stream_of_an_unknown_or_ended_session_sends_nothing(live):
    """The view refuses both first; a session ended in between still opens no stream."""
    session, _, _ = live
    assert list(thread_events("nosuchcode0")) == []
    LiveSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())
    assert list(thread_events(session.code)) == []
    assert channel.hub().listening() == 0
