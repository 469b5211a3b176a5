"""Whole-page caching of the content pages for anonymous visitors, with conditional GET.

A page is rendered once per content version and URL, then served from memory (or the shared
cache, for the other workers) without touching sessions or auth, and the database only for
the content version, seldom. Any change to the content (admin edit, fixture load) bumps the
content version, so no page outlives the content it shows. Visitors with a session cookie
(editors, staff) always get a fresh render.

The cache is never needed: any error of the shared store (Redis down, a full disk) is a miss,
and the page is rendered; when the content version itself cannot be kept (a full disk under the
file version), pages are served uncached until it can. With Redis, the content version's truth
is the database (historyweb/content_version.py), so a lost or rolled-back Redis serves no stale
page either.

Which pages: those of the views marked @page_cached. Such pages must not depend on the
visitor: no CSRF token, no per-user text (staff-only parts are fine: staff bypass the cache),
and not on the Host: one entry serves every allowed host name. A page whose right to be shown
can end before its content changes (a live session's follow page, once the session ends) names
a `gate`: a cheap check run on every request, hit or miss, before any stored copy is served;
when it says no, the view answers uncached (with its 404 or 410).

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
import time
from collections import OrderedDict
from threading import Lock

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.http import parse_etags, urlencode

from historyweb import compression

# The content version and the shared store have modules of their own; their public names are
# still importable from here.
from historyweb.content_version import (  # noqa: F401
    VERSION_KEY,
    bump_content_version,
    connect_signals,
    content_changed,
    content_version,
)
from historyweb.shared_store import shared_store

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
# entry per view marked @page_cached; and {view: its gate} for those that have one.
CACHED_VIEWS = {}
GATES = {}


def page_cached(query=None, gate=None):
    """Mark a view whose pages the page cache serves whole to anonymous visitors.

    `query` names the query parameters the view reads: the cache key keeps these and drops the
    rest. A tuple lists every value that gets its own shared entry (the view ignores any other,
    and so does the key); None marks free text, which is kept only in each worker's small memory
    (a search per word would fill any shared store). When what the view reads depends on its
    URL (a deck's print mode reads ?notes=), `query` is a function that takes the URL's keyword
    arguments and returns those rules.

    `gate(request, **url_kwargs)`, if given, runs before a stored copy is served: False sends
    the request to the view, uncached. It must be cheap (it runs on every hit).
    """

    def mark(view):
        CACHED_VIEWS[view] = query if callable(query) else dict(query or {})
        if gate is not None:
            GATES[view] = gate
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
        match = self._match(request)
        url, shared = canonical_url(request, match and query_rules(match))
        if url is None or not self._gate_open(request, match):
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
    def _match(request):
        try:
            return resolve(request.path_info)
        except Resolver404:
            return None

    @staticmethod
    def _gate_open(request, match):
        gate = GATES.get(match.func)
        return gate is None or gate(request, **match.kwargs)

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
