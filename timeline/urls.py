from django.urls import path

from .views import eras, preview, run

app_name = "timeline"

urlpatterns = [
    path("", eras.timeline, name="timeline"),
    path("eras/<slug:slug>/", eras.era_detail, name="era"),
    path("preview/markdown/", preview.markdown_preview, name="markdown-preview"),
    path("samples/<int:pk>/run/", run.sample_run, name="sample-run"),
    path("samples/csrf/", run.sample_csrf, name="sample-csrf"),
]
