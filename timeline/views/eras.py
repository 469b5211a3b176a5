from itertools import groupby

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from historyweb.page_cache import page_cached

from ..glossary import link_first_uses
from ..models import CodeSample, Era, EraRelation, Exercise, Reference, Slide, related_eras
from ..search import glossary_results, search
from .caching import keep_private

RELATED_SHOWN = 4


@page_cached(query={"kind": tuple(Era.Kind.values), "q": None})
def timeline(request):
    """All eras in date order, grouped by decade, filtered by kind; a search ranks them instead."""
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()[:100]
    kinds = dict(Era.Kind.choices)
    eras = (
        Era.objects.visible_to(request.user)
        .for_timeline()
        .chronological()
        .annotate(exercise_count=Count("exercises"))
    )
    if kind in kinds:
        eras = eras.filter(kind=kind)
    else:
        kind = ""
    results = search(query, request.user, kind) if query else None
    eras = [] if query else list(eras)
    decades = [(d, list(items)) for d, items in groupby(eras, lambda e: e.decade)]
    response = render(
        request,
        "timeline/timeline.html",
        {
            "decades": decades,
            "results": results,
            "count": results.count if query else len(eras),
            "kinds": Era.Kind.choices,
            "kind": kind,
            "kind_label": kinds.get(kind, ""),
            "query": query,
            "terms": glossary_results(query) if query else [],
        },
    )
    return keep_private(request, response)


@page_cached()
def era_detail(request, slug):
    """One era: slides in order, samples, references, related eras, neighbours."""
    samples = CodeSample.objects.order_by("order")
    era = get_object_or_404(
        Era.objects.visible_to(request.user).prefetch_related(
            Prefetch("slides", queryset=Slide.objects.order_by("order")),
            Prefetch("samples", queryset=samples),
            Prefetch("references", queryset=Reference.objects.order_by("order")),
            Prefetch("exercises", queryset=Exercise.objects.order_by("order", "slug")),
        ),
        slug=slug,
    )
    slides = list(era.slides.all())
    # Glossary links are added here, not at save: "first use" spans the body and every slide.
    era.body_html, *slide_html = link_first_uses([era.body_html] + [s.body_html for s in slides])
    for slide, html in zip(slides, slide_html, strict=True):
        slide.body_html = html
    visible = Era.objects.visible_to(request.user)
    related = related_eras(era, EraRelation.objects.touching(era, visible))
    neighbours = list(
        Era.objects.visible_to(request.user).for_timeline().chronological().exclude(pk=era.pk)
    )
    position = sum(1 for other in neighbours if other.sort_key() < era.sort_key())
    previous_era = neighbours[position - 1] if position > 0 else None
    next_era = neighbours[position] if position < len(neighbours) else None
    response = render(
        request,
        "timeline/era_detail.html",
        {
            "era": era,
            "slides": slides_with_samples(slides, era.samples.all()),
            "has_notes": any(slide.notes_html for slide in slides),
            "loose_samples": [s for s in era.samples.all() if s.slide_id is None],
            "references": era.references.all(),
            "exercises": era.exercises.all(),
            # The closest few in sight; the rest one click away.
            "related": related[:RELATED_SHOWN],
            "more_related": related[RELATED_SHOWN:],
            "previous_era": previous_era,
            "next_era": next_era,
        },
    )
    return keep_private(request, response, private=not era.published)


def slides_with_samples(slides, samples):
    """Pair each slide with its samples, from prefetched lists (no query per slide)."""
    by_slide = {}
    for sample in samples:
        by_slide.setdefault(sample.slide_id, []).append(sample)
    return [(slide, by_slide.get(slide.pk, [])) for slide in slides]
