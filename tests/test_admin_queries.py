"""Every admin page costs the same few queries with 30 eras as with 500."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from timeline.models import (
    CodeSample,
    Era,
    Exercise,
    ExerciseCheck,
    ExerciseWrongAnswer,
    Reference,
    Slide,
    Talk,
    TalkEra,
)

from .factories import generate_eras, generate_exercises, make_talk
from .form_post import form_pairs, post_pairs, set_values

pytestmark = pytest.mark.django_db

CHANGE_PAGE_BUDGET = 30
REVERT_BUDGET = 110


def admin_pages(era, talk):
    """Every changelist, and the change page of one object of each content model."""
    objects = {
        Era: era,
        Slide: era.slides.first(),
        CodeSample: era.samples.first(),
        Reference: era.references.first(),
        Talk: talk,
    }
    pages = {}
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages[f"{model.__name__} list"] = reverse(f"{info}_changelist")
        if model in objects:
            pages[f"{model.__name__} change"] = reverse(f"{info}_change", args=[objects[model].pk])
    return pages


def count_queries(client, pages):
    counts = {}
    for label, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[label] = len(queries)
    return counts


def test_admin_pages_cost_the_same_at_30_and_500_eras(admin_client_logged):
    """Each page's query count is within budget and does not grow with the number of eras,
    slides, samples or talk items; a sample lists only its own era's slides."""
    eras = generate_eras(30)
    era = eras[0]
    talk = make_talk(eras[:20])
    pages = admin_pages(era, talk)
    count_queries(admin_client_logged, pages)  # fills the content-type and session caches
    at_30 = count_queries(admin_client_logged, pages)
    more = generate_eras(470)
    for extra in more[:40]:
        TalkEra.objects.create(talk=talk, era=extra, order=TalkEra.objects.count() + 1)
    at_500 = count_queries(admin_client_logged, pages)
    assert Era.objects.count() == 500
    assert at_500 == at_30
    over = {label: n for label, n in at_500.items() if n > CHANGE_PAGE_BUDGET}
    assert not over, over
    assert at_500["Era change"] <= 15, at_500


def test_sample_slide_choices_are_the_samples_own_era(admin_client_logged):
    """The Slide select of a sample, inline or on its own page, offers only its era's slides."""
    mine, other = generate_eras(2)
    sample = mine.samples.first()
    own = {str(pk) for pk in mine.slides.values_list("pk", flat=True)}
    for url, name in [
        (reverse("admin:timeline_era_change", args=[mine.pk]), "samples-0-slide"),
        (reverse("admin:timeline_codesample_change", args=[sample.pk]), "slide"),
    ]:
        response = admin_client_logged.get(url)
        if name == "slide":
            field = response.context["adminform"].form.fields["slide"]
        else:
            field = response.context["inline_admin_formsets"][1].formset.forms[0].fields["slide"]
        offered = {str(value) for value, _ in field.choices if value}
        assert offered == own, url
        assert f'name="{name}"' in response.content.decode()


def test_era_and_talk_pages_cost_the_same_with_many_relations_and_notes(admin_client_logged):
    """The related-era and talk-note pickers name their selected row from the row the inline
    loaded: 2 or 20 relations (either way round), 1 or 10 talk notes, the same queries."""
    from timeline.models import EraRelation, TalkNote

    eras = generate_eras(41)
    era, others = eras[0], eras[1:]
    talk = make_talk([era])
    slides = list(era.slides.all())
    pages = {
        "era": reverse("admin:timeline_era_change", args=[era.pk]),
        "talk": reverse("admin:timeline_talk_change", args=[talk.pk]),
    }

    def add(relations, notes):
        for other in others[:relations]:
            EraRelation.objects.create(era=era, other=other)
        for other in others[20 : 20 + relations]:
            EraRelation.objects.create(era=other, other=era)
        for slide in slides[:notes]:
            TalkNote.objects.create(talk=talk, slide=slide, notes="Say.")

    add(relations=1, notes=1)
    count_queries(admin_client_logged, pages)
    few = count_queries(admin_client_logged, pages)
    EraRelation.objects.all().delete()
    TalkNote.objects.all().delete()
    add(relations=10, notes=4)
    many = count_queries(admin_client_logged, pages)
    assert many == few, (few, many)


