"""Run and Record on the sample's admin form: staff-only POSTs, real sandbox runs."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PATH_ECHO_OUTPUT as EXPECTED
from tests.factories import PATH_ECHO_WSGI as WSGI
from tests.factories import make_era, make_sample

from .form_post import form_pairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample():
    era = make_era(slug="wsgi")
    return make_sample(
        era, runtime="wsgi", code=WSGI, request="GET /path HTTP/1.1\n", expected_output=EXPECTED
    )


def posted(client, sample, **changes):
    """The change form's fields as the browser would post them, with some edited."""
    url = reverse("admin:timeline_codesample_change", args=[sample.pk])
    pairs = form_pairs(client.get(url).content.decode(), "codesample_form", submit=None)
    return {**dict(pairs), **changes}


@pytest.mark.usefixtures("sandbox")
def test_run_runs_the_unsaved_form_and_diffs_it_against_expected(admin_client_logged, sample):
    """Run uses the code in the form, saved or not, shows the result and a diff; saves nothing."""
    page = admin_client_logged.get(reverse("admin:timeline_codesample_change", args=[sample.pk]))
    run_url = reverse("admin:timeline_codesample_run", args=[sample.pk])
    assert f'formaction="{run_url}"' in page.content.decode()
    edited = WSGI.replace("PATH_INFO'].encode()", "PATH_INFO'].upper().encode()")
    data = posted(admin_client_logged, sample, code=edited.replace("\n", "\r\n"))
    response = admin_client_logged.post(run_url, data, headers={"X-Requested-With": "fetch"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment for the form
    assert '<span class="diff-removed">-/path</span>' in html
    assert '<span class="diff-added">+/PATH</span>' in html
    sample.refresh_from_db()
    assert sample.code == WSGI
    same = admin_client_logged.post(run_url, posted(admin_client_logged, sample))
    assert "The output matches the expected output." in same.content.decode()
    assert "<html" in same.content.decode()  # without JavaScript: a whole page


@pytest.mark.usefixtures("sandbox")
def test_record_stores_the_saved_samples_output(admin_client_logged, sample):
    sample.expected_output = "stale\n"
    sample.save()
    url = reverse("admin:timeline_codesample_record", args=[sample.pk])
    data = posted(admin_client_logged, sample)
    response = admin_client_logged.post(url, data, headers={"X-Requested-With": "fetch"})
    assert "Recorded" in response.content.decode()
    assert 'data-recorded-output="HTTP/1.1 200 OK' in response.content.decode()
    sample.refresh_from_db()
    assert sample.expected_output == EXPECTED
    response = admin_client_logged.post(url, data)  # without JavaScript: back to the form
    assert response.status_code == 302


def test_record_refuses_unsaved_code(admin_client_logged, sample):
    """Storing the output of code that is not saved would record a sample that does not exist."""
    url = reverse("admin:timeline_codesample_record", args=[sample.pk])
    data = posted(admin_client_logged, sample, code="print('unsaved')\n")
    response = admin_client_logged.post(url, data, headers={"X-Requested-With": "fetch"})
    assert "Save the sample first" in response.content.decode()
    sample.refresh_from_db()
    assert sample.expected_output == EXPECTED


def test_run_and_record_are_staff_only_posts_with_csrf(client, django_user_model, sample):
    run_url = reverse("admin:timeline_codesample_run", args=[sample.pk])
    record_url = reverse("admin:timeline_codesample_record", args=[sample.pk])
    for url in (run_url, record_url):
        assert client.post(url).status_code == 302  # to the login page
        assert "/admin/login/" in client.post(url)["Location"]
    user = django_user_model.objects.create_user("plain", password="pw", is_staff=True)
    client.force_login(user)  # staff without the change permission on samples
    assert client.post(run_url).status_code == 403
    admin = django_user_model.objects.create_superuser("boss", "b@example.org", "pw")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin)
    assert strict.post(run_url, {"code": "print(1)"}).status_code == 403
    assert strict.get(run_url).status_code == 405


@pytest.mark.usefixtures("sandbox")
def test_run_never_says_matches_when_nothing_ran(admin_client_logged, sample):
    """Code over the run limit is refused before it runs: its empty output matches an empty
    expected output, and that must not read as a pass."""
    run_url = reverse("admin:timeline_codesample_run", args=[sample.pk])
    data = posted(admin_client_logged, sample, code="x = 1\n" * 12_000, expected_output="")
    html = admin_client_logged.post(run_url, data, headers={"X-Requested-With": "fetch"})
    html = html.content.decode()
    assert "Not compared: the code did not run" in html
    assert "matches" not in html
