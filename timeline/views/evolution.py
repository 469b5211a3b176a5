from django.db.models import F
from django.shortcuts import render
from django.views.decorators.cache import patch_cache_control

from ..models import CodeSample


def evolution_samples(user):
    """The "hello app" of every era, oldest era first, in one query with its era."""
    samples = CodeSample.objects.filter(evolution=True).select_related("era")
    if not (user.is_authenticated and user.is_staff):
        samples = samples.filter(era__published=True)
    return samples.order_by("era__year", F("era__date").asc(nulls_last=True), "era__title", "order")


def evolution(request):
    """The same small app, GET /hello?name=Ada, as each era wrote it, side by side."""
    samples = list(evolution_samples(request.user))
    response = render(request, "timeline/evolution.html", {"samples": samples})
    if request.user.is_staff:
        patch_cache_control(response, private=True, no_store=True)
    return response
