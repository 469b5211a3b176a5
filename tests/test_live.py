"""Live sessions: going live, the remote's controls and their checks, followers, expiry, QR codes
and the event stream (timeline/live/)."""

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from timeline.live import channel, sessions, transports
from timeline.live.state import current_states, state_of
from timeline.live.stream import async_events, thread_events
from timeline.models import LiveSession

from .factories import make_era, make_sample, make_slide, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def live_settings(settings, tmp_path):
    """Open creation (as under make run) and this test's own socket directory and hub."""
    settings.LIVE_REQUIRE_STAFF = False
    settings.LIVE_SOCKET_DIR = str(tmp_path / "live")
    settings.REDIS_URL = ""
    channel.reset_hub()
    yield settings
    channel.reset_hub()


@pytest.fixture
def deck_era():
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    first = make_slide(era, title="One calling convention", notes="Say **PEP 333**.")
    make_slide(era, title="Middleware")
    make_sample(era, slide=first, title="Hello WSGI", runtime="wsgi", code="app = None\n")
    return era


def go_live(client, deck="/present/wsgi/"):
    return client.post(
        reverse("timeline:live-create"), {"deck": deck}, content_type="application/json"
    )


@pytest.fixture
def live(client, deck_era):
    data = go_live(client).json()
    return LiveSession.objects.get(code=data["code"]), data["key"], data


def control(client, session, key, body, name="timeline:live-state"):
    """POST to one of the session's controls. A move made here is based on the state now
    (its "seq" is the session's current one) unless the body names a "seq" of its own."""
    if name == "timeline:live-state" and isinstance(body, dict) and "seq" not in body:
        body = {"seq": LiveSession.objects.get(pk=session.pk).seq, **body}
    return client.post(
        reverse(name, kwargs={"code": session.code}),
        body,
        content_type="application/json",
        headers={"X-Live-Key": key} if key is not None else {},
    )


# ---- Going live -----------------------------------------------------------------------------


def test_going_live_answers_the_follow_and_remote_addresses(client, deck_era):
    """POST /live/ (the contract): JSON with follow_url and remote_url; the key is ≥ 128 bits."""
    response = go_live(client)
    assert response.status_code == 201
    data = response.json()
    session = LiveSession.objects.get()
    assert data["follow_url"] == f"http://testserver/live/{session.code}/"
    assert data["remote_url"] == f"http://testserver/live/{session.code}/remote/?key={data['key']}"
    assert len(data["key"]) >= 43  # 32 bytes of secrets.token_urlsafe
    assert len(session.code) == 11  # 8 bytes: short enough for the QR code
    assert session.created_by is None  # nobody signed in
    # Only the key's digest is kept.
    assert data["key"] not in session.key_digest and len(session.key_digest) == 64
    assert (session.deck_kind, session.deck_slug, session.slide_count) == ("era", "wsgi", 3)
    assert session.layout[1]["samples"] == [deck_era.samples.get().pk]
    assert (
        response["Cache-Control"].startswith("no-store") or "no-cache" in response["Cache-Control"]
    )


def test_any_kind_of_deck_can_go_live(client, deck_era):
    talk = make_talk([deck_era], slug="short")
    for deck, kind in [("/present/", "full"), (f"/talks/{talk.slug}/present/", "talk")]:
        assert go_live(client, deck).status_code == 201
        assert LiveSession.objects.latest("pk").deck_kind == kind


@pytest.mark.parametrize(
    "body, status",
    [
        ({"deck": "/eras/wsgi/"}, 400),  # a page, not a deck
        ({"deck": "/present/nope/"}, 404),
        ({"deck": ["/present/"]}, 400),
        ({}, 400),
        ("[1, 2]", 400),
        ("not json", 400),
    ],
)
def test_going_live_refuses_what_is_not_a_deck(client, deck_era, body, status):
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(reverse("timeline:live-create"), data, content_type="application/json")
    assert response.status_code == status
    assert "error" in response.json()
    assert not LiveSession.objects.exists()


@pytest.fixture
def built_era():
    """WSGI: its title slide (no steps), a slide of two bullets built one by one (steps 0-2)
    and a plain slide."""
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    make_slide(era, title="Two points", body="- one\n- two", fragments=True)
    make_slide(era, title="Middleware")
    return era


def test_the_server_counts_each_slides_build_steps_and_only_those_are_accepted(client, built_era):
    data = go_live(client).json()
    session = LiveSession.objects.get(code=data["code"])
    assert [slide["steps"] for slide in session.layout] == [0, 2, 0]
    assert control(client, session, data["key"], {"slide": 2, "step": 2}).status_code == 200
    # A forged step past the slide's last is refused, and the session stays where it was.
    refused = control(client, session, data["key"], {"slide": 2, "step": 3})
    assert refused.status_code == 400
    assert refused.json()["error"] == "Slide 2 has steps 0–2, not 3."
    session.refresh_from_db()
    assert (session.slide, session.step) == (2, 2)
    for forged in ({"slide": 3, "step": 1}, {"slide": 1, "step": 1}):
        assert control(client, session, data["key"], forged).status_code == 400


