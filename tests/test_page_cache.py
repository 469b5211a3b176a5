"""Whole-page caching: a hit costs no query, an edit invalidates, staff always see fresh pages."""

import os
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils.cache import patch_cache_control

from historyweb import content_version, page_cache
from timeline.models import Era, Talk, TalkEra

from .factories import make_era
from .seed import page_params, page_url, pages

pytestmark = pytest.mark.django_db

# Every cached kind of page, from the registry (tests/pages.py).
CACHED = pages(cached=True)


@pytest.fixture
def wsgi(history):
    return history


@pytest.mark.parametrize("site_page", page_params(CACHED))
def test_second_anonymous_get_is_served_without_a_query(
    client, wsgi, site_page, django_assert_num_queries
):
    """...but the one query of a gate, for a page that has one (a live session's follow page)."""
    from django.urls import resolve

    url = page_url(site_page, wsgi)
    first = client.get(url)
    assert first.status_code == 200
    gated = resolve(url.split("?")[0]).func in page_cache.GATES
    with django_assert_num_queries(1 if gated else 0):
        second = client.get(url)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert "Cookie" in second["Vary"]
    assert not second.cookies


def test_conditional_get_answers_304_with_no_body(client, wsgi, django_assert_num_queries):
    etag = client.get("/eras/wsgi/")["ETag"]
    with django_assert_num_queries(0):
        response = client.get("/eras/wsgi/", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get("/eras/wsgi/", headers={"if-none-match": '"stale"'}).status_code == 200


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda era: Era.objects.get(pk=era.pk).save(), id="era-save"),
        pytest.param(lambda era: era.slides.first().save(), id="slide-save"),
        pytest.param(lambda era: era.samples.first().delete(), id="sample-delete"),
        pytest.param(lambda era: era.references.first().delete(), id="reference-delete"),
        pytest.param(lambda era: era.related.add(Era.objects.get(slug="django")), id="related-m2m"),
        pytest.param(lambda era: Talk.objects.get(slug="short").save(), id="talk-save"),
        pytest.param(lambda era: TalkEra.objects.filter(era=era).delete(), id="talk-era-delete"),
    ],
)
def test_any_content_change_invalidates(client, wsgi, edit):
    etag = client.get("/eras/wsgi/")["ETag"]
    edit(wsgi)
    response = client.get("/eras/wsgi/", headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_edit_shows_on_the_next_request(client, wsgi):
    assert "One calling convention between" in client.get("/").content.decode()
    wsgi.summary = "Rewritten summary."
    wsgi.save()
    html = client.get("/").content.decode()
    assert "Rewritten summary." in html and "One calling convention between" not in html
    assert "Rewritten summary." in client.get("/eras/wsgi/").content.decode()


def test_load_history_invalidates(client, wsgi):
    etag = client.get("/")["ETag"]
    call_command("load_history")
    assert client.get("/", headers={"if-none-match": etag}).status_code == 200


def test_staff_bypass_the_cache_and_see_unpublished(client, admin_client_logged, wsgi):
    make_era(slug="draft", title="Draft era", published=False)
    client.get("/")
    staff_page = admin_client_logged.get("/")
    assert "Draft era" in staff_page.content.decode()
    assert "no-store" in staff_page["Cache-Control"]
    assert "ETag" not in staff_page
    # And the staff render did not leak into the anonymous cache.
    assert "Draft era" not in client.get("/").content.decode()


def test_staff_view_is_rendered_every_time(admin_client_logged, wsgi):
    admin_client_logged.get("/eras/wsgi/")
    with CaptureQueriesContext(connection) as queries:
        admin_client_logged.get("/eras/wsgi/")
    # A cached hit would do no query: staff must reach the database.
    assert len(queries) > 0


def test_errors_and_other_pages_are_not_cached(client, wsgi):
    assert client.get("/eras/nope/").status_code == 404
    assert "ETag" not in client.get("/eras/nope/")
    make_era(slug="nope", title="Now it exists")
    assert client.get("/eras/nope/").status_code == 200


def test_pages_carry_no_csrf_token_or_cookie(client, wsgi):
    for site_page in CACHED:
        response = client.get(page_url(site_page, wsgi))
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies


def test_a_page_that_sets_a_cookie_is_not_stored(client, wsgi, monkeypatch):
    storable = page_cache.PageCacheMiddleware._storable
    seen = []

    def spy(request, response):
        response.set_cookie("tracker", "1")
        seen.append(storable(request, response))
        return seen[-1]

    monkeypatch.setattr(page_cache.PageCacheMiddleware, "_storable", staticmethod(spy))
    client.get("/")
    assert seen == [False]


def test_the_cache_is_on_unless_switched_off(client, wsgi, settings, django_assert_num_queries):
    del settings.PAGE_CACHE_ENABLED
    client.get("/eras/wsgi/")
    with django_assert_num_queries(0):
        assert client.get("/eras/wsgi/").status_code == 200


def test_a_head_request_is_answered_from_the_cache(client, wsgi, django_assert_num_queries):
    etag = client.get("/eras/wsgi/")["ETag"]
    with django_assert_num_queries(0):
        response = client.head("/eras/wsgi/")
    assert (response.status_code, response["ETag"], response.content) == (200, etag, b"")


def test_static_files_pass_by_without_resolving_a_url(client, wsgi, monkeypatch):
    """The page cache sits before whitenoise: a stylesheet must not cost a URL lookup."""
    resolved, real = [], page_cache.resolve
    monkeypatch.setattr(page_cache, "resolve", lambda path: resolved.append(path) or real(path))
    client.get("/static/css/admin-diff.css")  # whitenoise's, or a 404 here (no collectstatic)
    assert resolved == []
    client.get("/eras/wsgi/")
    assert resolved == ["/eras/wsgi/"]


def test_cache_can_be_switched_off(client, wsgi, settings, django_assert_max_num_queries):
    settings.PAGE_CACHE_ENABLED = False
    client.get("/")
    assert "ETag" not in client.get("/")


def test_file_version_is_shared_between_workers(tmp_path):
    """Two stores on one file stand for two gunicorn workers: a bump in one reaches the other."""
    path = tmp_path / "var" / "content-version"
    worker_a, worker_b = content_version._FileVersion(path), content_version._FileVersion(path)
    first = worker_a.get()
    assert worker_b.get() == first
    worker_b.bump()
    assert worker_a.get() != first
    assert worker_a.get() == worker_b.get()


def test_file_version_is_read_again_only_when_the_file_changed(tmp_path, monkeypatch):
    """A hit costs one stat(); the file is read when a bump replaced it."""
    store = content_version._FileVersion(tmp_path / "missing" / "dirs" / "content-version")
    first = store.get()  # creates the directories and the file
    reads = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self) or real(self))
    assert store.get() == store.get() == first and reads == []
    content_version._FileVersion(store.path).bump()
    assert store.get() != first and len(reads) == 1


