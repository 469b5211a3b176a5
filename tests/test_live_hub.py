"""The hub when its channel fails (timeline/live/channel.py), on the local sockets: what it does
while it cannot subscribe, how it comes back, and what a failed publish does. The same hub on
a real Redis is in test_live_redis_outage.py (slower: a redis-server per test)."""

import hashlib
import os
import socket
import tempfile
import time
from pathlib import Path

import pytest

from timeline.live import channel, transports


class Flaky(transports.SocketTransport):
    """Local sockets that refuse the first `refusals` subscriptions, drop the subscription when
    told to (`drop`), and fail every publish while `broken`."""

    def __init__(self, directory, refusals=0):
        super().__init__(directory)
        self.refusals = refusals
        self.opens = 0
        self.drop = False
        self.broken = False

    def open(self):
        self.opens += 1
        if self.refusals:
            self.refusals -= 1
            raise ConnectionRefusedError("the channel is down")
        super().open()

    def receive(self, timeout):
        if self.drop:
            self.drop = False
            raise transports.ChannelDown("dropped")
        return super().receive(timeout)

    def publish(self, raw):
        if self.broken:
            raise ConnectionRefusedError("the channel is down")
        super().publish(raw)


@pytest.fixture
def quick(settings):
    settings.LIVE_FALLBACK_SECONDS = 0.05
    settings.LIVE_RESYNC_SECONDS = 3600  # no re-read for quiet: only the fallback and the replay
    return settings


def wait_for(condition, timeout=5):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_hub_that_cannot_subscribe_re_reads_the_database_and_keeps_trying(tmp_path, quick):
    transport = Flaky(tmp_path / "s", refusals=10**6)
    states = {"abc": (1, {"slide": 2})}
    hub = channel.Hub(transport, resync=lambda codes: {c: states[c] for c in codes})
    subscriber = channel.ThreadSubscriber("abc")
    try:
        hub.subscribe(subscriber)
        # Down: the move comes from the database, and again each time it changes.
        assert subscriber.get(2)["seq"] == 1
        assert hub.down
        states["abc"] = (2, {"slide": 3})
        assert subscriber.get(2)["data"] == {"slide": 3}
        assert hub.down and 2 <= transport.opens < 10  # tried again, backing off
        transport.refusals = 0
        wait_for(lambda: not hub.down)
        # Push again: this message is in no database.
        channel.Hub(transports.SocketTransport(tmp_path / "s")).publish("abc", "run", 2, {})
        assert subscriber.get(2)["event"] == "run"
        assert subscriber.get(0.2) is None  # and nothing was sent twice
    finally:
        hub.stop()


def test_one_listener_thread_a_hub_and_none_once_it_stopped(tmp_path):
    hub = channel.Hub(transports.SocketTransport(tmp_path / "s"))
    try:
        hub.subscribe(channel.ThreadSubscriber("abc"))
        first = hub.thread
        for code in ("abc", "def"):
            hub.subscribe(channel.ThreadSubscriber(code))
        assert hub.thread is first and first.name == "live-hub" and first.is_alive()
    finally:
        hub.stop()
    listener = hub.thread
    late = channel.ThreadSubscriber("abc")
    hub.subscribe(late)  # a stream opened as the process stops: told to go, nothing started
    assert late.get(0) == {"code": "abc", "event": "bye"}
    assert hub.thread is listener


def test_a_stopping_hub_waits_for_its_streams_to_close_polling_briefly(tmp_path, monkeypatch):
    hub = channel.Hub(transports.SocketTransport(tmp_path / "s"))
    subscriber = channel.ThreadSubscriber("abc")
    hub.subscribe(subscriber)
    naps = []

    def nap(seconds):  # the stream reads its bye and closes while the hub waits
        naps.append(seconds)
        hub.unsubscribe(subscriber)

    monkeypatch.setattr(channel.time, "sleep", nap)
    hub.stop(wait=5)
    assert len(naps) == 1 and 0 < naps[0] <= 0.05
    assert subscriber.get(0) == {"code": "abc", "event": "bye"}


def test_a_quiet_channel_re_reads_the_database_at_each_interval(tmp_path, settings):
    """News lost while the channel seemed fine: the database is re-read whenever it is quiet."""
    settings.LIVE_RESYNC_SECONDS = 0.05
    states = {"abc": (1, {"slide": 2})}
    hub = channel.Hub(transports.SocketTransport(tmp_path / "s"), resync=lambda codes: states)
    subscriber = channel.ThreadSubscriber("abc")
    try:
        hub.subscribe(subscriber)
        assert subscriber.get(2)["seq"] == 1
        states["abc"] = (2, {"slide": 3})
        assert subscriber.get(2)["data"] == {"slide": 3}
        assert not hub.down
    finally:
        hub.stop()


