from django.urls import path

from .views import (
    eras,
    evolution,
    exercise_try,
    exercises,
    icons,
    learn,
    live,
    present,
    preview,
    run,
)

app_name = "timeline"


def deck_routes(prefix, view, name):
    """A deck and, under it, its speaker view and its print view, and the parts of the deck
    and of the speaker view that their first view leaves out (deck_pieces.py)."""
    return [
        path(prefix, view, name=name),
        path(f"{prefix}speaker/", view, {"mode": "speaker"}, name=f"{name}-speaker"),
        path(f"{prefix}print/", view, {"mode": "print"}, name=f"{name}-print"),
        path(f"{prefix}slides/<int:chunk>/", view, name=f"{name}-slides"),
        path(
            f"{prefix}speaker/slides/<int:chunk>/",
            view,
            {"mode": "speaker"},
            name=f"{name}-speaker-slides",
        ),
    ]


urlpatterns = [
    path("", eras.timeline, name="timeline"),
    path("eras/<slug:slug>/", eras.era_detail, name="era"),
    path("evolution/", evolution.evolution, name="evolution"),
    path("start/", learn.start_here, name="start"),
    path("progress/", learn.progress, name="progress"),
    path("glossary/", learn.glossary, name="glossary"),
    path("site.webmanifest", icons.manifest, name="manifest"),
    path("preview/markdown/", preview.markdown_preview, name="markdown-preview"),
    path("preview/slide/", preview.slide_preview, name="slide-preview"),
    path("preview/slide/frame/", preview.slide_preview_frame, name="slide-preview-frame"),
    path("samples/<int:pk>/run/", run.sample_run, name="sample-run"),
    path("samples/csrf/", run.sample_csrf, name="sample-csrf"),
    path("exercises/", exercises.exercise_list, name="exercises"),
    path("exercises/<slug:slug>/", exercises.exercise_detail, name="exercise"),
    path("exercises/<slug:slug>/check/", exercises.exercise_check, name="exercise-check"),
    path("exercises/<slug:slug>/try/", exercise_try.exercise_try, name="exercise-try"),
    # The full deck's speaker/ and print/ come before <slug>, so no era may use those slugs.
    *deck_routes("present/", present.present, "present"),
    *deck_routes("present/<slug:slug>/", present.present_era, "present-era"),
    path("talks/", present.talk_list, name="talks"),
    *deck_routes("talks/<slug:slug>/present/", present.present_talk, "talk-present"),
    path("live/", live.live_create, name="live-create"),
    path("live/<str:code>/", live.live_follow, name="live-follow"),
    path("live/<str:code>/slides/<int:chunk>/", live.live_slides, name="live-slides"),
    path("live/<str:code>/remote/", live.live_remote, name="live-remote"),
    path("live/<str:code>/events/", live.live_events, name="live-events"),
    path("live/<str:code>/state/", live.live_state, name="live-state"),
    path("live/<str:code>/run/", live.live_run, name="live-run"),
    path("live/<str:code>/result/", live.live_result, name="live-result"),
    path("live/<str:code>/end/", live.live_end, name="live-end"),
    path("live/<str:code>/timer/", live.live_timer, name="live-timer"),
    path("live/<str:code>/pointer/", live.live_pointer, name="live-pointer"),
    path("live/<str:code>/qr/<str:which>.svg", live.live_qr, name="live-qr"),
]