def test_workers_that_find_no_version_file_at_once_agree_on_one(tmp_path):
    path, barrier, seen = tmp_path / "content-version", threading.Barrier(8), []

    def first_view():
        worker = content_version._FileVersion(path)
        barrier.wait()
        seen.append(worker.get())

    threads = [threading.Thread(target=first_view) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["content-version"]  # no temporary left


def test_an_empty_version_file_still_names_a_version(tmp_path):
    path = tmp_path / "content-version"
    path.write_text("")
    assert content_version._FileVersion(path).get()


def test_a_bump_replaces_the_file_within_its_directory(tmp_path, monkeypatch):
    """os.replace is atomic only within one file system: the new file is made beside the old."""
    moves = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: moves.append((a, b)) or real(a, b))
    path = tmp_path / "content-version"
    content_version._FileVersion(path).bump()
    [(temporary, target)] = moves
    assert Path(temporary).parent == path.parent and Path(target) == path
    assert [p.name for p in tmp_path.iterdir()] == ["content-version"]


def test_the_version_store_follows_the_settings_and_is_kept(settings, tmp_path, monkeypatch):
    """One store per process, so its TTL (or its stat of the file) saves the round trips."""
    monkeypatch.setattr(content_version, "_stores", {})
    del settings.PAGE_CACHE_VERSION_FILE, settings.PAGE_CACHE_VERSION_TTL
    store = content_version._version_store()
    assert type(store) is content_version._DatabaseVersion and store.ttl == 0.0
    assert content_version._version_store() is store
    monkeypatch.setattr(content_version, "_stores", {})
    settings.PAGE_CACHE_VERSION_TTL = 0.25
    assert content_version._version_store().ttl == 0.25
    settings.PAGE_CACHE_VERSION_FILE = tmp_path / "content-version"
    store = content_version._version_store()
    assert (
        type(store) is content_version._FileVersion and store.path == tmp_path / "content-version"
    )
    assert content_version._version_store() is store


