"""The speaker's pointer: only the control key moves it, positions are shares of the current
slide, nothing is stored or counted as a move, and streams carry only the latest position."""

import asyncio
import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from timeline.live import channel, pointer
from timeline.live.sessions import Closed
from timeline.live.stream import MAX_SENDERS, Forwarder, thread_events
from timeline.models import LiveSession

from .test_live import control, deck_era, live, live_settings  # noqa: F401

pytestmark = pytest.mark.django_db

POINTER = "timeline:live-pointer"


@pytest.fixture
def talk(live):  # noqa: F811 (the fixture of that name)
    return live


def point(client, session, key, body):
    return control(client, session, key, body, POINTER)


def test_the_control_key_points_and_nothing_is_stored_or_bumped(client, talk):
    session, key, _ = talk
    with CaptureQueriesContext(connection) as queries:
        response = point(client, session, key, {"slide": 1, "x": 0.25, "y": 1})
    assert response.status_code == 200
    assert response.json() == {"slide": 1, "x": 0.25, "y": 1.0}
    # One read (the key check), no write: pointing never touches the session's row.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]
    after = LiveSession.objects.get(pk=session.pk)
    assert (after.seq, after.moved_seq, after.touched_at) == (
        session.seq,
        session.moved_seq,
        session.touched_at,
    )
    # So a move based on the state before the pointer moved is not stale.
    assert control(client, session, key, {"seq": session.seq, "slide": 2}).status_code == 200


@pytest.mark.parametrize("key", [None, "", "wrong", "x" * 43])
def test_without_the_control_key_nobody_points(client, talk, key):
    session, _, _ = talk
    assert point(client, session, key, {"slide": 1, "x": 0.5, "y": 0.5}).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"slide": 1, "x": -0.01, "y": 0.5},
        {"slide": 1, "x": 0.5, "y": 1.0001},
        {"slide": 1, "x": True, "y": 0.5},
        {"slide": 1, "x": "0.5", "y": 0.5},
        {"slide": 1, "x": 0.5},
        {"slide": 1},
        {"slide": "1", "x": 0.5, "y": 0.5},
        {"slide": True, "x": 0.5, "y": 0.5},
        {"x": 0.5, "y": 0.5},
        {"slide": 1, "x": [0.5], "y": 0.5},
        {"slide": 1, "x": {"a": 1}, "y": 0.5},
        {"slide": 1, "hidden": False},
        {"slide": 1, "hidden": True, "x": 0.5, "y": 0.5},
        {"slide": 1, "x": 0.5, "y": 0.5, "color": "red"},
        [0.5, 0.5],
        {"slide": 1, "x": 0.5, "y": 0.5, "sender": "phone"},
        {"slide": 1, "x": 0.5, "y": 0.5, "n": 3},
        {"slide": 1, "x": 0.5, "y": 0.5, "sender": "a b", "n": 3},
        {"slide": 1, "x": 0.5, "y": 0.5, "sender": "x" * 17, "n": 3},
        {"slide": 1, "x": 0.5, "y": 0.5, "sender": "phone", "n": True},
        {"slide": 1, "x": 0.5, "y": 0.5, "sender": "phone", "n": -1},
        {"slide": 1, "x": 0.5, "y": 0.5, "sender": "phone", "n": 2**53},
    ],
)
def test_a_malformed_position_is_a_400(client, talk, body):
    session, key, _ = talk
    response = point(client, session, key, body)
    assert response.status_code == 400
    assert response.json()["error"]


COORDINATE = "“{}” must be a number from 0 to 1 (a share of the slide)."
WHERE = "Say where the pointer is: “x” and “y”, each from 0 to 1."
NO_N = "“n” must be the sender's count of its moves, a whole number."


@pytest.mark.parametrize(
    "body, error",
    [
        ({"slide": 1, "x": 1.5, "y": 0.5}, COORDINATE.format("x")),
        ({"slide": 1, "x": 0.5, "y": -1}, COORDINATE.format("y")),
        ({"slide": 1, "x": 0.5}, WHERE),
        ({"slide": 1, "y": 0.5}, WHERE),
        ({"slide": "1", "x": 0.5, "y": 0.5}, "“slide” must be the number of the slide pointed at."),
        (
            {"slide": 1, "hidden": False},
            "“hidden” must be true (the pointer leaves the slide) or absent.",
        ),
        ({"slide": 1, "hidden": True, "x": 0.5}, "A hidden pointer has no “x” or “y”."),
        ({"slide": 1, "hidden": True, "y": 0.5}, "A hidden pointer has no “x” or “y”."),
        (
            {"slide": 1, "x": 0.5, "y": 0.5, "sender": "a b", "n": 3},
            "“sender” must be 1 to 16 letters, digits, - or _.",
        ),
        ({"slide": 1, "x": 0.5, "y": 0.5, "sender": "phone", "n": -1}, NO_N),
    ],
)
def test_a_malformed_position_says_which_field_and_what_it_must_be(client, talk, body, error):
    session, key, _ = talk
    assert point(client, session, key, body).json() == {"error": error}