def test_a_dropped_subscription_is_made_again_and_what_was_missed_replayed(tmp_path, quick, caplog):
    transport = Flaky(tmp_path / "s")
    states = {"abc": (1, {"slide": 1})}
    hub = channel.Hub(transport, resync=lambda codes: states)
    subscriber = channel.ThreadSubscriber("abc")
    try:
        hub.subscribe(subscriber)
        states["abc"] = (3, {"slide": 4})  # moved while the news was lost
        transport.drop = True
        hub.publish("abc", "state", 2, {"slide": 3})  # the last message before the drop
        assert subscriber.get(2)["seq"] == 2
        assert subscriber.get(5) == {
            "code": "abc",
            "event": "state",
            "seq": 3,
            "data": {"slide": 4},
        }
        wait_for(lambda: transport.opens == 2 and not hub.down)
        assert "live: the channel is down (dropped); re-subscribing" in caplog.messages
        hub.publish("abc", "state", 4, {"slide": 5})  # and by push again
        assert subscriber.get(2)["seq"] == 4
    finally:
        hub.stop()


def test_a_stopping_hub_ends_its_attempts_at_once(tmp_path, quick):
    transport = Flaky(tmp_path / "s", refusals=10**6)
    hub = channel.Hub(transport, resync=lambda codes: {})
    hub.subscribe(channel.ThreadSubscriber("abc"))
    wait_for(lambda: transport.opens >= 3)
    started = time.monotonic()
    hub.stop()
    hub.thread.join(2)
    assert not hub.thread.is_alive() and time.monotonic() - started < 2
    assert transport.sock is None  # nothing left open behind the stop


def test_a_run_the_channel_cannot_carry_is_refused_and_a_move_reaches_this_workers_streams(
    tmp_path, caplog
):
    transport = Flaky(tmp_path / "s")
    hub = channel.Hub(transport)
    subscriber = channel.ThreadSubscriber("abc")
    try:
        hub.subscribe(subscriber)
        transport.broken = True
        with pytest.raises(channel.NotDelivered) as refused:
            hub.publish("abc", "run", 1, {"sample": 7, "slide": 1})
        assert refused.value.status == 503 and refused.value.retry_after == 2
        assert refused.value.message == (
            "Not run: the live channel is down, so the presenting deck was not told. "
            "Try again in a few seconds."
        )
        assert subscriber.get(0.1) is None
        assert "live: publishing failed (the channel is down)" in caplog.messages
        hub.publish("abc", "state", 2, {"slide": 2})  # in the database already: no error
        assert subscriber.get(1) == {
            "code": "abc",
            "event": "state",
            "seq": 2,
            "data": {"slide": 2},
        }
    finally:
        hub.stop()


def test_local_sockets_are_the_owners_alone_and_each_process_has_its_own(tmp_path):
    directory = tmp_path / "var" / "live"  # its parent made too
    first, second = (transports.SocketTransport(directory) for _ in range(2))
    first.open()
    second.open()  # the directory exists already: that is fine
    try:
        assert directory.stat().st_mode & 0o777 == 0o700
        assert first.path != second.path and first.path.parent == directory
        assert first.path.name.startswith(f"{os.getpid()}-") and first.path.suffix == ".sock"
        assert first.path.stat().st_mode & 0o777 == 0o600
        assert first.sock.type == socket.SOCK_DGRAM and first.sock.family == socket.AF_UNIX
        transports.SocketTransport(directory).publish(b"news")
        assert first.receive(1) == second.receive(1) == b"news"
        assert first.receive(0.05) is None
    finally:
        first.close()
        second.close()
    assert not first.path.exists() and first.sock is None
    # A publisher before any listener makes the directory as a listener would.
    fresh = tmp_path / "other" / "live"
    transports.SocketTransport(fresh).publish(b"to nobody")
    assert fresh.stat().st_mode & 0o777 == 0o700 and not list(fresh.iterdir())


