from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .. import rendering

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
