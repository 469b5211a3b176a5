"""Accessibility: an axe-core audit of every public page in light and dark, and keyboard walks.

axe-core comes from npm (`make axe`, part of `make test`) into the git-ignored node_modules/.
Which pages: tests/pages.py (`audit` for axe, `keyboard` for a walk).
"""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings

from ..seed import PAGES, page_params, page_url, pages
from .site_pages import seed_history, wait_until_ready

pytestmark = pytest.mark.django_db(transaction=True)

AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCHEMES = ["light", "dark"]


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_PATH.exists():
        message = f"axe-core is not installed at {AXE_PATH}: run `make axe`"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the accessibility audit.")
        pytest.skip(message)
    return AXE_PATH.read_text(encoding="utf-8")


@pytest.fixture(params=SCHEMES)
def scheme_page(request, browser):
    # bypass_csp lets the audit inject axe as an inline script; test_csp.py checks the policy.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=request.param, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, request.param
    context.close()


def audit(page, axe_source):
    """Run axe on the page with every <details> open, so hidden content is audited too."""
    wait_until_ready(page)
    page.add_script_tag(content=axe_source)
    # The era cards stretch their link over the card with a transparent ::after (a bigger
    # target); axe cannot see through pseudo elements and would leave those texts unchecked.
    page.evaluate(
        "axe.configure({checks: [{id: 'color-contrast', options: {ignorePseudo: true}}]})"
    )
    # Not on decks and print sheets: they fit their slides to a fixed size, closed details
    # included, and opening them afterwards would squeeze the code into scrolling.
    page.evaluate(
        "document.querySelector('.deck, .print-pages, .speaker') || "
        "document.querySelectorAll('details').forEach(d => { d.open = true; })"
    )
    results = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return json.loads(results)


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1]}")
    return "\n".join(lines)


@pytest.mark.parametrize("site_page", page_params(pages(axe=True)))
def test_axe_finds_no_violation(live_server, scheme_page, axe_source, site_page):
    page, scheme = scheme_page
    era = seed_history()
    page.goto(live_server.url + page_url(site_page, era))
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    results = audit(page, axe_source)
    assert results["passes"], "axe ran no check at all"
    assert results["violations"] == [], describe(results["violations"])


def test_dark_scheme_really_applies(live_server, browser):
    """The dark audit is only worth something if the page actually turns dark."""
    seed_history()
    backgrounds = {}
    for scheme in SCHEMES:
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(live_server.url + "/")
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    assert backgrounds["light"] != backgrounds["dark"]


MAX_TABS = 60


def focused(page, selector):
    return page.evaluate(
        "(sel) => document.activeElement && document.activeElement.matches(sel)", selector
    )


def tab_to(page, selector):
    """Press Tab until `selector` has focus; return how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return presses
    raise AssertionError(f"Tab never reached {selector} in {MAX_TABS} presses")


def has_visible_focus(page):
    """The focused element, or the card around it, draws an outline."""
    return page.evaluate(
        """() => {
          for (let el = document.activeElement; el && el !== document.body; el = el.parentElement) {
            const style = getComputedStyle(el);
            if (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) return true;
          }
          return false;
        }"""
    )


@pytest.mark.parametrize("site_page", page_params(p for p in PAGES if p.keyboard))
def test_keyboard_walk(live_server, page, site_page):
    era = seed_history()
    stops, follow, target = (
        site_page.keyboard.stops,
        site_page.keyboard.follow,
        site_page.keyboard.target,
    )
    page.goto(live_server.url + page_url(site_page, era))
    first = page.evaluate("document.activeElement === document.body")
    assert first, "nothing should have focus before the first Tab"
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    assert focused(page, stops[0]), f"{stops[0]} is the first Tab stop"
    assert page.locator(stops[0]).first.is_visible(), "the first Tab stop shows when focused"
    for selector in stops[1:]:
        tab_to(page, selector)
        assert has_visible_focus(page), f"{selector} has no visible focus indicator"
    tab_to(page, follow)
    assert has_visible_focus(page), f"{follow} has no visible focus indicator"
    if page.evaluate("document.activeElement.target"):
        # A link into a named window (the speaker view's audience link) opens that window.
        with page.context.expect_page() as opened:
            page.keyboard.press("Enter")
        opened.value.wait_for_url(f"**{target}")
    else:
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{target}")


def test_skip_link_moves_focus_to_the_content(live_server, page):
    seed_history()
    page.goto(live_server.url + "/eras/wsgi/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    assert focused(page, "a.skip-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/eras/wsgi/#main")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab lands inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")


def test_filter_form_works_by_keyboard(live_server, page):
    seed_history()
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    tab_to(page, "#filter-q")
    page.keyboard.type("wsgi")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=wsgi*")
    # The era itself is the best result; its slides and samples follow in groups of their own.
    assert page.locator("a.era-link").first.inner_text().endswith("WSGI")


def test_the_audit_can_fail(live_server, scheme_page, axe_source):
    """A page with a known fault must produce a violation, or a green audit means nothing."""
    page, _ = scheme_page
    seed_history()
    page.goto(live_server.url + "/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', "
        '\'<img src="/static/none.png"><a href="/"></a>\')'
    )
    found = {violation["id"] for violation in audit(page, axe_source)["violations"]}
    assert {"image-alt", "link-name"} <= found


CONTRAST_JS = """
(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (!/rgba\\(.*,\\s*0\\)$/.test(c) && c !== 'transparent') return c;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.querySelectorAll(selector)].map((el) => {
    const border = getComputedStyle(el).borderTopColor;
    const around = background(el.parentElement);
    const [a, b] = [lum(border), lum(around)].sort((x, y) => y - x);
    return [el.id || el.tagName, (a + 0.05) / (b + 0.05)];
  });
}
"""
# Form controls whose edge must stand out 3:1 from what is around them (WCAG 1.4.11, which
# axe does not check). Add selectors as forms land (the runner's editor, for one).
CONTROLS = {"/": ".timeline-filter input, .timeline-filter select"}


@pytest.mark.parametrize("url", list(CONTROLS))
def test_form_control_edges_have_3_to_1_contrast(live_server, scheme_page, url):
    page, scheme = scheme_page
    seed_history()
    page.goto(live_server.url + url)
    ratios = page.evaluate(CONTRAST_JS, CONTROLS[url])
    assert ratios, "no control found"
    for control, ratio in ratios:
        assert ratio >= 3, f"{control} edge contrast {ratio:.2f}:1 in {scheme}"


# The real history (fixtures/), so long code, tables and notes are audited too. Every era page,
# plus these; add the pages whose look depends on real content.
REAL_CONTENT_PAGES = ["/", "/evolution/", "/talks/", "/present/", "/present/print/?notes=1"]


def test_axe_on_the_real_history(live_server, scheme_page, axe_source):
    from django.core.management import call_command

    from timeline.models import Era

    page, scheme = scheme_page
    call_command("load_history", verbosity=0)
    eras = [era.get_absolute_url() for era in Era.objects.published()]
    # Every era in light; in dark, a third of them (same templates, same colours) saves time.
    urls = REAL_CONTENT_PAGES + (eras if scheme == "light" else eras[::3])
    found = {}
    for url in urls:
        page.goto(live_server.url + url)
        violations = audit(page, axe_source)["violations"]
        if violations:
            found[url] = describe(violations)
    assert found == {}, "\n".join(f"{url} ({scheme}):\n{text}" for url, text in found.items())