def test_the_edges_of_the_slide_and_a_first_move_are_positions(client, talk):
    session, key, _ = talk
    body = {"slide": 1, "x": 0, "y": 1, "sender": "phone", "n": 0}
    assert point(client, session, key, body).json() == {**body, "x": 0.0, "y": 1.0}


def test_a_position_is_kept_to_four_decimals(client, talk):
    session, key, _ = talk
    response = point(client, session, key, {"slide": 1, "x": 0.123456, "y": 0.5}).json()
    assert response == {"slide": 1, "x": 0.1235, "y": 0.5}


@pytest.mark.parametrize("raw", ["1e999", "NaN", "Infinity", "-Infinity"])
def test_numbers_that_are_not_finite_are_a_400(client, talk, raw):
    session, key, _ = talk
    response = client.post(
        f"/live/{session.code}/pointer/",
        f'{{"slide": 1, "x": {raw}, "y": 0.5}}',
        content_type="application/json",
        headers={"X-Live-Key": key},
    )
    assert response.status_code == 400


def test_a_pointer_on_a_slide_the_deck_has_left_is_not_shown(client, talk):
    session, key, _ = talk
    control(client, session, key, {"slide": 2})
    response = point(client, session, key, {"slide": 1, "x": 0.5, "y": 0.5})
    assert response.status_code == 409
    assert response.json() == {"error": "Not shown: the deck is on slide 2, not 1."}
    assert point(client, session, key, {"slide": 2, "hidden": True}).json() == {
        "slide": 2,
        "hidden": True,
    }


def test_an_ended_session_has_no_pointer(client, talk):
    session, key, _ = talk
    control(client, session, key, {}, "timeline:live-end")
    response = point(client, session, key, {"slide": 1, "x": 0.5, "y": 0.5})
    assert response.status_code == 410
    assert response.json()["error"] == "This live session has ended: the speaker closed it."


def test_pointing_at_a_session_that_ended_after_its_key_was_checked_says_it_ended(talk):
    session, _, _ = talk
    LiveSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())
    session.refresh_from_db()
    with pytest.raises(Closed, match="^This live session has ended: the speaker closed it.$"):
        pointer.point(session, 1, 0.5, 0.5)


def blocks(chunk):
    return [block for block in chunk.decode().split("\n\n") if block]


@pytest.mark.django_db(transaction=True)
def test_a_stream_carries_pointer_moves_without_an_id(talk, client):
    session, key, _ = talk
    stream = thread_events(session.code)
    next(stream)  # the state now
    threading.Timer(
        0.2, lambda: point(Client(), session, key, {"slide": 1, "x": 0.1, "y": 0.9})
    ).start()
    [block] = blocks(next(stream))
    lines = block.splitlines()
    assert lines[0] == "event: pointer"
    assert not any(line.startswith("id:") for line in lines)  # Last-Event-ID stays the state's
    assert json.loads(lines[1].removeprefix("data: ")) == {"slide": 1, "x": 0.1, "y": 0.9}
    stream.close()


def test_a_stream_that_falls_behind_gets_only_the_latest_pointer():
    subscriber = channel.ThreadSubscriber("c")
    state = {"code": "c", "event": "state", "seq": 5, "data": {}}
    for n in range(1, 4):
        subscriber.deliver({"code": "c", "event": "pointer", "seq": n, "data": {"x": n}})
    subscriber.deliver(state)
    subscriber.deliver({"code": "c", "event": "pointer", "seq": 9, "data": {"x": 9}})
    got = [subscriber.get(0) for _ in range(4)]
    # The first mark brings the latest position; no state is lost; then nothing is left.
    assert [m and m.get("seq") for m in got] == [9, 5, None, None]


def test_a_full_queue_drops_old_news_but_never_loses_a_later_pointer():
    subscriber = channel.ThreadSubscriber("c")
    subscriber.deliver({"code": "c", "event": "pointer", "seq": 1, "data": {}})
    for n in range(channel.QUEUE_LENGTH):
        subscriber.deliver({"code": "c", "event": "state", "seq": 10 + n, "data": {}})
    subscriber.deliver({"code": "c", "event": "pointer", "seq": 2, "data": {}})
    got = [subscriber.get(0) for _ in range(channel.QUEUE_LENGTH + 1)]
    # The first position went with the oldest news; the later one still comes.
    assert [m["seq"] for m in got if m and m["event"] == "pointer"] == [2]


def test_an_async_stream_that_falls_behind_gets_only_the_latest_pointer():
    async def main():
        subscriber = channel.AsyncSubscriber("c")
        for n in range(1, 4):
            subscriber._put({"code": "c", "event": "pointer", "seq": n, "data": {}})
        subscriber._put({"code": "c", "event": "state", "seq": 7, "data": {}})
        return [m and m["seq"] for m in [await subscriber.get(0.01) for _ in range(3)]]

    assert asyncio.run(main()) == [3, 7, None]