@pytest.mark.django_db
def test_fresh_stores_agree_on_one_version_and_see_each_others_bumps():
    """Without a TTL (the default) a store asks the shared cache every time."""
    caches["pages"].clear()
    a, b = content_version._DatabaseVersion(), content_version._DatabaseVersion()
    version = a.get()
    assert version and version == b.get() == caches["pages"].get(page_cache.VERSION_KEY)
    b.bump()
    assert a.get() == b.get() != version


@pytest.mark.django_db
def test_the_content_version_never_expires(monkeypatch):
    """A day later the pages cached then are still current: only an edit makes them stale. (The
    cache's copy of the version expires; the database's does not.)"""
    caches["pages"].clear()
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    first = content_version._DatabaseVersion().get()  # the first version, made by the first request
    clock[0] += 24 * 3600
    assert content_version._DatabaseVersion().get() == first
    content_version._DatabaseVersion().bump()  # a version made by an edit
    bumped = content_version._DatabaseVersion().get()
    clock[0] += 24 * 3600
    assert content_version._DatabaseVersion().get() == bumped != first


def test_each_page_and_encoding_has_its_own_strong_etag(client, wsgi):
    plain, other = client.get("/eras/wsgi/")["ETag"], client.get("/eras/django/")["ETag"]
    br = client.get("/eras/wsgi/", headers={"accept-encoding": "br"})["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', plain), plain
    assert other != plain
    assert br == plain[:-1] + '-br"'


def test_cached_answers_carry_exactly_the_caching_headers(client, wsgi):
    """Revalidate every time (an edit shows at once), vary on what changes the body, and name
    the headers as the RFCs spell them: some proxies and scripts match them by case."""
    first = client.get("/eras/wsgi/", headers={"accept-encoding": "gzip"})
    hit = client.get("/eras/wsgi/", headers={"accept-encoding": "gzip"})
    unchanged = client.get(
        "/eras/wsgi/", headers={"accept-encoding": "gzip", "if-none-match": first["ETag"]}
    )
    for response in (first, hit, unchanged):
        names = {name for name, _ in response.items()}
        assert {"ETag", "Cache-Control", "Vary"} <= names
        assert response["Cache-Control"] == "max-age=0, must-revalidate"
        assert [part.strip() for part in response["Vary"].split(",")] == [
            "Cookie",
            "Accept-Encoding",
        ]
    for response in (first, hit):
        assert {"Content-Length", "Content-Encoding", "Content-Type"} <= {
            name for name, _ in response.items()
        }
        assert response["Content-Encoding"] == "gzip"
        assert int(response["Content-Length"]) == len(response.content)
    assert unchanged.status_code == 304
    assert not {"Content-Type", "Content-Length", "Content-Encoding"} & {
        name for name, _ in unchanged.items()
    }


def test_a_page_with_no_smaller_encoding_is_sent_plain_to_any_client(rf):
    """A page too small to compress is stored plain only: a client that asks for brotli gets it."""
    request = rf.get("/", headers={"accept-encoding": "br, gzip"})
    entry = ({None: b"tiny"}, {"Content-Type": "text/html"})
    response = page_cache.PageCacheMiddleware._respond(request, entry, "v1", "http:/")
    assert response.content == b"tiny"
    assert response["Content-Length"] == "4"
    assert "Content-Encoding" not in response
    assert response["ETag"] == page_cache.etag_for("v1", "http:/")


def test_only_headers_that_hold_for_every_visitor_are_stored():
    response = HttpResponse("page")
    for name in ("Last-Modified", "Expires", "ETag", "Vary", "Cache-Control", "Content-Length"):
        response[name] = "per response"
    response["X-Frame-Options"] = "DENY"
    response.set_cookie("tracker", "1")
    bodies, headers = page_cache.PageCacheMiddleware._entry(response)
    assert bodies == {None: b"page"}
    assert headers == {"Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY"}


def _anonymous(request):
    request.user = AnonymousUser()
    return request


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda request, response: None, id="plain-page"),
        pytest.param(
            lambda request, response: response.__setitem__("Cache-Control", "max-age=60"),
            id="public-cache-control",
        ),
    ],
)
def test_a_public_page_is_storable(rf, change):
    request, response = _anonymous(rf.get("/")), HttpResponse("page")
    change(request, response)
    assert page_cache.PageCacheMiddleware._storable(request, response)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r, response: setattr(response, "status_code", 404), id="not-found"),
        pytest.param(lambda r, response: setattr(response, "status_code", 301), id="redirect"),
        pytest.param(lambda r, response: response.set_cookie("tracker", "1"), id="cookie"),
        pytest.param(lambda r, response: patch_cache_control(response, private=True), id="private"),
        pytest.param(
            lambda r, response: patch_cache_control(response, no_store=True), id="no-store"
        ),
        pytest.param(
            lambda request, r: request.META.__setitem__("CSRF_COOKIE_NEEDS_UPDATE", True),
            id="csrf-token-used",
        ),
        pytest.param(
            lambda request, r: setattr(request, "user", SimpleNamespace(is_authenticated=True)),
            id="signed-in",
        ),
    ],
)
def test_a_page_made_for_one_visitor_is_never_stored(rf, change):
    request, response = _anonymous(rf.get("/")), HttpResponse("page")
    change(request, response)
    assert not page_cache.PageCacheMiddleware._storable(request, response)


