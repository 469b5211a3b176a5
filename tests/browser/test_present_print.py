"""Print and handout: Chromium's PDF has exactly one page per slide, code complete, no controls."""

import io

import pytest
from pypdf import PdfReader

from .decks import make_deck, make_deck_talk

pytestmark = pytest.mark.django_db(transaction=True)

SLIDES = 6


def print_pdf(page, url):
    page.goto(url)
    page.wait_for_selector("html[data-fitted]", state="attached")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return PdfReader(io.BytesIO(pdf))


def page_text(pdf, number):
    return " ".join(pdf.pages[number - 1].extract_text().split())


def test_print_gives_one_16_9_page_per_slide_with_complete_code(live_server, page):
    make_deck()
    pdf = print_pdf(page, f"{live_server.url}/present/print/")
    assert len(pdf.pages) == SLIDES
    for sheet in pdf.pages:
        width, height = float(sheet.mediabox.width), float(sheet.mediabox.height)
        assert width / height == pytest.approx(16 / 9, rel=0.001)
    assert "1993" in page_text(pdf, 1) and "CGI" in page_text(pdf, 1)
    long_page = page_text(pdf, 5)
    assert "header_0 " in long_page and "header_59 " in long_page
    assert "the very last line" in long_page  # the end of 63 lines of code is on the page
    wide_page = page_text(pdf, 6)
    assert "value_79" in wide_page and "the end of a wide line" in wide_page
    everything = " ".join(page_text(pdf, n) for n in range(1, SLIDES + 1))
    for control in ["Enlarge", "Print or save as PDF", "Overview", "Mention NCSA"]:
        assert control not in everything


def test_handout_adds_the_notes_and_keeps_one_page_per_slide(live_server, page):
    make_deck()
    pdf = print_pdf(page, f"{live_server.url}/present/print/?notes=1")
    assert len(pdf.pages) == SLIDES
    assert "Mention NCSA HTTPd" in page_text(pdf, 2)
    assert "Read it aloud." in page_text(pdf, 3)
    # 250 repetitions of long notes shrink onto the page rather than spill onto a seventh.
    assert page_text(pdf, 6).count("Long notes.") >= 200
    first = pdf.pages[0]
    assert float(first.mediabox.height) > float(first.mediabox.width)  # A4 portrait


def test_talk_and_era_decks_print_their_own_slides(live_server, page):
    make_deck_talk()
    assert len(print_pdf(page, f"{live_server.url}/talks/short/present/print/").pages) == 6
    assert len(print_pdf(page, f"{live_server.url}/present/cgi/print/?notes=1").pages) == 3


def test_print_page_on_screen_offers_print_and_handout(live_server, page):
    make_deck()
    page.goto(f"{live_server.url}/present/print/")
    assert page.get_by_role("button", name="Print or save as PDF").is_visible()
    page.get_by_role("link", name="Handout with notes").click()
    page.wait_for_url("**/present/print/?notes=1")
    assert page.locator(".print-notes").count() == SLIDES
