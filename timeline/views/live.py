"""Live sessions over HTTP: go live, follow, the remote, its controls, QR codes, the event stream.

Followers need only the public code. Everything that steers (state, run, end, the remote page
and its QR code) needs the control key: in the query string for the remote's address (what
the QR code holds), in the X-Live-Key header for the POSTs it sends. Wrong key: 403.
"""

import functools
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from historyweb.databases import hand_back_connections
from historyweb.errors import ServiceError
from historyweb.page_cache import page_cached
from historyweb.throttle import RateStoreUnavailable, client_id, hit, remaining

from ..deck_pieces import load_outline
from ..live import pointer, runs, sessions, timer
from ..live.lan import public_base
from ..live.qr import qr_svg
from ..live.state import state_of, timer_of
from ..live.stream import async_events, read_session, thread_events
from ..models import Era, LiveSession
from ..presenter import DECK_URL_NAMES, deck_urls, load_deck
from .json_api import json_endpoint, read_json_object

KIND_BY_URL_NAME = {name: kind for kind, name in DECK_URL_NAMES.items()}
MAX_BODY_BYTES = 4 * 1024
MAX_DEPTH = 2  # flat objects; a list in a field reaches its typed check and gets its message
RESULT_BYTES = 128 * 1024  # a run's result, each field already cut to runs.MAX_TEXT by the deck
RESULT_DEPTH = 4  # {"result": {"headers": [[name, value]]}}
KEY_HEADER = "X-Live-Key"


NO_SESSION = "No live session has this address."
WRONG_KEY = "This is not the control key of this live session."


def refusal(request, error, *args, **kwargs):
    """{"error": why}, and "ended": true once the session is over (the remote then stops)."""
    data = {"error": error.message}
    if isinstance(error, sessions.Closed):
        data["ended"] = True
    if isinstance(error, sessions.Stale):
        data |= {"seq": error.session.seq, **state_of(error.session)}
    return data


live_json = json_endpoint(body=refusal)


def no_store(response):
    response["Cache-Control"] = "no-store, private"
    return response


def eras_of(session):
    return Era.objects.all() if session.with_unpublished else Era.objects.published()


def deck_of(session):
    return load_deck(session.deck_kind, session.deck_slug, eras_of(session))


def live_urls(session, key=None):
    code = {"code": session.code}
    urls = {
        "follow": reverse("timeline:live-follow", kwargs=code),
        "events": reverse("timeline:live-events", kwargs=code),
        "state": reverse("timeline:live-state", kwargs=code),
        "slides": reverse("timeline:live-slides", kwargs={**code, "chunk": 1}).removesuffix("1/"),
        "follow_qr": reverse("timeline:live-qr", kwargs={**code, "which": "follow"}),
    }
    if key is not None:
        query = "?" + urlencode({"key": key})
        urls |= {
            "remote": reverse("timeline:live-remote", kwargs=code) + query,
            "remote_qr": reverse("timeline:live-qr", kwargs={**code, "which": "remote"}) + query,
            "run": reverse("timeline:live-run", kwargs=code),
            "result": reverse("timeline:live-result", kwargs=code),
            "end": reverse("timeline:live-end", kwargs=code),
            "timer": reverse("timeline:live-timer", kwargs=code),
            "pointer": reverse("timeline:live-pointer", kwargs=code),
        }
    return urls


def closed_page(request, session):
    exc = sessions.Closed(session)
    try:
        urls = deck_urls(session.deck_kind, session.deck_slug)
    except Exception:  # noqa: BLE001 (a deck whose talk was renamed: no link, still a clear page)
        urls = None
    return no_store(
        render(
            request,
            "timeline/live/closed.html",
            {"message": exc.message, "urls": urls},
            status=410,
        )
    )


def controlled(request, code, key):
    """The open session if `key` is its control key; raises ServiceError (404, 403 or 410)."""
    session = LiveSession.objects.filter(code=code).first()
    if session is None:
        raise ServiceError(NO_SESSION, status=404)
    if not sessions.key_matches(session, key):
        raise ServiceError(WRONG_KEY, status=403)
    if sessions.is_closed(session):
        raise sessions.Closed(session)
    return session


def speaker_post(view):
    """A POST from the speaker's devices (projector, remote): `view(request, session)` gets the
    open session once its control key (the KEY_HEADER) is checked."""

    @never_cache
    @require_POST
    @live_json
    @functools.wraps(view)
    def checked(request, code):
        return view(request, controlled(request, code, request.headers.get(KEY_HEADER)))

    return checked


# ---- Going live -----------------------------------------------------------------------------


