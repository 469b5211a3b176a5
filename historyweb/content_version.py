"""The content version: every cached page is stored under it, and any change to the content
bumps it, so no page outlives the content it shows.

With Redis (or any shared cache), its truth is the database (_DatabaseVersion), with a copy in
the pages cache, so a lost or rolled-back Redis serves no stale page. With
settings.PAGE_CACHE_VERSION_FILE, it is a small file shared by the workers of one machine
(_FileVersion); when that file cannot be kept (a full disk), pages are served uncached until it
can.
"""

import logging
import os
import tempfile
import time
import uuid
from pathlib import Path
from threading import Lock

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from historyweb.errors import NO_ROOM
from historyweb.models import ContentVersion
from historyweb.shared_store import shared_store

logger = logging.getLogger(__name__)

VERSION_KEY = "historyweb:content-version"


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
