"""Pages for a learner finding their way: the suggested path, their progress, the glossary."""

from django.db.models import Prefetch
from django.shortcuts import render

from historyweb.page_cache import page_cached

from ..glossary import TERMS
from ..learning_path import PATH, reading_minutes
from ..models import CodeSample, Era, Slide
from .caching import keep_private


@page_cached()
def start_here(request):
    """The path's stops in order, each with why it matters and how long it takes to read; a
    stop whose era is missing or hidden from this visitor is left out."""
    eras = Era.objects.visible_to(request.user).prefetch_related(
        Prefetch("slides", queryset=Slide.objects.only("era_id", "body")),
        Prefetch("samples", queryset=CodeSample.objects.only("era_id", "code")),
    )
    by_slug = {era.slug: era for era in eras.filter(slug__in=[stop.slug for stop in PATH])}
    stops = [
        (stop, by_slug[stop.slug], reading_minutes(by_slug[stop.slug]))
        for stop in PATH
        if stop.slug in by_slug
    ]
    context = {"stops": stops, "total_minutes": sum(minutes for _, _, minutes in stops)}
    return keep_private(request, render(request, "timeline/start.html", context))


@page_cached()
def progress(request):
    """What this browser has read, run and solved: the page is the same for everyone, and
    progress.js fills it in from localStorage."""
    eras = Era.objects.visible_to(request.user).for_timeline().chronological()
    return keep_private(request, render(request, "timeline/progress.html", {"eras": eras}))


@page_cached()
def glossary(request):
    """Every term, alphabetically, with the era that introduces it (when it is visible)."""
    eras = {era.slug: era for era in Era.objects.visible_to(request.user).only("slug", "title")}
    terms = [(term, eras.get(term.era)) for term in sorted(TERMS, key=lambda t: t.name.lower())]
    return keep_private(request, render(request, "timeline/glossary.html", {"terms": terms}))
