"""The presenter: audience deck, speaker view and print view for three kinds of deck.

A deck is the full history, one era, or a named talk. Every deck is served in three modes
from the same slide list, and the pages carry no per-user data (no CSRF token, no session),
so a proxy may cache them whole. Staff previews of unpublished eras are never cached.

The audience deck and the speaker view come in pieces (deck_pieces.py): the first view holds
the first slides and an outline of all, and `slides/<chunk>/` under each serves the rest. The
print view holds every slide.
"""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from historyweb.page_cache import page_cached

from ..deck_pieces import load_outline
from ..models import Era, Talk, TalkEra
from ..presenter import deck_urls, era_deck, full_deck, talk_deck
from .caching import keep_private

MODES = {
    "audience": "timeline/present/deck.html",
    "speaker": "timeline/present/speaker.html",
    "print": "timeline/present/print.html",
}
CHUNK_TEMPLATE = "timeline/present/slides.html"


def deck_query(mode="audience", **url_kwargs):
    """The query parameters a deck page reads (page cache): ?notes=1 in print mode only."""
    return {"notes": ("1",)} if mode == "print" else {}


@page_cached(query=deck_query)
def present(request, mode="audience", chunk=None):
    """The full history: every era the visitor may see, in chronological order."""
    return _deck_page(request, "full", "", mode, chunk)


@page_cached(query=deck_query)
def present_era(request, slug, mode="audience", chunk=None):
    return _deck_page(request, "era", slug, mode, chunk)


@page_cached(query=deck_query)
def present_talk(request, slug, mode="audience", chunk=None):
    return _deck_page(request, "talk", slug, mode, chunk)


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


def _deck_page(request, kind, slug, mode, chunk):
    eras = Era.objects.visible_to(request.user)
    urls = deck_urls(kind, slug)
    if mode == "print":
        return _print_page(request, kind, slug, eras, urls)
    outline = load_outline(kind, slug, eras)
    context = {"deck": outline, "mode": mode, "urls": urls, "talk": outline.talk}
    if chunk is not None:
        response = render(request, CHUNK_TEMPLATE, {**context, "slides": outline.chunk(chunk)})
    else:
        context |= outline.first_view()
        if mode == "speaker" and outline.talk and outline.talk.duration_minutes:
            # The time budget weighs every slide (steps, runs): it needs the whole talk.
            context["plan"] = talk_deck(eras, slug)[0]
        response = render(request, MODES[mode], context)
    return keep_private(request, response, outline.private)


def _print_page(request, kind, slug, eras, urls):
    """Every slide, one per page, or three per page beside their notes (?notes=1)."""
    talk, private = None, False
    if kind == "full":
        deck = full_deck(eras)
    elif kind == "era":
        deck, era = era_deck(eras, slug)
        private = not era.published
    else:
        deck, talk = talk_deck(eras, slug)
    notes = request.GET.get("notes") == "1"
    context = {"deck": deck, "mode": "print", "urls": urls, "talk": talk, "with_notes": notes}
    return keep_private(request, render(request, MODES["print"], context), private)
