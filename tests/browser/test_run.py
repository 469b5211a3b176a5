"""Click Run on an era page and see the response; edit, run again, reset."""

import pytest

from ..factories import make_era, make_sample, make_slide

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]

WSGI = (
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'Hello, ' + environ['QUERY_STRING'].encode()]\n"
)


@pytest.fixture
def era():
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    slide = make_slide(era, order=1, title="The callable")
    make_sample(
        era,
        slide=slide,
        runtime="wsgi",
        code=WSGI,
        request="GET /?Ada HTTP/1.1\nHost: localhost\n\n",
        title="Hello WSGI",
        expected_output="HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, Ada",
    )
    return era


def test_run_edit_and_reset(live_server, page, era):
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    assert page.context.cookies() == []  # the page itself sets no cookie
    figure.get_by_role("button", name="Run").click()
    result = figure.locator(".run-result")
    result.locator(".run-status").wait_for()
    assert result.locator(".run-status").inner_text() == "HTTP/1.1 200 OK"
    assert result.locator(".run-body").inner_text() == "Hello, Ada"
    assert "text/plain" in result.locator(".run-headers").inner_text()
    assert " ms" in result.locator(".run-meta").inner_text()
    result.get_by_role("tab", name="environ").click()
    assert "QUERY_STRING" in result.locator(".run-environ").inner_text()

    figure.get_by_role("button", name="Edit").click()
    editor = figure.get_by_label("Code", exact=True)
    assert editor.is_visible()
    assert not figure.locator(".sample-code").is_visible()
    editor.fill(WSGI.replace("b'Hello, '", "b'Goodbye, '"))
    figure.get_by_label("Request (method, path").fill("GET /?Grace HTTP/1.1\n\n")
    figure.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "document.querySelector('.run-body') && "
        "document.querySelector('.run-body').textContent === 'Goodbye, Grace'"
    )

    figure.get_by_role("button", name="Reset").click()
    assert not editor.is_visible()
    assert figure.locator(".sample-code").is_visible()
    assert not result.is_visible()
    assert editor.input_value() == WSGI
    figure.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "document.querySelector('.run-body') && "
        "document.querySelector('.run-body').textContent === 'Hello, Ada'"
    )


def test_recorded_output_is_shown_when_the_sandbox_is_missing(live_server, page, era, settings):
    settings.RUNNER_BWRAP = "/nonexistent/bwrap"
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Run").click()
    figure.locator(".run-recorded").wait_for()
    assert "bubblewrap" in figure.locator(".run-error").inner_text()
    # Stored text ends with one newline (timeline/text.py); a <pre> shows no line for it.
    assert figure.locator(".run-recorded").inner_text().rstrip("\n").endswith("Hello, Ada")


def test_keys_in_the_editor_and_tabs_stay_there(live_server, page, era):
    """Inside the deck, arrow keys move slides; typing in a sample must not."""
    page.goto(live_server.url + era.get_absolute_url())
    page.evaluate(
        "window.seenKeys = [];"
        "document.addEventListener('keydown', e => window.seenKeys.push(e.key));"
    )
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Edit").click()
    figure.get_by_label("Code", exact=True).press("ArrowLeft")
    figure.get_by_label("Code", exact=True).press("ArrowRight")
    figure.get_by_role("button", name="Run").click()
    response_tab = figure.get_by_role("tab", name="Response")
    response_tab.focus()
    response_tab.press("ArrowRight")
    assert figure.get_by_role("tab", name="Raw").get_attribute("aria-selected") == "true"
    assert figure.locator(".run-raw").is_visible()
    assert page.evaluate("window.seenKeys") == []


def test_too_many_edited_runs_say_when_to_try_again(live_server, page, era, settings):
    """A 429 shows the server's message (with its wait) in the result, and the Run button
    comes back."""
    settings.RUNNER_RATE_LIMIT = 0
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Edit").click()
    figure.get_by_label("Code", exact=True).fill(WSGI.replace("Hello", "Hi"))
    figure.get_by_role("button", name="Run").click()
    result = figure.locator(".run-result")
    result.get_by_text("Try again in").wait_for()
    assert "times in the last 60 s" in result.inner_text()
    assert figure.locator(".run-state").inner_text() == "Finished with an error."
    assert figure.get_by_role("button", name="Run").is_enabled()


@pytest.mark.parametrize(
    "answer, message",
    [
        (
            lambda route: route.abort("connectionreset"),
            "The connection was cut before your run's result came back: the server may have "
            "restarted, or this device is offline. Run it again.",
        ),
        (
            lambda route: route.fulfill(status=502, content_type="text/html", body="<h1>Bad</h1>"),
            "The server stopped before your run finished (The server answered 502 without a "
            "result.) Run it again.",
        ),
        (
            lambda route: route.fulfill(status=400, content_type="text/html", body="<h1>Bad</h1>"),
            "Could not run it: The server answered 400 without a result.",
        ),
    ],
    ids=["cut", "worker-gone", "not-json"],
)
def test_a_failed_request_says_so_and_shows_the_recorded_output(
    live_server, page, era, answer, message
):
    page.route("**/samples/*/run/", answer)
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Run").click()
    figure.locator(".run-recorded").wait_for()
    assert figure.get_by_role("alert").inner_text() == message
    assert figure.locator(".run-recorded").inner_text().rstrip("\n").endswith("Hello, Ada")
    assert figure.locator(".run-state").inner_text() == "Could not run."
    assert figure.get_by_role("button", name="Run").is_enabled()


def test_a_refused_csrf_token_is_fetched_afresh_and_the_run_sent_again(live_server, page, era):
    """A 403 (Django's CSRF failure page) gets one retry with a token from the endpoint."""
    seen = []
    page.on("request", lambda r: seen.append((r.method, r.url.split("/", 3)[3])))

    refused = []

    def refuse_once(route):
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.fulfill(status=403, content_type="text/html", body="<h1>Forbidden</h1>")

    page.route("**/samples/*/run/", refuse_once)
    page.goto(live_server.url + era.get_absolute_url())
    figure = page.locator("figure.sample[data-sample]")
    figure.get_by_role("button", name="Run").click()
    figure.locator(".run-body").wait_for()
    assert figure.locator(".run-body").inner_text() == "Hello, Ada"
    run = f"samples/{era.samples.get().pk}/run/"
    assert [s for s in seen if s[0] == "POST" or s[1] == "samples/csrf/"] == [
        ("GET", "samples/csrf/"),
        ("POST", run),
        ("GET", "samples/csrf/"),
        ("POST", run),
    ]
