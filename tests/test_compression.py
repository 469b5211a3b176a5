"""Compressed pages: precompressed variants from the page cache, live compression for the rest,
and no compression where a secret sits beside reflected input (BREACH)."""

import gzip

import brotli
import pytest
from django.urls import reverse

from historyweb.compression import accepted

pytestmark = pytest.mark.django_db

BR = {"accept-encoding": "gzip, deflate, br"}
GZIP = {"accept-encoding": "gzip"}


def decoded(response):
    encoding = response.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.content)
    if encoding == "gzip":
        return gzip.decompress(response.content)
    assert encoding is None, encoding
    return response.content


@pytest.mark.parametrize(
    "header,expected",
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5", "gzip"),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
        ("br;q=nonsense, gzip", "gzip"),
        ("BR", "br"),
    ],
)
def test_accept_encoding_is_read_with_q_values(rf, header, expected):
    assert accepted(rf.get("/", headers={"accept-encoding": header})) == expected


def test_a_cached_page_is_sent_in_the_encoding_the_client_accepts(
    client, history, django_assert_num_queries
):
    plain = client.get("/eras/wsgi/")
    assert "Content-Encoding" not in plain
    with django_assert_num_queries(0):
        br = client.get("/eras/wsgi/", headers=BR)
        gz = client.get("/eras/wsgi/", headers=GZIP)
    assert br["Content-Encoding"] == "br" and gz["Content-Encoding"] == "gzip"
    assert decoded(br) == decoded(gz) == plain.content
    assert len(br.content) < len(gz.content) < len(plain.content) / 3
    assert int(br["Content-Length"]) == len(br.content)
    for response in (plain, br, gz):
        assert "Accept-Encoding" in response["Vary"] and "Cookie" in response["Vary"]
    assert len({plain["ETag"], br["ETag"], gz["ETag"]}) == 3


def test_conditional_get_matches_the_encoding(client, history, django_assert_num_queries):
    etag = client.get("/eras/wsgi/", headers=BR)["ETag"]
    with django_assert_num_queries(0):
        assert client.get("/eras/wsgi/", headers={**BR, "if-none-match": etag}).status_code == 304
    # The brotli ETag does not stand for the gzip body.
    assert client.get("/eras/wsgi/", headers={**GZIP, "if-none-match": etag}).status_code == 200


def test_uncached_public_responses_are_compressed_too(client, history):
    response = client.get("/eras/no-such-era/", headers=BR)
    assert response.status_code == 404
    assert response["Content-Encoding"] == "br"
    assert b"</html>" in decoded(response)


def test_private_responses_are_never_compressed(client, history, settings, tmp_path):
    """never_cache marks a response made for one visitor (a run's result, a live remote with
    its control key): it may hold a secret, so it goes out plain."""
    settings.RUNNER_BWRAP = str(tmp_path / "missing")  # a long answer, no sandbox needed
    sample = history.samples.get(runtime="wsgi")
    url = reverse("timeline:sample-run", args=[sample.pk])
    result = client.post(url, '{"code": "x = 1"}', "application/json", headers=BR)
    assert len(result.content) >= 256
    assert "private" in result["Cache-Control"]
    assert "Content-Encoding" not in result


@pytest.mark.parametrize(
    "url",
    [
        "/admin/login/",  # a CSRF token in the form
        "/samples/csrf/",  # the token itself
        "/samples/{sample}/run/",  # the no-JavaScript run form, with its token
    ],
)
def test_responses_with_a_csrf_token_are_never_compressed(client, history, url):
    """BREACH: a secret next to text an attacker controls must not be compressed."""
    sample = history.samples.get(runtime="wsgi")
    response = client.get(url.format(sample=sample.pk), headers=BR)
    assert response.status_code == 200
    assert "Content-Encoding" not in response


def test_staff_pages_are_never_compressed(admin_client_logged, history):
    for url in ("/", "/admin/", "/admin/timeline/era/?q=wsgi"):
        response = admin_client_logged.get(url, headers=BR)
        assert response.status_code == 200, url
        assert "Content-Encoding" not in response, url


def test_small_responses_stay_plain(client, history):
    response = client.get("/eras/a%00b/", headers=BR)  # the short 400 for a NUL
    assert response.status_code == 400
    assert "Content-Encoding" not in response
