"""Live sessions through Redis outages: the production server (gunicorn with a uvicorn worker)
twice on one database and one Redis. A follower streams from server A while the remote steers
through server B, and Redis is crashed twice (about 1.5 s, then about 3 s).

The follower, read as a browser reads the event stream, gets every move in order, during the
outages too (server A re-reads the database while its channel is down) and after them, and
ends on the current slide. Once Redis is back, moves come by push again: the servers run with
a 60 s resync, so a move arriving within seconds was pushed, not re-read.

Then the hub itself (timeline/live/channel.py) on a real Redis, in this process: what it does
while the channel is down and how it comes back.
"""

import itertools
import json
import queue
import subprocess
import threading
import time
import urllib.request

import pytest

from timeline.live import channel, transports

from .conftest import store_or_skip
from .test_live_servers import (
    HTTPS,
    SERVER_COMMANDS,
    base_env,
    free_port,
    prepare,
    steer,
    stop,
    wait_for_port,
)
from .test_redis_faults import restartable_redis

RESYNC = 60  # seconds of quiet before a server re-reads the database: far past every wait here
FALLBACK = 0.5  # how often it re-reads while Redis is down
CHANNEL = b"historyweb:live"


@pytest.fixture
def redis_process():
    """A redis-server of this test's own, which it crashes and starts again."""
    with store_or_skip(restartable_redis()) as process:
        yield process


