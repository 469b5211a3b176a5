"""Redis is a cache, not a single point of failure: on a real redis-server that the tests stop,
crash and restore from an old snapshot.

- Pages are served (uncached, or from a worker's memory) while Redis is down, never a 500.
- An admin save works while Redis is down, and its edit shows at once.
- An edited run is refused with a 503 that says why: its rate limit cannot be counted.
- The content version's truth is the database: a Redis restored from an old snapshot, or
  flushed, never brings an old page back.

The edits here commit (transactional tests), as a server's do, so the version reaches the
other workers only through the cache or the database.
"""

from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.urls import reverse
from reversion.models import Version

from historyweb import content_version, page_cache
from historyweb.caches import cache_settings
from historyweb.models import ContentVersion
from historyweb.redis_client import redis_client
from timeline.models import Era

from .conftest import store_or_skip
from .factories import make_era, make_sample
from .form_post import post_form
from .stores import RedisProcess

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = "/eras/wsgi/"


@contextmanager
def restartable_redis():
    server = RedisProcess()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_process(settings, tmp_path):
    """This test's own redis-server (it is stopped and restarted), with every cache alias in
    it as production has them; yields the RedisProcess."""
    with store_or_skip(restartable_redis()) as server:
        settings.REDIS_URL = server.url
        settings.CACHES = cache_settings(server.url, tmp_path / "cache")
        settings.PAGE_CACHE_VERSION_FILE = None
        settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
        page_cache.memory.clear()
        page_cache.shared_store.reset()
        yield server
        page_cache.shared_store.reset()


def cached_version():
    return caches["pages"].get(page_cache.VERSION_KEY)


def restart(server):
    """Crash Redis (nothing saved) and start it again: it loads its last snapshot."""
    server.stop(kill=True)
    server.start()
    cached_version()  # the clients reconnect
    page_cache.shared_store.reset()  # no wait for the second the page cache leaves it alone


def edit(era, text):
    era = Era.objects.get(pk=era.pk)
    era.summary = text
    era.save()


def test_pages_are_served_while_redis_is_down(redis_process, client, history):
    seen = client.get(PAGE)
    assert seen.status_code == 200
    redis_process.stop()
    # A page this worker holds: still answered from memory, with the same version.
    again = client.get(PAGE, headers={"if-none-match": seen["ETag"]})
    assert again.status_code == 304
    assert client.get(PAGE).content == seen.content
    # Pages it does not hold are rendered and served, uncached.
    for path in ("/", "/eras/django/", "/present/wsgi/"):
        assert client.get(path).status_code == 200, path
    page_cache.memory.clear()
    assert client.get(PAGE).content == seen.content


def test_the_pages_cache_is_left_alone_for_a_second_after_an_error(
    redis_process, client, history, monkeypatch
):
    """While Redis is down, a worker does not try it on every request."""
    redis_process.stop()
    calls = []
    real = caches["pages"].get
    monkeypatch.setattr(caches["pages"], "get", lambda *a, **k: calls.append(a) or real(*a, **k))
    for _ in range(5):
        page_cache.memory.clear()
        assert client.get(PAGE).status_code == 200
    assert len(calls) == 1


def set_summary(text):
    return lambda pairs: [(n, text if n == "summary" else v) for n, v in pairs]


def test_an_admin_save_while_redis_is_down_succeeds(
    redis_process, client, admin_client_logged, history
):
    client.get(PAGE)
    before = ContentVersion.objects.get().number
    redis_process.stop()
    url = reverse("admin:timeline_era_change", args=[history.pk])
    response = post_form(admin_client_logged, url, "era_form", change=set_summary("Saved offline"))
    assert response.status_code == 302
    assert Era.objects.get(pk=history.pk).summary == "Saved offline"
    latest = Version.objects.get_for_object(history).first()
    assert latest.field_dict["summary"] == "Saved offline"  # the revision of this very save
    assert ContentVersion.objects.get().number > before
    assert "Saved offline" in client.get(PAGE).content.decode()
    redis_process.start()
    page_cache.shared_store.reset()
    assert "Saved offline" in client.get(PAGE).content.decode()