@pytest.mark.parametrize("steps", [[0, 9, 0], [0, 0, 0], [5, 5, 5]])
def test_going_live_takes_no_step_counts_from_the_browser(client, built_era, steps):
    """The browser no longer sends step counts: a body that does is refused whole, so a forged
    count can never widen (or narrow) what the session accepts."""
    url = reverse("timeline:live-create")
    body = {"deck": "/present/wsgi/", "steps": steps, "slide": 2, "step": 2}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "“steps”" in response.json()["error"]
    assert not LiveSession.objects.exists()


def test_going_live_starts_on_the_slide_and_step_the_deck_shows(client, built_era):
    """A deck opened at #/3 (or reloaded mid-talk) goes live there, not at slide 1."""
    url = reverse("timeline:live-create")
    body = {"deck": "/present/wsgi/", "slide": 2, "step": 1}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["state"] | {"seq": 0} == response.json()["state"]
    assert (response.json()["state"]["slide"], response.json()["state"]["step"]) == (2, 1)
    session = LiveSession.objects.get()
    assert (session.slide, session.step, session.seq) == (2, 1, 0)
    # Followers and the remote see it at once: the state GET and the stream start there.
    state = client.get(reverse("timeline:live-state", kwargs={"code": session.code})).json()
    assert (state["slide"], state["step"], state["seq"]) == (2, 1, 0)
    # Without a slide, slide 1 at its first step, as before.
    assert go_live(client).json()["state"]["slide"] == 1


@pytest.mark.parametrize(
    "position",
    [
        {"slide": 0},
        {"slide": 4},  # the deck has 3 slides
        {"slide": -1},
        {"slide": "2"},
        {"slide": 2.0},
        {"slide": True},
        {"slide": 10**30},
        {"slide": [2]},
        {"slide": 2, "step": 3},  # slide 2 has steps 0–2
        {"slide": 1, "step": 1},  # slide 1 has none
        {"slide": 2, "step": -1},
        {"slide": 2, "step": False},
        {"slide": 2, "step": "1"},
    ],
)
def test_going_live_refuses_a_slide_or_step_the_deck_does_not_have(client, built_era, position):
    url = reverse("timeline:live-create")
    body = {"deck": "/present/wsgi/", **position}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert not LiveSession.objects.exists()


def test_the_whole_history_deck_goes_live_with_no_slug(client, deck_era):
    assert go_live(client, "/present/").status_code == 201
    session = LiveSession.objects.get()
    assert (session.deck_kind, session.deck_slug) == ("full", "")


def test_an_empty_deck_cannot_go_live(client):
    response = go_live(client, "/present/")
    assert response.status_code == 400


def test_production_needs_a_staff_login_to_go_live(client, admin_client_logged, deck_era, settings):
    settings.LIVE_REQUIRE_STAFF = True
    refused = go_live(client)
    assert refused.status_code == 403
    assert refused.json()["error"] == "Sign in to the admin as staff to go live."
    assert go_live(admin_client_logged).status_code == 201


def test_a_signed_in_account_that_is_not_staff_cannot_go_live(
    client, django_user_model, deck_era, settings
):
    settings.LIVE_REQUIRE_STAFF = True
    django_user_model.objects.create_user("reader", password="pw", is_staff=False)
    assert client.login(username="reader", password="pw")
    refused = go_live(client)
    assert refused.status_code == 403
    assert "staff" in refused.json()["error"]
    assert not LiveSession.objects.exists()


def test_sessions_show_unpublished_eras_only_when_staff_went_live(
    client, admin_client_logged, deck_era
):
    assert LiveSession.objects.get(code=go_live(client).json()["code"]).with_unpublished is False
    staff = go_live(admin_client_logged).json()["code"]
    assert LiveSession.objects.get(code=staff).with_unpublished is True
    assert LiveSession.objects.get(code=staff).created_by.is_staff


def test_going_live_clears_sessions_idle_for_over_a_week(client, deck_era):
    old, recent = (LiveSession.objects.get(code=go_live(client).json()["code"]) for _ in range(2))
    week_ago = timezone.now() - 7 * sessions.idle_limit()
    hour = timedelta(hours=1)
    LiveSession.objects.filter(pk=old.pk).update(touched_at=week_ago - hour)
    LiveSession.objects.filter(pk=recent.pk).update(touched_at=week_ago + hour)
    go_live(client)
    assert not LiveSession.objects.filter(pk=old.pk).exists()
    assert LiveSession.objects.filter(pk=recent.pk).exists()


