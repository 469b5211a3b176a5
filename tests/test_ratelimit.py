"""The edited-run limit: fixed windows per client, the count past which runs are refused, the
Retry-After it gives, and who counts as one client. (The same counters on the file cache and
Redis, across processes: tests/test_cache_backends.py.)"""

import os
import stat

import pytest
from django.core.cache import caches

from historyweb import throttle
from historyweb.throttle import client_id
from timeline.runner import service


def test_a_window_key_is_per_client_and_per_window():
    key = throttle.window_key("203.0.113.7", 60, 120.0)
    prefix, digest, number = key.split(":")
    assert (prefix, len(digest), number) == ("rate", 32, "2")
    assert int(digest, 16) >= 0  # hex: short and plain whatever the header said
    assert throttle.window_key("203.0.113.7", 60, 179.9) == key
    assert throttle.window_key("203.0.113.7", 60, 180.0).endswith(":3")
    assert throttle.window_key("203.0.113.8", 60, 120.0) != key
    # A header may carry anything, even what UTF-8 cannot encode.
    assert throttle.window_key("\udcff evil\n", 60, 120.0).startswith("rate:")


@pytest.mark.parametrize(
    "now, seconds", [(120.0, 61), (150.2, 30), (179.0, 2), (179.5, 1), (179.99, 1)]
)
def test_remaining_rounds_up_to_the_end_of_the_window(now, seconds):
    assert throttle.remaining(60, now) == seconds


def test_hits_count_per_client_within_a_window_and_start_again_in_the_next(tmp_path):
    hit = throttle.hit
    assert [hit("a", 60, tmp_path, now=130.0) for _ in range(3)] == [1, 2, 3]
    assert hit("b", 60, tmp_path, now=130.0) == 1
    assert hit("a", 60, tmp_path, now=180.0) == 1
    # The counter lives in the `rate` alias, and lives as long as its window.
    assert caches["rate"].get(throttle.window_key("a", 60, 130.0)) == 3
    lock = tmp_path / "rate.lock"
    assert stat.S_IMODE(os.stat(lock).st_mode) == 0o600


def test_hits_without_a_time_count_in_the_current_window(tmp_path):
    assert throttle.hit("c", 3600, tmp_path) == 1
    assert throttle.hit("c", 3600, tmp_path) == 2


def test_a_counter_expires_with_its_window(tmp_path, monkeypatch):
    seen = {}
    real = caches["rate"].set
    monkeypatch.setattr(
        caches["rate"],
        "set",
        lambda key, value, timeout: seen.update(timeout=timeout) or real(key, value, timeout),
    )
    throttle.hit("d", 60, tmp_path, now=150.2)
    assert seen == {"timeout": 30}


def test_check_rate_refuses_past_the_limit_with_when_to_come_back(settings, tmp_path):
    settings.RUNNER_RATE_LIMIT = 2
    settings.RUNNER_RATE_WINDOW = 3600
    settings.RUNNER_STATE_DIR = str(tmp_path)
    service.check_rate("e")
    service.check_rate("e")
    with pytest.raises(service.Busy) as busy:
        service.check_rate("e")
    retry = busy.value.retry_after
    assert 1 <= retry <= 3601
    assert busy.value.message == (
        f"You have run your own code 2 times in the last 3600 s (edited samples and Try it share "
        f"this limit). Try again in {retry} s."
    )
    service.check_rate("f")  # another client has its own count


def test_the_limit_is_counted_in_the_configured_state_dir(settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path / "state")
    service.check_rate("g")
    assert (tmp_path / "state" / "rate.lock").exists()


