from django.shortcuts import render

from historyweb.page_cache import page_cached

from ..evolution_steps import answer_groups, build_steps, recorded_responses
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
    """The same small app, GET /hello?name=Ada, as each era wrote it, side by side: what
    changed from one step to the next, and how each answered a POST."""
    steps = build_steps(list(evolution_samples(request.user)), recorded_responses())
    context = {"steps": steps, "groups": answer_groups(steps)}
    return keep_private(request, render(request, "timeline/evolution.html", context))
