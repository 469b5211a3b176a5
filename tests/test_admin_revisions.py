"""Revisions of an era (django-reversion): author and time, compare, revert (issue 13)."""

import pytest
from django.urls import reverse
from reversion.models import Version

from timeline.models import Era, Slide

from .factories import make_era, make_reference, make_sample, make_slide
from .form_post import post_form

pytestmark = pytest.mark.django_db


def set_values(values):
    return lambda pairs: [(name, values.get(name, value)) for name, value in pairs]


@pytest.fixture
def era():
    era = make_era(slug="wsgi", title="WSGI")
    make_slide(era, title="Why a standard", body="Servers and frameworks agreed.\n")
    make_sample(era)
    make_reference(era)
    return era


def save(client, era, **values):
    url = reverse("admin:timeline_era_change", args=[era.pk])
    response = post_form(client, url, "era_form", change=set_values(values))
    assert response.status_code == 302, response.content.decode()[:2000]


def test_each_admin_save_of_an_era_is_a_revision_with_its_inlines(admin_client_logged, era):
    save(admin_client_logged, era, **{"slides-0-title": "Why one standard"})
    versions = Version.objects.get_for_object(era)
    assert versions.count() == 1
    revision = versions.first().revision
    assert revision.user.get_username() == "admin"
    assert revision.date_created is not None
    models = sorted(v.content_type.model for v in revision.version_set.all())
    assert models == ["codesample", "era", "reference", "slide"]
    slide_version = revision.version_set.get(content_type__model="slide")
    assert slide_version.field_dict["title"] == "Why one standard"


def test_two_revisions_compare_as_a_diff(admin_client_logged, era):
    save(admin_client_logged, era, **{"slides-0-title": "First title"})
    save(admin_client_logged, era, **{"slides-0-title": "Second title", "summary": "New."})
    history = admin_client_logged.get(reverse("admin:timeline_era_history", args=[era.pk]))
    html = history.content.decode()
    assert html.count('type="radio" name="older"') == 2
    newer, older = [v.pk for v in history.context["versions"]]
    url = reverse("admin:timeline_era_compare", args=[era.pk])
    page = admin_client_logged.get(url, {"older": older, "newer": newer}).content.decode()
    assert '<span class="diff-removed">-title: First title</span>' in page
    assert '<span class="diff-added">+title: Second title</span>' in page
    assert '<span class="diff-added">+summary: New.</span>' in page
    other = make_era()
    foreign = admin_client_logged.get(
        reverse("admin:timeline_era_compare", args=[other.pk]), {"older": older, "newer": newer}
    )
    assert foreign.status_code == 302  # versions of another era are not this era's


def test_reverting_restores_the_era_and_its_slides(admin_client_logged, era):
    save(admin_client_logged, era, **{"slides-0-title": "Kept title"})
    first = Version.objects.get_for_object(era).first()
    save(admin_client_logged, era, **{"slides-0-title": "Regretted title", "summary": "Oops."})
    url = reverse("admin:timeline_era_revision", args=[era.pk, first.pk])
    response = post_form(admin_client_logged, url, "era_form")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Slide.objects.get(era=era).title == "Kept title"
    assert Era.objects.get(pk=era.pk).summary != "Oops."
