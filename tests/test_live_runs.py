"""A run shown on the projector is part of a live session's state: followers that connect
later and the remote see it, re-rendered by the server, cut to size; a slide change clears it."""

import pytest
from django.test import Client

from timeline.live import channel, transports
from timeline.live.runs import MAX_HTML, MAX_TEXT
from timeline.live.state import current_states
from timeline.live.stream import thread_events
from timeline.models import LiveSession

from .test_live import control, deck_era, live, live_settings, read_events  # noqa: F401

pytestmark = pytest.mark.django_db

RESULT = "timeline:live-result"


@pytest.fixture
def on_sample(client, live):  # noqa: F811 (the fixture of that name)
    """A live session on slide 2, the slide with the runnable sample."""
    session, key, data = live
    control(client, session, key, {"slide": 2})
    session.refresh_from_db()
    return session, key, data


def sample_of(session):
    return session.layout[1]["samples"][0]


def show_run(client, session, key, **result):
    body = {"sample": sample_of(session), "result": {"ok": True, "output": "hi\n", **result}}
    return control(client, session, key, body, RESULT)


def test_a_follower_connecting_after_the_run_gets_it_with_the_state(client, on_sample):
    session, key, _ = on_sample
    response = show_run(client, session, key, output="Hello, WSGI\n")
    assert response.status_code == 200
    stream = thread_events(session.code)
    [(name, seq, data)] = read_events(next(stream))
    stream.close()
    assert name == "state" and seq == response.json()["seq"] == 2
    run = data["run"]
    assert (run["slide"], run["sample"], run["seq"], run["ok"]) == (2, sample_of(session), 2, True)
    assert "Hello, WSGI" in run["html"] and 'class="run-output"' in run["html"]
    # The plain state GET (the follower's check, the remote's probe) carries it too.
    state = Client().get(f"/live/{session.code}/state/").json()
    assert state["run"] == run


def test_a_slide_change_clears_the_run_and_a_step_does_not(client, on_sample):
    session, key, _ = on_sample
    layout = session.layout
    layout[1]["steps"] = 2
    LiveSession.objects.filter(pk=session.pk).update(layout=layout)
    session.refresh_from_db()
    show_run(client, session, key)
    assert control(client, session, key, {"slide": 2, "step": 1}).json()["run"] is not None
    answer = control(client, session, key, {"slide": 3}).json()
    assert answer["run"] is None
    assert LiveSession.objects.get(pk=session.pk).last_run is None


def test_a_move_based_on_the_state_before_a_run_is_not_stale(client, on_sample):
    """A run moves nothing: a tap the remote sent before it heard of the run still counts."""
    session, key, _ = on_sample
    before = LiveSession.objects.get(pk=session.pk).seq
    show_run(client, session, key)
    response = control(client, session, key, {"seq": before, "slide": 3})
    assert response.status_code == 200 and response.json()["slide"] == 3
    # ...but one based on the state before another move still is.
    assert control(client, session, key, {"seq": before, "slide": 1}).status_code == 409


def test_the_stored_result_is_rendered_here_escaped_and_cut(client, on_sample):
    """The report is built to fool it: markup in every field, its own "html", a huge body."""
    session, key, _ = on_sample
    markup = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    huge = markup * 1500  # 82 KB of markup; escaped it would be ~150 KB
    response = show_run(
        client,
        session,
        key,
        ok=False,
        output=markup,
        status="200 OK" + markup,
        body=huge,
        headers=[["X-Evil" + markup, markup]],
        html="<script>alert(3)</script>",
        error=markup,
    )
    assert response.status_code == 200
    html = LiveSession.objects.get(pk=session.pk).last_run["html"]
    assert "<script" not in html and "<img" not in html and "alert(3)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(html) <= MAX_HTML
    assert "cut for the live view" in html
    assert len(response.content) < MAX_HTML + 2000


def test_a_result_that_is_not_a_result_is_refused_and_nothing_stored(client, on_sample):
    session, key, _ = on_sample
    wrong = ({"output": "no ok"}, {"ok": True, "output": 5}, {"ok": True, "headers": [["a"]]})
    for result in wrong:
        body = {"sample": sample_of(session), "result": result}
        assert control(client, session, key, body, RESULT).status_code == 400
    elsewhere = {"sample": 99999, "result": {"ok": True}}
    assert control(client, session, key, elsewhere, RESULT).status_code == 400
    assert LiveSession.objects.get(pk=session.pk).last_run is None


def test_a_result_needs_the_control_key(client, on_sample):
    session, _, _ = on_sample
    body = {"sample": sample_of(session), "result": {"ok": True}}
    assert control(client, session, "wrong", body, RESULT).status_code == 403
    assert LiveSession.objects.get(pk=session.pk).last_run is None


def test_the_speakers_tab_choice_is_stored_with_the_run(client, on_sample):
    session, key, _ = on_sample
    assert control(client, session, key, {"tab": "Raw"}, RESULT).status_code == 400  # no run yet
    show_run(client, session, key, status="200 OK", body="{}")
    answer = control(client, session, key, {"tab": "Raw"}, RESULT).json()
    assert answer["run"]["tab"] == "Raw" and answer["run"]["seq"] == answer["seq"]
    assert control(client, session, key, {"tab": "<b>"}, RESULT).status_code == 400


def test_each_field_is_cut_to_the_limit(client, on_sample):
    session, key, _ = on_sample
    show_run(client, session, key, output="x" * (MAX_TEXT * 3))
    html = LiveSession.objects.get(pk=session.pk).last_run["html"]
    assert "x" * MAX_TEXT in html and "x" * (MAX_TEXT + 1) not in html


def test_a_white_screen_is_part_of_the_state(client, on_sample):
    session, key, _ = on_sample
    data = control(client, session, key, {"blackout": "white"}).json()
    assert (data["blackout"], data["white"]) == (True, True)
    data = control(client, session, key, {"blackout": True}).json()
    assert (data["blackout"], data["white"]) == (True, False)
    assert control(client, session, key, {"blackout": "White"}).status_code == 400


def test_text_that_escaping_makes_long_is_cut_shorter(client, on_sample):
    """A quote is six characters once escaped: fields each within the limit would still make
    the stored HTML too long for a state event, so they are cut further."""
    session, key, _ = on_sample
    quotes = '"' * MAX_TEXT
    fields = {name: quotes for name in ("output", "error", "status", "body", "log")}
    assert show_run(client, session, key, **fields).status_code == 200
    html = LiveSession.objects.get(pk=session.pk).last_run["html"]
    assert html.count("&quot;") > MAX_TEXT // 2  # still shows what it can
    assert len(html) <= MAX_HTML


def test_a_run_whose_news_was_lost_is_replayed_by_the_hubs_resync(
    client, on_sample, tmp_path, monkeypatch
):
    """A worker re-subscribing to the channel missed the run's publish: its re-read of the
    database finds the run, since showing it bumped the session's sequence number."""
    session, key, _ = on_sample
    hub = channel.Hub(transports.SocketTransport(tmp_path / "s"), resync=current_states)
    subscriber = channel.ThreadSubscriber(session.code)
    hub.subscribe(subscriber)
    try:
        hub.last_seq[session.code] = LiveSession.objects.get(pk=session.pk).seq
        monkeypatch.setattr(channel.Hub, "publish", lambda *args: None)  # the news is lost
        show_run(client, session, key, output="missed\n")
        assert subscriber.get(0.2) is None
        hub._resync()
        message = subscriber.get(1)
        assert "missed" in message["data"]["run"]["html"]
        assert message["seq"] == message["data"]["run"]["seq"]
    finally:
        hub.stop()
