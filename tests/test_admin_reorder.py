"""Reordering an era's slides and samples, and a talk's eras, in one POST (issue 13)."""

import pytest
from django.urls import reverse

from timeline.models import CodeSample, Slide

from .factories import make_era, make_sample, make_slide, make_talk
from .form_post import post_form

pytestmark = pytest.mark.django_db


def set_values(values):
    def change(pairs):
        return [(name, values.get(name, value)) for name, value in pairs]

    return change


def test_swapping_two_slides_saves(admin_client_logged):
    """Slide 1 to 2 and slide 2 to 1 in one POST: saved, no IntegrityError."""
    era = make_era()
    make_slide(era, title="First")
    make_slide(era, title="Second")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"slides-0-order": "2", "slides-1-order": "1"})
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.order_by("order").values_list("title", flat=True)) == ["Second", "First"]


def test_any_permutation_of_samples_saves_in_one_post(admin_client_logged):
    """Four samples reversed, one of them also renamed: one POST, no constraint error."""
    era = make_era()
    for n in range(1, 5):
        make_sample(era, title=f"S{n}")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {f"samples-{i}-order": str(4 - i) for i in range(4)}
    values["samples-2-title"] = "S3 renamed"
    response = post_form(admin_client_logged, url, "era_form", change=set_values(values))
    assert response.status_code == 302, response.content.decode()[:3000]
    titles = list(era.samples.order_by("order").values_list("title", flat=True))
    assert titles == ["S4", "S3 renamed", "S2", "S1"]


def test_deleting_a_slide_and_moving_another_into_its_place(admin_client_logged):
    era = make_era()
    for n in range(1, 4):
        make_slide(era, title=f"T{n}")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {"slides-0-DELETE": "on", "slides-2-order": "1", "slides-1-order": "3"}

    def change(pairs):
        pairs = set_values(values)(pairs)
        return pairs + [("slides-0-DELETE", "on")]

    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.values_list("order", "title")) == [(1, "T3"), (3, "T2")]


def test_a_talks_eras_rotate_in_one_post(admin_client_logged):
    eras = [make_era(title=f"E{n}") for n in range(3)]
    talk = make_talk(eras)
    url = reverse("admin:timeline_talk_change", args=[talk.pk])
    values = {"items-0-order": "3", "items-1-order": "1", "items-2-order": "2"}
    response = post_form(admin_client_logged, url, "talk_form", change=set_values(values))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [era.title for era in talk.ordered_eras()] == ["E1", "E2", "E0"]


def test_duplicate_orders_show_an_error_and_keep_every_other_edit(admin_client_logged):
    """Two slides at one position: the form comes back with the error and the editor's
    other changes still in it; nothing is saved."""
    era = make_era(summary="Old summary.")
    make_slide(era, title="A")
    make_slide(era, title="B")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    values = {
        "slides-1-order": "1",
        "slides-0-title": "A, edited",
        "summary": "New summary.",
    }
    response = post_form(admin_client_logged, url, "era_form", change=set_values(values))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the duplicate data for order" in html
    assert 'value="A, edited"' in html and "New summary." in html
    era.refresh_from_db()
    assert era.summary == "Old summary."
    assert list(era.slides.values_list("order", "title")) == [(1, "A"), (2, "B")]


def test_an_order_out_of_range_is_a_form_error_not_a_crash(admin_client_logged):
    era = make_era()
    make_slide(era)
    make_slide(era)
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"slides-0-order": "40000", "slides-1-order": "-1"})
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Slide.objects.filter(era=era).count() == 2


def test_parked_rows_never_overflow_a_small_integer(admin_client_logged):
    """Rows parked mid-save take free orders, even when the highest order is the largest."""
    era = make_era()
    make_slide(era, order=32767, title="Last")
    make_slide(era, order=1, title="First")
    url = reverse("admin:timeline_era_change", args=[era.pk])
    change = set_values({"slides-0-order": "32767", "slides-1-order": "1"})
    # Forms list rows by order: slides-0 is "First" (1), slides-1 is "Last" (32767): swap them.
    response = post_form(admin_client_logged, url, "era_form", change=change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(era.slides.values_list("order", "title")) == [(1, "Last"), (32767, "First")]
    assert CodeSample.objects.count() == 0