@pytest.mark.parametrize(
    "header, meta, client",
    [
        (None, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"}, "10.0.0.1"),
        (
            "HTTP_X_REAL_IP",
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "203.0.113.7"},
            "203.0.113.7",
        ),
        # A list (X-Forwarded-For): the last hop, the one our proxy added, not the client's claim.
        (
            "HTTP_X_FORWARDED_FOR",
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7 "},
            "203.0.113.7",
        ),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": " "}, "10.0.0.1"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": ""}, "unknown"),
    ],
)
def test_who_counts_as_one_client(settings, rf, header, meta, client):
    settings.RUNNER_CLIENT_IP_HEADER = header
    request = rf.get("/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    assert client_id(request) == client


def test_without_the_header_setting_the_peer_address_counts(settings, rf):
    del settings.RUNNER_CLIENT_IP_HEADER
    assert client_id(rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_REAL_IP="1.2.3.4")) == "10.0.0.9"


# -- when the counters cannot be reached (Redis down, a full disk) -----------------------------


@pytest.fixture
def failing_store(monkeypatch):
    """The rate cache fails as Django's RedisCache does when Redis is down."""
    import redis

    def fail(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(caches["rate"], "get", fail)


def test_a_failing_store_counts_nothing_and_says_so(failing_store, tmp_path):
    with pytest.raises(throttle.RateStoreUnavailable) as refused:
        throttle.hit("10.0.0.9", 60, tmp_path)
    assert refused.value.status == 503
    assert refused.value.retry_after == throttle.STORE_RETRY


def test_edited_runs_fail_closed_with_a_reason(failing_store, settings, tmp_path):
    settings.RUNNER_STATE_DIR = str(tmp_path)
    with pytest.raises(service.ServiceError) as refused:
        service.check_rate("e")
    assert refused.value.status == 503
    assert refused.value.headers == {"Retry-After": str(throttle.STORE_RETRY)}
    assert refused.value.message == (
        "Edited runs are paused: their rate limit cannot be counted right now "
        f"(its store is unreachable). Try again in {throttle.STORE_RETRY} s."
    )


@pytest.mark.django_db
def test_going_live_fails_open(failing_store, settings, tmp_path, client):
    """A speaker is not kept from presenting by a cache outage."""
    from django.urls import reverse

    from timeline.live import channel

    from .factories import make_era, make_slide

    settings.LIVE_REQUIRE_STAFF = False
    settings.LIVE_SOCKET_DIR = str(tmp_path / "live")
    settings.VAR_DIR = tmp_path
    channel.reset_hub()
    make_slide(make_era(slug="wsgi"), title="One calling convention")
    try:
        response = client.post(
            reverse("timeline:live-create"), {"deck": "/present/wsgi/"}, "application/json"
        )
    finally:
        channel.reset_hub()
    assert response.status_code == 201, response.content
    assert response.json()["code"]


class FlakyRedis:
    """A Redis client whose first `failures` transactions lose their connection."""

    def __init__(self, failures):
        self.failures, self.counts = failures, {}

    def pipeline(self, transaction):
        client = self

        class Pipeline:
            def __enter__(self):
                self.ops = []
                return self

            def __exit__(self, *exc):
                return False

            def incrby(self, name, amount):
                self.ops.append((name, amount))
                return self

            def expire(self, name, ttl, nx):
                return self

            def execute(self):
                from redis.exceptions import ConnectionError as RedisConnectionError

                if client.failures:
                    client.failures -= 1
                    raise RedisConnectionError("Connection closed by server.")
                name, amount = self.ops[0]
                client.counts[name] = client.counts.get(name, 0) + amount
                return [client.counts[name], True]

        return Pipeline()


def test_one_dropped_redis_connection_is_tried_again_on_a_fresh_one():
    """A connection lost under one INCR is not an outage: the count is made on the next try."""
    flaky = FlakyRedis(failures=1)
    assert throttle._redis_count(flaky, "rate:x", 60) == 1
    assert flaky.failures == 0


def test_a_second_dropped_connection_is_an_outage():
    from redis.exceptions import ConnectionError as RedisConnectionError

    flaky = FlakyRedis(failures=2)
    with pytest.raises(RedisConnectionError):
        throttle._redis_count(flaky, "rate:x", 60)
    assert flaky.counts == {}