CGI = 'print("Content-Type: text/plain")\nprint()\nprint("Hello from CGI")\n'


def test_an_edited_run_while_redis_is_down_is_refused_with_a_reason(redis_process, sandbox, client):
    era = make_era(slug="cgi", title="CGI")
    sample = make_sample(era, runtime="cgi", code=CGI, request="GET / HTTP/1.1\n\n")
    url = reverse("timeline:sample-run", args=[sample.pk])
    redis_process.stop()
    edited = {"code": CGI.replace("Hello", "Hi")}
    response = client.post(url, edited, content_type="application/json")
    assert response.status_code == 503
    assert "rate limit cannot be counted" in response.json()["error"]
    assert int(response["Retry-After"]) >= 1
    # The unedited sample is not limited: it runs, its result uncached.
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["ok"] is True
    redis_process.start()
    response = client.post(url, edited, content_type="application/json")
    assert response.status_code == 200 and "Hi from CGI" in response.json()["output"]


def test_a_redis_restored_from_an_old_snapshot_serves_no_stale_page(
    redis_process, client, history, monkeypatch
):
    client.get(PAGE)
    old = cached_version()
    redis_client().save()  # the last snapshot before the crash: the old version and page
    edit(history, "Edited after the snapshot")
    assert "Edited after the snapshot" in client.get(PAGE).content.decode()
    assert cached_version() > old

    restart(redis_process)
    assert cached_version() == old  # Redis went back to the snapshot
    # A worker that had seen the edit: the cache's older version sends it to the database.
    assert "Edited after the snapshot" in client.get(PAGE).content.decode()
    assert cached_version() == ContentVersion.objects.get().number > old  # and it is put back

    restart(redis_process)
    assert cached_version() == old
    # A worker started after the crash reads the database first.
    monkeypatch.setattr(content_version, "_stores", {})
    page_cache.memory.clear()
    assert "Edited after the snapshot" in client.get(PAGE).content.decode()
    assert cached_version() == ContentVersion.objects.get().number


def test_a_flushed_redis_serves_no_stale_page(redis_process, client, history):
    client.get(PAGE)
    edit(history, "Edited before the flush")
    assert "Edited before the flush" in client.get(PAGE).content.decode()
    version = cached_version()
    redis_client().flushall()
    assert "Edited before the flush" in client.get(PAGE).content.decode()
    assert cached_version() == version == ContentVersion.objects.get().number


def test_an_admin_save_with_redis_on_a_closed_port_leaves_no_orphan_revision(
    redis_process, settings, tmp_path, client, admin_client_logged, history
):
    """Redis unreachable (nothing listens on its port): the save and its one revision commit
    together, and once Redis is back a worker that never saw the edit serves it."""
    from .test_live_servers import free_port

    url = reverse("admin:timeline_era_change", args=[history.pk])
    post_form(admin_client_logged, url, "era_form", change=set_summary("Saved online"))
    old = client.get(PAGE).content.decode()  # cached in Redis at the version before the save
    revisions = Version.objects.get_for_object(history).count()
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = closed
    settings.CACHES = cache_settings(closed, tmp_path / "closed")
    page_cache.shared_store.reset()
    response = post_form(admin_client_logged, url, "era_form", change=set_summary("Saved blind"))
    assert response.status_code == 302
    assert Version.objects.get_for_object(history).count() == revisions + 1
    assert Version.objects.get_for_object(history).first().field_dict["summary"] == "Saved blind"

    settings.REDIS_URL = redis_process.url
    settings.CACHES = cache_settings(redis_process.url, tmp_path / "cache")
    page_cache.shared_store.reset()
    page_cache.memory.clear()
    assert "Saved online" in old and "Saved blind" not in old
    assert "Saved blind" in client.get(PAGE).content.decode()
