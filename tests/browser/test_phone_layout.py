"""Phone widths: the axe audit at 390 px, and WCAG 1.4.10 reflow at 320 CSS px.

On a narrow screen long code scrolls sideways inside its box; a keyboard user must be able to
reach that box (axe: scrollable-region-focusable), and nothing else may make the page itself
scroll sideways. Which pages: those marked `phone` in tests/pages.py.
"""

import base64

import pytest

from ..factories import make_sample
from ..seed import page_params, page_url, pages
from .site_pages import seed_history, wait_until_ready
from .test_accessibility import audit, describe
from .test_accessibility import axe_source as axe_source_fixture

pytestmark = pytest.mark.django_db(transaction=True)
axe_source = axe_source_fixture  # the same session fixture, under the name the tests ask for

LONG_LINE = (
    "def application(environ, start_response):  # "
    + "a comment long enough to overflow any phone screen, " * 3
    + "\n    return [environ['PATH_INFO'].encode('utf-8')]\n"
)
LONG_BODY = (
    "The server calls the application once per request:\n\n"
    "```python\n" + LONG_LINE + "```\n\n"
    "And a second block, so the page holds several unnamed code regions:\n\n"
    "```python\n" + LONG_LINE + "```\n\n"
    "| Year | Event | Where it was written down |\n|---|---|---|\n"
    "| 2003 | PEP 333 | https://peps.python.org/pep-0333/#specification-details |\n"
)


def seed_long_code():
    """The small history, plus code and a table far wider than a phone."""
    wsgi = seed_history()
    wsgi.body = LONG_BODY
    wsgi.save()
    sample = make_sample(
        wsgi,
        title="A very long line",
        runtime="wsgi",
        code=LONG_LINE,
        request="GET /" + "very-long-path-segment/" * 8 + " HTTP/1.1\nHost: example.org\n\n",
        expected_output="HTTP/1.1 200 OK\n\n/" + "very-long-path-segment/" * 8,
    )
    return sample


VIEWPORTS = {"phone": {"width": 390, "height": 844}, "reflow": {"width": 320, "height": 640}}

# Elements that stick out past the right edge of the viewport, unless a scrolling box
# (a code block, a wide table's wrapper) holds them: those are allowed to scroll.
OVERFLOWING_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(el)) {
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${box.right}`);
    }
  }
  return out.slice(0, 10);
}
"""


def open_phone(browser, viewport):
    # bypass_csp lets the audit inject axe as an inline script; test_csp.py checks the policy.
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture(params=list(VIEWPORTS))
def phone_page(request, browser):
    context, page = open_phone(browser, request.param)
    yield page
    context.close()


@pytest.fixture
def narrowest_page(browser):
    context, page = open_phone(browser, "reflow")
    yield page
    context.close()


@pytest.mark.parametrize("site_page", page_params(pages(phone=True)))
def test_axe_finds_no_violation_on_a_phone(live_server, phone_page, axe_source, site_page):
    sample = seed_long_code()
    phone_page.goto(live_server.url + page_url(site_page, sample.era, sample=sample.pk))
    results = audit(phone_page, axe_source)
    assert results["passes"], "axe ran no check at all"
    assert results["violations"] == [], describe(results["violations"])


@pytest.mark.parametrize("site_page", page_params(pages(phone=True)))
def test_page_reflows_without_sideways_scrolling(live_server, phone_page, site_page):
    sample = seed_long_code()
    phone_page.goto(live_server.url + page_url(site_page, sample.era, sample=sample.pk))
    wait_until_ready(phone_page)
    phone_page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    widths = phone_page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (
        f"page is {widths[0]} px wide in a {widths[1]} px viewport; sticking out: "
        + ", ".join(phone_page.evaluate(OVERFLOWING_JS))
    )


def test_long_code_really_scrolls_on_a_phone(live_server, phone_page):
    """The audit above only proves something if the code box does overflow at this width."""
    seed_long_code()
    phone_page.goto(live_server.url + "/eras/wsgi/")
    overflowing = phone_page.evaluate(
        "[...document.querySelectorAll('pre')].some(p => p.scrollWidth > p.clientWidth)"
    )
    assert overflowing


# The mean brightness of a 4 px strip at each inner edge of a code block, in its top padding
# (no text there), read back from a real screenshot.
EDGES_JS = """
async ([png, box]) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const mean = (x) => {
    const d = g.getImageData(x, box.top, 4, box.rows).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
    return sum / (d.length / 4) / 3;
  };
  return [mean(box.left), mean(box.right - 4)];
}
"""


def edge_brightness(page, pre):
    """Left and right edge brightness of `pre`, measured on the rendered pixels."""
    box = pre.bounding_box()
    inner = {"left": 2, "right": int(box["width"]) - 2, "top": 3, "rows": 6}
    png = base64.b64encode(pre.screenshot()).decode()
    return page.evaluate(EDGES_JS, [png, inner])


def test_code_that_overflows_shows_that_it_scrolls(live_server, phone_page):
    """At 390 px a wide code block is shaded at the edge it scrolls towards, and the shade
    follows the scroll: none at the start's left edge, none at the right once at the end."""
    seed_long_code()
    phone_page.goto(live_server.url + "/eras/wsgi/")
    wait_until_ready(phone_page)
    wide = phone_page.evaluate(
        "[...document.querySelectorAll('.sample-code pre')]"
        ".findIndex(p => p.scrollWidth > p.clientWidth)"
    )
    assert wide >= 0, "no sample's code overflows at this width"
    pre = phone_page.locator(".sample-code pre").nth(wide)
    pre.scroll_into_view_if_needed()
    assert "local" in pre.evaluate("p => getComputedStyle(p).backgroundAttachment")
    left, right = edge_brightness(phone_page, pre)
    assert abs(left - right) > 12, f"no cue at the right edge: {left:.0f} vs {right:.0f}"
    pre.evaluate("p => { p.scrollLeft = p.scrollWidth; }")
    left_end, right_end = edge_brightness(phone_page, pre)
    assert abs(right_end - left) < 4, "the right edge is still shaded at the end of the line"
    assert abs(left_end - left) > 12, "no cue at the left edge once scrolled"


def test_the_real_history_on_a_phone(live_server, narrowest_page, axe_source):
    """Every era page and the pages built from the real history at 320 px: axe finds nothing,
    and the page does not scroll sideways. (Only the narrowest width: 40 s per width.)"""
    phone_page = narrowest_page
    from django.core.management import call_command

    from timeline.models import Era

    call_command("load_history", verbosity=0)
    urls = ["/", "/evolution/", "/talks/", "/present/"]
    urls += [era.get_absolute_url() for era in Era.objects.published()]
    found = {}
    for url in urls:
        phone_page.goto(live_server.url + url)
        violations = audit(phone_page, axe_source)["violations"]
        if violations:
            found[url] = describe(violations)
        widths = phone_page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if widths[0] > widths[1]:
            found[url] = found.get(url, "") + (
                f"\n    page is {widths[0]} px wide in {widths[1]} px: "
                + ", ".join(phone_page.evaluate(OVERFLOWING_JS))
            )
    assert found == {}, "\n".join(f"{url}:\n{text}" for url, text in found.items())
