"""Whole-page caching of the content pages for anonymous visitors, with conditional GET.

A page is rendered once per content version and URL, then served from memory (or the shared
cache, for the other workers) without touching sessions or auth, and the database only for
the content version, seldom. Any change to the content (admin edit, fixture load) bumps the
content version, so no page outlives the content it shows. Visitors with a session cookie
(editors, staff) always get a fresh render.

The cache is never needed: any error of the shared store (Redis down, a full disk) is a miss,
and the page is rendered; when the content version itself cannot be kept (a full disk under the
file version), pages are served uncached until it can. With Redis, the content version's truth
is the database (see _DatabaseVersion), so a lost or rolled-back Redis serves no stale page
either.

Which pages: those of the views marked @page_cached. Such pages must not depend on the
visitor: no CSRF token, no per-user text (staff-only parts are fine: staff bypass the cache),
and not on the Host: one entry serves every allowed host name.

Keys are canonical, so a client cannot grow the cache: the scheme, the path, and only the query
parameters the view reads (others are dropped, repeated ones resolved as the view does). A
parameter with a fixed set of values gets a shared entry per value; free text (a search) stays
in each worker's small memory and never reaches the shared store. Pages live in the `pages`
cache alias, apart from run results and rate counters, so no flood of pages can evict those.

Single flight: after a content change, one request renders each shared page. It takes a lock in
the shared store (cache.add, which works on file caches and Redis) that expires after
LOCK_SECONDS; while it is held, the other requests for that page get the version the page had
before (stale while revalidating), or, for a page never rendered, wait for the render, at most
LOCK_SECONDS, then render it themselves. A stale page is thus served only while a render of the
current one is under way, and never for longer than LOCK_SECONDS.
"""

import hashlib
import logging
import os
import tempfile
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from threading import Lock

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.http import parse_etags, urlencode

from historyweb import compression
from historyweb.errors import NO_ROOM
from historyweb.models import ContentVersion

logger = logging.getLogger(__name__)

VERSION_KEY = "historyweb:content-version"
PAGE_KEY = "historyweb:page:{version}:{digest}"  # holds (variants by encoding, headers)
LATEST_KEY = "historyweb:page-latest:{digest}"  # the last version of that page stored
LOCK_KEY = "historyweb:page-rendering:{version}:{digest}"  # held while one request renders it
# How long one render may hold a page's lock: the most a stale page is served, and the most a
# request for a page never rendered waits before rendering it itself.
LOCK_SECONDS = 5.0
POLL_SECONDS = 0.05
MEMORY_ENTRIES = 256
CACHE_CONTROL = "max-age=0, must-revalidate"
# The cache sits first in MIDDLEWARE, so a stored page keeps every header the stack added
# (CSP, HSTS, nosniff...), which are the same for every request to that scheme, host and URL.
# These are set per response instead, or must never be replayed.
DROPPED_HEADERS = {
    "set-cookie",
    "etag",
    "cache-control",
    "vary",
    "expires",
    "last-modified",
    "content-length",
    "content-encoding",
}


class _Shared:
    """The pages cache, as the page cache uses it: an error (Redis down or timing out, a full
    disk) is a miss, logged, and the store is then left alone for RETRY_SECONDS, so an outage
    costs one failed call per worker per interval, not one per request."""

    RETRY_SECONDS = 1.0

    def __init__(self):
        self.down_until = float("-inf")

    def get(self, key):
        return self._call("get", key)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT):
        """Store `value`; False when the store failed or is being left alone."""
        return self._call("set", key, value, timeout) is not _FAILED

    def add(self, key, value, timeout):
        """Store `value` unless `key` is held: True when stored, False when held by another,
        None when the store failed or is being left alone."""
        result = self._call("add", key, value, timeout)
        return None if result is _FAILED else bool(result)

    def delete(self, key):
        self._call("delete", key)

    def _call(self, method, *args):
        failed = None if method == "get" else _FAILED
        if time.monotonic() < self.down_until:
            return failed
        try:
            return getattr(caches["pages"], method)(*args)
        except Exception:  # any failure of a cache is a miss: the page is rendered instead
            self.down_until = time.monotonic() + self.RETRY_SECONDS
            logger.warning(
                "The pages cache failed; pages are served uncached for %s s",
                self.RETRY_SECONDS,
                exc_info=True,
            )
            return failed

    def reset(self):
        self.down_until = float("-inf")


