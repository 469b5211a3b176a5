"""The slide audit on stage: Edit, and a run's result, on every runnable slide (stage-audit.js)."""

import pytest

from timeline import slide_audit
from timeline.recorded_results import recorded_result, split_response

from ..factories import make_era, make_sample, make_slide

pytestmark = pytest.mark.django_db

SCREENS = tuple(s for s in slide_audit.SCREENS if s[0] in ("1920x1080", "1024x768"))
RESPONSE = "HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, Ada!"


def runnable_slide():
    era = make_era(slug="wsgi", title="WSGI", year=2003, kind="interface", summary="A callable.")
    slide = make_slide(era, order=1, title="A WSGI app", body="Run it and see the answer.")
    make_sample(
        era,
        slide=slide,
        title="Hello WSGI",
        runtime="wsgi",
        code='def app(environ, start_response):\n    start_response("200 OK", [])\n    return []\n',
        request="GET /?name=Ada HTTP/1.1\nHost: example.org\n",
        expected_output=RESPONSE,
    )
    return slide


def audit_with(slide, browser, css=""):
    """The slide's edit and run verdicts, with `css` added to its deck page."""
    pages = slide_audit.slide_pages(slide)
    page = pages.html[pages.audience].decode()
    pages.html[pages.audience] = page.replace("</head>", f"<style>{css}</style></head>").encode()
    verdicts = slide_audit.audit(
        [pages], screens=SCREENS, print_view=False, browser=browser, followers=False
    )
    return {v.size: v for v in verdicts}


def kinds(verdict):
    return {problem["kind"] for problem in verdict.problems}


def test_a_recorded_response_becomes_a_run_result_with_its_parts():
    assert split_response(RESPONSE) == ("200 OK", [["Content-Type", "text/plain"]], "Hello, Ada!")
    assert split_response("Hello") is None
    result = recorded_result(runnable_slide().samples.get())
    assert result["ran"] and result["ok"] and result["status"] == "200 OK"
    assert 'data-label="Response"' in result["html"] and "Hello, Ada!" in result["html"]


def test_a_runnable_slide_that_edits_and_runs_well_passes(browser):
    slide = runnable_slide()
    assert slide_audit.slide_pages(slide).results  # its sample is audited on stage
    assert audit_with(slide, browser) == {}


def test_edit_mode_with_run_covered_and_tiny_editors_is_named(browser):
    """Run that a pointer cannot reach (what lies under it gets the click) and 8 px editors fail
    in edit mode at every size; the slide as shown, and its run panel, still pass."""
    css = (
        ".is-editing .run-button { pointer-events: none; }"
        ".is-editing .sample-editors textarea { font-size: 8px !important; }"
    )
    failing = audit_with(runnable_slide(), browser, css)
    assert set(failing) == {"1920x1080 edit", "1024x768 edit"}, failing
    for verdict in failing.values():
        assert {"run-covered", "edit-small"} <= kinds(verdict), verdict.problems
    assert "the code editor's text is 8.0 px, under 2.2% of 768 px = 16.9 px" in str(
        failing["1024x768 edit"]
    )
    assert "Run is covered by p.sample-actions" in str(failing["1024x768 edit"])
    assert " slide 1 “A WSGI app” at 1024x768 edit: " in str(failing["1024x768 edit"])


def test_a_run_panel_too_small_at_4_3_or_over_the_text_at_16_9_is_named(browser):
    """Small result text fails at 4:3 only (the rule's screen); a panel laid over the slide's
    title and text (and, in edit mode, over Run) fails at both."""
    slide = runnable_slide()
    small = audit_with(slide, browser, ".run-panel * { font-size: 9px !important; }")
    assert set(small) == {"1024x768 run"}, small
    assert kinds(small["1024x768 run"]) == {"run-small"}
    over = ".run-panel { left: 0 !important; top: 0 !important; width: 100% !important; }"
    covering = audit_with(slide, browser, over)
    assert {"1920x1080 run", "1024x768 run"} <= set(covering), covering
    assert "run-covers" in kinds(covering["1920x1080 run"])
    # Run from edit mode: the result must leave Run clear as well.
    assert "while editing, the result covers Run" in str(covering["1920x1080 run"])