@pytest.fixture
def server(tmp_path):
    started = []

    def start(name, redis_url):
        env = base_env(tmp_path)
        env.update(
            HISTORYWEB_VAR_DIR=str(tmp_path / f"var-{name}"),
            REDIS_URL=redis_url,
            LIVE_RESYNC_SECONDS=str(RESYNC),
            LIVE_FALLBACK_SECONDS=str(FALLBACK),
        )
        port = free_port()
        log = open(tmp_path / f"server-{name}.log", "wb")  # noqa: SIM115 (kept open while it runs)
        process = subprocess.Popen(
            SERVER_COMMANDS["gunicorn"](port), env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append((process, log))
        wait_for_port(port, process)
        return port

    yield start
    for process, log in started:
        stop(process)
        log.close()


def read_stream(port, code, events):
    """A follower: reads the event stream in a thread and puts (event, id, data) on `events`
    for each event, parsed as EventSource parses it; None when the stream ends."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/live/{code}/events/", headers=HTTPS)

    def read():
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                block = {}
                for raw in response:
                    line = raw.decode().rstrip("\n")
                    if line:
                        name, _, value = line.partition(": ")
                        block[name] = value
                        continue
                    if "event" in block:
                        seq = int(block["id"]) if "id" in block else None  # "bye" has none
                        events.put((block["event"], seq, json.loads(block["data"])))
                    block = {}
        finally:
            events.put(None)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def subscribed(redis_url):
    """How many processes listen on the live channel, as Redis counts them."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=1)
        with client:
            return dict(client.pubsub_numsub(CHANNEL))[CHANNEL]
    except redis.ConnectionError:
        return 0


def wait_until_subscribed(redis_url, timeout=20):
    deadline = time.monotonic() + timeout
    while subscribed(redis_url) < 1:
        assert time.monotonic() < deadline, "the follower's server never re-subscribed"
        time.sleep(0.05)


class Talk:
    """The remote on server B and the follower on server A; checks each move arrives."""

    def __init__(self, remote_port, code, key, events):
        self.remote_port, self.code, self.key, self.events = remote_port, code, key, events
        self.seq = 0
        self.moves = []

    def move(self, slide, blackout=False):
        body = {"slide": slide, "blackout": blackout, "seq": self.seq}
        state = steer(self.remote_port, self.code, self.key, "state", body)
        self.seq = state.pop("seq")
        self.moves.append((self.seq, state))
        return state

    def arrives(self, timeout):
        """The follower's next event: the last move's state, within `timeout` seconds."""
        name, seq, data = self.events.get(timeout=timeout)
        assert (name, seq, data) == ("state", *self.moves[-1])


def test_followers_get_every_move_through_redis_outages_and_push_resumes(
    tmp_path, redis_process, server
):
    url = redis_process.url
    code, key = prepare(tmp_path)
    follower_port, remote_port = server("a", url), server("b", url)
    events = queue.Queue()
    reader = read_stream(follower_port, code, events)
    name, seq, first = events.get(timeout=20)
    assert (name, seq, first["slide"]) == ("state", 0, 1)
    wait_until_subscribed(url)
    talk = Talk(remote_port, code, key, events)
    talk.move(2)
    talk.arrives(timeout=10)

    for outage in (1.5, 3.0):
        redis_process.stop(kill=True)
        ends = time.monotonic() + outage
        # Moves while Redis is down: the remote's server answers them (the database has them),
        # and the follower's server re-reads them within about FALLBACK seconds.
        talk.move(3)
        talk.arrives(timeout=10)
        talk.move(3, blackout=True)
        talk.arrives(timeout=10)
        # A follower that connects now gets the state as it is, first.
        late = queue.Queue()
        read_stream(follower_port, code, late)
        assert late.get(timeout=10) == ("state", *talk.moves[-1])
        time.sleep(max(0.0, ends - time.monotonic()))
        redis_process.start()

        wait_until_subscribed(url)
        # Pushed again: each arrives long before the RESYNC seconds a re-read would take.
        for slide in (1, 2):
            talk.move(slide)
            talk.arrives(timeout=RESYNC / 4)

    final = steer(remote_port, code, key, "end", {})
    name, seq, data = events.get(timeout=10)
    assert (name, seq, data) == ("state", final.pop("seq"), final)
    assert data["ended"] and data["slide"] == 2  # the current slide
    assert events.get(timeout=10) is None  # the stream ended with the session
    reader.join(timeout=10)
    # Every move's state arrived once, in order, and nothing else: checked one by one above.
    assert [seq for seq, _ in talk.moves] == list(range(1, len(talk.moves) + 1))


# ---- The hub on a real Redis, in this process ------------------------------------------------


@pytest.fixture
def redis_hub(redis_process, settings):
    """A hub on its own Redis; the database's view is `states`, which a test changes."""
    settings.LIVE_FALLBACK_SECONDS = 0.1
    settings.LIVE_RESYNC_SECONDS = RESYNC  # no re-read in the quiet: what arrives was pushed
    states = {}
    hub = channel.Hub(transports.RedisTransport(redis_process.url), resync=lambda codes: states)
    yield hub, states
    hub.stop()


def test_an_unsubscribed_redis_transport_says_so_instead_of_waiting(redis_process):
    """The root of lost live events: redis-py's get_message() on a PubSub that is subscribed to
    nothing (a re-subscribe that failed) returns None, like a quiet channel, for ever."""
    transport = transports.RedisTransport(redis_process.url)
    with pytest.raises(transports.ChannelDown):
        transport.receive(0.1)  # never opened
    transport.open()
    assert transport.receive(0.1) is None  # subscribed, and quiet
    transport.pubsub.unsubscribe()
    transport.pubsub.get_message(timeout=1)  # the server's confirmation
    with pytest.raises(transports.ChannelDown):
        transport.receive(0.1)
    transport.close()


def test_the_hub_re_subscribes_after_failed_attempts_and_push_resumes(redis_hub, redis_process):
    hub, states = redis_hub
    subscriber = channel.ThreadSubscriber("abc")
    hub.subscribe(subscriber)
    wait_until_subscribed(redis_process.url)
    redis_process.stop(kill=True)
    # While it is down, moves come from the database (the fallback)...
    states["abc"] = (1, {"slide": 2})
    assert subscriber.get(5)["seq"] == 1
    time.sleep(1.5)  # several attempts to re-subscribe fail meanwhile
    assert hub.down
    redis_process.start()
    wait_until_subscribed(redis_process.url)
    # ...and once it is back, by push: this message is in no database.
    hub.publish("abc", "state", 2, {"slide": 3})
    assert subscriber.get(5) == {"code": "abc", "event": "state", "seq": 2, "data": {"slide": 3}}
    assert not hub.down


def test_a_move_missed_while_re_subscribing_is_replayed_from_the_database(
    redis_hub, redis_process, settings
):
    hub, states = redis_hub
    subscriber = channel.ThreadSubscriber("abc")
    hub.subscribe(subscriber)
    settings.LIVE_FALLBACK_SECONDS = 3600  # no re-read while down: only the replay
    redis_process.stop(kill=True)
    time.sleep(0.3)
    states["abc"] = (4, {"slide": 3})
    redis_process.start()
    assert subscriber.get(10)["seq"] == 4


def test_a_run_the_channel_cannot_carry_is_refused_and_a_move_still_reaches_this_process(
    redis_hub, redis_process
):
    hub, _ = redis_hub
    subscriber = channel.ThreadSubscriber("abc")
    hub.subscribe(subscriber)
    redis_process.stop(kill=True)
    with pytest.raises(channel.NotDelivered) as refused:
        hub.publish("abc", "run", 1, {"sample": 7, "slide": 1})
    assert refused.value.status == 503 and refused.value.retry_after
    assert "the presenting deck was not told" in refused.value.message
    hub.publish("abc", "state", 2, {"slide": 2})  # the database has it: no error
    assert subscriber.get(1)["seq"] == 2  # this process's own followers get it at once


def test_re_subscribe_attempts_back_off_to_five_seconds_with_jitter():
    delays = list(itertools.islice(channel.backoff_delays(), 12))
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2] + [5.0] * 6
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered: the workers do not retry in step