_FAILED = object()
shared_store = _Shared()


def _database_version():
    """The content version the database holds (made on the first call)."""
    row, _ = ContentVersion.objects.get_or_create(pk=1, defaults={"number": _now_ms()})
    return row.number


def _database_bump():
    """Move the database's version on, in the caller's transaction (its row stays locked
    until the transaction ends, so concurrent changes get distinct, growing numbers)."""
    with transaction.atomic():
        row = ContentVersion.objects.select_for_update().filter(pk=1).first()
        if row is None:
            row, created = ContentVersion.objects.get_or_create(
                pk=1, defaults={"number": _now_ms()}
            )
            if created:
                return row.number
            row = ContentVersion.objects.select_for_update().get(pk=1)
        row.number = max(row.number + 1, _now_ms())
        row.save(update_fields=["number"])
        return row.number


def _now_ms():
    return time.time_ns() // 1_000_000


class _DatabaseVersion:
    """The content version kept in the database, its truth, with a copy in the pages cache
    (Redis, shared by every server; the tests' memory cache).

    Reading it costs no database query in the common case. A worker remembers the version
    for `ttl` seconds (settings.PAGE_CACHE_VERSION_TTL, a fraction of a second), then asks the
    cache. It asks the database instead when:
    - it has no version yet (a worker's first request), so a worker started after Redis lost
      or rolled back its copy never trusts that copy;
    - the cache has no copy, or fails (Redis down: pages are still served, and current);
    - the cache's copy is older than one this worker has seen (Redis restored an old snapshot).
    Each time it then writes the database's version back to the cache, unless the cache holds
    a newer one. The cache's copy expires after `cached_for` seconds
    (settings.PAGE_CACHE_VERSION_CACHED_FOR), which bounds how long a rolled-back copy can
    fool a worker that had not seen the newer version.

    A change writes the new version to the database in the change's transaction. When that
    commits, this worker and the cache get it, so the other servers see it within `ttl`. The
    transaction's own thread sees it at once (its pages are rendered from its own rows);
    other threads do not until it commits, so no page rendered from the old rows is ever
    stored under the new version, and a change rolled back leaves the version as it was.
    """

    def __init__(self, ttl=0.0, cached_for=5.0):
        self.ttl, self.cached_for = ttl, cached_for
        self.version, self.checked, self.lock = None, float("-inf"), Lock()

    def get(self):
        pending = _pending_version()
        if pending is not None:
            return pending
        now = time.monotonic()
        if self.version is not None and now - self.checked < self.ttl:
            return self.version
        cached = shared_store.get(VERSION_KEY) if self.version is not None else None
        if type(cached) is int and cached >= self.version:
            self._remember(cached, now)
            return cached
        try:
            version = _database_version()
        except DatabaseError:
            if self.version is None:
                raise
            # The database is down too: keep the last version known (no edit can commit), and
            # ask again after `ttl`, not on every request.
            logger.warning("The content version could not be read", exc_info=True)
            self._remember(self.version, now)
            return self.version
        self._remember(version, now, truth=True)
        self.publish(version)
        return version

    def bump(self):
        connection = transaction.get_connection()
        pending = _pending(connection)
        if pending is not None:
            # A later change of the same transaction, which holds the row locked since its first
            # one: one UPDATE, and the commit publishes the last version.
            pending.version = max(pending.version + 1, _now_ms())
            ContentVersion.objects.filter(pk=1).update(number=pending.version)
            return
        version = _database_bump()
        publish = _Publish(self, version)
        transaction.on_commit(publish)
        if connection.in_atomic_block:
            setattr(connection, PENDING, publish)

    changed = bump

    def _committed(self, version):
        self._remember(version, time.monotonic(), truth=True)
        self.publish(version)

    def publish(self, version):
        """Give the cache `version` unless it holds a newer one. Best effort: a failed cache is
        skipped (logged), and two servers publishing at once are sorted out by checking what
        the cache holds afterwards."""
        for _ in range(3):
            cached = shared_store.get(VERSION_KEY)
            if type(cached) is int and cached >= version:
                return
            if not shared_store.set(VERSION_KEY, version, timeout=self.cached_for):
                return

    def _remember(self, version, now, truth=False):
        with self.lock:
            if truth or self.version is None or version >= self.version:
                self.version, self.checked = version, now


