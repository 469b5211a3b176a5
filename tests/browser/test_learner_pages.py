"""The learner's way through: the timeline's decade links, search results, era pages.

Axe at 320, 390 and 1280 px in light and dark on the pages this work changed, and the decade
links as a reader uses them: marked while scrolling, kept in the address, nothing moving.
"""

import pytest

from .conftest import csp_safe_waits
from .site_pages import seed_history, wait_until_ready
from .test_accessibility import audit, describe
from .test_accessibility import axe_source as axe_source_fixture

pytestmark = pytest.mark.django_db(transaction=True)
axe_source = axe_source_fixture

WIDTHS = [320, 390, 1280]
SCHEMES = ["light", "dark"]
PAGES = ["/", "/?q=wsgi", "/?q=djngo", "/eras/wsgi/"]


@pytest.fixture(params=[(w, s) for w in WIDTHS for s in SCHEMES], ids=lambda p: f"{p[0]}-{p[1]}")
def sized_page(request, browser):
    width, scheme = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 700 if width < 1000 else 800},
        color_scheme=scheme,
        bypass_csp=True,  # to inject axe; test_csp.py checks the policy
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_axe_on_the_changed_pages(live_server, sized_page, axe_source):
    seed_history()
    found = {}
    for url in PAGES:
        sized_page.goto(live_server.url + url)
        violations = audit(sized_page, axe_source)["violations"]
        if violations:
            found[url] = describe(violations)
        widths = sized_page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{url} scrolls sideways: {widths}"
    assert found == {}, "\n".join(f"{url}:\n{text}" for url, text in found.items())


@pytest.mark.parametrize("query", ["what is wsgi", "djngo"])
def test_the_first_search_result_is_above_the_fold_on_a_phone(live_server, browser, query):
    """390x844, with the longest head a search has: the typo's "Nothing matches …; showing"."""
    seed_history()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/?q={query}")
    first = page.locator(".search-results li").first.bounding_box()
    context.close()
    assert first["y"] + first["height"] <= 844, first


def seed_long_timeline():
    """Enough eras per decade that the timeline scrolls far past a screen."""
    from ..factories import make_era

    seed_history()
    for year in [1991, 1994, 1996, 1998, 2001, 2006, 2008, 2011, 2014, 2018, 2021, 2023]:
        for n in range(3):
            make_era(title=f"Era {year}-{n}", year=year, summary="A line of summary. " * 4)


def current_decade(page):
    return page.evaluate(
        "[...document.querySelectorAll('.decade-nav a[aria-current]')].map(a => a.textContent)"
    )


def link_boxes(page):
    return page.evaluate(
        "[...document.querySelectorAll('.decade-nav a')]"
        ".map(a => { const r = a.getBoundingClientRect(); return [r.x, r.width, r.height]; })"
    )


@pytest.mark.parametrize("width", [320, 1280])
def test_decade_links_follow_the_scrolling_without_moving(live_server, browser, width):
    seed_long_timeline()
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = csp_safe_waits(context.new_page())
    page.goto(live_server.url + "/")
    wait_until_ready(page)
    nav = page.locator(".decade-nav")
    assert nav.locator("a").all_inner_texts() == ["1990s", "2000s", "2010s", "2020s"]
    assert current_decade(page) == [] and page.url.endswith("/")
    before = link_boxes(page)
    assert len({box[2] for box in before}) == 1 and len({round(b[0]) for b in before}) == 4
    # At 320 px the links keep to one line: the sticky bar stays small.
    assert nav.bounding_box()["height"] < 50

    page.evaluate("document.getElementById('2010s').scrollIntoView()")
    page.wait_for_function("location.hash === '#2010s'")
    assert current_decade(page) == ["2010s"]
    assert link_boxes(page) == before, "marking the decade moved the links"
    # Sticky: the links stay at the top of the screen.
    assert abs(nav.bounding_box()["y"]) < 2

    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("location.hash === ''")
    assert current_decade(page) == []
    context.close()


def test_a_decade_link_goes_there_and_a_shared_address_opens_there(live_server, page):
    seed_long_timeline()
    page.goto(live_server.url + "/")
    wait_until_ready(page)
    page.click(".decade-nav a[href='#2000s']")
    page.wait_for_url("**/#2000s")
    page.wait_for_function("document.querySelector('.decade-nav a[aria-current]')")
    assert current_decade(page) == ["2000s"]
    # The heading is not hidden under the sticky links.
    nav_bottom = page.locator(".decade-nav").bounding_box()
    heading = page.locator("#decade-2000").bounding_box()
    assert heading["y"] >= nav_bottom["y"] + nav_bottom["height"] - 1

    page.goto(live_server.url + "/#2020s")  # the same page: the browser only scrolls
    wait_until_ready(page)
    page.wait_for_function(
        "(document.querySelector('.decade-nav a[aria-current]') || {}).textContent === '2020s'"
    )
    assert current_decade(page) == ["2020s"] and page.url.endswith("#2020s")


def test_decade_links_by_keyboard(live_server, page):
    """After the filter's button, Tab reaches each decade link; Enter goes there."""
    seed_long_timeline()
    page.goto(live_server.url + "/")
    wait_until_ready(page)
    page.focus(".timeline-filter button[type=submit]")
    reached = []
    for _ in range(4):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('href')"))
    assert reached == ["#1990s", "#2000s", "#2010s", "#2020s"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/#2020s")


def test_phone_filter_row_keeps_labels_with_their_controls(live_server, browser):
    seed_history()
    for width in [320, 390]:
        context = browser.new_context(viewport={"width": width, "height": 700})
        page = context.new_page()
        page.goto(live_server.url + "/")
        wait_until_ready(page)
        for label, control in [("filter-q", "#filter-q"), ("filter-kind", "#filter-kind")]:
            label_box = page.locator(f"label[for={label}]").bounding_box()
            control_box = page.locator(control).bounding_box()
            # Same line: their vertical middles line up.
            label_middle = label_box["y"] + label_box["height"] / 2
            control_middle = control_box["y"] + control_box["height"] / 2
            assert abs(label_middle - control_middle) < 4, (width, label)
        # The placeholder fits its box.
        fits = page.evaluate(
            """() => {
              const input = document.getElementById('filter-q');
              const probe = document.createElement('span');
              const style = getComputedStyle(input);
              probe.style.font = style.font;
              probe.style.position = 'absolute';
              probe.style.whiteSpace = 'pre';
              probe.textContent = input.placeholder;
              document.body.appendChild(probe);
              const room = input.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
              return probe.getBoundingClientRect().width <= room;
            }"""
        )
        assert fits, width
        context.close()