def test_an_older_pointer_arriving_late_is_not_sent():
    forwarder = Forwarder(0)
    assert forwarder.render({"event": "pointer", "seq": 20, "data": {"x": 1}})
    assert forwarder.render({"event": "pointer", "seq": 19, "data": {"x": 0}}) == b""


def test_a_senders_moves_that_arrive_out_of_order_end_on_its_last():
    """Two requests on their way from one phone: the later move may be published first."""
    forwarder = Forwarder(0)
    late = {"sender": "phone", "n": 8, "slide": 1, "x": 0.8, "y": 0.5}
    early = {"sender": "phone", "n": 7, "slide": 1, "x": 0.7, "y": 0.5}
    assert forwarder.render({"event": "pointer", "seq": 100, "data": late})
    assert forwarder.render({"event": "pointer", "seq": 101, "data": early}) == b""
    # Another sender's move is its own: it is passed on.
    other = {"sender": "laptop", "n": 1, "slide": 1, "x": 0.1, "y": 0.5}
    assert forwarder.render({"event": "pointer", "seq": 99, "data": other})


def moved(seq, data):
    return {"event": "pointer", "seq": seq, "data": data}


def test_the_same_pointer_message_twice_is_sent_once():
    forwarder = Forwarder(0)
    assert forwarder.render(moved(20, {"x": 1}))
    assert forwarder.render(moved(20, {"x": 1})) == b""
    assert forwarder.render(moved(30, {"sender": "a", "n": 3}))
    assert forwarder.render(moved(31, {"sender": "a", "n": 3})) == b""


@pytest.mark.parametrize("data", [{"n": 5}, {"sender": "phone"}, {"sender": 7, "n": 5}])
def test_only_a_sender_with_a_count_is_ordered_by_it(data):
    """Without both, a move is ordered by the server's clock: an older one is not sent."""
    forwarder = Forwarder(0)
    assert forwarder.render(moved(20, {"n": 1}))
    assert forwarder.render(moved(19, data)) == b""


def test_a_stream_remembers_sixteen_senders_then_starts_again():
    forwarder = Forwarder(0)
    for number in range(MAX_SENDERS):
        assert forwarder.render(moved(number, {"sender": f"s{number}", "n": 4}))
    # Still sixteen: the first sender's move again is known and not sent.
    assert forwarder.render(moved(50, {"sender": "s0", "n": 4})) == b""
    # A seventeenth sender: what the stream remembered is let go, so the same move goes out.
    assert forwarder.render(moved(51, {"sender": "s16", "n": 1}))
    assert forwarder.render(moved(52, {"sender": "s0", "n": 4}))


def test_a_stream_behind_keeps_a_senders_latest_move_not_the_last_to_arrive():
    subscriber = channel.ThreadSubscriber("c")
    for n in (5, 4):
        data = {"sender": "phone", "n": n}
        subscriber.deliver({"code": "c", "event": "pointer", "seq": 10 - n, "data": data})
    assert subscriber.get(0)["data"]["n"] == 5
    assert subscriber.get(0) is None


def test_the_order_of_a_senders_moves_is_passed_on(client, talk):
    session, key, _ = talk
    body = {"slide": 1, "x": 0.5, "y": 0.5, "sender": "phone-1", "n": 41}
    assert point(client, session, key, body).json() == body


@pytest.mark.parametrize(
    "waiting, arriving",
    [
        ({"n": 2}, {"n": 1}),  # no sender: no order to keep, the latest wins
        ([1], {"sender": "a", "n": 1}),  # news not shaped as a move is never an order
        ({"sender": "b", "n": 5}, {"sender": "a", "n": 1}),  # another sender's count
        ({"sender": "a", "n": 2}, {"sender": "a", "n": 5}),  # the same sender's later move
        ({"sender": "a", "n": 3}, {"sender": "a", "n": 3}),  # the same move again
        ({"sender": "a"}, {"sender": "a", "n": 0}),  # nothing to compare with
        ({"sender": "a", "n": 2}, {"sender": "a", "n": "1"}),  # a count that is no number
    ],
)
def test_a_waiting_pointer_gives_way_unless_the_new_one_is_its_senders_earlier_move(
    waiting, arriving
):
    slot = channel.PointerSlot()
    slot.put({"event": "pointer", "data": waiting})
    assert not slot.put({"event": "pointer", "data": arriving})  # a mark is queued already
    assert slot.take(channel.POINTER)["data"] == arriving


def test_a_senders_earlier_move_does_not_replace_its_waiting_later_one():
    slot = channel.PointerSlot()
    assert slot.put({"event": "pointer", "data": {"sender": "a", "n": 2}})
    slot.put({"event": "pointer", "data": {"sender": "a", "n": 1}})
    assert slot.take(channel.POINTER)["data"] == {"sender": "a", "n": 2}
