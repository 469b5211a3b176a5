"""Cache semantics on the stores production uses: the file caches of one machine and Redis.

The rest of the suite runs on in-memory caches; these tests run expiry, atomicity and eviction
on each real backend, with the aliases exactly as historyweb/caches.py configures them.
"""

import multiprocessing
import time
from pathlib import Path

import pytest
from django.core.cache import caches

from historyweb import content_version, page_cache, throttle
from historyweb.caches import PURPOSES, cache_settings
from historyweb.redis_client import redis_client

BACKENDS = ["file", "redis"]


@pytest.fixture(params=BACKENDS)
def backend(request, settings, tmp_path):
    """Every alias on the named backend; yields the backend's name."""
    url = ""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
    settings.REDIS_URL = url
    settings.CACHES = cache_settings(url, tmp_path / "cache")
    settings.PAGE_CACHE_VERSION_FILE = None if url else tmp_path / "content-version"
    settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
    if url:
        redis_client().flushdb()
    page_cache.memory.clear()
    yield request.param
    if url:
        redis_client().flushdb()


def page_entries(backend, settings):
    """How many entries for pages the shared store holds (pages and their pointers)."""
    if backend == "redis":
        return len(redis_client().keys("historyweb:pages:*:historyweb:page*"))
    directory = settings.CACHES["pages"]["LOCATION"]
    return len(list(Path(directory).glob("*.djcache")))


def test_aliases_are_the_configured_backend(backend):
    kind = "RedisCache" if backend == "redis" else "FileBasedCache"
    for alias in PURPOSES:
        assert type(caches[alias]).__name__ == kind
        assert caches[alias].default_timeout == PURPOSES[alias][0]


def test_counters_expire_with_their_window(backend, tmp_path):
    now = time.time()
    assert throttle.hit("10.0.0.1", 1, tmp_path, now=now) == 1
    assert throttle.hit("10.0.0.1", 1, tmp_path, now=now) == 2
    key = throttle.window_key("10.0.0.1", 1, now)
    assert caches["rate"].get(key) == 2
    # Redis counts atomically by itself; only the file cache needs the machine-wide lock.
    assert (tmp_path / "rate.lock").exists() == (backend == "file")
    if backend == "redis":
        ttl = redis_client().ttl(caches["rate"].make_and_validate_key(key))
        assert 0 < ttl <= throttle.remaining(1, now)
    time.sleep(2.2)
    assert caches["rate"].get(key) is None


def _hammer(client, lock_dir, now, hits, queue):
    queue.put([throttle.hit(client, 60, lock_dir, now=now) for _ in range(hits)])


def test_counters_are_atomic_across_processes(backend, tmp_path):
    """Four worker processes count 40 hits each at once: every count from 1 to 160 is handed
    out exactly once (a get-then-set counter loses some)."""
    context = multiprocessing.get_context("fork")
    queue, now = context.Queue(), time.time()
    workers = [
        context.Process(target=_hammer, args=("10.0.0.2", tmp_path, now, 40, queue))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    counts = sorted(n for _ in workers for n in queue.get(timeout=60))
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert counts == list(range(1, 161))
    assert caches["rate"].get(throttle.window_key("10.0.0.2", 60, now)) == 160


def test_a_flood_of_pages_evicts_no_run_result_or_counter(backend, settings, tmp_path):
    """Pages are culled in their own store; results and counters are elsewhere."""
    if backend == "file":
        # The same culling as production's 2,000 pages, sooner.
        settings.CACHES = {**settings.CACHES}
        settings.CACHES["pages"] = {**settings.CACHES["pages"], "OPTIONS": {"MAX_ENTRIES": 50}}
    caches["runs"].set("runner:result:x", {"ok": True})
    throttle.hit("10.0.0.3", 60, tmp_path)
    for n in range(300):
        caches["pages"].set(f"historyweb:page:v:{n}", (b"x" * 100, {}))
    assert caches["runs"].get("runner:result:x") == {"ok": True}
    assert caches["rate"].get(throttle.window_key("10.0.0.3", 60, time.time())) == 1
    if backend == "file":
        assert page_entries(backend, settings) <= 50


@pytest.mark.django_db
def test_a_flood_of_hosts_and_queries_adds_no_page(backend, settings, client, history, tmp_path):
    """500 requests with other Host spellings and random queries: the shared store keeps
    one entry per page, and the run result and the client's counter are still there."""
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    caches["runs"].set("runner:result:x", {"ok": True})
    hour = time.time() // 3600 * 3600  # counted at the start of this hour's window: lives 1 h
    throttle.hit("10.0.0.4", 3600, tmp_path, now=hour)
    client.get("/")
    client.get("/eras/wsgi/")
    before = page_entries(backend, settings)
    assert before == 2 * 2  # each page, and the pointer to its last version stored
    for n in range(250):
        client.get(f"/?utm={n}&kind=bogus{n}", headers={"host": f"localhost:{1024 + n}"})
        client.get(f"/eras/wsgi/?q={n}", headers={"host": "LOCALHOST"})
    assert page_entries(backend, settings) == before
    assert caches["runs"].get("runner:result:x") == {"ok": True}
    assert caches["rate"].get(throttle.window_key("10.0.0.4", 3600, hour)) == 1


@pytest.mark.django_db
def test_pages_expire_with_the_alias_timeout(backend, client, history):
    client.get("/eras/wsgi/")
    if backend == "redis":
        (key,) = redis_client().keys("historyweb:pages:*:historyweb:page:*")
        assert 0 < redis_client().ttl(key) <= PURPOSES["pages"][0]


@pytest.mark.django_db
def test_an_edit_elsewhere_reaches_this_server(backend, client, history, settings):
    """Another server (here: another version store on the same backend) bumps the version."""
    etag = client.get("/eras/wsgi/")["ETag"]
    path = settings.PAGE_CACHE_VERSION_FILE
    other = content_version._FileVersion(path) if path else content_version._DatabaseVersion()
    other.bump()
    response = client.get("/eras/wsgi/", headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.django_db(transaction=True)  # A's bump commits, as an admin save does
def test_a_worker_rereads_the_version_after_its_ttl(backend):
    """Server B asks the store at most every ttl seconds; A's bump reaches it after that."""
    server_a, server_b = (
        content_version._DatabaseVersion(ttl=0.3),
        content_version._DatabaseVersion(ttl=0.3),
    )
    first = server_b.get()
    server_a.bump()
    assert server_a.get() != first  # the editing worker sees its own bump at once
    assert server_b.get() == first  # the other one has not asked the store again yet
    time.sleep(0.35)
    assert server_b.get() == server_a.get()
