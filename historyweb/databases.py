"""The database settings, from the environment.

Production serves ASGI, where Django runs each request's blocking work in a thread of its own:
a connection kept past its request (CONN_MAX_AGE > 0) stays with a thread nobody reuses, so
Django advises against persistent connections there, and the default here is 0.

On PostgreSQL, Django's connection pool (psycopg 3's, OPTIONS["pool"]) bounds a worker's
connections instead: a request takes one from the pool and hands it back when it ends, and a
worker never holds more than DATABASE_POOL_MAX_SIZE, however many requests run at once or
followers stream. A request that finds every connection busy waits up to
DATABASE_POOL_TIMEOUT seconds for one. The whole deployment needs at most
workers x DATABASE_POOL_MAX_SIZE connections, plus one per management command running.
"""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

POSTGRESQL = "django.db.backends.postgresql"


def positive_int(environ, name, default):
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative.")
    return value


def database_settings(default_url, environ=os.environ, pool_size=0):
    """DATABASES["default"]: DATABASE_URL (else `default_url`), CONN_MAX_AGE 0 unless
    DATABASE_CONN_MAX_AGE says otherwise, and on PostgreSQL a pool of DATABASE_POOL_MAX_SIZE
    connections (default `pool_size`; 0: no pool)."""
    max_age = positive_int(environ, "DATABASE_CONN_MAX_AGE", 0)
    database = dj_database_url.parse(
        environ.get("DATABASE_URL") or default_url,
        conn_max_age=max_age,
        conn_health_checks=True,
    )
    size = positive_int(environ, "DATABASE_POOL_MAX_SIZE", pool_size)
    if size and database["ENGINE"] == POSTGRESQL:
        if max_age:
            # Django refuses a pool with persistent connections: the pool keeps them instead.
            raise ImproperlyConfigured(
                "DATABASE_CONN_MAX_AGE must be 0 with a connection pool "
                "(set DATABASE_POOL_MAX_SIZE=0 to keep connections without one)."
            )
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(positive_int(environ, "DATABASE_POOL_MIN_SIZE", 1), size),
            "max_size": size,
            "timeout": float(positive_int(environ, "DATABASE_POOL_TIMEOUT", 10)),
        }
    return database


def hand_back_connections():
    """Close this thread's connections now (back to the pool, if any) rather than when its
    request ends: for a request that still has long to go without the database (a stream, or a
    page about to be sent from the page cache). A transaction the caller holds open (a test's)
    is the caller's to end: its connection stays."""
    from django.db import connections  # not at import: the settings import this module

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