def test_the_re_read_intervals_are_the_settings_and_default_to_five_and_one_second(settings):
    settings.LIVE_RESYNC_SECONDS, settings.LIVE_FALLBACK_SECONDS = 7.5, 0.25
    assert (channel.resync_seconds(), channel.fallback_seconds()) == (7.5, 0.25)
    del settings.LIVE_RESYNC_SECONDS, settings.LIVE_FALLBACK_SECONDS
    assert (channel.resync_seconds(), channel.fallback_seconds()) == (5.0, 1.0)


def test_while_down_the_database_is_re_read_at_the_fallback_rate_not_faster(tmp_path, quick):
    quick.LIVE_FALLBACK_SECONDS = 0.1
    reads = []
    hub = channel.Hub(
        Flaky(tmp_path / "s", refusals=10**6), resync=lambda codes: reads.append(1) or {}
    )
    hub.subscribe(channel.ThreadSubscriber("abc"))
    try:
        time.sleep(1.2)
        # About a dozen: neither a busy loop on the database nor a second's wait between reads.
        assert 5 <= len(reads) <= 30
    finally:
        hub.stop()


def test_the_socket_directory_is_the_setting_or_var_live_and_short_enough_for_af_unix(
    settings, tmp_path
):
    settings.LIVE_SOCKET_DIR = str(tmp_path / "s")
    assert transports.socket_directory() == tmp_path / "s"
    del settings.LIVE_SOCKET_DIR  # unset, as in settings/base.py
    settings.VAR_DIR = tmp_path
    assert transports.socket_directory() == tmp_path / "live"
    deep = "/" + "d" * 65  # with "/live", 71 characters: too long once a socket is named in it
    settings.VAR_DIR = deep
    short = transports.socket_directory()
    digest = hashlib.sha256(f"{deep}/live".encode()).hexdigest()[:12]
    assert short == Path(tempfile.gettempdir()) / f"historyweb-live-{digest}"
    settings.VAR_DIR = "/" + "d" * 64  # 70 characters: kept as it is
    assert transports.socket_directory() == Path("/" + "d" * 64) / "live"
    assert not isinstance(transports.make_transport(), transports.RedisTransport)


def test_a_listener_that_is_behind_costs_a_message_never_a_blocked_publisher(tmp_path, caplog):
    behind = transports.SocketTransport(tmp_path / "s")
    behind.open()  # and never reads
    try:
        publisher = transports.SocketTransport(tmp_path / "s")
        for _ in range(100_000):
            publisher.publish(b"x" * 1024)
            if caplog.records:
                break
        warning = f"live: socket {behind.path.name} is full, dropped a message"
        assert [record.getMessage() for record in caplog.records] == [warning]
        assert behind.path.exists()  # still its listener's
    finally:
        behind.close()


def test_a_listener_gone_between_the_listing_and_the_send_is_no_error(tmp_path, monkeypatch):
    transport = transports.SocketTransport(tmp_path / "s")
    listener = transports.SocketTransport(tmp_path / "s")
    listener.open()
    gone = tmp_path / "s" / "1-closed.sock"  # listed, then closed by its process
    listed = [gone, listener.path]
    monkeypatch.setattr(type(gone), "glob", lambda self, pattern: iter(listed))
    try:
        transport.publish(b"news")
        assert listener.receive(1) == b"news"
    finally:
        listener.close()


def test_a_listener_whose_socket_file_was_tidied_away_still_closes(tmp_path):
    listener = transports.SocketTransport(tmp_path / "s")
    listener.open()
    listener.path.unlink()
    listener.close()
    assert listener.sock is None


def test_the_channels_redis_client_waits_seconds_at_most_and_retries_nothing():
    """No redis-server needed: the client's settings are what bounds a publish or a connect
    to an address that never answers (test_live_redis_channel.py proves the publish)."""
    client = transports.pubsub_client("redis://127.0.0.1:1/0")
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (2, 2)
    assert kwargs["health_check_interval"] == 10
    assert kwargs["retry"].get_retries() == 0


def test_the_channel_is_redis_exactly_when_redis_url_is_set(settings, tmp_path):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing is connected yet
    made = transports.make_transport()
    assert isinstance(made, transports.RedisTransport) and made.url == settings.REDIS_URL
    settings.REDIS_URL, settings.LIVE_SOCKET_DIR = "", str(tmp_path)
    made = transports.make_transport()
    assert isinstance(made, transports.SocketTransport) and made.directory == tmp_path
    del settings.REDIS_URL
    assert isinstance(transports.make_transport(), transports.SocketTransport)
