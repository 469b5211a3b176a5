import re

import pytest
from django.urls import reverse

from .factories import make_era, make_sample

pytestmark = pytest.mark.django_db

URL = "/evolution/"


def test_url_is_named():
    assert reverse("timeline:evolution") == URL


def test_empty_page_says_so(client):
    """With no evolution sample the page still answers 200 and explains itself."""
    make_sample(make_era(title="CGI"), evolution=False)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>One app in every era · historyweb</title>" in html
    assert "No era has its version of the app yet" in html
    assert 'class="evolution-step kind-' not in html


def test_samples_appear_in_era_order_with_era_details(client):
    """Oldest era first, whatever order the rows were created in; each links to its era."""
    wsgi = make_era(slug="wsgi", title="WSGI", year=2003, summary="One calling convention.")
    cgi = make_era(slug="cgi", title="CGI", year=1993, kind="interface", summary="Processes.")
    flask = make_era(slug="flask", title="Flask", year=2010)
    make_sample(
        wsgi,
        title="Hello, WSGI",
        code="def application(environ, start_response): ...\n",
        evolution=True,
    )
    make_sample(flask, title="Hello, Flask", evolution=True)
    make_sample(cgi, title="Hello, CGI", code="print('Content-Type: text/plain')\n", evolution=True)
    make_sample(cgi, title="Not the hello app", evolution=False)
    html = client.get(URL).content.decode()
    grid = html[html.index('<ol class="evolution-grid">') :]
    assert grid.index("Hello, CGI") < grid.index("Hello, WSGI") < grid.index("Hello, Flask")
    assert "Not the hello app" not in html
    assert f'href="{cgi.get_absolute_url()}">CGI</a>' in grid
    assert '<span class="era-year">1993</span>' in grid
    assert "Processes." in grid and "Interface" in grid
    # The code is the highlighted HTML stored on the sample, not the raw text.
    assert 'class="highlight"' in grid
    assert 'id="evolution-cgi-1"' in html and 'href="#evolution-cgi-1"' in html


def test_same_year_eras_sort_by_date_then_title(client):
    from datetime import date

    later = make_era(slug="b", title="Bottle", year=2009, date=date(2009, 7, 1))
    undated = make_era(slug="a", title="Aardvark", year=2009)
    earlier = make_era(slug="t", title="Tornado", year=2009, date=date(2009, 3, 1))
    for era in (later, undated, earlier):
        make_sample(era, title=f"Hello from {era.title}", evolution=True)
    html = client.get(URL).content.decode()
    assert (
        html.index("Hello from Tornado")
        < html.index("Hello from Bottle")
        < html.index("Hello from Aardvark")
    )


def test_anchor_ids_are_unique_across_eras(client):
    """Two eras each with sample order 1 must not share an element id."""
    for slug in ("cgi", "wsgi"):
        make_sample(make_era(slug=slug), order=1, evolution=True)
    html = client.get(URL).content.decode()
    assert 'id="cgi-sample-1"' in html and 'id="wsgi-sample-1"' in html
    assert 'id="sample-1"' not in html


def test_era_page_keeps_plain_sample_anchors(client):
    """The era page's #sample-N anchors (CodeSample.get_absolute_url) are unchanged."""
    era = make_era(slug="cgi")
    sample = make_sample(era, evolution=True)
    html = client.get(era.get_absolute_url()).content.decode()
    assert f'id="sample-{sample.order}"' in html
    assert sample.get_absolute_url().endswith(f"#sample-{sample.order}")


def test_unpublished_eras_are_hidden_from_visitors_shown_to_staff(client, admin_client_logged):
    make_sample(make_era(title="Public"), title="Public hello", evolution=True)
    make_sample(make_era(title="Draft", published=False), title="Draft hello", evolution=True)
    html = client.get(URL).content.decode()
    assert "Public hello" in html and "Draft hello" not in html
    response = admin_client_logged.get(URL)
    assert "Draft hello" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_historical_sample_is_marked(client):
    era = make_era(slug="mod-python", title="mod_python")
    make_sample(era, historical=True, language="python2", runtime="none", evolution=True)
    html = client.get(URL).content.decode()
    assert "badge-historical" in html


def test_nav_links_to_the_page(client):
    html = client.get("/").content.decode()
    assert f'<a href="{URL}">Evolution</a>' in html


def test_page_works_without_javascript(client):
    """Everything is in the HTML: every script is external and deferred (the Run enhancement,
    the theme toggle), but for the tiny theme script that must run before the first paint, and
    each sample still links to its no-JavaScript run page."""
    sample = make_sample(make_era(), title="Hello", evolution=True, runtime="wsgi")
    html = client.get(URL).content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    early = [tag for tag in scripts if "theme-early" in tag]
    assert early == ['<script src="/static/js/theme-early.js">'], scripts
    # Module scripts are deferred by the browser without the attribute.
    later = [tag for tag in scripts if tag not in early]
    deferred = [" src=" in tag and (" defer" in tag or 'type="module"' in tag) for tag in later]
    assert later and all(deferred), scripts
    assert " style=" not in html
    assert reverse("timeline:sample-run", args=[sample.pk]) in html


@pytest.mark.parametrize("count", [2, 8])
def test_query_count_is_constant(django_assert_num_queries, client, count):
    """One query for the samples and their eras, however many eras there are."""
    for _ in range(count):
        make_sample(make_era(), evolution=True)
    with django_assert_num_queries(1):
        response = client.get(URL)
    assert response.content.decode().count('class="evolution-step kind-') == count


def test_the_real_history_shows_every_hello_app_in_era_order(client):
    """With the project's fixtures loaded, every published hello app appears, oldest era first."""
    from django.core.management import call_command

    from timeline.models import CodeSample

    call_command("load_history", verbosity=0)
    samples = sorted(
        CodeSample.objects.filter(evolution=True, era__published=True).select_related("era"),
        key=lambda sample: (sample.era.sort_key(), sample.order),
    )
    assert samples, "no fixture marks a sample evolution=True"
    html = client.get(URL).content.decode()
    positions = [html.index(f'id="evolution-{s.era.slug}-{s.order}"') for s in samples]
    assert positions == sorted(positions)


def test_two_hello_apps_of_one_era_keep_their_order(client):
    era = make_era(slug="wsgi", year=2003)
    make_sample(era, order=2, title="Second hello", evolution=True)
    make_sample(era, order=1, title="First hello", evolution=True)
    html = client.get(URL).content.decode()
    assert html.index("First hello") < html.index("Second hello")
