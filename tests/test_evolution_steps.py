"""The evolution page's steps: the diff between consecutive hello apps, and how each answered a
POST, from the responses recorded in fixtures/evolution/answers.jsonl."""

import json

import pytest

from timeline.evolution_steps import METHODS_FILE, code_digest, recorded_responses

from .factories import make_era, make_sample

pytestmark = pytest.mark.django_db

URL = "/evolution/"
POST = "POST /hello?name=Ada HTTP/1.1\nHost: localhost\nContent-Length: 0\n\n"
GET_APP = '@app.get("/hello")\ndef hello():\n    return "Hello"\n'
PLAIN_APP = "def app(environ, start_response):\n    return [b'Hello']\n"


@pytest.fixture
def records(settings, tmp_path):
    """Write recorded answers into a fixtures directory of the test's own."""
    settings.HISTORY_FIXTURES_DIR = tmp_path

    def write(*rows):
        path = tmp_path / METHODS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")

    return write


def record(sample, head, request=POST):
    return {
        "era": sample.era.slug,
        "order": sample.order,
        "code_sha256": code_digest(sample.code),
        "request": request,
        "response_head": head,
    }


def _card(html, slug):
    start = html.index(f'id="evolution-{slug}-1"')
    return html[start : html.index("</li>", html.index('class="evolution-more"', start))]


def test_each_step_after_the_first_shows_the_diff_from_the_one_before(client, records):
    records()
    cgi = make_sample(
        make_era(slug="cgi", title="CGI", year=1993), code="a\nb\nc\n", evolution=True
    )
    make_sample(make_era(slug="wsgi", title="WSGI", year=2003), code="a\nB\nc\nd\n", evolution=True)
    html = client.get(URL).content.decode()
    assert "evolution-diff" not in _card(html, cgi.era.slug)
    card = _card(html, "wsgi")
    assert "Changes since CGI: 1 line removed, 2 added" in card
    assert '<del class="diff-line diff-removed">' in card and "Removed: </span>b</del>" in card
    assert "Added: </span>B</ins>" in card and "Added: </span>d</ins>" in card
    assert '<span class="diff-mark" aria-hidden="true">  </span>a</span>' in card
    assert 'aria-label="Changes from CGI to WSGI"' in card


def test_posts_are_grouped_by_status_with_the_reason_read_from_the_code(client, records):
    plain = make_sample(
        make_era(slug="wsgi", title="WSGI", year=2003), code=PLAIN_APP, evolution=True
    )
    flask = make_sample(
        make_era(slug="flask", title="Flask", year=2010), code=GET_APP, evolution=True
    )
    refused = "HTTP/1.1 405 METHOD NOT ALLOWED\nAllow: GET, HEAD, OPTIONS\n"
    records(record(plain, "HTTP/1.1 200 OK\n"), record(flask, refused))
    html = client.get(URL).content.decode()
    start = html.index('id="evolution-methods"')
    summary = html[start : html.index("</section>", start)]
    assert "<strong>200 OK</strong> to POST from WSGI." in summary
    assert "WSGI: the code never reads the request method" in summary
    assert "<strong>405 METHOD NOT ALLOWED</strong> to POST from Flask." in summary
    assert "Flask: <code>@app.get</code> registers the view for GET alone" in summary
    assert "Flask <code>GET, HEAD, OPTIONS</code>" in summary
    assert "<code>Allow: GET, HEAD, OPTIONS</code>" in _card(html, "flask")


def test_the_reason_must_agree_with_the_recorded_status(client, records):
    """A GET decorator that answered 200 (say methods were added) gets no 405 reason, and code
    that reads the method gets no "never reads" sentence, whatever it answered."""
    decorated = make_sample(
        make_era(slug="flask", title="Flask", year=2010), code=GET_APP, evolution=True
    )
    reads = make_sample(
        make_era(slug="wsgi", title="WSGI", year=2003),
        code="def app(environ, start_response):\n    if environ['REQUEST_METHOD'] == 'POST': ...\n",
        evolution=True,
    )
    records(record(decorated, "HTTP/1.1 200 OK\n"), record(reads, "HTTP/1.1 200 OK\n"))
    html = client.get(URL).content.decode()
    assert "<strong>200 OK</strong> to POST from WSGI and Flask." in html
    assert "registers the view for GET alone" not in html
    assert "never reads the request method" not in html


def test_a_record_of_other_code_is_not_shown(client, records):
    """Edit a sample after its answer was recorded: the old answer is no longer claimed."""
    sample = make_sample(make_era(slug="flask", title="Flask"), code=GET_APP, evolution=True)
    stale = record(sample, "HTTP/1.1 405 METHOD NOT ALLOWED\nAllow: GET\n")
    stale["code_sha256"] = code_digest(GET_APP + "# edited\n")
    records(stale)
    html = client.get(URL).content.decode()
    assert 'id="evolution-methods"' not in html and "evolution-answer" not in html


def test_no_records_file_leaves_the_section_out(client, settings, tmp_path):
    settings.HISTORY_FIXTURES_DIR = tmp_path
    make_sample(make_era(slug="cgi"), evolution=True)
    html = client.get(URL).content.decode()
    assert 'id="evolution-methods"' not in html and 'class="evolution-step' in html


def test_every_runnable_hello_app_in_the_fixtures_has_a_current_record():
    """Editing a hello app's code in fixtures/ without recording its answer again fails here
    (re-record with `run_sample --request` and the record's request)."""
    from django.core.management import call_command

    from timeline.models import CodeSample

    call_command("load_history", verbosity=0)
    found = recorded_responses()
    samples = CodeSample.objects.filter(evolution=True).exclude(runtime="none")
    assert samples.exists()
    for sample in samples.select_related("era"):
        row = found.get((sample.era.slug, sample.order))
        assert row, f"{sample.era.slug}: no recorded answer in fixtures/{METHODS_FILE}"
        assert row["code_sha256"] == code_digest(sample.code), f"{sample.era.slug}: stale record"


@pytest.mark.usefixtures("sandbox")
def test_the_recorded_answers_are_what_the_sandbox_answers_today(settings):
    """Each record's status line and headers are what a run of its sample prints now."""
    from django.core.management import call_command

    from timeline.diffs import http_parts
    from timeline.models import CodeSample
    from timeline.runner.service import run_code

    settings.RUNNER_TIMEOUT = 5
    call_command("load_history", verbosity=0)
    for (slug, order), row in recorded_responses().items():
        sample = CodeSample.objects.get(era__slug=slug, order=order)
        result = run_code(sample.runtime, sample.code, row["request"])
        head = http_parts(result.output)
        assert head, (slug, result.output)
        assert head[0] + "\n" == row["response_head"], slug
