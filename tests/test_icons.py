"""The site's icons and web app manifest: served, linked from every page, and real images."""

import json

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from .factories import make_era

pytestmark = pytest.mark.django_db


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    ("path", "content_type", "magic"),
    [
        ("/favicon.ico", "image/", b"\x00\x00\x01\x00"),
        ("/apple-touch-icon.png", "image/png", b"\x89PNG"),
    ],
)
def test_root_icons_are_served(client, path, content_type, magic):
    """Browsers ask for these at the root on every visit: no more 404s."""
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert _body(response).startswith(magic)


def test_manifest_names_the_site_and_points_at_served_icons(client):
    response = client.get(reverse("timeline:manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["short_name"] == "historyweb" and data["start_url"] == "/"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"any", "192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        # Tests do not collect static files: find each icon where collectstatic would.
        assert icon["src"].startswith(settings.STATIC_URL)
        assert finders.find(icon["src"].removeprefix(settings.STATIC_URL)), icon["src"]


def test_pages_link_the_icons_and_manifest(client):
    era = make_era()
    for url in ["/", era.get_absolute_url(), reverse("timeline:present")]:
        html = client.get(url).content.decode()
        assert 'rel="icon"' in html and 'href="/favicon.ico"' in html, url
        assert 'rel="apple-touch-icon"' in html, url
        assert f'rel="manifest" href="{reverse("timeline:manifest")}"' in html, url