def test_going_live_needs_a_csrf_token(deck_era):
    strict = Client(enforce_csrf_checks=True)
    assert go_live(strict).status_code == 403
    token = strict.get(reverse("timeline:sample-csrf")).json()["csrfToken"]
    response = strict.post(
        reverse("timeline:live-create"),
        {"deck": "/present/wsgi/"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201


def test_going_live_is_rate_limited(client, deck_era, settings, one_rate_window):
    settings.LIVE_CREATE_LIMIT = 2
    assert [go_live(client).status_code for _ in range(3)] == [201, 201, 429]
    refused = go_live(client)
    retry = int(refused["Retry-After"])
    assert retry >= 1
    assert refused.json()["error"] == f"Too many live sessions started. Try again in {retry} s."
    assert LiveSession.objects.count() == 2


def test_going_live_is_not_stopped_by_a_rate_store_that_fails(
    client, deck_era, settings, monkeypatch
):
    """Fail open: a speaker about to present is not stopped by a cache outage."""
    from historyweb import throttle

    def broken(*args, **kwargs):
        raise OSError("the cache is down")

    monkeypatch.setattr(throttle, "_count", broken)
    settings.LIVE_CREATE_LIMIT = 0  # any count at all would refuse: none is taken
    assert [go_live(client).status_code for _ in range(2)] == [201, 201]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 2000 + "]" * 2000,  # deeper than the parser goes: RecursionError, caught
        '{"deck": ' + "[" * 1000 + "]" * 1000 + "}",
        "{",
        "[]",
        '{"deck": 5}',
        '{"deck": "/present/wsgi/", "extra": 1}',
        '{"deck": "/no/such/deck/"}',
        '{"deck": "/present/nothing/"}',
        '{"deck": "/present/wsgi/", "steps": [0, 0, 0]}',
        '{"deck": "/present/wsgi/", "slide": 2, "step": 1}',  # slide 2 has no build steps
    ],
)
def test_a_refused_body_is_not_counted_against_the_creation_limit(
    client, deck_era, settings, body, one_rate_window
):
    """Validate, then count: a body refused for what it holds started nothing."""
    settings.LIVE_CREATE_LIMIT = 1
    url = reverse("timeline:live-create")
    for _ in range(3):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code in (400, 404), response.content
        assert response.json()["error"]
    assert [go_live(client).status_code for _ in range(2)] == [201, 429]
    assert LiveSession.objects.count() == 1


def test_loopback_links_point_at_the_lan_when_the_server_serves_it(
    client, deck_era, monkeypatch, settings
):
    """A phone cannot open 127.0.0.1: with HOST=0.0.0.0 the links carry the LAN address."""
    from timeline.live import lan

    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.1.20"])
    settings.LIVE_BIND_HOST = "0.0.0.0"
    data = go_live(Client(HTTP_HOST="127.0.0.1:8000")).json()
    assert data["follow_url"].startswith("http://192.168.1.20:8000/live/")
    assert data["remote_url"].startswith("http://192.168.1.20:8000/live/")
    assert data["lan_hint"] == ""
    settings.LIVE_BIND_HOST = "127.0.0.1"
    data = go_live(Client(HTTP_HOST="127.0.0.1:8000")).json()
    assert data["follow_url"].startswith("http://127.0.0.1:8000/")
    assert "HOST=0.0.0.0" in data["lan_hint"]


# ---- The remote's controls ------------------------------------------------------------------


def test_the_control_key_moves_the_session_and_bumps_its_sequence(client, live):
    session, key, _ = live
    response = control(client, session, key, {"slide": 3})
    assert response.status_code == 200
    assert response.json()["slide"] == 3
    session.refresh_from_db()
    assert (session.slide, session.step, session.seq) == (3, 0, 1)
    assert control(client, session, key, {"blackout": True}).json()["blackout"] is True


def test_a_move_based_on_a_stale_state_is_refused_with_the_state_now(client, live):
    """Two senders (the remote and the laptop) both on slide 1 press Next: the first moves the
    deck to 2, the second's move was based on slide 1 and is refused, not applied on top (which
    would skip slide 2). The refusal carries the state now, for the sender to show."""
    session, key, _ = live
    first = control(client, session, key, {"seq": 0, "slide": 2})
    assert (first.status_code, first.json()["seq"], first.json()["slide"]) == (200, 1, 2)
    second = control(client, session, key, {"seq": 0, "slide": 2})
    assert second.status_code == 409
    refused = second.json()
    assert refused["error"].startswith("Not moved")
    assert (refused["seq"], refused["slide"], refused["step"], refused["count"]) == (1, 2, 0, 3)
    # Nothing changed, nothing was announced as a change.
    session.refresh_from_db()
    assert (session.slide, session.seq) == (2, 1)
    # A stale blackout too; then the same move based on the state now is made.
    assert control(client, session, key, {"seq": 0, "blackout": True}).status_code == 409
    assert control(client, session, key, {"seq": 5, "slide": 3}).status_code == 409  # the future
    assert control(client, session, key, {"seq": 1, "slide": 3}).json()["seq"] == 2
    session.refresh_from_db()
    assert (session.slide, session.blackout, session.seq) == (3, False, 2)