def test_a_request_that_never_met_the_auth_middleware_counts_as_anonymous(rf):
    assert page_cache.PageCacheMiddleware._storable(rf.get("/"), HttpResponse("page"))


def test_a_streamed_page_is_never_stored(rf):
    response = StreamingHttpResponse(iter([b"page"]))
    assert not page_cache.PageCacheMiddleware._storable(_anonymous(rf.get("/")), response)


def test_each_encoding_of_a_page_has_its_own_etag():
    """The brotli, gzip and plain bodies differ, so a strong ETag must too."""
    tags = {page_cache.etag_for("v1", "http:/", encoding) for encoding in ("br", "gzip", None)}
    assert len(tags) == 3
    assert page_cache.etag_for("v1", "http:/", "br").endswith('-br"')
    assert page_cache.etag_for("v2", "http:/") != page_cache.etag_for("v1", "http:/")


def test_the_memory_keeps_the_most_recent_pages_of_the_current_version():
    memory = page_cache._Memory(2)
    memory.put("/a", "v1", "A")
    memory.put("/b", "v1", "B")
    assert memory.get("/a", "v1") == "A"  # now the most recent
    memory.put("/c", "v1", "C")  # evicts /b, the least recent
    assert (memory.get("/a", "v1"), memory.get("/b", "v1"), memory.get("/c", "v1")) == (
        "A",
        None,
        "C",
    )
    assert memory.get("/a", "v2") is None  # another content version: stale
    memory.clear()
    assert memory.get("/c", "v1") is None


