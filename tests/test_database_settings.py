"""The database settings from the environment (historyweb/databases.py): connections are not
kept past their request, and production pools them on PostgreSQL."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from historyweb.databases import database_settings

SQLITE = "sqlite:////tmp/historyweb-test.sqlite3"
PG = "postgres://historyweb@db:5432/historyweb"


def test_connections_are_not_kept_past_their_request_by_default():
    """Under ASGI a kept connection stays with a request's thread nobody reuses."""
    assert database_settings(SQLITE, environ={})["CONN_MAX_AGE"] == 0
    assert database_settings(SQLITE, environ={"DATABASE_URL": PG})["CONN_MAX_AGE"] == 0


def test_production_pools_postgresql_connections():
    database = database_settings(SQLITE, environ={"DATABASE_URL": PG}, pool_size=8)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 8, "timeout": 10.0}
    environ = {"DATABASE_URL": PG, "DATABASE_POOL_MAX_SIZE": "3", "DATABASE_POOL_TIMEOUT": "2"}
    pool = database_settings(SQLITE, environ=environ, pool_size=8)["OPTIONS"]["pool"]
    assert (pool["max_size"], pool["timeout"]) == (3, 2.0)


@pytest.mark.parametrize(
    ("url", "environ"),
    [
        (SQLITE, {"DATABASE_POOL_MAX_SIZE": "4"}),  # no pool for SQLite
        (PG, {"DATABASE_POOL_MAX_SIZE": "0"}),  # switched off, e.g. behind PgBouncer
    ],
)
def test_no_pool_where_there_is_none_to_have(url, environ):
    database = database_settings(SQLITE, environ={"DATABASE_URL": url, **environ}, pool_size=8)
    assert "pool" not in database.get("OPTIONS", {})


def test_a_pool_with_persistent_connections_is_refused_at_start():
    """Django itself refuses it, but only on the first query: say so when settings load."""
    environ = {"DATABASE_URL": PG, "DATABASE_CONN_MAX_AGE": "60"}
    with pytest.raises(ImproperlyConfigured, match="must be 0"):
        database_settings(SQLITE, environ=environ, pool_size=8)
    kept = database_settings(SQLITE, environ={**environ, "DATABASE_POOL_MAX_SIZE": "0"})
    assert kept["CONN_MAX_AGE"] == 60


@pytest.mark.parametrize("value", ["many", "-1", "2.5"])
def test_a_malformed_number_is_refused(value):
    with pytest.raises(ImproperlyConfigured):
        database_settings(SQLITE, environ={"DATABASE_URL": PG, "DATABASE_POOL_MAX_SIZE": value})