def revision_pages(client, era):
    """History, compare (two revisions of `era`), the revision (revert) form, export preview."""
    from reversion.models import Version

    from .form_post import post_form

    url = reverse("admin:timeline_era_change", args=[era.pk])
    for _ in range(2):
        assert post_form(client, url, "era_form").status_code == 302
    newer, older = Version.objects.get_for_object(era)[:2]
    return {
        "history": reverse("admin:timeline_era_history", args=[era.pk]),
        "compare": reverse("admin:timeline_era_compare", args=[era.pk])
        + f"?older={older.pk}&newer={newer.pk}",
        "revert": reverse("admin:timeline_era_revision", args=[era.pk, older.pk]),
        "export preview": reverse("admin:timeline_era_export_fixtures"),
    }


def test_revision_and_export_pages_cost_the_same_at_30_and_500_eras(
    admin_client_logged, settings, tmp_path
):
    """History, compare, revert and the export preview (which reads every era) do not grow
    with the number of eras, nor with relations between them."""
    from timeline.models import EraRelation

    settings.HISTORY_FIXTURES_DIR = tmp_path
    eras = generate_eras(30)
    make_talk(eras[:20])
    EraRelation.objects.create(era=eras[0], other=eras[1])
    pages = revision_pages(admin_client_logged, eras[0])
    count_queries(admin_client_logged, pages)
    at_30 = count_queries(admin_client_logged, pages)
    more = generate_eras(470)
    for era, other in zip(more[:40], more[40:80], strict=False):
        EraRelation.objects.create(era=era, other=other)
    at_500 = count_queries(admin_client_logged, pages)
    assert Era.objects.count() == 500
    assert at_500 == at_30
    # Reverting restores the era's rows one by one (django-reversion): its count follows the
    # era's own rows (4 slides, 3 samples, 4 references here), never the number of eras.
    assert at_500.pop("revert") <= REVERT_BUDGET
    over = {label: n for label, n in at_500.items() if n > CHANGE_PAGE_BUDGET}
    assert not over, over


def exercise_pages(client, exercise):
    """The exercise's change page, its history and two of its revisions compared (after two
    saves of its form)."""
    from reversion.models import Version

    from .form_post import post_form

    url = reverse("admin:timeline_exercise_change", args=[exercise.pk])
    for _ in range(2):
        assert post_form(client, url, "exercise_form").status_code == 302
    newer, older = Version.objects.get_for_object(exercise)[:2]
    return {
        "exercise change": url,
        "exercise history": reverse("admin:timeline_exercise_history", args=[exercise.pk]),
        "exercise compare": reverse("admin:timeline_exercise_compare", args=[exercise.pk])
        + f"?older={older.pk}&newer={newer.pk}",
    }


def test_exercise_pages_cost_the_same_at_30_and_500_eras_and_exercises(admin_client_logged):
    """The exercise's change page, history and compare do not grow with the number of eras
    and exercises, nor with the exercise's own checks and wrong answers."""
    eras = generate_eras(30)
    exercise = generate_exercises(eras)[0]
    pages = exercise_pages(admin_client_logged, exercise)
    count_queries(admin_client_logged, pages)
    at_30 = count_queries(admin_client_logged, pages)
    generate_exercises(generate_eras(470) + eras, checks=3)
    ExerciseCheck.objects.bulk_create(
        ExerciseCheck(exercise=exercise, order=n, name=f"more {n}") for n in range(10, 20)
    )
    ExerciseWrongAnswer.objects.bulk_create(
        ExerciseWrongAnswer(exercise=exercise, order=n, title=f"more {n}", rule="r", code="x")
        for n in range(10, 20)
    )
    at_500 = count_queries(admin_client_logged, pages)
    assert Era.objects.count() == 500 and Exercise.objects.count() >= 500
    assert at_500 == at_30
    over = {label: n for label, n in at_500.items() if n > CHANGE_PAGE_BUDGET}
    assert not over, over


def test_an_era_form_shown_again_with_an_error_costs_the_same_at_30_and_500_eras(
    admin_client_logged,
):
    """A POST refused for bad input renders the form again: as few queries at 500 eras as at
    30, and a sample's slide lists only its own era's slides there too."""
    era = generate_eras(30)[0]
    url = reverse("admin:timeline_era_change", args=[era.pk])
    pairs = set_values({"slug": "Not A Slug"})(
        form_pairs(admin_client_logged.get(url).content.decode(), "era_form")
    )

    def refused():
        with CaptureQueriesContext(connection) as queries:
            response = post_pairs(admin_client_logged, url, pairs)
        assert response.status_code == 200 and "Please correct" in response.content.decode()
        return len(queries), response

    refused()
    at_30, _ = refused()
    generate_eras(470)
    at_500, response = refused()
    assert at_500 == at_30
    slide_choices = response.context["inline_admin_formsets"][1].formset.forms[0].fields["slide"]
    assert {pk for pk, _ in slide_choices.choices if pk} == set(
        era.slides.values_list("pk", flat=True)
    )