@never_cache
@require_POST
@live_json
def live_create(request):
    """JSON {"deck": "<a deck's address>", "slide": n, "step": k} in (the session starts on the
    slide and step the presenting deck shows); the follow and remote addresses out."""
    check_may_go_live(request.user)
    fields = {"deck": None, "slide": None, "step": None}
    data = read_json_object(request, fields, MAX_BODY_BYTES, MAX_DEPTH)
    path = data["deck"]
    if not isinstance(path, str) or len(path) > 300:
        raise ServiceError('Say which deck goes live: {"deck": "/present/"}.', status=400)
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        match = None
    kind = KIND_BY_URL_NAME.get(match.view_name) if match else None
    if kind is None:
        raise ServiceError("That address is not a deck.", status=400)
    slug = match.kwargs.get("slug", "")
    try:
        deck, _ = load_deck(kind, slug, Era.objects.visible_to(request.user))
    except Http404:
        raise ServiceError("That deck does not exist.", status=404) from None
    if not deck.count:
        raise ServiceError("That deck has no slides.", status=400)
    slide = 1 if data["slide"] is None else data["slide"]
    step = 0 if data["step"] is None else data["step"]
    # Checked before counting: a body refused here starts nothing and costs nothing.
    sessions.checked_position(sessions.layout_of(deck), slide, step)
    count_creation(request)
    session, key = sessions.create(
        deck,
        kind,
        slug,
        slide=slide,
        step=step,
        user=request.user,
        with_unpublished=request.user.is_staff,
    )
    base, hint = public_base(request)
    urls = live_urls(session, key)
    return JsonResponse(
        {
            "code": session.code,
            "key": key,
            "follow_url": base + urls["follow"],
            "remote_url": base + urls["remote"],
            "urls": urls,
            "lan_hint": hint,
            "state": {"seq": session.seq, **state_of(session)},
        },
        status=201,
    )


def check_may_go_live(user):
    """Staff only (a signed-in account is not enough), unless LIVE_REQUIRE_STAFF is off."""
    if getattr(settings, "LIVE_REQUIRE_STAFF", True) and not user.is_staff:
        raise ServiceError("Sign in to the admin as staff to go live.", status=403)


def count_creation(request):
    """One more session started by this client; raises ServiceError (429) past the limit."""
    window = getattr(settings, "LIVE_CREATE_WINDOW", 60 * 60)
    try:
        count = hit(f"live:{client_id(request)}", window, Path(settings.VAR_DIR) / "live-rate")
    except RateStoreUnavailable:
        # Fail open: a speaker about to present must not be stopped by a cache outage, and a
        # session costs little (the limit is against floods, which staff-only going live bars).
        count = 0
    if count > getattr(settings, "LIVE_CREATE_LIMIT", 20):
        retry = remaining(window, time.time())
        message = f"Too many live sessions started. Try again in {retry} s."
        raise ServiceError(message, status=429, retry_after=retry)


# ---- Pages ----------------------------------------------------------------------------------


def follow_open(request, code):
    """The page cache's gate for the follow page: one short query on every visit, cached copy
    or not, so an ended or expired session is never served from a copy rendered before."""
    try:
        session = LiveSession.objects.filter(code=code).only("ended_at", "touched_at").first()
    finally:
        hand_back_connections()  # a page from the cache needs no more: not while it is sent
    return session is not None and not sessions.is_closed(session)


# The follow page is public and the same for every follower of a session: its render (the
# first slides and the outline, for the session's deck) is cached per content version and
# compressed once, like the deck's; only the session's check (follow_open) runs per visit.
# Its parts are cached too: a follower reads on after the end.
@page_cached(gate=follow_open)
@require_GET
def live_follow(request, code):
    """The audience's deck: it follows the presenter; browsing on is allowed, steering is not."""
    session = get_object_or_404(LiveSession, code=code)
    if sessions.is_closed(session):
        return closed_page(request, session)
    outline = load_outline(session.deck_kind, session.deck_slug, eras_of(session))
    context = {
        **outline.first_view(),
        "mode": "audience",
        "urls": deck_urls(session.deck_kind, session.deck_slug),
        "talk": outline.talk,
        "live": {"role": "follow", "session": session, "urls": live_urls(session)},
    }
    response = render(request, "timeline/present/deck.html", context)
    patch_cache_control(response, no_cache=True)  # served uncached (an editor): ask each time
    return response


@page_cached()
@require_GET
def live_slides(request, code, chunk):
    """Part of the follow page's deck (deck_pieces.py), as the session shows it."""
    session = get_object_or_404(LiveSession, code=code)
    outline = load_outline(session.deck_kind, session.deck_slug, eras_of(session))
    context = {"deck": outline, "slides": outline.chunk(chunk), "mode": "audience"}
    return render(request, "timeline/present/slides.html", context)


