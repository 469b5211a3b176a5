import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from timeline.models import Era

from .factories import (
    make_era,
    make_exercise,
    make_reference,
    make_sample,
    make_slide,
    make_talk,
)

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
    """Changelist, add and change page of every registered model open for a superuser (a
    read-only page, such as the health report, refuses add to everyone)."""
    objects = {type(obj): obj for obj in content}
    as_superuser = RequestFactory().get("/")
    as_superuser.user = User.objects.get(username="admin")
    assert admin.site._registry, "no models registered"
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        addable = model_admin.has_add_permission(as_superuser)
        for name in ("changelist", "add"):
            url = reverse(f"admin:{info[0]}_{info[1]}_{name}")
            expected = 200 if name == "changelist" or addable else 403
            assert admin_client_logged.get(url).status_code == expected, url
            assert admin_client_logged.get(url, {"q": "x"}).status_code == expected, url
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
    data["_version"] = page.context["edit_version"]  # the version the page was loaded from
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


def test_superuser_exports_fixtures_after_seeing_what_changes(
    admin_client_logged, content, settings, tmp_path
):
    """Export first lists the files it would change, with a diff; only a POST of that preview
    writes them, as dump_history does, and says where."""
    settings.HISTORY_FIXTURES_DIR = tmp_path
    changelist = admin_client_logged.get(reverse("admin:timeline_era_changelist")).content.decode()
    url = reverse("admin:timeline_era_export_fixtures")
    assert f'href="{url}"' in changelist
    preview = admin_client_logged.get(url)
    html = preview.content.decode()
    assert "would change 2 files" in html and "eras/wsgi.json" in html
    assert (
        '<span class="diff-added">+    &quot;model&quot;: &quot;timeline.era&quot;,</span>' in html
    )
    assert not (tmp_path / "eras" / "wsgi.json").exists()  # a preview writes nothing
    digest = preview.context["digest"]
    response = admin_client_logged.post(url, {"digest": digest}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:timeline_era_changelist")
    assert (tmp_path / "eras" / "wsgi.json").exists()
    assert (tmp_path / "talks.json").exists()
    assert f"Exported 2 files to {tmp_path}" in response.content.decode()
    again = admin_client_logged.get(url).content.decode()
    assert "there is nothing to export" in again


def test_export_refuses_a_preview_that_is_out_of_date(
    admin_client_logged, content, settings, tmp_path
):
    """Content edited between the preview and the write: nothing is written; a new preview."""
    settings.HISTORY_FIXTURES_DIR = tmp_path
    url = reverse("admin:timeline_era_export_fixtures")
    digest = admin_client_logged.get(url).context["digest"]
    era = content[0]
    era.summary = "Changed meanwhile."
    era.save()
    response = admin_client_logged.post(url, {"digest": digest})
    assert response.status_code == 200
    assert "The content changed since this preview" in response.content.decode()
    assert not (tmp_path / "eras" / "wsgi.json").exists()


def test_only_a_superuser_exports(client, django_user_model, content):
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    client.force_login(staff)
    url = reverse("admin:timeline_era_export_fixtures")
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403


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


@pytest.mark.parametrize(
    ("model", "scripts"),
    [
        ("era", ["admin-preview.js", "code-editor.js", "admin-code-editor.js", "admin-reorder.js"]),
        ("slide", ["admin-preview.js"]),
        ("codesample", ["code-editor.js", "admin-code-editor.js", "admin-sample-check.js"]),
        ("talk", ["admin-reorder.js"]),
        ("exercise", ["admin-preview.js"]),
    ],
)
def test_change_pages_load_their_editor_scripts(admin_client_logged, content, model, scripts):
    """Each change page loads the scripts its editor features need, as ES modules (a Media
    mistake drops them silently)."""
    objects = [*content, make_exercise(content[0])]
    obj = next(o for o in objects if o._meta.model_name == model)
    html = admin_client_logged.get(
        reverse(f"admin:timeline_{model}_change", args=[obj.pk])
    ).content.decode()
    for script in scripts:
        assert f'<script src="/static/js/{script}" type="module"></script>' in html, script


def test_editor_sets_how_eras_relate_in_the_inline(admin_client_logged, client):
    """The era's change page has the relations inline; a saved kind shows on both eras' pages."""
    wsgi = Era.objects.create(slug="wsgi", title="WSGI", year=2003, summary="S.")
    flask = Era.objects.create(slug="flask", title="Flask", year=2010, summary="S.")
    url = reverse("admin:timeline_era_change", args=[flask.pk])
    page = admin_client_logged.get(url)
    assert "How this era relates to others" in page.content.decode()
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["_version"] = page.context["edit_version"]  # the version the page was loaded from
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


def test_help_texts_hold_no_markup():
    """The admin shows help_text as HTML, so "/eras/<slug>/" read as "/eras//": none of the
    editors' help may hold a tag-like "<"."""
    from django.apps import apps

    marked = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("timeline").get_models()
        for field in model._meta.get_fields()
        if "<" in str(getattr(field, "help_text", ""))
    ]
    assert not marked
