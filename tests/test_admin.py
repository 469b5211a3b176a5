import pytest
from django.contrib import admin
from django.urls import reverse

from .factories import make_era, make_reference, make_sample, make_slide, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    era = make_era(slug="wsgi", title="WSGI")
    slide = make_slide(era)
    sample = make_sample(era, slide=slide)
    reference = make_reference(era)
    talk = make_talk([era])
    return [era, slide, sample, reference, talk]


def test_every_admin_page_opens(admin_client_logged, content):
    """Changelist, add and change page of every registered model open for a superuser."""
    objects = {type(obj): obj for obj in content}
    assert admin.site._registry, "no models registered"
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        for name in ("changelist", "add"):
            url = reverse(f"admin:{info[0]}_{info[1]}_{name}")
            assert admin_client_logged.get(url).status_code == 200, url
            assert admin_client_logged.get(url, {"q": "x"}).status_code == 200, url
        obj = objects.get(model)
        if obj is None:
            obj = model.objects.first()
        if obj is not None:
            url = reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])
            assert admin_client_logged.get(url).status_code == 200, url


def test_admin_edit_shows_on_era_page(admin_client_logged, client, content):
    era = content[0]
    url = reverse("admin:timeline_era_change", args=[era.pk])
    page = admin_client_logged.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {
            "title": "WSGI",
            "summary": "Edited by the editor.",
            "body": "A *new* body.",
            "related": [],
            "date": "",
        }
    )
    for prefix in ("slides", "samples", "references"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = admin_client_logged.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    html = client.get(era.get_absolute_url()).content.decode()
    assert "Edited by the editor." in html
    assert "A <em>new</em> body." in html


def test_era_changelist_shows_slide_count(admin_client_logged, content):
    html = admin_client_logged.get(reverse("admin:timeline_era_changelist")).content.decode()
    assert 'class="field-slide_count">1<' in html


def test_superuser_exports_fixtures_from_the_changelist(
    admin_client_logged, content, settings, tmp_path
):
    """The Export button writes the database to fixtures/ and says where, like dump_history."""
    settings.HISTORY_FIXTURES_DIR = tmp_path
    changelist = admin_client_logged.get(reverse("admin:timeline_era_changelist")).content.decode()
    url = reverse("admin:timeline_era_export_fixtures")
    assert f'action="{url}"' in changelist
    assert admin_client_logged.get(url).status_code == 405
    response = admin_client_logged.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:timeline_era_changelist")
    assert (tmp_path / "eras" / "wsgi.json").exists()
    assert (tmp_path / "talks.json").exists()
    assert f"Exported 2 files to {tmp_path}" in response.content.decode()


def test_staff_without_superuser_cannot_export(
    client, django_user_model, content, settings, tmp_path
):
    settings.HISTORY_FIXTURES_DIR = tmp_path
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    editor.user_permissions.add(*Permission.objects.filter(codename__endswith="_era"))
    client.force_login(editor)
    changelist = client.get(reverse("admin:timeline_era_changelist")).content.decode()
    assert "Export to fixtures" not in changelist
    assert client.post(reverse("admin:timeline_era_export_fixtures")).status_code == 403
    assert not (tmp_path / "eras").exists()


def test_export_needs_csrf(django_user_model, content):
    from django.test import Client

    user = django_user_model.objects.create_superuser("root", "r@example.org", "pw")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("admin:timeline_era_export_fixtures")).status_code == 403


def test_era_picker_puts_the_exact_title_or_slug_first(admin_client_logged):
    """Typing "WSGI" and pressing Enter picks the first result: it must be WSGI itself, not an
    earlier era whose story mentions WSGI, nor one whose title only contains it."""
    make_era(slug="asgi", title="ASGI", year=2016, body="The successor to WSGI.")
    make_era(slug="mod-wsgi", title="mod_wsgi", year=2007)
    make_era(slug="wsgi", title="WSGI", year=2003)
    make_era(slug="cgi", title="CGI", year=1993, summary="Before WSGI.")
    url = reverse("admin:autocomplete")
    params = {"app_label": "timeline", "model_name": "talkera", "field_name": "era"}
    for term, first in [
        ("WSGI", "WSGI (2003)"),
        ("wsgi", "WSGI (2003)"),
        ("mod-wsgi", "mod_wsgi (2007)"),
    ]:
        results = admin_client_logged.get(url, {**params, "term": term}).json()["results"]
        assert results[0]["text"] == first, (term, results)
    results = admin_client_logged.get(url, {**params, "term": "WSGI"}).json()["results"]
    assert [r["text"] for r in results] == [
        "WSGI (2003)",
        "mod_wsgi (2007)",
        "CGI (1993)",
        "ASGI (2016)",
    ]