def test_page_cache_with_the_file_version(client, wsgi, settings, tmp_path):
    settings.PAGE_CACHE_VERSION_FILE = tmp_path / "content-version"
    etag = client.get("/eras/wsgi/")["ETag"]
    assert client.get("/eras/wsgi/", headers={"if-none-match": etag}).status_code == 304
    wsgi.save()
    assert client.get("/eras/wsgi/", headers={"if-none-match": etag}).status_code == 200


def test_cached_and_not_modified_answers_keep_the_security_headers(client, wsgi):
    first = client.get("/eras/wsgi/")
    for response in (
        client.get("/eras/wsgi/"),
        client.get("/eras/wsgi/", headers={"if-none-match": first["ETag"]}),
    ):
        for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
            assert response[name] == first[name]


def test_unknown_host_gets_400_not_a_cached_page(client, wsgi):
    client.get("/")
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def shared_entry(url):
    version = page_cache.content_version()
    return caches["pages"].get(page_cache.PageCacheMiddleware._key(url, version))


def test_free_text_searches_stay_out_of_the_shared_cache(client, wsgi):
    client.get("/?q=anything")
    client.get("/?kind=framework")
    client.get("/")
    assert shared_entry("http:/") is not None
    assert shared_entry("http:/?kind=framework") is not None
    assert shared_entry("http:/?q=anything") is None
    assert page_cache.memory.get("http:/?q=anything", page_cache.content_version()) is not None


@pytest.mark.parametrize(
    "variant",
    [
        "/?utm_source=x",
        "/?kind=no-such-kind",
        "/?kind=",
        "/?q=",
        "/?a=1&b=2&kind=bogus",
    ],
)
def test_query_parameters_the_view_ignores_share_one_entry(
    client, wsgi, variant, django_assert_num_queries
):
    first = client.get("/")
    with django_assert_num_queries(0):
        response = client.get(variant)
    assert response.content == first.content
    assert response["ETag"] == first["ETag"]


def test_an_unknown_value_drops_only_its_own_parameter(client, wsgi):
    search = client.get("/?q=wsgi").content
    assert search != client.get("/").content
    assert client.get("/?kind=nonsense&q=wsgi").content == search


def test_parameters_are_read_as_the_view_reads_them(client, wsgi, django_assert_num_queries):
    """Order does not matter; of a repeated parameter the last counts, as in request.GET.get."""
    first = client.get("/present/print/?notes=1")
    with django_assert_num_queries(0):
        assert client.get("/present/print/?x=2&notes=0&notes=1").content == first.content
    assert client.get("/present/print/?notes=1&notes=0").content != first.content


def test_every_allowed_host_name_shares_one_entry(
    client, wsgi, settings, django_assert_num_queries
):
    settings.ALLOWED_HOSTS = ["testserver", "history.example", "localhost"]
    first = client.get("/eras/wsgi/")
    with django_assert_num_queries(0):
        for host in ("history.example", "localhost", "HISTORY.EXAMPLE", "localhost:8000"):
            response = client.get("/eras/wsgi/", headers={"host": host})
            assert response.status_code == 200, host
            assert response["ETag"] == first["ETag"]


def test_a_flood_of_variants_adds_no_shared_entry(client, wsgi):
    """1,000 random queries and host spellings leave the shared page store as it was."""
    pages_cache = caches["pages"]
    client.get("/")
    client.get("/eras/wsgi/")
    before = len(pages_cache._cache)
    for n in range(500):
        client.get(f"/?r{n}={n}&kind=x{n}")
        client.get(f"/eras/wsgi/?page={n}", headers={"host": "localhost:" + str(1000 + n)})
    assert len(pages_cache._cache) == before


def test_a_flood_of_searches_is_bounded_in_memory(client, wsgi, monkeypatch):
    # A smaller memory than the real one: the same bound, in 60 requests instead of 300.
    monkeypatch.setattr(page_cache, "memory", page_cache._Memory(10))
    for n in range(60):
        client.get(f"/?q=word{n}")
    assert len(page_cache.memory.items) == 10
    assert "http:/?q=word59" in page_cache.memory.items