@never_cache
@require_GET
def live_remote(request, code):
    """The phone in the speaker's hand."""
    session = get_object_or_404(LiveSession, code=code)
    if not sessions.key_matches(session, request.GET.get("key", "")):
        return no_store(render(request, "timeline/live/forbidden.html", status=403))
    if sessions.is_closed(session):
        return closed_page(request, session)
    deck, talk = deck_of(session)
    response = render(
        request,
        "timeline/live/remote.html",
        {
            "deck": deck,
            "talk": talk,
            "session": session,
            "urls": live_urls(session, request.GET["key"]),
            "deck_urls": deck_urls(session.deck_kind, session.deck_slug),
            "layout": session.layout,
            "timer": timer_of(session),
        },
    )
    # The key is in this page's address: never send it on in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)


@never_cache
@require_GET
@live_json
def live_qr(request, code, which):
    if which not in ("follow", "remote"):
        raise Http404
    session = get_object_or_404(LiveSession, code=code)
    key = request.GET.get("key", "")
    if which == "remote" and not sessions.key_matches(session, key):
        raise ServiceError(WRONG_KEY, status=403)
    if sessions.is_closed(session):
        raise sessions.Closed(session)
    base, _ = public_base(request)
    urls = live_urls(session, key if which == "remote" else None)
    title = "Remote control" if which == "remote" else "Follow the slides"
    svg = qr_svg(base + urls[which], title)
    return no_store(HttpResponse(svg, content_type="image/svg+xml"))


# ---- Controls (JSON) ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@live_json
def live_state(request, code):
    """GET: the current state (anyone with the code). POST: move (the control key only), with
    the "seq" of the state the move was based on; a stale one is refused (409, the state now)."""
    if request.method == "GET":
        session = get_object_or_404(LiveSession, code=code)
        if sessions.is_closed(session):
            raise sessions.Closed(session)
        return JsonResponse({"seq": session.seq, **state_of(session)})
    session = controlled(request, code, request.headers.get(KEY_HEADER))
    fields = {"seq": None, "slide": None, "step": None, "blackout": None}
    data = read_json_object(request, fields, MAX_BODY_BYTES, MAX_DEPTH)
    session = sessions.change(session, **data)
    return JsonResponse({"seq": session.seq, **state_of(session)})


@speaker_post
def live_run(request, session):
    """Run a sample of the current slide on the presenting deck (the projector)."""
    data = read_json_object(request, {"sample": None}, MAX_BODY_BYTES, MAX_DEPTH)
    sessions.run(session, data["sample"])
    return JsonResponse({"ok": True}, status=202)


@speaker_post
def live_result(request, session):
    """The projector shows a run's result ({"sample", "result"}) or the speaker chose one of its
    tabs ({"tab"}): followers and the remote show the same (re-rendered here, live/runs.py)."""
    fields = {"sample": None, "result": None, "tab": None}
    data = read_json_object(request, fields, RESULT_BYTES, RESULT_DEPTH)
    if data["tab"] is not None:
        session = runs.choose_tab(session, data["tab"])
    else:
        session = runs.record(session, data["sample"], data["result"])
    return JsonResponse({"seq": session.seq, **state_of(session)})


@speaker_post
def live_timer(request, session):
    """{"action": "start" | "pause" | "reset"}: the talk's one timer, which the speaker view
    and the remote both show (live/timer.py)."""
    data = read_json_object(request, {"action": None}, MAX_BODY_BYTES, MAX_DEPTH)
    session = timer.apply(session, data["action"])
    return JsonResponse({"seq": session.seq, **state_of(session)})


@speaker_post
def live_pointer(request, session):
    """{"slide", "x", "y"} (shares of the slide, 0 to 1) or {"slide", "hidden": true}: the
    speaker's pointer, shown on the projector and to followers; never stored (live/pointer.py)."""
    fields = {"slide": None, "x": None, "y": None, "hidden": None, "sender": None, "n": None}
    data = read_json_object(request, fields, MAX_BODY_BYTES, 1)
    return JsonResponse(pointer.point(session, **data))


@speaker_post
def live_end(request, session):
    sessions.end(session)
    return JsonResponse({"seq": session.seq, **state_of(session)})


# ---- The stream -----------------------------------------------------------------------------


@live_json
async def live_events(request, code):
    """Server-sent events: the state now, then each change, until the session ends."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    session = await read_session(code)
    if session is None:
        raise ServiceError(NO_SESSION, status=404)
    if sessions.is_closed(session):
        raise sessions.Closed(session)
    events = async_events(code) if isinstance(request, ASGIRequest) else thread_events(code)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx and friends: pass each event on at once
    return response
