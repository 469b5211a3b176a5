from django.shortcuts import render

from historyweb.page_cache import page_cached

from ..models import CodeSample, chronological_order
from .caching import keep_private


def evolution_samples(user):
    """The "hello app" of every era, oldest era first, in one query with its era."""
    samples = CodeSample.objects.filter(evolution=True).select_related("era")
    if not (user.is_authenticated and user.is_staff):
        samples = samples.filter(era__published=True)
    return samples.order_by(*chronological_order("era__"), "order")


@page_cached()
def evolution(request):
    """The same small app, GET /hello?name=Ada, as each era wrote it, side by side."""
    samples = list(evolution_samples(request.user))
    return keep_private(request, render(request, "timeline/evolution.html", {"samples": samples}))
