"""The slide fit audit (static/js/slide-audit.js, timeline/slide_audit.py, check_slides)."""

import functools
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.templatetags.static import static

from timeline import slide_audit
from timeline.models import Slide

from .decks import make_deck, make_deck_talk

ROOT = Path(__file__).resolve().parents[2]
SIZES = ["1920x1080", "1280x720", "1024x768", "1366x768"]

pytestmark = pytest.mark.django_db


def by_slide(verdicts):
    return {(v.deck, v.number, v.size): v for v in verdicts}


def test_audit_names_the_slides_whose_code_does_not_fit(browser):
    """Long code (63 lines) fails at every size, in every deck that shows it; short slides pass."""
    make_deck_talk()
    verdicts = slide_audit.audit(slide_audit.all_decks(), browser=browser)
    failing = by_slide(verdicts)
    for size in SIZES:
        long = failing[("/present/", 5, size)]
        assert long.title == "A long application"
        kinds = {problem["kind"] for problem in long.problems}
        assert kinds & {"code-scrolls", "code-small"}, long.problems
        # The same slides fail in the era's deck and in the talk, under their own numbers.
        assert ("/present/wsgi/", 2, size) in failing
        assert ("/talks/short/present/", 5, size) in failing
    # On paper the long code prints whole (two columns) at 9 px or more; in the handout's small
    # slide it cannot, and the audit says so.
    assert ("/present/", 5, "print") not in failing
    assert "code-small" in {p["kind"] for p in failing[("/present/", 5, "handout")].problems}
    # Slide 6's one very wide line wraps instead of scrolling, so it passes like the short ones.
    for number in (1, 2, 3, 4, 6):
        assert not any((("/present/", number, size) in failing) for size in failing), number
    assert "/present/ slide 5 “A long application” at 1024x768: " in str(
        failing[("/present/", 5, "1024x768")]
    )


def test_audit_slide_gives_one_slide_its_verdict(browser):
    """The admin's preview asks about one slide: a short one fits everywhere, print included."""
    make_deck()
    short = Slide.objects.get(title="A CGI script")
    assert slide_audit.audit_slide(short, browser=browser) == []
    long = Slide.objects.get(title="A long application")
    sizes = {v.size for v in slide_audit.audit_slide(long, browser=browser)}
    assert set(SIZES) <= sizes


def test_check_slides_exits_non_zero_and_names_each_slide(browser, monkeypatch, capsys):
    make_deck()
    monkeypatch.setattr(slide_audit, "audit", functools.partial(slide_audit.audit, browser=browser))
    with pytest.raises(CommandError, match=r"do not fit"):
        call_command("check_slides", "--deck", "/present/wsgi/")
    out = capsys.readouterr().out
    assert "FAIL /present/wsgi/ slide 2 “A long application” at 1920x1080" in out
    assert "FAIL /present/wsgi/ slide 2 “A long application” at 1366x768" in out
    call_command("check_slides", "--deck", "/present/cgi/")  # three short slides: no error
    assert "Every slide of 1 deck(s) fits" in capsys.readouterr().out


def test_check_slides_skips_without_chromium_but_fails_under_ci_or_strict(monkeypatch, capsys):
    make_deck()
    monkeypatch.setattr(slide_audit, "chromium_path", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    call_command("check_slides", "--deck", "/present/cgi/")
    out = capsys.readouterr().out
    assert "Slide audit skipped: No Chromium found: sudo apt-get install chromium" in out
    assert "--strict (or CI=true) makes this an error" in out
    with pytest.raises(CommandError, match=r"No Chromium found.*\(--strict needs the audit\)"):
        call_command("check_slides", "--strict")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(CommandError, match=r"sudo apt-get install chromium.*CI=true needs"):
        call_command("check_slides", "--deck", "/present/cgi/")


def test_check_slides_without_playwright_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # its import fails
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(CommandError, match=r"pip install -r requirements/test.txt"):
        call_command("check_slides", "--strict")
    call_command("check_slides")
    assert "Slide audit skipped: Playwright is not installed" in capsys.readouterr().out


def check_slides_without_system_packages(*arguments):
    """check_slides run as on a machine without Chromium (hidden from PATH, CI unset)."""
    command = [sys.executable, "manage.py", "check_slides", *arguments]
    hide = str(ROOT / ".ci" / "without-system-packages")
    return subprocess.run([hide, *command], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_check_slides_with_chromium_off_path_fails_when_strict():
    strict = check_slides_without_system_packages("--strict")
    assert strict.returncode != 0, strict.stdout
    assert "Cannot audit the slides: No Chromium found: sudo apt-get install" in strict.stderr
    lenient = check_slides_without_system_packages()
    assert lenient.returncode == 0, lenient.stderr
    assert "Slide audit skipped: No Chromium found" in lenient.stdout


FOLLOW_AUDIT = """async ([module, change]) => {
    await document.fonts.ready;
    const { auditSlide } = await import(module);
    location.hash = "#/5";
    await new Promise((done) => setTimeout(done, 300));
    const pre = document.querySelector(".deck-slide.is-current .sample-code pre");
    if (change === "no-cue") pre.style.setProperty("box-shadow", "none", "important");
    if (change === "hidden") pre.style.setProperty("overflow", "hidden", "important");
    if (change === "tiny") pre.style.setProperty("font-size", "9px", "important");
    const slide = document.querySelector(".deck-slide.is-current");
    return auditSlide(slide, { phone: true }).map((problem) => problem.message);
}"""


def test_follower_phone_code_may_scroll_only_with_a_cue(browser):
    """At 390x844 the follower's long code scrolls both ways with a cue at each edge: it passes;
    the same code with its cue taken away, unable to scroll, or too small fails."""
    make_deck()
    decks = [d for d in slide_audit.all_decks() if d.label == "/present/"]
    verdicts = slide_audit.audit(decks, screens=(), print_view=False, browser=browser)
    assert verdicts == [], "\n".join(map(str, verdicts))
    with slide_audit._PageServer({decks[0].follow: decks[0].html[decks[0].follow]}) as server:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        try:
            page.goto(server.origin + decks[0].follow + "#/1")
            module = server.origin + static("js/slide-audit.js")
            assert page.evaluate(FOLLOW_AUDIT, [module, None]) == []
            cut = page.evaluate(FOLLOW_AUDIT, [module, "no-cue"])
            assert any("with no cue that there is more" in message for message in cut), cut
            hidden = page.evaluate(FOLLOW_AUDIT, [module, "hidden"])
            assert any("it cannot scroll" in message for message in hidden), hidden
            tiny = page.evaluate(FOLLOW_AUDIT, [module, "tiny"])
            assert any("code text is 9.0 px, under 12 px" in message for message in tiny), tiny
        finally:
            page.close()


def test_every_slide_of_the_real_content_fits(browser):
    """The real history at every screen size, on a follower's phone, with Edit and Run on stage
    and in print: nothing fails.

    Covers /present/ and every talk. Era decks are left out here (check_slides covers them):
    an era deck shows the very same slide markup as the full deck, and a slide's layout depends
    only on its markup and the stage's size, so they cannot fail where the full deck passes.
    """
    call_command("load_history", verbosity=0)
    decks = [
        d
        for d in slide_audit.all_decks()
        if not d.label.startswith("/present/") or d.label == "/present/"
    ]
    verdicts = slide_audit.audit(decks, browser=browser)
    assert not verdicts, "\n".join(map(str, verdicts))
