"""Run and Record in each sample row of an era's change page: offered for a saved, runnable
sample to an editor who may change samples (as the endpoints require), to nobody else."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.factories import make_era, make_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def era():
    era = make_era(slug="wsgi")
    make_sample(era, runtime="python", code="print('hi')\n")
    make_sample(era, runtime="python", historical=True, code="print 'old'\n")
    return era


def staff(django_user_model, name, *codenames):
    user = django_user_model.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def era_page(client, era):
    response = client.get(reverse("admin:timeline_era_change", args=[era.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_runnable_sample_row_has_run_and_record(admin_client_logged, era):
    runnable, historical = era.samples.order_by("order")
    html = era_page(admin_client_logged, era)
    run = reverse("admin:timeline_codesample_run", args=[runnable.pk])
    record = reverse("admin:timeline_codesample_record", args=[runnable.pk])
    assert f'data-sample-check="run" data-url="{run}"' in html
    assert f'data-sample-check="record" data-url="{record}"' in html
    assert html.count('data-sample-check="run"') == 1  # not for the historical sample
    assert reverse("admin:timeline_codesample_run", args=[historical.pk]) not in html
    assert 'name="samples-0-expected_output"' in html  # where Record puts its output
    assert 'src="/static/js/admin-sample-check.js"' in html or "admin-sample-check" in html


@pytest.mark.parametrize(
    "codenames",
    [
        ("view_era", "view_codesample", "view_slide", "view_reference", "view_erarelation"),
        ("view_era", "change_era", "view_codesample", "view_slide"),
    ],
    ids=["viewer", "eras-only"],
)
def test_no_run_or_record_without_change_permission_on_samples(django_user_model, era, codenames):
    html = era_page(staff(django_user_model, "limited", *codenames), era)
    assert "data-sample-check" not in html
    assert "/run/" not in html and "/record/" not in html


def test_an_editor_of_samples_gets_them(django_user_model, era):
    client = staff(django_user_model, "editor", "view_era", "change_era", "change_codesample")
    assert 'data-sample-check="record"' in era_page(client, era)
