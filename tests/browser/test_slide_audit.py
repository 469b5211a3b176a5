"""The slide fit audit (static/js/slide-fit.js, timeline/slide_audit.py, check_slides)."""

import functools

import pytest
from django.core.management import CommandError, call_command

from timeline import slide_audit
from timeline.models import Slide

from .decks import make_deck, make_deck_talk

pytestmark = pytest.mark.django_db


def by_slide(verdicts):
    return {(v.deck, v.number, v.size): v for v in verdicts}


def test_audit_names_the_slides_whose_code_does_not_fit(browser):
    """Long code (63 lines) fails at every size, in every deck that shows it; short slides pass."""
    make_deck_talk()
    verdicts = slide_audit.audit(slide_audit.all_decks(), browser=browser)
    failing = by_slide(verdicts)
    for size in ["1920x1080", "1280x720", "1024x768"]:
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
    assert {"1920x1080", "1280x720", "1024x768"} <= sizes


def test_check_slides_exits_non_zero_and_names_each_slide(browser, monkeypatch, capsys):
    make_deck()
    monkeypatch.setattr(slide_audit, "audit", functools.partial(slide_audit.audit, browser=browser))
    with pytest.raises(CommandError, match=r"do not fit"):
        call_command("check_slides", "--deck", "/present/wsgi/")
    out = capsys.readouterr().out
    assert "FAIL /present/wsgi/ slide 2 “A long application” at 1920x1080" in out
    call_command("check_slides", "--deck", "/present/cgi/")  # three short slides: no error
    assert "Every slide of 1 deck(s) fits" in capsys.readouterr().out


def test_check_slides_skips_without_chromium_but_fails_under_ci(monkeypatch, capsys):
    make_deck()
    monkeypatch.setattr(slide_audit, "chromium_path", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    call_command("check_slides", "--deck", "/present/cgi/")
    assert "Slide audit skipped: No Chromium found" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    with pytest.raises(CommandError, match="CI must run the slide audit"):
        call_command("check_slides", "--deck", "/present/cgi/")


def test_every_slide_of_the_real_content_fits(browser):
    """The real history at 1920x1080, 1280x720, 1024x768 and in print: nothing fails.

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
