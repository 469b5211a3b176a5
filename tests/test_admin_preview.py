"""The slide-shaped preview's two views: the rendered slide, and the frame page that shows it."""

import pytest
from django.test import Client
from django.urls import reverse

from .factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db


def test_slide_preview_renders_the_unsaved_slide_as_the_deck_does(admin_client_logged):
    era = make_era(title="WSGI", year=2003)
    slide = make_slide(era, title="Saved title")
    make_sample(era, slide=slide, title="On this slide")
    data = {"era": era.pk, "slide": slide.pk, "title": "Typed", "body": "- a\n- <script>x</script>"}
    response = admin_client_logged.post(reverse("timeline:slide-preview"), data)
    html = response.json()["html"]
    assert 'aria-roledescription="slide"' in html and "WSGI · 2003" in html
    assert '<h2 class="slide-heading">Typed</h2>' in html and "<li>a</li>" in html
    assert "<script>" not in html  # sanitised as a save would
    assert "On this slide" in html  # the saved samples shown on the slide
    assert response["Cache-Control"].startswith("max-age=0")
    slide.refresh_from_db()
    assert slide.title == "Saved title"


def test_slide_preview_is_staff_only_with_csrf(client, django_user_model):
    url = reverse("timeline:slide-preview")
    assert client.post(url, {"body": "x"}).status_code == 302  # to the admin login
    staff = django_user_model.objects.create_user("s", password="pw", is_staff=True)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(url, {"body": "x"}).status_code == 403
    assert strict.get(url).status_code == 405


def test_the_preview_frame_may_be_framed_by_the_admin_only(admin_client_logged, client):
    url = reverse("timeline:slide-preview-frame")
    response = admin_client_logged.get(url)
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "js/slide-preview-frame.js" in response.content.decode()
    assert client.get(url).status_code == 302
    era_page = admin_client_logged.get(reverse("admin:timeline_era_changelist"))
    assert "frame-ancestors 'none'" in era_page["Content-Security-Policy"]
