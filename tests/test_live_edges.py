# ruff: noqa: F811 (the fixtures imported from test_live are the tests' arguments)
"""Live sessions at their edges: the exact words a speaker reads when a control is refused, the
run event the projector's stream gets, a session that closes while a request is on its way, the
timer's reset and count, and the follow page's gate in front of its cached copy."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from timeline.live import runs, sessions, timer
from timeline.live.runs import CUT, MAX_HTML, MAX_TEXT
from timeline.live.stream import thread_events
from timeline.models import LiveSession

from .factories import make_era, make_slide
from .test_live import (  # noqa: F401
    built_era,
    control,
    deck_era,
    go_live,
    live,
    live_settings,
    read_events,
)

pytestmark = pytest.mark.django_db

RUN, RESULT, END = "timeline:live-run", "timeline:live-result", "timeline:live-end"


@pytest.fixture
def on_sample(client, live):
    """A live session on slide 2, the slide with the runnable sample; and that sample."""
    session, key, _ = live
    control(client, session, key, {"slide": 2})
    session.refresh_from_db()
    return session, key, session.layout[1]["samples"][0]


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


def directives(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


# ---- What a refused control says --------------------------------------------------------------


def test_a_refused_control_says_exactly_why(client, on_sample):
    session, key, sample = on_sample
    assert (
        error(control(client, session, key, {"seq": 0, "slide": 3}), 409)
        == "Not moved: the deck had already moved on (it is on slide 2). "
        "This move was based on an older state."
    )
    assert (
        error(control(client, session, key, {"sample": sample + 1}, RUN), 400)
        == "That sample is not on the current slide."
    )
    elsewhere = {"sample": sample + 1, "result": {"ok": True}}
    assert (
        error(control(client, session, key, elsewhere, RESULT), 400)
        == "That sample is not on the current slide."
    )
    assert (
        error(control(client, session, key, {"tab": "Raw"}, RESULT), 400)
        == "No run is shown on the projector."
    )
    assert (
        error(control(client, session, key, {"tab": "Nope"}, RESULT), 400)
        == "“tab” must be one of Response, Raw, Output, environ, Scope, ASGI events, Log."
    )
    report = {"sample": sample, "result": {"ok": True, "output": 5}}
    assert error(control(client, session, key, report, RESULT), 400) == "“output” must be text."
    control(client, session, key, {}, END)
    assert (
        error(control(client, session, key, {"slide": 1}), 410)
        == "This live session has ended: the speaker closed it."
    )


def test_ending_and_the_timer_each_bump_the_sequence_by_one(client, on_sample):
    session, key, _ = on_sample
    assert LiveSession.objects.get(pk=session.pk).seq == 1
    started = control(client, session, key, {"action": "start"}, "timeline:live-timer")
    assert started.json()["seq"] == 2
    assert control(client, session, key, {}, END).json()["seq"] == 3


def test_a_paused_timer_with_time_on_it_is_reset_to_zero(client, live):
    session, key, _ = live

    def press(action):
        return control(client, session, key, {"action": action}, "timeline:live-timer").json()

    press("start")
    LiveSession.objects.filter(pk=session.pk).update(
        timer_started_at=timezone.now() - timedelta(seconds=10)
    )
    paused = press("pause")
    assert not paused["timer"]["running"] and paused["timer"]["elapsed_ms"] >= 10_000
    reset = press("reset")
    assert reset["timer"] == {"running": False, "elapsed_ms": 0}
    assert reset["seq"] == paused["seq"] + 1


# ---- A run ------------------------------------------------------------------------------------


def test_a_run_reaches_the_projectors_stream_with_its_sample_and_slide(client, on_sample):
    session, key, sample = on_sample
    stream = thread_events(session.code)
    next(stream)
    assert control(client, session, key, {"sample": sample}, RUN).status_code == 202
    assert read_events(next(stream)) == [("run", 1, {"sample": sample, "slide": 2})]
    stream.close()


def test_a_run_keeps_an_idle_session_open(client, on_sample):
    session, key, sample = on_sample
    LiveSession.objects.filter(pk=session.pk).update(
        touched_at=timezone.now() - timedelta(hours=23)
    )
    control(client, session, key, {"sample": sample}, RUN)
    touched = LiveSession.objects.get(pk=session.pk).touched_at
    assert timezone.now() - touched < timedelta(minutes=1)


def test_a_field_of_exactly_the_limit_is_kept_whole(client, on_sample):
    session, key, sample = on_sample
    report = {"sample": sample, "result": {"ok": True, "output": "a" * MAX_TEXT}}
    html = control(client, session, key, report, RESULT).json()["run"]["html"]
    assert "a" * MAX_TEXT in html and CUT.strip() not in html


# ---- A session that closes while a request is on its way ---------------------------------------


def test_what_arrives_after_the_session_ended_is_refused_as_ended(client, on_sample):
    """The request read the session open; the speaker ended it before the change was made."""
    session, key, sample = on_sample
    read_open = LiveSession.objects.get(pk=session.pk)
    sessions.end(LiveSession.objects.get(pk=session.pk))
    report = {"ok": True, "output": "late\n"}
    for late in (
        lambda: runs.record(read_open, sample, report),
        lambda: timer.apply(read_open, "start"),
    ):
        with pytest.raises(sessions.Closed) as refused:
            late()
        assert refused.value.message == "This live session has ended: the speaker closed it."
    ended = LiveSession.objects.get(pk=session.pk)
    assert ended.last_run is None and ended.timer_started_at is None
    for late in (lambda: sessions.run(ended, sample), lambda: sessions.change(ended, seq=2)):
        with pytest.raises(sessions.Closed, match="ended"):
            late()


def test_a_move_read_open_but_made_after_the_end_is_refused_and_moves_nothing(client, live):
    """The end bumps the sequence number but not the moved one, so the move's "seq" still
    matches: only the ended check in the same UPDATE refuses it."""
    session, _, _ = live
    read_open = LiveSession.objects.get(pk=session.pk)
    sessions.end(LiveSession.objects.get(pk=session.pk))
    with pytest.raises(sessions.Closed) as refused:
        sessions.change(read_open, seq=read_open.seq, slide=2)
    assert refused.value.message == "This live session has ended: the speaker closed it."
    assert LiveSession.objects.get(pk=session.pk).slide == 1


def test_a_move_moves_its_own_session_only(client, live):
    session, _, _ = live
    other = LiveSession.objects.get(code=go_live(client).json()["code"])
    sessions.change(session, seq=0, slide=2)
    other.refresh_from_db()
    assert (other.slide, other.seq, other.moved_seq) == (1, 0, 0)


def test_what_arrives_after_the_session_is_gone_or_moved_on_is_refused(client, on_sample):
    session, key, sample = on_sample
    read_on_two = LiveSession.objects.get(pk=session.pk)
    control(client, session, key, {"slide": 3})
    with pytest.raises(sessions.OutOfRange) as refused:
        runs.record(read_on_two, sample, {"ok": True})
    assert refused.value.message == "The deck has moved on to another slide: the run is not shown."
    LiveSession.objects.filter(pk=session.pk).delete()
    for late in (
        lambda: runs.record(read_on_two, sample, {"ok": True}),
        lambda: timer.apply(read_on_two, "start"),
    ):
        with pytest.raises(sessions.Closed):
            late()


# ---- The follow page ---------------------------------------------------------------------------


def test_a_cached_follow_page_costs_one_query_until_the_session_ends(
    client,
    live,
    django_assert_num_queries,
):
    session, key, _ = live
    url = reverse("timeline:live-follow", kwargs={"code": session.code})
    first = client.get(url)
    with django_assert_num_queries(1):  # the gate's: a copy is served
        assert client.get(url).content == first.content
    control(client, session, key, {}, END)
    closed = client.get(url)
    assert error_page(closed) == "This live session has ended: the speaker closed it."
    assert {"no-store", "private"} <= directives(closed)


def test_a_cached_follow_page_is_not_served_once_the_session_expired(client, live):
    session, _, _ = live
    url = reverse("timeline:live-follow", kwargs={"code": session.code})
    client.get(url)
    LiveSession.objects.filter(pk=session.pk).update(
        touched_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    assert "expired" in error_page(client.get(url))


def error_page(response):
    assert response.status_code == 410
    html = response.content.decode()
    return html.split("<p>", 1)[1].split("</p>", 1)[0]


def test_followers_see_unpublished_eras_only_in_a_session_staff_started(
    client,
    admin_client_logged,
    deck_era,
):
    draft = make_era(slug="draft", title="Draft era", year=2030, published=False)
    make_slide(draft, title="A slide still in draft")
    for starter, shown in ((client, False), (admin_client_logged, True)):
        code = go_live(starter, "/present/").json()["code"]
        page = client.get(reverse("timeline:live-follow", kwargs={"code": code}))
        assert ("A slide still in draft" in page.content.decode()) is shown


# ---- The projector's report ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"output": "no ok"}, "“result” must be a run's result, with “ok” true or false."),
        ({"ok": 1}, "“result” must be a run's result, with “ok” true or false."),
        ({"ok": True, "outcome": "won"}, "“outcome” is not a run's outcome."),
        ({"ok": True, "duration_ms": -1}, "“duration_ms” must be a number of milliseconds."),
        ({"ok": True, "duration_ms": "5"}, "“duration_ms” must be a number of milliseconds."),
        ({"ok": True, "headers": [["a"]]}, "“headers” must be a list of [name, value] text pairs."),
        ({"ok": True, "log": ["x"]}, "“log” must be text."),
    ],
)
def test_a_report_that_is_not_a_result_is_refused_with_the_field_at_fault(
    client, on_sample, result, message
):
    session, key, sample = on_sample
    body = {"sample": sample, "result": result}
    assert error(control(client, session, key, body, RESULT), 400) == message


def test_the_outcome_reported_is_the_one_shown(client, on_sample):
    session, key, sample = on_sample
    for result, outcome in (
        ({"ok": False, "outcome": "timeout"}, "timeout"),
        ({"ok": False}, "exit"),
        ({"ok": True}, "ok"),
    ):
        body = {"sample": sample, "result": result}
        html = control(client, session, key, body, RESULT).json()["run"]["html"]
        assert f'data-outcome="{outcome}"' in html


def test_header_names_and_values_are_cut_to_their_own_limits(client, on_sample):
    session, key, sample = on_sample
    name, value = "n" * (MAX_TEXT // 20), "v" * (MAX_TEXT // 10)
    headers = [[name + "n" * 50, value + "v" * 50]]
    result = {"ok": True, "status": "200 OK", "headers": headers}
    html = control(client, session, key, {"sample": sample, "result": result}, RESULT).json()
    html = html["run"]["html"]
    assert name in html and name + "n" not in html
    assert value in html and value + "v" not in html


def shown_summary(client, on_sample, **result):
    session, key, sample = on_sample
    body = {"sample": sample, "result": result}
    response = control(client, session, key, body, RESULT)
    if response.status_code != 200:
        return response.status_code
    html = response.json()["run"]["html"]
    return html.split('<p class="run-meta">', 1)[1].split("</p>", 1)[0]


def test_the_duration_and_cache_reported_are_shown_within_their_bounds(client, on_sample):
    assert shown_summary(client, on_sample, ok=True) == "Ran in 0 ms."
    assert shown_summary(client, on_sample, ok=False, duration_ms=12.4) == (
        "Did not finish cleanly in 12 ms."
    )
    assert shown_summary(client, on_sample, ok=True, duration_ms=9_999_999, cached=True) == (
        "Ran in 9999999 ms (cached)."
    )
    assert shown_summary(client, on_sample, ok=True, cached="yes") == "Ran in 0 ms."
    assert shown_summary(client, on_sample, ok=True, duration_ms=10**7) == 400


def test_a_result_of_exactly_the_html_limit_is_kept_whole():
    fields = ("output", "error", "status", "body", "log")
    report = {"ok": True, **{name: '"' * 1500 for name in fields}}
    pad = MAX_HTML - len(runs.shown_run(1, 1, report)["html"])
    assert 0 < pad and 1500 + pad <= MAX_TEXT  # one plain character is one in the HTML
    report["output"] += "a" * pad
    html = runs.shown_run(1, 1, report)["html"]
    assert len(html) == MAX_HTML and CUT.strip() not in html


def test_markup_too_long_once_escaped_is_cut_by_halves():
    quotes = '"' * MAX_TEXT  # six characters each once escaped
    report = {"ok": True, "output": quotes, "error": quotes, "log": quotes}
    html = runs.shown_run(1, 1, report)["html"]
    half = "&quot;" * (MAX_TEXT // 2)
    assert half + CUT in html and half + "&quot;" not in html


def test_a_run_shown_has_no_tab_chosen_yet(client, on_sample):
    session, key, sample = on_sample
    body = {"sample": sample, "result": {"ok": True}}
    assert control(client, session, key, body, RESULT).json()["run"]["tab"] == ""


# ---- Moves --------------------------------------------------------------------------------------


def test_a_malformed_move_says_which_field_is_wrong(client, live):
    session, key, _ = live
    assert (
        error(control(client, session, key, {"seq": "0", "slide": 2}), 400)
        == "“seq” must be the sequence number of the state this move was based on."
    )
    assert (
        error(control(client, session, key, {"blackout": "White"}), 400)
        == '“blackout” must be true, false or "white".'
    )


def test_a_sequence_number_past_the_sessions_is_stale_not_malformed(client, live):
    session, key, _ = live
    assert control(client, session, key, {"seq": 127, "slide": 2}).status_code == 409
    assert control(client, session, key, {"seq": 2**62, "slide": 2}).status_code == 409


def test_a_step_or_a_blackout_alone_leaves_the_rest_where_it_is(client, built_era):
    data = go_live(client).json()
    session, key = LiveSession.objects.get(code=data["code"]), data["key"]
    control(client, session, key, {"slide": 2})
    moved = control(client, session, key, {"step": 1}).json()
    assert (moved["slide"], moved["step"]) == (2, 1)
    dark = control(client, session, key, {"blackout": True}).json()
    assert (dark["slide"], dark["step"], dark["blackout"]) == (2, 1, True)


# ---- Addresses and the control key --------------------------------------------------------------


def test_going_live_answers_every_address_a_device_needs(client, deck_era):
    data = go_live(client).json()
    base, query = f"/live/{data['code']}/", f"?key={data['key']}"
    assert data["urls"] == {
        "follow": base,
        "events": base + "events/",
        "state": base + "state/",
        "slides": base + "slides/",
        "follow_qr": base + "qr/follow.svg",
        "remote": base + "remote/" + query,
        "remote_qr": base + "qr/remote.svg" + query,
        "run": base + "run/",
        "result": base + "result/",
        "end": base + "end/",
        "timer": base + "timer/",
        "pointer": base + "pointer/",
    }
    # The follow page's deck asks for its parts at the slides address plus a chunk number.
    assert client.get(data["urls"]["slides"] + "1/").status_code == 200


@pytest.mark.parametrize("name", ["timeline:live-state", RUN, END])
def test_a_control_says_whether_the_session_or_the_key_is_wrong(client, live, name):
    session, key, _ = live
    gone = LiveSession(code="no-such-session", pk=session.pk)
    assert error(control(client, gone, key, {}, name), 404) == "No live session has this address."
    assert (
        error(control(client, session, "x" * 43, {}, name), 403)
        == "This is not the control key of this live session."
    )


def test_the_creation_limit_counts_over_an_hour_or_the_window_set(
    client, deck_era, settings, one_rate_window
):
    settings.LIVE_CREATE_LIMIT = 1
    go_live(client)
    assert 0 < int(go_live(client)["Retry-After"]) <= 3600
    settings.LIVE_CREATE_WINDOW = 60
    go_live(client)
    assert 0 < int(go_live(client)["Retry-After"]) <= 60