def test_a_page_rendered_by_another_worker_is_served_from_the_shared_cache(
    client, wsgi, django_assert_num_queries
):
    first = client.get("/eras/wsgi/")
    page_cache.memory.clear()  # this worker has not seen the page; the shared cache has
    with django_assert_num_queries(0):
        second = client.get("/eras/wsgi/")
    assert second.content == first.content
    # ...and keeps it in this worker's memory: gone from the shared cache, it is still served.
    key = page_cache.PageCacheMiddleware._key("http:/eras/wsgi/", page_cache.content_version())
    assert caches["pages"].get(key) is not None
    caches["pages"].delete(key)
    with django_assert_num_queries(0):
        assert client.get("/eras/wsgi/").content == first.content


def test_every_content_model_invalidates_the_page_cache():
    """A model added to the timeline app (a relation, a talk's own note) must reach the cache's
    signals, or its edits stay invisible behind cached pages."""
    from django.apps import apps
    from django.db.models.signals import post_save

    from timeline.models import CONTENT_MODELS, EraDraft, HealthFinding, HealthRun, LiveSession

    state = {
        LiveSession,
        HealthRun,
        HealthFinding,
        EraDraft,
    }  # kept by the site, shown on no cached page
    content = set(apps.get_app_config("timeline").get_models()) - state
    assert content == set(CONTENT_MODELS)
    for model in CONTENT_MODELS:
        assert post_save.has_listeners(model), model


def url_names(resolver=None, namespace=""):
    """(URL name, view) of every named URL pattern of the site."""
    from django.urls import URLResolver, get_resolver

    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_the_cached_views_are_the_cached_pages_of_the_registry():
    """Every URL of a view marked @page_cached has a cached page in tests/pages.py, and every
    cached page there is served by such a view: the page cache's tests reach every cached page,
    and a page the tests expect cached is."""
    from django.urls import resolve

    from .pages import PAGES, SHAPE

    names = dict(url_names())
    cached_urls = {name for name, view in names.items() if view in page_cache.CACHED_VIEWS}
    page_urls = {resolve(page.path.format(**SHAPE)).view_name for page in CACHED}
    assert page_urls == cached_urls
    # Each marked view is what its URLs call (no decorator wraps it after @page_cached).
    assert set(page_cache.CACHED_VIEWS) <= set(names.values())
    # A page not marked cached is of a view that is not, or an error page (a 404 of one that is).
    for page in PAGES:
        if not page.cached:
            name = resolve(page.path.format(**SHAPE)).view_name
            assert name not in cached_urls or page.status != 200, page.id


def test_query_rules_are_the_views_own():
    """What each cached view reads from the query string, as its code reads it."""
    from django.urls import resolve

    rules = page_cache.query_rules
    assert rules(resolve("/")) == {"kind": tuple(Era.Kind.values), "q": None}
    assert rules(resolve("/eras/x/")) == {}
    for deck in ("/present/", "/present/x/", "/talks/x/present/"):
        assert rules(resolve(deck)) == rules(resolve(deck + "speaker/")) == {}
        assert rules(resolve(deck + "print/")) == {"notes": ("1",)}
    assert rules(resolve("/exercises/x/")) is None


