"""The presenter: audience deck, speaker view and print view for three kinds of deck.

A deck is the full history, one era, or a named talk. Every deck is served in three modes
from the same slide list, and the pages carry no per-user data (no CSRF token, no session),
so a proxy may cache them whole. Staff previews of unpublished eras are never cached.
"""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from historyweb.page_cache import page_cached

from ..models import Era, Talk, TalkEra
from ..presenter import deck_urls, era_deck, full_deck, talk_deck
from .caching import keep_private

MODES = {
    "audience": "timeline/present/deck.html",
    "speaker": "timeline/present/speaker.html",
    "print": "timeline/present/print.html",
}


def deck_query(mode="audience", **url_kwargs):
    """The query parameters a deck page reads (page cache): ?notes=1 in print mode only."""
    return {"notes": ("1",)} if mode == "print" else {}


@page_cached(query=deck_query)
def present(request, mode="audience"):
    """The full history: every era the visitor may see, in chronological order."""
    deck = full_deck(Era.objects.visible_to(request.user))
    return _render_deck(request, deck, mode, "full", "")


@page_cached(query=deck_query)
def present_era(request, slug, mode="audience"):
    deck, era = era_deck(Era.objects.visible_to(request.user), slug)
    return _render_deck(request, deck, mode, "era", slug, private=not era.published)


@page_cached(query=deck_query)
def present_talk(request, slug, mode="audience"):
    deck, talk = talk_deck(Era.objects.visible_to(request.user), slug)
    return _render_deck(request, deck, mode, "talk", slug, talk=talk)


@page_cached()
def talk_list(request):
    """Every talk with its eras in order and its length."""
    visible = Era.objects.visible_to(request.user)
    items = (
        TalkEra.objects.filter(era__in=visible)
        .select_related("era")
        .only("talk_id", "order", "era__slug", "era__title", "era__year")
        .order_by("order")
    )
    talks = Talk.objects.annotate(
        era_total=Count("items", filter=Q(items__era__in=visible))
    ).prefetch_related(Prefetch("items", queryset=items, to_attr="visible_items"))
    return keep_private(request, render(request, "timeline/talk_list.html", {"talks": talks}))


def _render_deck(request, deck, mode, kind, slug, private=False, talk=None):
    urls = deck_urls(kind, slug)
    notes = mode == "print" and request.GET.get("notes") == "1"
    response = render(
        request,
        MODES[mode],
        {"deck": deck, "mode": mode, "urls": urls, "talk": talk, "with_notes": notes},
    )
    return keep_private(request, response, private)
