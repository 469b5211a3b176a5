from django.urls import path

from .views import eras, evolution, present, preview, run

app_name = "timeline"

urlpatterns = [
    path("", eras.timeline, name="timeline"),
    path("eras/<slug:slug>/", eras.era_detail, name="era"),
    path("evolution/", evolution.evolution, name="evolution"),
    path("preview/markdown/", preview.markdown_preview, name="markdown-preview"),
    path("samples/<int:pk>/run/", run.sample_run, name="sample-run"),
    path("samples/csrf/", run.sample_csrf, name="sample-csrf"),
    # Presenter: the speaker/ and print/ routes come before <slug>, so no era may use those slugs.
    path("present/", present.present, name="present"),
    path("present/speaker/", present.present, {"mode": "speaker"}, name="present-speaker"),
    path("present/print/", present.present, {"mode": "print"}, name="present-print"),
    path("present/<slug:slug>/", present.present_era, name="present-era"),
    path(
        "present/<slug:slug>/speaker/",
        present.present_era,
        {"mode": "speaker"},
        name="present-era-speaker",
    ),
    path(
        "present/<slug:slug>/print/",
        present.present_era,
        {"mode": "print"},
        name="present-era-print",
    ),
    path("talks/", present.talk_list, name="talks"),
    path("talks/<slug:slug>/present/", present.present_talk, name="talk-present"),
    path(
        "talks/<slug:slug>/present/speaker/",
        present.present_talk,
        {"mode": "speaker"},
        name="talk-present-speaker",
    ),
    path(
        "talks/<slug:slug>/present/print/",
        present.present_talk,
        {"mode": "print"},
        name="talk-present-print",
    ),
]
