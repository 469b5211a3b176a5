"""Staff-only previews for the admin: markdown as the page shows it, a slide as the deck shows it.
They change nothing; the slide preview reads saved rows, so it asks for the permission to view
them, as the admin's pages do.

The slide preview is a frame page (the deck's own styles, slide-fit.js and slide-audit.js)
that the admin embeds twice, at 16:9 and 4:3. As the editor types, the admin posts the slide
here and hands the rendered slide to both frames, which fit it and report the fit audit's verdict.
"""

from csp.decorators import csp_replace
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_permission_codename
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from .. import rendering
from ..models import CodeSample, Era, Slide
from ..presenter import single_slide_deck

MAX_PREVIEW_CHARS = 100_000


@never_cache
@require_POST
@staff_member_required
def markdown_preview(request):
    """Render an editor's unsaved markdown exactly as the page will show it."""
    text = request.POST.get("text", "")
    if len(text) > MAX_PREVIEW_CHARS:
        return JsonResponse({"error": "Too long to preview."}, status=413)
    return JsonResponse({"html": rendering.render_markdown(text)})


@never_cache
@require_POST
@staff_member_required
def slide_preview(request):
    """The unsaved slide as the deck renders it (one <section>), with the saved samples shown on
    it. Nothing is saved; the markdown is rendered and sanitised as a save would."""
    if not _may_view(request.user, Slide):
        return JsonResponse({"error": "You may not view slides."}, status=403)
    title, body = request.POST.get("title", ""), request.POST.get("body", "")
    if len(title) + len(body) > MAX_PREVIEW_CHARS:
        return JsonResponse({"error": "Too long to preview."}, status=413)
    era = Era.objects.filter(pk=_int(request.POST.get("era"))).first()
    if era is None:
        era = Era(title="New era", year=2000, kind=Era.Kind.FRAMEWORK)
    slide = Slide(era=era, title=title or "Untitled slide", body=body)
    slide.render()
    saved = _int(request.POST.get("slide"))
    shown = saved and era.pk and _may_view(request.user, CodeSample)
    samples = list(CodeSample.objects.filter(slide_id=saved, era=era)) if shown else []
    deck = single_slide_deck(slide, samples)
    html = render_to_string(
        "timeline/present/_slide.html", {"item": deck.slides[0], "deck": deck}, request=request
    )
    return JsonResponse({"html": html})


@never_cache
@require_GET
@staff_member_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
def slide_preview_frame(request):
    """The page the admin frames: the deck's stage, empty until the admin sends a slide."""
    return render(request, "timeline/present/preview_frame.html")


def _may_view(user, model):
    """Whether the admin would show `user` rows of `model` (view or change permission): the
    previews change nothing, but they read saved rows, and only for those who may see them."""
    opts = model._meta
    return any(
        user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
        for action in ("view", "change")
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
