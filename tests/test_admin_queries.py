"""Every admin page costs the same few queries with 30 eras as with 500."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from timeline.models import CodeSample, Era, Reference, Slide, Talk, TalkEra

from .factories import generate_eras, make_talk

pytestmark = pytest.mark.django_db

CHANGE_PAGE_BUDGET = 30


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