@pytest.mark.django_db
def test_a_worker_keeps_its_version_while_the_cache_and_the_database_are_down(monkeypatch):
    """No edit can commit then, so the last version known still holds; a worker that knows none
    has nothing to serve from and says so."""
    from django.db import OperationalError

    store = content_version._DatabaseVersion()
    known = store.get()

    def down(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(content_version, "_database_version", down)
    caches["pages"].clear()
    assert store.get() == known
    with pytest.raises(OperationalError):
        content_version._DatabaseVersion().get()


# -- single flight: one render per page after a change ---------------------------------------------


class SlowView:
    """A page's view that counts its renders and takes `seconds` for each."""

    def __init__(self, seconds=0.3):
        self.seconds, self.renders, self.lock = seconds, 0, threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.renders += 1
            number = self.renders
        time.sleep(self.seconds)
        return HttpResponse(f"render {number}")


def _concurrently(middleware, count, rf):
    """`count` anonymous GETs of the home page at once; their responses."""
    barrier, responses = threading.Barrier(count), [None] * count

    def fetch(index):
        barrier.wait()
        responses[index] = middleware(rf.get("/"))

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.fixture
def slow_page(settings, tmp_path):
    settings.PAGE_CACHE_VERSION_FILE = tmp_path / "content-version"
    settings.ALLOWED_HOSTS = ["testserver"]
    view = SlowView()
    return view, page_cache.PageCacheMiddleware(view)


def test_concurrent_first_views_render_the_page_once(rf, slow_page):
    view, middleware = slow_page
    responses = _concurrently(middleware, 8, rf)
    assert view.renders == 1
    assert {(r.status_code, r.content) for r in responses} == {(200, b"render 1")}


def test_after_a_change_one_request_renders_and_the_others_get_the_previous_version(rf, slow_page):
    view, middleware = slow_page
    assert middleware(rf.get("/")).content == b"render 1"
    page_cache.bump_content_version()
    responses = _concurrently(middleware, 8, rf)
    assert view.renders == 2  # not 9
    assert {r.status_code for r in responses} == {200}
    assert {r.content for r in responses} == {b"render 1", b"render 2"}
    # The render is done: the stale page is served no more, and nothing renders again.
    assert middleware(rf.get("/")).content == b"render 2"
    assert view.renders == 2


def test_the_previous_version_comes_from_the_shared_store_for_another_worker(rf, slow_page):
    view, middleware = slow_page
    middleware(rf.get("/"))
    old = page_cache.content_version()
    page_cache.bump_content_version()
    page_cache.memory.clear()  # another worker: only the shared store knows the old page
    url = "http:/"
    caches["pages"].add(middleware._lock_key(url, page_cache.content_version()), 1, 5)
    response = middleware(rf.get("/"))
    assert (response.content, view.renders) == (b"render 1", 1)
    # Tagged as what it is, so the next conditional GET after the render gets the new page.
    assert response["ETag"] == page_cache.etag_for(old, url)


def test_a_stale_page_is_served_no_longer_than_the_lock_lasts(rf, slow_page, monkeypatch):
    # A render that died holding the lock: the lock expires, and the next request renders.
    view, middleware = slow_page
    monkeypatch.setattr(page_cache, "LOCK_SECONDS", 0.3)
    middleware(rf.get("/"))
    page_cache.bump_content_version()
    lock = middleware._lock_key("http:/", page_cache.content_version())
    assert caches["pages"].add(lock, 1, page_cache.LOCK_SECONDS)
    assert middleware(rf.get("/")).content == b"render 1"
    time.sleep(0.4)
    assert middleware(rf.get("/")).content == b"render 2"


def test_waiting_requests_render_themselves_when_the_render_is_not_kept(rf, settings, tmp_path):
    # A page that is not stored (an error) frees its lock: the waiters do not wait it out.
    settings.PAGE_CACHE_VERSION_FILE = tmp_path / "content-version"
    settings.ALLOWED_HOSTS = ["testserver"]
    renders = []

    def missing(request):
        renders.append(1)
        time.sleep(0.2)
        return HttpResponse("gone", status=404)

    started = time.monotonic()
    responses = _concurrently(page_cache.PageCacheMiddleware(missing), 4, rf)
    assert {r.status_code for r in responses} == {404}
    assert time.monotonic() - started < page_cache.LOCK_SECONDS
    assert len(renders) == 4


def test_a_failing_store_renders_without_a_lock(rf, slow_page, monkeypatch):
    view, middleware = slow_page

    def broken(*args, **kwargs):
        raise ConnectionError("down")

    monkeypatch.setattr(caches["pages"], "add", broken)
    assert middleware(rf.get("/")).status_code == 200
    assert view.renders == 1