@pytest.mark.parametrize("seq", [None, "0", 0.0, False, [0], -1, 2**63])
def test_a_move_must_say_which_state_it_was_based_on(client, live, seq):
    session, key, _ = live
    body = {"slide": 2} if seq is None else {"slide": 2, "seq": seq}
    response = client.post(
        reverse("timeline:live-state", kwargs={"code": session.code}),
        body,
        content_type="application/json",
        headers={"X-Live-Key": key},
    )
    assert response.status_code == 400
    assert "“seq”" in response.json()["error"]
    session.refresh_from_db()
    assert (session.slide, session.seq) == (1, 0)


def test_two_requests_that_read_the_same_state_advance_the_deck_once(live):
    """Two requests in flight at once each loaded the session at seq 0: the check is made in
    the UPDATE itself, so the second is refused even though its own copy looked current."""
    session, _, _ = live
    seen_by_remote = LiveSession.objects.get(pk=session.pk)
    seen_by_laptop = LiveSession.objects.get(pk=session.pk)
    sessions.change(seen_by_remote, seq=0, slide=2)
    with pytest.raises(sessions.Stale) as refused:
        sessions.change(seen_by_laptop, seq=0, slide=2)
    assert (refused.value.session.seq, refused.value.session.slide) == (1, 2)
    session.refresh_from_db()
    assert (session.slide, session.seq) == (2, 1)


def test_a_stale_move_on_an_ended_session_says_it_ended(client, live):
    session, key, _ = live
    control(client, session, key, {}, "timeline:live-end")
    response = control(client, session, key, {"seq": 0, "slide": 2})
    assert response.status_code == 410


@pytest.mark.parametrize("key", [None, "", "x", "wrong" * 9])
def test_a_wrong_key_cannot_steer(client, live, key):
    session, real, _ = live
    for name, body in [
        ("timeline:live-state", {"slide": 2}),
        ("timeline:live-run", {"sample": 1}),
        ("timeline:live-timer", {"action": "start"}),
        ("timeline:live-end", {}),
    ]:
        assert control(client, session, key, body, name).status_code == 403
    assert control(client, session, real[:-1], {"slide": 2}).status_code == 403
    session.refresh_from_db()
    assert (session.slide, session.seq, session.ended_at) == (1, 0, None)
    assert session.timer_started_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"slide": 0},
        {"slide": 4},
        {"slide": -1},
        {"slide": 2.0},
        {"slide": "2"},
        {"slide": True},
        {"slide": 10**30},
        {"slide": 2, "step": 1},  # this slide has no build steps
        {"slide": 2, "step": -1},
        {"blackout": "yes"},
    ],
)
def test_only_slides_and_steps_in_range_are_accepted(client, live, body):
    session, key, _ = live
    response = control(client, session, key, body)
    assert response.status_code == 400
    assert response.json()["error"]
    session.refresh_from_db()
    assert (session.slide, session.step, session.blackout, session.seq) == (1, 0, False, 0)


@pytest.mark.parametrize("step", ["", [], False, True, {}, "0", 0.0])
def test_a_step_is_a_whole_number_not_something_falsy(client, live, step):
    """Only a missing step means 0: "", [], false and friends are refused, not read as 0."""
    session, key, _ = live
    response = control(client, session, key, {"slide": 2, "step": step})
    assert (response.status_code, response.json()["error"]) == (
        400,
        "“slide” and “step” must be whole numbers.",
    )
    session.refresh_from_db()
    assert (session.slide, session.step, session.seq) == (1, 0, 0)
    assert control(client, session, key, {"slide": 2}).json()["step"] == 0


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("timeline:live-state", "[" * 2000 + "]" * 2000),
        ("timeline:live-state", '{"slide": ' + "[" * 1990 + "]" * 1990 + "}"),
        ("timeline:live-run", "[" * 2000 + "]" * 2000),
        ("timeline:live-run", '{"sample": ' + "[" * 1990 + "]" * 1990 + "}"),
        ("timeline:live-end", "[" * 2000 + "]" * 2000),
    ],
)
def test_deep_json_on_the_controls_is_a_400(client, live, name, body):
    session, key, _ = live
    response = control(client, session, key, body, name)
    if name == "timeline:live-end":  # it reads no body: the session simply ends
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert response.json()["error"] in (
        "The body is not valid JSON.",
        "The body is nested too deeply.",
    )
    session.refresh_from_db()
    assert session.seq == 0


