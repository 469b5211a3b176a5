"""A full database connection pool is a 503 that says why, with Retry-After, not a 500: for
pages, runs, the remote's moves and the followers' streams.

On PostgreSQL with DATABASE_POOL_MAX_SIZE, a request that finds every connection taken waits
DATABASE_POOL_TIMEOUT seconds, then psycopg's pool raises PoolTimeout, which Django passes on
as its OperationalError. Here the connection raises exactly that chain, on any database.
"""

import pytest
from django.db import connections
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse
from psycopg_pool import PoolTimeout

from historyweb.errors import DATABASE_BUSY
from timeline.live import sessions
from timeline.models import LiveSession

from .factories import make_era, make_sample

pytestmark = pytest.mark.django_db


def fail_to_connect(monkeypatch, error):
    """From now on every query of the request raises `error`, as a full pool makes it."""
    wrapper = type(connections["default"])

    def ensure_connection(self):
        raise error

    monkeypatch.setattr(wrapper, "ensure_connection", ensure_connection)


def pool_timeout():
    try:
        raise PoolTimeout("couldn't get a connection after 10.00 sec")
    except PoolTimeout as timeout:
        try:
            raise OperationalError(str(timeout)) from timeout
        except OperationalError as error:
            return error


@pytest.fixture
def session():
    key = "k" * 43
    live = LiveSession.objects.create(
        code="busycode",
        key_digest=sessions.digest(key),
        deck_kind="era",
        deck_slug="wsgi",
        layout=[{"steps": 0, "samples": []}] * 3,
    )
    return live, key


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def assert_busy(response):
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1


def test_a_page_is_a_503_with_the_reason(monkeypatch, browser):
    fail_to_connect(monkeypatch, pool_timeout())
    response = browser.get("/")
    assert_busy(response)
    assert DATABASE_BUSY in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_run_is_a_503_with_the_reason(monkeypatch, browser):
    sample = make_sample(make_era(slug="cgi", title="CGI"), runtime="cgi", code="print()\n")
    fail_to_connect(monkeypatch, pool_timeout())
    url = reverse("timeline:sample-run", args=[sample.pk])
    response = browser.post(url, {}, content_type="application/json")
    assert_busy(response)
    assert DATABASE_BUSY in response.content.decode()


def test_the_remotes_move_is_a_503_in_json(monkeypatch, browser, session):
    live, key = session
    fail_to_connect(monkeypatch, pool_timeout())
    response = browser.post(
        reverse("timeline:live-state", kwargs={"code": live.code}),
        {"slide": 2, "seq": 0},
        content_type="application/json",
        headers={"X-Live-Key": key},
    )
    assert_busy(response)
    assert response.json() == {"error": DATABASE_BUSY}


def test_a_followers_stream_is_a_503_in_json(monkeypatch, browser, session):
    live, _ = session
    fail_to_connect(monkeypatch, pool_timeout())
    response = browser.get(reverse("timeline:live-events", kwargs={"code": live.code}))
    assert_busy(response)
    assert response.json() == {"error": DATABASE_BUSY}


@pytest.mark.parametrize("path", ["/", "move"])
def test_any_other_database_error_is_still_a_500(monkeypatch, browser, session, path):
    """Only a full pool passes with time: a database that refuses us otherwise is a fault."""
    live, key = session
    fail_to_connect(monkeypatch, OperationalError("connection refused"))
    if path == "/":
        response = browser.get("/")
    else:
        response = browser.post(
            reverse("timeline:live-state", kwargs={"code": live.code}),
            {"slide": 2, "seq": 0},
            content_type="application/json",
            headers={"X-Live-Key": key},
        )
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
