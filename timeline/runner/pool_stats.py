"""What runner hosts report about their runs, kept in the broker's Redis: the web side reads it
to measure the queue's expected wait, and `manage.py runner_status` shows it.

- workers: a sorted set, host -> when it was last seen (a heartbeat, and every run)
- slots: a hash, host -> how many runs it takes at once (its concurrency)
- runs:<host>: that host's latest runs, newest first, as JSON {t, wait_ms, run_ms, rejected}
- recent: the latest run times of any host, for the expected wait
- refused: when web servers refused a run because the queue was too long
"""

import functools
import json
import math
import time

from django.conf import settings

from historyweb.celery import RUNS_QUEUE

PREFIX = "historyweb:runner:"
WORKERS = PREFIX + "workers"
SLOTS = PREFIX + "slots"
RECENT = PREFIX + "recent"
REFUSED = PREFIX + "refused"
SEEN_SECONDS = 60  # a host not heard from for this long is gone
KEEP = 1000  # runs kept per host
RECENT_RUNS = 50
# The run time assumed before any host has reported one (a cold python run is 33-90 ms).
DEFAULT_RUN_SECONDS = 0.1


@functools.cache
def _client(url):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def client():
    return _client(settings.RUNNER_BROKER_URL)


def host_key(host):
    return f"{PREFIX}runs:{host}"


def seen(host, slots, pipe=None, now=None):
    target = pipe if pipe is not None else client().pipeline()
    target.zadd(WORKERS, {host: now or time.time()})
    target.hset(SLOTS, host, slots)
    if pipe is None:
        target.execute()


def record(host, slots, wait_ms, run_ms, rejected=False, now=None):
    """One run a host took (or refused: no free slot, no sandbox, expired in the queue)."""
    now = now or time.time()
    entry = {"t": now, "wait_ms": round(wait_ms, 1), "run_ms": round(run_ms, 1)}
    entry["rejected"] = rejected
    pipe = client().pipeline()
    pipe.lpush(host_key(host), json.dumps(entry))
    pipe.ltrim(host_key(host), 0, KEEP - 1)
    pipe.expire(host_key(host), 3600)
    if not rejected:
        pipe.lpush(RECENT, run_ms / 1000)
        pipe.ltrim(RECENT, 0, RECENT_RUNS - 1)
    seen(host, slots, pipe, now)
    pipe.execute()


def refused(now=None):
    now = now or time.time()
    pipe = client().pipeline()
    pipe.zadd(REFUSED, {f"{now:.6f}": now})
    pipe.zremrangebyscore(REFUSED, 0, now - SEEN_SECONDS)
    pipe.execute()


def queue_length():
    """Runs waiting for a host (kombu keeps a queue as a Redis list of its name)."""
    return client().llen(RUNS_QUEUE)


def live_hosts(now=None):
    """{host: slots} of the hosts seen in the last minute."""
    now = now or time.time()
    redis = client()
    hosts = [h.decode() for h in redis.zrangebyscore(WORKERS, now - SEEN_SECONDS, "+inf")]
    slots = redis.hmget(SLOTS, hosts) if hosts else []
    return {host: int(count or 1) for host, count in zip(hosts, slots, strict=True)}


def expected_wait(now=None):
    """(runs ahead, seconds a new run would wait): runs ahead × recent run time / slots. Asked
    of the web side before every run, so in one round trip."""
    now = now or time.time()
    pipe = client().pipeline(transaction=False)
    pipe.llen(RUNS_QUEUE)
    pipe.lrange(RECENT, 0, -1)
    pipe.zrangebyscore(WORKERS, now - SEEN_SECONDS, "+inf")
    pipe.hgetall(SLOTS)
    ahead, recent, seen_hosts, slots_of = pipe.execute()
    times = [float(t) for t in recent]
    run_seconds = sum(times) / len(times) if times else DEFAULT_RUN_SECONDS
    slots = sum(int(slots_of.get(host) or 1) for host in seen_hosts) or 1
    return ahead, ahead * run_seconds / slots


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def host_summary(host, slots, now=None):
    """A host's last minute: runs per second, p50/p95 wait and run time, refused runs."""
    now = now or time.time()
    entries = [json.loads(raw) for raw in client().lrange(host_key(host), 0, KEEP - 1)]
    entries = [e for e in entries if e["t"] >= now - SEEN_SECONDS]
    ran = [e for e in entries if not e["rejected"]]
    waits, runs = [e["wait_ms"] for e in ran], [e["run_ms"] for e in ran]
    return {
        "host": host,
        "slots": slots,
        "runs_per_second": len(ran) / SEEN_SECONDS,
        "wait_p50": percentile(waits, 0.5),
        "wait_p95": percentile(waits, 0.95),
        "run_p50": percentile(runs, 0.5),
        "run_p95": percentile(runs, 0.95),
        "rejected": len(entries) - len(ran),
    }


def status(now=None):
    """Everything runner_status shows."""
    now = now or time.time()
    hosts = live_hosts(now)
    return {
        "queue_length": queue_length(),
        "refused": client().zcount(REFUSED, now - SEEN_SECONDS, "+inf"),
        "hosts": [host_summary(host, slots, now) for host, slots in sorted(hosts.items())],
    }
