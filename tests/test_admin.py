import pytest
from django.contrib import admin
from django.urls import reverse

from timeline.models import Era

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
            "date": "",
        }
    )
    for prefix in ("slides", "samples", "references", "relations", "inverse_relations"):
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


def test_editor_sets_how_eras_relate_in_the_inline(admin_client_logged, client):
    """The era's change page has the relations inline; a saved kind shows on both eras' pages."""
    wsgi = Era.objects.create(slug="wsgi", title="WSGI", year=2003, summary="S.")
    flask = Era.objects.create(slug="flask", title="Flask", year=2010, summary="S.")
    url = reverse("admin:timeline_era_change", args=[flask.pk])
    page = admin_client_logged.get(url)
    assert "How this era relates to others" in page.content.decode()
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"date": ""})
    for prefix in ("slides", "samples", "references", "inverse_relations"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(
        {
            "relations-TOTAL_FORMS": 1,
            "relations-INITIAL_FORMS": 0,
            "relations-0-kind": "built-on",
            "relations-0-other": wsgi.pk,
        }
    )
    response = admin_client_logged.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert flask.relations.get().kind == "built-on"
    assert "Built on" in client.get(flask.get_absolute_url()).content.decode()
    assert "Basis for" in client.get(wsgi.get_absolute_url()).content.decode()