def test_steps_are_accepted_up_to_the_slides_build_steps(client, live):
    session, key, _ = live
    session.layout[1]["steps"] = 2
    session.save()
    assert control(client, session, key, {"slide": 2, "step": 2}).status_code == 200
    assert control(client, session, key, {"slide": 2, "step": 3}).status_code == 400


def test_the_state_carries_the_build_steps_of_the_slide_it_is_on(client, live):
    session, key, _ = live
    session.layout = [{"steps": 3}, {"steps": 2}, {"steps": 0}]
    session.save()
    assert control(client, session, key, {"slide": 2}).json()["steps"] == 2
    session.refresh_from_db()
    assert state_of(session)["steps"] == 2
    session.slide = 1
    assert state_of(session)["steps"] == 3
    session.layout = []  # a deck whose slides are not known: no steps
    assert state_of(session)["steps"] == 0


def test_a_huge_body_is_refused(client, live):
    session, key, _ = live
    response = control(client, session, key, {"slide": 1, "pad": "x" * 10_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "body, message",
    [
        ("[" * 3000, "The body is not valid JSON."),  # too deep for the parser
        (
            '{"slide": 2, "pad": 1}',
            "Unknown field “pad”: send only “seq”, “slide”, “step” and “blackout”.",
        ),
        ('{"slide": [[2]]}', "The body is nested too deeply."),
        ('{"slide": "\\ud800"}', "“slide” is not valid Unicode text (it holds a lone surrogate)."),
    ],
)
def test_control_bodies_are_read_as_strictly_as_a_runs(client, live, body, message):
    """The remote's body goes through the Run button's reader: a deep one is a 400, not a 500."""
    session, key, _ = live
    response = control(client, session, key, body)
    assert (response.status_code, response.json()["error"]) == (400, message)
    session.refresh_from_db()
    assert session.seq == 0


def test_going_live_refuses_unknown_fields(client, deck_era):
    body = json.dumps({"deck": "/present/wsgi/", "extra": 1})
    response = client.post(reverse("timeline:live-create"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == (
        "Unknown field “extra”: send only “deck”, “slide” and “step”."
    )
    assert not LiveSession.objects.exists()


def test_a_huge_body_is_refused_before_it_is_read(client, live):
    session, key, _ = live
    response = client.generic(
        "POST",
        reverse("timeline:live-run", kwargs={"code": session.code}),
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH="999999999",
        headers={"X-Live-Key": key},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "The request body is too long."


def test_the_key_is_compared_in_constant_time(monkeypatch, live):
    session, key, _ = live
    calls = []
    real = sessions.hmac.compare_digest
    monkeypatch.setattr(sessions.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert sessions.key_matches(session, key)
    assert not sessions.key_matches(session, "nope")
    assert len(calls) == 2


@pytest.mark.parametrize("wrong", [None, "", b"key", 7, ["key"], "\ud800"])
def test_a_key_that_is_not_text_or_is_empty_or_not_unicode_matches_nothing(live, wrong):
    session, key, _ = live
    assert sessions.key_matches(session, wrong) is False
    assert sessions.key_matches(session, key.encode()) is False


def test_a_run_must_be_a_sample_of_the_current_slide(client, live, deck_era):
    session, key, _ = live
    pk = deck_era.samples.get().pk
    assert control(client, session, key, {"sample": pk}, "timeline:live-run").status_code == 400
    control(client, session, key, {"slide": 2})
    assert control(client, session, key, {"sample": pk}, "timeline:live-run").status_code == 202
    assert control(client, session, key, {"sample": pk + 1}, "timeline:live-run").status_code == 400


# ---- Pages ----------------------------------------------------------------------------------


def test_the_follow_page_shows_the_deck_without_any_control(client, live):
    session, key, _ = live
    response = client.get(reverse("timeline:live-follow", kwargs={"code": session.code}))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('aria-roledescription="slide"') == 3
    assert 'data-live-role="follow"' in html
    assert key not in html and session.key_digest not in html
    assert ">Go live</button>" not in html and 'data-action="speaker"' not in html
    assert "data-channel" not in html  # cannot steer another window through BroadcastChannel


def test_the_remote_page_needs_the_key(client, live):
    session, key, _ = live
    url = reverse("timeline:live-remote", kwargs={"code": session.code})
    assert client.get(url).status_code == 403
    assert client.get(url, {"key": "nope"}).status_code == 403
    response = client.get(url, {"key": key})
    assert response.status_code == 200
    html = response.content.decode()
    assert ">Next</button>" in html and ">Previous</button>" in html
    assert "Say <strong>PEP 333</strong>." in html  # the notes
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_the_deck_offers_go_live_and_stays_cacheable(client, deck_era):
    response = client.get(reverse("timeline:present-era", kwargs={"slug": "wsgi"}))
    html = response.content.decode()
    assert ">Go live</button>" in html
    assert 'data-live-create="/live/"' in html
    assert not response.cookies and "csrfmiddlewaretoken" not in html


# ---- Expiry and ending ----------------------------------------------------------------------


def urls_of(session):
    code = {"code": session.code}
    return [
        reverse("timeline:live-follow", kwargs=code),
        reverse("timeline:live-state", kwargs=code),
        reverse("timeline:live-events", kwargs=code),
        reverse("timeline:live-qr", kwargs={**code, "which": "follow"}),
    ]


def test_a_session_idle_for_a_day_has_expired_and_says_so(client, live):
    session, key, _ = live
    LiveSession.objects.filter(pk=session.pk).update(
        touched_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    for url in urls_of(session):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "expired" in response.content.decode()
    follow = client.get(urls_of(session)[0]).content.decode()
    assert 'href="/present/wsgi/"' in follow  # the deck stays readable
    response = control(client, session, key, {"slide": 2})
    assert response.status_code == 410
    assert response.json() == {
        "error": "This live session has expired: it was idle for more than a day.",
        "ended": True,
    }


def test_the_idle_limit_is_the_setting(settings):
    settings.LIVE_IDLE_SECONDS = 90
    assert sessions.idle_limit() == timedelta(seconds=90)


def test_a_session_closes_once_idle_for_more_than_the_limit_not_at_it(live):
    session, _, _ = live
    limit = sessions.idle_limit()
    assert not sessions.is_closed(session, now=session.touched_at + limit)
    assert sessions.is_closed(session, now=session.touched_at + limit + timedelta(microseconds=1))


def test_a_session_moved_within_the_day_stays_open(client, live):
    session, key, _ = live
    LiveSession.objects.filter(pk=session.pk).update(
        touched_at=timezone.now() - timedelta(hours=23)
    )
    assert control(client, session, key, {"slide": 2}).status_code == 200
    session.refresh_from_db()
    assert session.touched_at > timezone.now() - timedelta(minutes=1)


def test_the_speaker_ends_a_session(client, live):
    session, key, _ = live
    response = control(client, session, key, {}, "timeline:live-end")
    assert response.status_code == 200 and response.json()["ended"] is True
    for url in urls_of(session):
        assert client.get(url).status_code == 410
    assert "ended" in client.get(urls_of(session)[1]).json()["error"]


# ---- QR codes -------------------------------------------------------------------------------


def test_qr_codes_are_svg_made_here_without_style_attributes(client, live):
    session, key, _ = live
    follow = client.get(
        reverse("timeline:live-qr", kwargs={"code": session.code, "which": "follow"})
    )
    assert follow.status_code == 200
    assert follow["Content-Type"] == "image/svg+xml"
    svg = follow.content.decode()
    assert svg.startswith("<svg") and "viewBox" in svg and "style" not in svg
    assert "<script" not in svg
    remote = reverse("timeline:live-qr", kwargs={"code": session.code, "which": "remote"})
    assert client.get(remote).status_code == 403
    assert client.get(remote, {"key": key}).status_code == 200
    assert (
        client.get(
            reverse("timeline:live-qr", kwargs={"code": session.code, "which": "x"})
        ).status_code
        == 404
    )


# ---- The event stream -----------------------------------------------------------------------


def test_the_event_stream_is_not_cached_or_buffered(client, live):
    session, _, _ = live
    response = client.get(reverse("timeline:live-events", kwargs={"code": session.code}))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/event-stream"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Accel-Buffering"] == "no"
    assert not response.has_header("Content-Encoding")
    response.close()


def read_events(chunk):
    text = chunk.decode()
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], int(fields["id"]), json.loads(fields["data"])))
    return events


@pytest.mark.django_db(transaction=True)
def test_a_thread_stream_starts_with_the_state_and_carries_each_change(live, client):
    session, key, _ = live
    control(client, session, key, {"slide": 2})
    stream = thread_events(session.code)
    assert read_events(next(stream)) == [
        (
            "state",
            1,
            {
                "slide": 2,
                "step": 0,
                "steps": 0,
                "count": 3,
                "blackout": False,
                "white": False,
                "ended": False,
                "run": None,
                "timer": {"running": False, "elapsed_ms": 0},
            },
        )
    ]
    # A change made elsewhere (another thread stands in for another worker's request).
    threading.Timer(0.2, lambda: control(Client(), session, key, {"slide": 3})).start()
    [(name, seq, data)] = read_events(next(stream))
    assert (name, seq, data["slide"]) == ("state", 2, 3)
    control(client, session, key, {}, "timeline:live-end")
    [(name, seq, data)] = read_events(next(stream))
    assert data["ended"] is True
    with pytest.raises(StopIteration):
        next(stream)
    assert channel.hub().listening() == 0


@pytest.mark.django_db(transaction=True)
def test_an_async_stream_carries_changes_without_a_thread(live, client):
    session, key, _ = live

    async def scenario():
        stream = async_events(session.code)
        first = read_events(await anext(stream))
        changed = asyncio.get_running_loop().run_in_executor(
            None, lambda: control(Client(), session, key, {"slide": 3}).status_code
        )
        second = read_events(await asyncio.wait_for(anext(stream), 5))
        await changed
        await stream.aclose()
        return first, second

    # In a thread of its own: the browser tests' Playwright keeps a loop in the main thread.
    with ThreadPoolExecutor(1) as pool:
        first, second = pool.submit(asyncio.run, scenario()).result(timeout=20)
    assert first[0][2]["slide"] == 1
    assert second[0][1:] == (1, {**second[0][2], "slide": 3})
    assert channel.hub().listening() == 0


@pytest.mark.django_db(transaction=True)
def test_an_open_async_stream_holds_no_database_connection(live, client, monkeypatch):
    """The stream's read closes its connection: it waits on the channel, not the database.
    (SQLite's in-memory test database ignores close(), so the calls are what is checked.)"""
    session, _, _ = live
    wrapper = type(connections["default"])
    closed_in = []
    close = wrapper.close
    monkeypatch.setattr(
        wrapper, "close", lambda self: closed_in.append(threading.get_ident()) or close(self)
    )

    async def scenario():
        stream = async_events(session.code)
        await anext(stream)
        reader = await sync_to_async(threading.get_ident)()  # the thread that read the session
        await stream.aclose()
        return reader

    with ThreadPoolExecutor(1) as pool:
        reader = pool.submit(asyncio.run, scenario()).result(timeout=20)
    assert reader in closed_in


@pytest.mark.django_db(transaction=True)
def test_an_open_async_stream_lets_go_of_the_requests_thread(live, client):
    """Under the ASGI server each request has a thread for its blocking parts (Django enters a
    ThreadSensitiveContext per request); a stream lets it go once it has read the session."""
    session, _, _ = live

    async def scenario():
        async with ThreadSensitiveContext() as context:
            # As Django's request_started signal does: the request's own thread now exists.
            ident = await sync_to_async(threading.get_ident)()
            # Held here too, so the thread must be stopped, not just forgotten (collected).
            held = SyncToAsync.context_to_thread_executor[context]
            stream = async_events(session.code)
            await anext(stream)
            deadline = time.monotonic() + 5
            while ident in {t.ident for t in threading.enumerate()}:
                assert time.monotonic() < deadline, "the request's thread is still alive"
                await asyncio.sleep(0.02)
            await stream.aclose()
            del held
            # What runs after the stream (the response's close) gets a thread again.
            assert await sync_to_async(lambda: 42)() == 42

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=20)


def test_a_reconnecting_stream_resumes_at_the_current_slide(live, client):
    """Last-Event-ID or not, a new stream opens with the state as it is now."""
    session, key, _ = live
    for slide in (2, 3, 2):
        control(client, session, key, {"slide": slide})
    stream = thread_events(session.code)
    [(_, seq, data)] = read_events(next(stream))
    assert (seq, data["slide"]) == (3, 2)
    stream.close()


# ---- A stopping server ends its streams -------------------------------------------------------


def test_a_stopping_server_ends_a_thread_stream_with_bye(live):
    """runserver and WSGI servers: a thread's stream ends with "bye" too."""
    session, _, _ = live
    stream = thread_events(session.code)
    next(stream)
    threading.Timer(0.2, channel.stop_hub).start()
    started = time.monotonic()
    farewell = next(stream)
    assert time.monotonic() - started < 5  # at the stop, not at the next keep-alive (15 s)
    assert b"event: bye\n" in farewell and b"retry: " in farewell
    with pytest.raises(StopIteration):
        next(stream)
    assert channel.hub().listening() == 0


@pytest.mark.django_db(transaction=True)
def test_a_stopping_server_ends_an_async_stream_with_bye_within_a_second(live):
    session, _, _ = live

    async def scenario():
        stream = async_events(session.code)
        await anext(stream)
        asyncio.get_running_loop().call_later(0.1, channel.stop_hub)
        started = time.monotonic()
        farewell = await asyncio.wait_for(anext(stream), 5)
        took = time.monotonic() - started
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        return farewell, took

    with ThreadPoolExecutor(1) as pool:
        farewell, took = pool.submit(asyncio.run, scenario()).result(timeout=20)
    assert b"event: bye\n" in farewell and took < 1
    assert channel.hub().listening() == 0


def test_the_process_hub_catches_up_from_the_database_on_this_installations_channel(tmp_path):
    hub = channel.hub()
    assert hub is channel.hub()  # one per process
    assert hub.resync is current_states
    assert hub.transport.directory == tmp_path / "live"


def test_a_stream_opened_as_the_server_stops_ends_at_once(live):
    """A request that was already in flight when the signal came must not hold the process."""
    session, _, _ = live
    channel.hub()
    channel.stop_hub()
    stream = thread_events(session.code)
    next(stream)  # the state as it is: the reader gets it before reconnecting
    started = time.monotonic()
    assert b"event: bye" in next(stream)
    assert time.monotonic() - started < 5  # at once, not at the next keep-alive (15 s)
    with pytest.raises(StopIteration):
        next(stream)


def test_a_bye_is_sent_once_and_ends_the_stream_even_after_the_session_ended():
    from timeline.live.stream import Forwarder

    forwarder = Forwarder(seq=3)
    assert b"event: bye" in forwarder.render({"code": "abc", "event": "bye"})
    assert forwarder.done
    assert forwarder.render({"code": "abc", "event": "bye"}) == b""
    assert forwarder.render({"code": "abc", "event": "state", "seq": 9, "data": {}}) == b""


def test_stopping_without_a_hub_makes_none(monkeypatch):
    monkeypatch.setattr(channel, "_hub", None)
    channel.stop_hub()
    assert channel._hub is None


# ---- The channel across processes -----------------------------------------------------------


def test_sockets_reach_every_hub_in_the_directory(tmp_path):
    """Two hubs on one directory stand for two workers: a message from one reaches both."""
    hubs = [channel.Hub(transports.SocketTransport(tmp_path / "s")) for _ in range(2)]
    subscribers = [channel.ThreadSubscriber("abc") for _ in hubs]
    try:
        for hub, subscriber in zip(hubs, subscribers, strict=True):
            hub.subscribe(subscriber)
        hubs[0].publish("abc", "state", 7, {"slide": 4})
        for subscriber in subscribers:
            assert subscriber.get(2)["data"] == {"slide": 4}
        # Another session's news is not delivered here.
        hubs[1].publish("other", "state", 1, {"slide": 1})
        assert subscribers[0].get(0.2) is None
    finally:
        for hub in hubs:
            hub.stop()


def test_a_dead_workers_socket_is_cleaned_up(tmp_path):
    directory = tmp_path / "s"
    hub = channel.Hub(transports.SocketTransport(directory))
    hub.subscribe(channel.ThreadSubscriber("abc"))
    stale = directory / "999999-dead.sock"
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(stale))
    try:
        hub.publish("abc", "state", 1, {})
        assert not stale.exists()
    finally:
        hub.stop()