class _Publish:
    """The on-commit callback of a transaction that changed content: publishes the last
    version the transaction moved to."""

    def __init__(self, store, version):
        self.store, self.version = store, version

    def __call__(self):
        self.store._committed(self.version)


# A transaction's _Publish is kept on its connection while that transaction is open: Django
# drops the on-commit callbacks of a rolled-back transaction or savepoint, so it stands for the
# transaction's changes only while it is still queued there.
PENDING = "historyweb_content_version"


def _pending(connection):
    publish = getattr(connection, PENDING, None)
    if publish is None:
        return None
    if connection.in_atomic_block and any(
        entry[1] is publish for entry in connection.run_on_commit
    ):
        return publish
    setattr(connection, PENDING, None)
    return None


def _pending_version():
    """The version this thread's open transaction moved to, if it changed content."""
    publish = _pending(transaction.get_connection())
    return None if publish is None else publish.version


class _FileVersion:
    """The content version kept in a small file shared by every worker on the machine.

    A hit costs one stat(): the file is read again only when its inode, size or mtime
    changed, and a bump replaces it atomically (a new inode), so no worker misses a bump.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.stamp, self.version, self.lock = None, None, Lock()

    def get(self):
        """The version; None when there is none and none can be written (a full disk): pages
        are then served uncached."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            try:
                self.bump(first=True)
                info = os.stat(self.path)
            except OSError:
                logger.warning("The content version cannot be written", exc_info=True)
                return None
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        if stamp != self.stamp:
            with self.lock:
                self.version = self.path.read_text().strip() or "empty"
                self.stamp = stamp
        return self.version

    def bump(self, first=False):
        """Write a new version. `first`: only when there is none yet, so workers that find
        no file at the same moment agree on the one version one of them writes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".content-version-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(uuid.uuid4().hex)
            if not first:
                os.replace(temporary, self.path)
                return
            try:
                os.link(temporary, self.path)
            except FileExistsError:
                pass
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        Path(temporary).unlink()

    def changed(self):
        # Bump now (this process sees the change at once) and again on commit, so a page
        # rendered by another worker between the two, from the old rows, is never kept.
        self._bump_or_forget()
        transaction.on_commit(self._bump_or_forget)

    def _bump_or_forget(self):
        """Bump; when the disk is too full to, remove the file instead (which needs no room), so
        no worker serves a page of the old content: they serve pages uncached until a version
        can be written again. The change itself is saved either way."""
        try:
            self.bump()
        except OSError as exc:
            if exc.errno not in NO_ROOM:
                raise
            logger.warning("The content version cannot be written; pages go uncached")
            self.path.unlink(missing_ok=True)


_stores = {}


def _version_store():
    path = getattr(settings, "PAGE_CACHE_VERSION_FILE", None)
    store = _stores.get(path)
    if store is None:
        ttl = getattr(settings, "PAGE_CACHE_VERSION_TTL", 0.0)
        cached_for = getattr(settings, "PAGE_CACHE_VERSION_CACHED_FOR", 5.0)
        store = _stores[path] = _FileVersion(path) if path else _DatabaseVersion(ttl, cached_for)
    return store


def content_version():
    return _version_store().get()


def bump_content_version():
    """Make every cached page stale, in every worker."""
    _version_store().bump()


def content_changed(sender=None, **kwargs):
    _version_store().changed()


def connect_signals(models, relations=()):
    """Make every save or delete of a row of `models`, and every change to the many-to-many
    `relations` (their `through` models), bump the content version. The app whose pages are
    cached calls this once it is ready."""
    for model in models:
        uid = f"page-cache-{model.__name__}"
        post_save.connect(content_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(content_changed, sender=model, dispatch_uid=uid + "-delete")
    for through in relations:
        uid = f"page-cache-m2m-{through.__name__}"
        m2m_changed.connect(content_changed, sender=through, dispatch_uid=uid)


def etag_for(version, url, encoding=None):
    """A strong ETag per representation: the brotli, gzip and plain bodies differ."""
    digest = hashlib.sha256(f"{version} {url}".encode()).hexdigest()[:32]
    return f'"{digest}-{encoding}"' if encoding else f'"{digest}"'


class _Memory:
    """A small per-process LRU of pages, so a hit costs no pickle and no file read."""

    def __init__(self, size):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, url, version):
        with self.lock:
            item = self.items.get(url)
            if item is None or item[0] != version:
                return None
            self.items.move_to_end(url)
            return item[1]

    def put(self, url, version, entry):
        with self.lock:
            self.items[url] = (version, entry)
            self.items.move_to_end(url)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def latest(self, url):
        """(version, entry) of the page this worker kept last for `url`, of any version."""
        with self.lock:
            return self.items.get(url)

    def clear(self):
        with self.lock:
            self.items.clear()


memory = _Memory(MEMORY_ENTRIES)

# {view: its query rules, or a function of its URL's keyword arguments that gives them}, one
# entry per view marked @page_cached.
CACHED_VIEWS = {}


def page_cached(query=None):
    """Mark a view whose pages the page cache serves whole to anonymous visitors.

    `query` names the query parameters the view reads: the cache key keeps these and drops the
    rest. A tuple lists every value that gets its own shared entry (the view ignores any other,
    and so does the key); None marks free text, which is kept only in each worker's small memory
    (a search per word would fill any shared store). When what the view reads depends on its
    URL (a deck's print mode reads ?notes=), `query` is a function that takes the URL's keyword
    arguments and returns those rules.
    """

    def mark(view):
        CACHED_VIEWS[view] = query if callable(query) else dict(query or {})
        return view

    return mark


def query_rules(match):
    """{parameter: allowed values or None} for the view a URL resolved to (a ResolverMatch);
    None when its pages are not cached."""
    rules = CACHED_VIEWS.get(match.func)
    if callable(rules):
        return rules(**match.kwargs)
    return rules


def canonical_url(request, rules):
    """The page's cache key URL and whether it may go to the shared store; None when the page
    is not cached (`rules` is None). Scheme and path, then the parameters the view reads
    (`rules`, from query_rules()), sorted."""
    if rules is None:
        return None, False
    shared, kept = True, []
    for name, allowed in sorted(rules.items()):
        value = request.GET.get(name)  # the last of repeated values, as the views read it
        if not value:
            continue
        if allowed is None:
            shared = False  # free text: this worker's memory only
        elif value not in allowed:
            continue  # the view ignores a value it does not know: so does the key
        kept.append((name, value))
    url = f"{request.scheme}:{request.path}"
    if kept:
        url += "?" + urlencode(kept)
    return url, shared


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        if not self._applies(request):
            return self.get_response(request)
        request.get_host()  # an unknown Host is refused (400) before anything is served
        url, shared = canonical_url(request, self._query_rules(request))
        if url is None:
            return self.get_response(request)
        version = content_version()
        if version is None:  # no version can be kept: nothing can be cached
            return self.get_response(request)
        entry = memory.get(url, version)
        if entry is None and shared:
            entry = self._shared_lookup(url, version)
        lock = None
        if entry is None and shared:
            lock, found = self._turn(url, version)
            if found is not None:
                version, entry = found
        if entry is None:
            try:
                response = self.get_response(request)
                if request.method != "GET" or not self._storable(request, response):
                    return response
                entry = self._entry(response)
                self._store(url, version, entry, shared)
            finally:
                if lock is not None:
                    shared_store.delete(lock)
        return self._respond(request, entry, version, url)

    def _applies(self, request):
        return (
            getattr(settings, "PAGE_CACHE_ENABLED", True)
            and request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not request.path_info.startswith(self.static_prefix)
        )

    @staticmethod
    def _query_rules(request):
        try:
            return query_rules(resolve(request.path_info))
        except Resolver404:
            return None

    def _shared_lookup(self, url, version):
        entry = shared_store.get(self._key(url, version))
        if entry is not None:
            memory.put(url, version, entry)
        return entry

    def _turn(self, url, version):
        """(lock, found) for a page missing from every cache. The lock's key when this request
        is the one to render it; else `found`, the (version, entry) to serve: the page another
        request just rendered, or the previous version's while it renders. (None, None): render
        without the lock (the store failed, or the render it waited for gave nothing to keep)."""
        lock = self._lock_key(url, version)
        taken = shared_store.add(lock, 1, timeout=LOCK_SECONDS)
        if taken is None:
            return None, None
        key = self._key(url, version)
        if taken:
            entry = shared_store.get(key)  # rendered by the holder of a lock just released
            if entry is None:
                return lock, None
            shared_store.delete(lock)
            memory.put(url, version, entry)
            return None, (version, entry)
        previous = self._previous(url, version)
        if previous is not None:
            return None, previous
        deadline = time.monotonic() + LOCK_SECONDS
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            entry = shared_store.get(key)
            if entry is not None:
                memory.put(url, version, entry)
                return None, (version, entry)
            if shared_store.get(lock) is None:
                break  # the render gave a page that is not kept (an error): render it too
        return None, None

    def _previous(self, url, version):
        """(version, entry) of the last other version of this page stored, or None."""
        item = memory.latest(url)
        if item is not None and item[0] != version:
            return item
        latest = shared_store.get(self._latest_key(url))
        if latest is None or latest == version:
            return None
        entry = shared_store.get(self._key(url, latest))
        return None if entry is None else (latest, entry)

    def _store(self, url, version, entry, shared):
        memory.put(url, version, entry)
        if shared and shared_store.set(self._key(url, version), entry):
            shared_store.set(self._latest_key(url), version)

    @staticmethod
    def _latest_key(url):
        return LATEST_KEY.format(digest=hashlib.sha256(url.encode()).hexdigest())

    @staticmethod
    def _lock_key(url, version):
        digest = hashlib.sha256(url.encode()).hexdigest()
        return LOCK_KEY.format(version=version, digest=digest)

    @staticmethod
    def _key(url, version):
        digest = hashlib.sha256(url.encode()).hexdigest()
        return PAGE_KEY.format(version=version, digest=digest)

    @staticmethod
    def _storable(request, response):
        cache_control = response.get("Cache-Control", "")
        user = getattr(request, "user", None)
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in cache_control
            and "no-store" not in cache_control
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not (user is not None and user.is_authenticated)
        )

    @staticmethod
    def _entry(response):
        headers = {k: v for k, v in response.items() if k.lower() not in DROPPED_HEADERS}
        return (compression.variants(response.content), headers)

    @staticmethod
    def _respond(request, entry, version, url):
        bodies, headers = entry
        encoding = compression.accepted(request, [e for e in bodies if e])
        etag = etag_for(version, url, encoding)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and etag in parse_etags(if_none_match):
            response = HttpResponseNotModified()
            for name, value in headers.items():
                if name.lower() != "content-type":
                    response[name] = value
        else:
            body = bodies[encoding]
            response = HttpResponse(body, headers=headers)
            response["Content-Length"] = str(len(body))
            if encoding:
                response["Content-Encoding"] = encoding
        response["ETag"] = etag
        response["Cache-Control"] = CACHE_CONTROL
        # Staff (with a session cookie) get another page at the same URL; the body depends on
        # what the client can decode.
        response["Vary"] = "Cookie, Accept-Encoding"
        return response
