"""The web app manifest, so a phone can pin the site (favicon.ico and apple-touch-icon.png are
root files served by whitenoise from static/root/)."""

from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def manifest(request):
    home = reverse("timeline:timeline")
    icons = [
        {"src": static("icons/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
    ]
    data = {
        "name": "historyweb: a short history of Python web frameworks",
        "short_name": "historyweb",
        "description": "From HTTP/0.9 and CGI to ASGI and FastAPI: the timeline, every era's "
        "code, and the talk.",
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": "#fbfaf7",
        "theme_color": "#1f5fa8",
        "icons": icons,
    }
    return JsonResponse(data, content_type="application/manifest+json")
