"""Hostile input: random paths, query strings, slugs, slide numbers, run requests: never a 500.

The Django test client re-raises any unhandled exception, so a crash fails the test with its
traceback; a handled error must be a 4xx. Example counts are kept small for a 2-core machine;
raise them locally with HYPOTHESIS_PROFILE=thorough.
"""

import json
import os
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .seed import pages

# The seed's slugs, known before the database exists (the examples are made at collection).
SEED_VALUES = {"era": "wsgi", "talk": "short", "sample": 0, "era_pk": 0, "exercise": "wsgi-hello"}

pytestmark = pytest.mark.django_db

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# From the registry (tests/pages.py): pages that take a slug get random slugs; every
# anonymous page gets random query strings and slide numbers; admin lists get random filters.
FUZZED = pages(fuzz=True)
SLUG_URLS = [
    p.path.format(era="{slug}", talk="{slug}", exercise="{slug}") for p in FUZZED if p.takes_slug
]
QUERY_URLS = list(
    dict.fromkeys(
        p.path.format(**SEED_VALUES) for p in FUZZED if p.anonymous and "{sample}" not in p.url
    )
)
QUERY_KEYS = ["q", "kind", "slide", "n", "notes", "page", "p", "o", "e", "format"]
ADMIN_LIST_URLS = [p.path for p in FUZZED if p.staff and "{" not in p.url]
ADMIN_KEYS = ["q", "o", "p", "e", "kind__exact", "published__exact", "era__id__exact", "all"]

# Any character, with the troublemakers (NUL, quotes, markup, separators, BOM) made likely.
SPECIALS = "\x00\x01\n\r\t<>\"'`%&;=?#/\\ \u2028\ufeff\u202e"
text = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIALS), st.characters(codec="utf-8", exclude_categories=["Cs"])
    ),
    max_size=40,
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["0", "-1", "1e9", "NaN", "inf", "0x10", " 1", "1/0", "١", "²"]),
)
values = st.one_of(text, numbers)
query_dicts = st.dictionaries(st.one_of(st.sampled_from(QUERY_KEYS), text), values, max_size=4)


def assert_no_server_error(response, what):
    assert response.status_code < 500, (what, response.status_code)


@given(path=text)
def test_random_paths(client, history, path):
    url = "/" + quote(path, safe="/?&=%#:@!$'()*+,;")
    assert_no_server_error(client.get(url), url)


@given(raw=st.binary(max_size=60))
def test_random_percent_encoded_bytes_in_paths(client, history, raw):
    for prefix in ("/", "/eras/", "/present/"):
        url = prefix + quote(raw, safe="")
        assert_no_server_error(client.get(url), url)


@given(slug=st.one_of(text, numbers), template=st.sampled_from(SLUG_URLS))
def test_random_slugs(client, history, slug, template):
    url = template.format(slug=quote(slug, safe=""))
    assert_no_server_error(client.get(url), url)


@given(params=query_dicts, base=st.sampled_from(QUERY_URLS))
@example(params={"q": "a\x00b"}, base="/")  # was a 500 on PostgreSQL
def test_random_query_strings(client, history, params, base):
    url = base + "?" + urlencode(params)
    assert_no_server_error(client.get(url), url)


@given(number=numbers, base=st.sampled_from(QUERY_URLS))
def test_random_slide_numbers(client, history, number, base):
    for url in (f"{base}?slide={quote(number)}", f"{base}{quote(number, safe='')}/"):
        assert_no_server_error(client.get(url), url)


@given(raw=st.text(max_size=80))
def test_raw_query_strings(client, history, raw):
    url = "/?" + quote(raw, safe="=&%+;")
    assert_no_server_error(client.get(url), url)


@given(params=st.dictionaries(st.sampled_from(ADMIN_KEYS), values, max_size=3))
@example(params={"q": "\x00"})  # was a 500 on PostgreSQL
@settings(max_examples=30)
def test_admin_lists_with_random_filters(admin_client_logged, history, params):
    for base in ADMIN_LIST_URLS:
        url = base + "?" + urlencode(params)
        assert_no_server_error(admin_client_logged.get(url), url)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=6,
)
run_bodies = st.one_of(
    st.fixed_dictionaries(
        {}, optional={"code": json_values, "request": json_values, "extra": json_values}
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=60),
)


@given(body=run_bodies, pk=st.one_of(st.just("{pk}"), numbers))
@settings(max_examples=25)
def test_random_run_requests(client, history, body, pk):
    """POST /samples/<pk>/run/ with any JSON (or not JSON at all) is answered, never a 500."""
    sample_pk = history.samples.first().pk
    url = f"/samples/{quote(pk.format(pk=sample_pk), safe='')}/run/"
    response = client.post(url, body, content_type="application/json")
    if response.status_code == 503:  # no sandbox on this machine: the documented fail-closed answer
        assert "apt-get install bubblewrap" in response.content.decode(), (url, body)
    else:
        assert_no_server_error(response, (url, body))


@pytest.mark.parametrize("url", ["/?q=a%00b", "/eras/a%00b/", "/?%00=1", "/admin/?q=%00"])
def test_nul_characters_get_a_clear_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