def test_the_hub_resyncs_a_missed_change_from_the_database(tmp_path):
    states = {"abc": (5, {"slide": 2})}
    hub = channel.Hub(transports.SocketTransport(tmp_path / "s"), resync=lambda codes: states)
    subscriber = channel.ThreadSubscriber("abc")
    hub.subscribe(subscriber)
    try:
        hub._resync()
        assert subscriber.get(1)["seq"] == 5
        hub._resync()  # nothing new: nothing sent twice
        assert subscriber.get(0.1) is None
    finally:
        hub.stop()


def test_garbage_on_the_channel_is_ignored(tmp_path):
    assert channel.decode(b"\xff\xfe") is None
    assert channel.decode(b"[1]") is None
    assert channel.decode(b'{"code": 1}') is None


def test_a_slow_stream_keeps_only_the_latest_events():
    subscriber = channel.ThreadSubscriber("abc")
    for n in range(channel.QUEUE_LENGTH + 10):
        subscriber.deliver({"seq": n})
    assert subscriber.get(0)["seq"] == 10


def test_an_idle_stream_sends_keepalives(live, monkeypatch):
    from timeline.live import stream as stream_module

    session, _, _ = live
    monkeypatch.setattr(stream_module, "KEEPALIVE_SECONDS", 0.05)
    events = thread_events(session.code)
    next(events)
    started = time.monotonic()
    assert next(events) == b": keep-alive\n\n"
    assert time.monotonic() - started < 2
    events.close()


@pytest.mark.django_db(transaction=True)
def test_an_idle_async_stream_sends_keepalives(live, monkeypatch):
    from timeline.live import stream as stream_module

    session, _, _ = live
    monkeypatch.setattr(stream_module, "KEEPALIVE_SECONDS", 0.05)

    async def scenario():
        stream = async_events(session.code)
        await anext(stream)
        quiet = await asyncio.wait_for(anext(stream), 5)
        await stream.aclose()
        return quiet

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result(timeout=20) == b": keep-alive\n\n"
