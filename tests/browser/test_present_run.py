"""Run inside a slide of the deck."""

import pytest

from ..factories import make_era, make_sample, make_slide

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sandbox")]


def test_run_button_inside_a_slide_shows_the_response(live_server, page):
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    slide = make_slide(era, order=1, title="Hello WSGI")
    make_sample(
        era,
        slide=slide,
        title="Hello",
        runtime="wsgi",
        code=(
            "def application(environ, start_response):\n"
            '    start_response("200 OK", [("Content-Type", "text/plain")])\n'
            '    return [b"Hello from a slide"]\n'
        ),
        request="GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    page.goto(f"{live_server.url}/present/#/2")
    current = page.locator(".stage .deck-slide.is-current")
    current.locator(".sample .run-button").click()
    output = current.locator(".run-output")
    output.wait_for(state="visible", timeout=20_000)
    assert "200 OK" in output.inner_text()
    assert "Hello from a slide" in output.inner_text()
    # Keys typed while the runner has focus do not move the deck.
    assert page.evaluate("location.hash") == "#/2"
