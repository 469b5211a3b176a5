"""POST /samples/<pk>/run/ (JSON), the page that works without JavaScript, CSRF, and the
era page's Run controls (which carry no per-user data, so the page can be cached)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_era, make_sample, make_slide
from timeline.runner import service
from timeline.runner.harness import message_cap, report_cap
from timeline.runner.slots import run_slot

pytestmark = pytest.mark.django_db

CGI = 'print("Content-Type: text/plain")\nprint()\nprint("Hello from CGI")\n'


@pytest.fixture
def sample():
    era = make_era(slug="cgi", title="CGI")
    return make_sample(era, runtime="cgi", code=CGI, request="GET / HTTP/1.1\n\n", title="Hello")


def post_json(client, url, data=None, **extra):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **extra)


def test_run_answers_json(sandbox, client, sample):
    url = reverse("timeline:sample-run", args=[sample.pk])
    assert url == f"/samples/{sample.pk}/run/"
    response = post_json(client, url)
    assert response.status_code == 200
    data = response.json()
    assert {"ok", "output", "error", "duration_ms", "cached"} <= set(data)
    assert data["ok"] is True and data["cached"] is False
    assert data["status"] == "200 OK"
    assert data["headers"] == [["Content-Type", "text/plain"]]
    assert data["body"] == "Hello from CGI\n"
    assert data["environ"]["REQUEST_METHOD"] == "GET"
    assert "no-cache" in response["Cache-Control"]
    assert post_json(client, url).json()["cached"] is True


def test_run_with_edited_code_and_request(sandbox, client, sample):
    url = reverse("timeline:sample-run", args=[sample.pk])
    code = 'import os\nprint("Content-Type: text/plain")\nprint()\nprint(os.environ["PATH_INFO"])\n'
    data = post_json(client, url, {"code": code, "request": "GET /edited HTTP/1.1\n\n"}).json()
    assert data["body"] == "/edited\n"
    assert data["cached"] is False


def test_an_edited_run_is_compared_with_the_recorded_output(sandbox, client, sample):
    """The server renders the comparison with the result: after an edited run that ran, and
    only then (run.js makes its heading the "Compare with the recorded output" button)."""
    sample.expected_output = "HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello from CGI\n"
    sample.save()
    url = reverse("timeline:sample-run", args=[sample.pk])
    assert "run-compare" not in post_json(client, url).json()["html"]
    code = CGI.replace("Hello from CGI", "Edited <b>here</b>")
    html = post_json(client, url, {"code": code, "request": "GET / HTTP/1.1\n\n"}).json()["html"]
    assert '<h3 class="run-compare-title">Compare with the recorded output</h3>' in html
    assert '<h4 class="run-diff-title">Status line and headers</h4>' in html
    assert "The same as recorded." in html  # the head did not change
    assert "1 line removed, 1 added." in html
    assert (
        '<del class="diff-line diff-removed"><span class="diff-mark" aria-hidden="true">− </span>'
        '<span class="visually-hidden">Removed: </span>Hello from CGI</del>'
    ) in html
    assert "Edited &lt;b&gt;here&lt;/b&gt;</ins>" in html
    assert 'aria-label="Body: differences from the recorded output"' in html
    # The page without JavaScript shows it too; a run that did not run is not compared.
    page = client.post(url, {"code": code, "request": "GET / HTTP/1.1\n\n"})
    assert "1 line removed, 1 added." in page.content.decode()
    refused = post_json(client, url, {"code": code, "request": "not a request"}).json()
    assert refused["outcome"] == "not-started" and "run-compare" not in refused["html"]


def test_bad_input_gets_a_clear_answer(client, sample):
    url = reverse("timeline:sample-run", args=[sample.pk])
    response = client.post(url, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "The body is not valid JSON."
    response = post_json(client, url, {"code": 42})
    assert response.status_code == 400
    assert response.json()["error"] == "“code” must be a string."
    response = client.post(url, "x" * 300_000, content_type="application/json")
    assert response.status_code == 413


def test_not_runnable_and_hidden_samples(client, sample):
    plain = make_sample(sample.era, runtime="none")
    response = post_json(client, reverse("timeline:sample-run", args=[plain.pk]))
    assert response.status_code == 400
    assert response.json()["error"] == "This sample is not runnable."
    hidden = make_sample(make_era(published=False), runtime="python")
    assert post_json(client, reverse("timeline:sample-run", args=[hidden.pk])).status_code == 404
    assert post_json(client, "/samples/999999/run/").status_code == 404


def test_csrf_is_enforced(sandbox, sample):
    client = Client(enforce_csrf_checks=True)
    url = reverse("timeline:sample-run", args=[sample.pk])
    assert post_json(client, url).status_code == 403
    token_response = client.get(reverse("timeline:sample-csrf"))
    assert token_response.status_code == 200
    assert "no-cache" in token_response["Cache-Control"]
    cookie = client.cookies["csrftoken"].value
    assert post_json(client, url, HTTP_X_CSRFTOKEN="wrong" * 8).status_code == 403
    response = post_json(client, url, HTTP_X_CSRFTOKEN=cookie)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    form = Client(enforce_csrf_checks=True)
    assert form.post(url, {"code": CGI}).status_code == 403


def test_too_many_edited_runs_get_429_with_retry_after(
    sandbox, settings, client, sample, one_rate_window
):
    settings.RUNNER_RATE_LIMIT = 1
    url = reverse("timeline:sample-run", args=[sample.pk])
    edited = CGI.replace("Hello", "Hi")
    assert post_json(client, url, {"code": edited}).status_code == 200
    response = post_json(client, url, {"code": edited})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Try again in" in response.json()["error"]
    assert post_json(client, url).status_code == 200  # the original still runs (cached or not)


def test_busy_sandboxes_get_429(sandbox, settings, client, sample):
    from timeline.runner.config import get_config

    settings.RUNNER_MAX_CONCURRENT = 1
    settings.RUNNER_SLOT_WAIT = 0
    url = reverse("timeline:sample-run", args=[sample.pk])
    with run_slot(get_config().state_dir / "slots", 1):
        response = post_json(client, url)
        assert response.status_code == 429
        assert response["Retry-After"] == "2"
        assert response.json()["error"] == "Every sandbox is busy. Try again in a moment."
        assert client.get(sample.era.get_absolute_url()).status_code == 200  # pages still served


def test_without_bwrap_the_answer_is_503_with_how_to_install(settings, client, sample, tmp_path):
    from django.core.cache import cache

    cache.clear()
    settings.RUNNER_BWRAP = str(tmp_path / "missing")
    response = post_json(client, reverse("timeline:sample-run", args=[sample.pk]))
    assert response.status_code == 503
    assert "apt-get install bubblewrap" in response.json()["error"]
    assert response.json()["ok"] is False


def test_the_no_js_page_shows_an_editable_form(client, sample):
    url = reverse("timeline:sample-run", args=[sample.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'action="{url}"' in html and 'method="post"' in html
    assert 'name="code"' in html and 'name="request"' in html
    assert "Hello from CGI" in html


def test_the_no_js_form_post_shows_the_result(sandbox, sample):
    client = Client(enforce_csrf_checks=True)
    url = reverse("timeline:sample-run", args=[sample.pk])
    page = client.get(url)
    token = page.context["csrf_token"]
    edited = CGI.replace("Hello from CGI", "Edited <b>here</b>")
    response = client.post(
        url, {"code": edited, "request": "GET / HTTP/1.1\n\n", "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "HTTP/1.1 200 OK" in html
    assert "Edited &lt;b&gt;here&lt;/b&gt;" in html  # escaped, never HTML
    assert "<b>here</b>" not in html
    assert ">Reset</a>" in html  # an edit can be undone
    assert response.context["result"].body == "Edited <b>here</b>\n"


def test_era_page_has_run_controls_and_no_per_user_data(client, sample):
    make_slide(sample.era, order=1)
    historical = make_sample(sample.era, runtime="none", historical=True, title="Old")
    response = client.get(sample.era.get_absolute_url())
    html = response.content.decode()
    run_url = reverse("timeline:sample-run", args=[sample.pk])
    assert f'data-run-url="{run_url}"' in html
    assert f'href="{run_url}"' in html  # the plain link for browsers without JavaScript
    assert 'data-csrf-url="/samples/csrf/"' in html
    assert "js/run.js" in html and "css/run.css" in html
    assert reverse("timeline:sample-run", args=[historical.pk]) not in html
    assert "csrfmiddlewaretoken" not in html
    assert "csrftoken" not in response.cookies
    assert " style=" not in html and "<script>" not in html  # strict CSP later


def test_rate_limit_client_comes_from_the_proxy_header_when_configured(settings, rf):
    from historyweb.throttle import client_id

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert client_id(request) == "10.0.0.1"
    settings.RUNNER_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_id(request) == "203.0.113.7"
    assert client_id(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"


def test_a_form_post_of_the_unchanged_sample_counts_as_unedited(sandbox, settings, client, sample):
    """Browsers send textareas with CRLF line ends; that alone is not an edit."""
    settings.RUNNER_RATE_LIMIT = 0
    settings.RUNNER_TIMEOUT = 10  # only a finished run is cached; a loaded machine may be slow
    url = reverse("timeline:sample-run", args=[sample.pk])
    data = {"code": CGI.replace("\n", "\r\n"), "request": sample.request.replace("\n", "\r\n")}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["result"].ok, response.context["result"].error
    assert response.context["edited"] is False
    assert ">Reset</a>" not in response.content.decode()
    assert client.post(url, data).context["result"].cached is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 100_000, "The body is not valid JSON."),
        ('{"code": "' + "[" * 10 + '"' + "}" * 3, "The body is not valid JSON."),
        ('{"request": "GET / HTTP/1.1\\n\\n\\ud800"}', "“request” is not valid Unicode text"),
        ('{"code": "print(1)\\udfff"}', "“code” is not valid Unicode text"),
        ('{"code": ["print(1)"]}', "“code” must be a string."),
        ('{"request": {"a": 1}}', "“request” must be a string."),
        ('{"code": "x", "shell": "rm -rf /"}', "Unknown field “shell”"),
        ("[]", "Send a JSON object."),
        ('"a string"', "Send a JSON object."),
        (b"\xff\xfe{}", "The body is not valid JSON."),
    ],
)
def test_hostile_bodies_get_a_json_400_and_are_not_counted(client, sample, settings, body, message):
    """Each is answered with a clear message, and none of them counts against the rate limit."""
    settings.RUNNER_RATE_LIMIT = 0  # any counted run would be refused with 429
    url = reverse("timeline:sample-run", args=[sample.pk])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["ok"] is False and answer["outcome"] == "not-started"
    assert answer["error"].startswith(message)


def test_a_huge_body_is_refused_before_it_is_read(client, sample):
    url = reverse("timeline:sample-run", args=[sample.pk])
    response = client.generic(
        "POST", url, b"{}", content_type="application/json", CONTENT_LENGTH="999999999"
    )
    assert response.status_code == 413
    assert response.json()["error"] == "The code and request are too long."
    response = client.post(url, "x" * 3_000_000, content_type="application/json")
    assert response.status_code == 413


def test_a_run_that_never_starts_is_not_counted(sandbox, settings, client, sample, one_rate_window):
    """A bad request text is answered without running and without counting; a real run counts."""
    settings.RUNNER_RATE_LIMIT = 1
    url = reverse("timeline:sample-run", args=[sample.pk])
    for _ in range(3):
        bad = post_json(client, url, {"code": CGI + "#", "request": "NOT A REQUEST"})
        assert bad.status_code == 400
        assert bad.json()["outcome"] == "not-started"
        assert bad.json()["error"].startswith("The request: ")
    assert post_json(client, url, {"code": CGI + "#"}).json()["outcome"] == "ok"
    assert post_json(client, url, {"code": CGI + "##"}).status_code == 429


def test_one_template_renders_a_result_for_the_page_and_for_the_run_button(rf, sample):
    """The JSON answer carries the result rendered by the template the no-JS page includes."""
    from django.template.loader import render_to_string

    from timeline.runner.result import Outcome, RunResult
    from timeline.views.run import answer

    result = RunResult(
        runtime="wsgi",
        ok=True,
        outcome=Outcome.OK,
        duration_ms=12,
        status="200 OK",
        headers=[["Content-Type", "text/plain"]],
        body="<script>alert(1)</script>",
        output="HTTP/1.1 200 OK\n\n<script>alert(1)</script>",
        environ={"PATH_INFO": "/", "wsgi.version": [1, 0]},
    )
    html = answer(rf.get("/"), result)["html"]
    assert 'data-outcome="ok"' in html
    assert '<p class="run-status">HTTP/1.1 200 OK</p>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<code>[1, 0]</code>" in html  # a non-text value shown as JSON
    page = render_to_string(
        "timeline/sample_run.html",
        {"sample": sample, "era": sample.era, "code": "", "request_text": "", "result": result},
        request=rf.get("/"),
    )
    assert html.strip() in page


def test_every_answer_carries_the_rendered_result(client, sample, settings, tmp_path):
    """Refusals and a missing sandbox are rendered by the same template."""
    settings.RUNNER_BWRAP = str(tmp_path / "no-bwrap")
    url = reverse("timeline:sample-run", args=[sample.pk])
    missing = post_json(client, url).json()
    assert missing["outcome"] == "not-started"
    assert "Did not run." in missing["html"] and "apt-get install bubblewrap" in missing["html"]
    refused = client.post(url, "[", content_type="application/json").json()
    assert "The body is not valid JSON." in refused["html"]


@pytest.mark.parametrize("port", ["²", "8²", "9" * 5000])
def test_a_port_of_other_digits_runs_on_port_80(sandbox, client, sample, port):
    """ "²".isdigit() is true and int("²") fails: the port is read with ASCII digits only, and
    a port no server could listen on is 80, as when the Host names none."""
    code = (
        'import os\nprint("Content-Type: text/plain")\nprint()\nprint(os.environ["SERVER_PORT"])\n'
    )
    url = reverse("timeline:sample-run", args=[sample.pk])
    response = post_json(
        client, url, {"code": code, "request": f"GET / HTTP/1.1\nHost: x:{port}\n"}
    )
    assert response.status_code == 200
    assert response.json()["body"] == "80\n"
    page = client.post(url, {"code": code, "request": f"GET / HTTP/1.1\nHost: x:{port}\n"})
    assert page.status_code == 200 and "80\n" in page.content.decode()


def test_an_invalid_response_is_shown_with_its_bytes_escaped(rf, sample):
    """A header an app smuggled into its status is shown as the \\r\\n it sent, never as a
    header of its own, under the error that names the broken rule."""
    from timeline.runner.result import Outcome, RunResult
    from timeline.views.run import answer

    result = RunResult(
        runtime="wsgi",
        ok=False,
        outcome=Outcome.RESPONSE,
        error="The application sent an invalid response: the status … holds a carriage return.",
        status="200 OK\\r\\nSet-Cookie: injected=1",
        headers=[["X-A", "b\\x00"]],
        body="hi",
        output="HTTP/1.1 200 OK\\r\\nSet-Cookie: injected=1\nX-A: b\\x00\n\nhi",
    )
    html = answer(rf.get("/"), result)["html"]
    assert 'data-outcome="response"' in html
    assert "The application sent an invalid response" in html
    assert '<p class="run-status">HTTP/1.1 200 OK\\r\\nSet-Cookie: injected=1</p>' in html
    assert '<pre class="run-raw">HTTP/1.1 200 OK\\r\\nSet-Cookie: injected=1\nX-A: b\\x00' in html


def test_an_app_smuggling_a_header_gets_an_invalid_response_end_to_end(sandbox, client, sample):
    sample.runtime = "wsgi"
    sample.code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK\\r\\nSet-Cookie: injected=1', [])\n"
        "    return [b'hi']\n"
    )
    sample.save()
    url = reverse("timeline:sample-run", args=[sample.pk])
    data = post_json(client, url).json()
    assert (data["ok"], data["outcome"]) == (False, "response")
    assert data["error"].startswith("The application sent an invalid response: the status")
    assert data["status"] == "200 OK\\r\\nSet-Cookie: injected=1" and data["body"] == "hi"
    assert "\r" not in data["output"] and "\r" not in data["html"]


# -- one output cap on every channel a run answers through ---------------------------------------

# Each sends far more than the 64 KB output cap through one channel other than stdout.
OVER_THE_CAP = {
    "12,000 headers": (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [(f'X-Header-{i}', 'v') for i in range(12_000)])\n"
        "    return [b'hi']\n",
    ),
    "a long status line": (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 ' + 'K' * 1_200_000, [])\n"
        "    return [b'hi']\n",
    ),
    "a 1.2 MB exception message, stderr silenced": (
        "wsgi",
        "import io, sys\n"
        "sys.stderr = io.StringIO()\n"
        "def application(environ, start_response):\n"
        "    raise ValueError('x' * 1_200_000)\n",
    ),
    "a 1.2 MB exception message, no excepthook output": (
        "python",
        "import sys\nsys.excepthook = lambda *args: None\nraise ValueError('é' * 600_000)\n",
    ),
    "a huge ASGI event": (
        "asgi",
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    big = [[[['x' * 300] * 100] * 100] * 100]\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'big': big})\n"
        "    await send({'type': 'http.response.body', 'body': b'hi'})\n",
    ),
    "a 40,000-chunk ASGI stream": (
        "asgi",
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    headers = [(b'content-type', b'text/plain')]\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': headers})\n"
        "    for _ in range(40_000):\n"
        "        await send({'type': 'http.response.body', 'body': b'x', 'more_body': True})\n"
        "    await send({'type': 'http.response.body', 'body': b''})\n",
    ),
}


@pytest.mark.parametrize("name", OVER_THE_CAP)
def test_every_channel_a_run_answers_through_is_held_by_the_output_cap(
    sandbox, client, sample, monkeypatch, name
):
    """The status line, the headers, the error text and the ASGI event trace share the one
    64 KB output cap with the body: the harness cuts them there, the host reads no more than
    the harness could write at that cap before it parses anything, and the run is the output
    outcome (a long legitimate stream too: not interference). The JSON answer stays a small
    multiple of the cap: it carries the response four times (its fields, the raw response, and
    both again in the rendered page), so 64 KB of headers make about 420 KB, not megabytes."""
    received = []  # what the host read from the sandbox
    build_result = service.build_result
    monkeypatch.setattr(
        service,
        "build_result",
        lambda runtime, raw, config: received.append(raw) or build_result(runtime, raw, config),
    )
    sample.runtime, sample.code = OVER_THE_CAP[name]
    sample.save()
    response = post_json(client, reverse("timeline:sample-run", args=[sample.pk]))
    data = response.json()
    assert (response.status_code, data["outcome"], data["ok"]) == (200, "output", False)
    assert data["error"].startswith("Stopped: output limit (64 KB): ")
    assert data["truncated"] is True
    assert len(response.content) < 8 * 64 * 1024
    # What the host read and parsed: at most what the harness writes at the cap.
    (raw,) = received
    assert len(raw.report) <= message_cap(64 * 1024)
    assert len(raw.stdout) + len(raw.stderr) <= 2 * 64 * 1024
    print(name, len(response.content), len(raw.report), report_cap(64 * 1024))


def test_no_free_run_identity_is_a_503_that_says_so(
    settings, client, sample, tmp_path, monkeypatch
):
    """Every uid of the range held by a run: the answer is 503 with Retry-After and words a
    learner can read, not a 500 (NoFreeIdentity is a ServiceError)."""
    import dataclasses

    from django.core.cache import cache

    from timeline.runner import identity

    cache.clear()
    settings.RUNNER_BWRAP = "/bin/true"  # never started: allocation fails first
    settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
    settings.RUNNER_REQUIRE_CONTAINMENT = False
    allocate = identity.allocate
    monkeypatch.setattr(
        identity,
        "allocate",
        lambda config, layout: allocate(dataclasses.replace(config, uid_count=0), layout),
    )
    response = post_json(client, reverse("timeline:sample-run", args=[sample.pk]))
    assert response.status_code == 503
    assert response["Retry-After"] == str(identity.RETRY_AFTER)
    data = response.json()
    assert data["ok"] is False
    assert data["error"].startswith("Every sandbox is in use: all 0 run identities")
