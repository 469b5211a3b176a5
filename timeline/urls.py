from django.urls import path

from .views import eras, evolution, preview

app_name = "timeline"

urlpatterns = [
    path("", eras.timeline, name="timeline"),
    path("eras/<slug:slug>/", eras.era_detail, name="era"),
    path("evolution/", evolution.evolution, name="evolution"),
    path("preview/markdown/", preview.markdown_preview, name="markdown-preview"),
]
