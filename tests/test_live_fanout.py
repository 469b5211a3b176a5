"""One worker, many followers: every stream a process holds for a session gets every change,
threads (runserver, WSGI) and event-loop streams (ASGI) alike, and no other session's."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from timeline.live import channel
from timeline.live import stream as stream_module
from timeline.live.stream import async_events, thread_events

from .test_live import control, deck_era, go_live, live, live_settings, read_events  # noqa: F401

pytestmark = pytest.mark.django_db

FOLLOWERS = 3


@pytest.fixture
def followed(live):  # noqa: F811 (the fixture of that name)
    """A live session on a deck of three slides, on its first."""
    return live


def slides(chunks):
    return [data["slide"] for chunk in chunks for _, _, data in read_events(chunk)]


def test_every_thread_stream_of_a_worker_gets_each_move(client, followed, monkeypatch):
    session, key, _ = followed
    # A stream that missed a move gets a keep-alive instead, in a second, not fifteen.
    monkeypatch.setattr(stream_module, "KEEPALIVE_SECONDS", 1)
    other = go_live(client).json()["code"]
    streams = [thread_events(session.code) for _ in range(FOLLOWERS)]
    bystander = thread_events(other)
    assert slides(next(stream) for stream in streams) == [1] * FOLLOWERS
    next(bystander)
    assert channel.hub().listening() == FOLLOWERS + 1
    for slide in (2, 3):
        control(client, session, key, {"slide": slide})
        assert slides(next(stream) for stream in streams) == [slide] * FOLLOWERS
    # The other session's follower heard none of those moves: the next it gets is its own.
    channel.hub().publish(other, "state", 99, {"slide": 7})
    assert slides([next(bystander)]) == [7]
    for stream in [*streams, bystander]:
        stream.close()
    assert channel.hub().listening() == 0


@pytest.mark.django_db(transaction=True)
def test_every_async_stream_on_one_event_loop_gets_each_move(followed):
    """The hub wakes each event loop once for all its streams: all of them still get it."""
    session, key, _ = followed

    async def scenario():
        streams = [async_events(session.code) for _ in range(FOLLOWERS)]
        first = [await anext(stream) for stream in streams]
        moves = []
        for slide in (2, 3):
            moved = asyncio.get_running_loop().run_in_executor(
                None, lambda slide=slide: control(Client(), session, key, {"slide": slide})
            )
            moves.append([await asyncio.wait_for(anext(s), 5) for s in streams])
            await moved
        for stream in streams:
            await stream.aclose()
        return first, moves

    with ThreadPoolExecutor(1) as pool:
        first, moves = pool.submit(asyncio.run, scenario()).result(timeout=30)
    assert slides(first) == [1] * FOLLOWERS
    assert [slides(chunks) for chunks in moves] == [[2] * FOLLOWERS, [3] * FOLLOWERS]
    assert channel.hub().listening() == 0
