from django.urls import path

from .views import eras, preview

app_name = "timeline"

urlpatterns = [
    path("", eras.timeline, name="timeline"),
    path("eras/<slug:slug>/", eras.era_detail, name="era"),
    path("preview/markdown/", preview.markdown_preview, name="markdown-preview"),
]
