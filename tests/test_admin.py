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
