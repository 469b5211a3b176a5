"""Print and handout: Chromium's PDF has exactly one page per slide, code complete, no controls."""

import io
import math
import unicodedata

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from timeline.models import CodeSample

from .decks import make_deck, make_deck_talk

pytestmark = pytest.mark.django_db(transaction=True)

SLIDES = 6


def print_pdf(page, url, timeout=10_000):
    # A long deck fits every sheet before its load event.
    page.goto(url, timeout=timeout)
    page.wait_for_selector("html[data-fitted]", state="attached", timeout=timeout)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return PdfReader(io.BytesIO(pdf))


def page_text(pdf, number):
    # NFKC: the PDF's text keeps the font's ligatures (ﬁ for fi).
    text = unicodedata.normalize("NFKC", pdf.pages[number - 1].extract_text())
    return " ".join(text.split())


def test_print_gives_one_a4_landscape_page_per_slide_with_complete_code(live_server, page):
    make_deck()
    pdf = print_pdf(page, f"{live_server.url}/present/print/")
    assert len(pdf.pages) == SLIDES
    for sheet in pdf.pages:
        width, height = float(sheet.mediabox.width), float(sheet.mediabox.height)
        assert (width, height) == pytest.approx((842, 595), abs=1)  # A4 landscape, in points
    assert "1993" in page_text(pdf, 1) and "CGI" in page_text(pdf, 1)
    long_page = page_text(pdf, 5)
    assert "header_0 " in long_page and "header_59 " in long_page
    assert "the very last line" in long_page  # the end of 63 lines of code is on the page
    wide_page = page_text(pdf, 6)
    assert "value_79" in wide_page and "the end of a wide line" in wide_page
    everything = " ".join(page_text(pdf, n) for n in range(1, SLIDES + 1))
    for control in ["Enlarge", "Print or save as PDF", "Overview", "Mention NCSA"]:
        assert control not in everything


def test_handout_puts_three_slides_beside_their_notes_on_each_a4_page(live_server, page):
    make_deck()
    pdf = print_pdf(page, f"{live_server.url}/present/print/?notes=1")
    assert len(pdf.pages) == 2  # six slides, three per page
    first, second = page_text(pdf, 1), page_text(pdf, 2)
    assert "Mention NCSA HTTPd" in first and "Read it aloud." in first
    for title in ["Scripts in cgi-bin", "A CGI script"]:
        assert title in first
    for title in ["A long application", "A wide line"]:
        assert title in second
    # 250 repetitions of long notes shrink into their third of the page, not onto a third page.
    assert second.count("Long notes.") >= 100
    sheet = pdf.pages[0]
    assert float(sheet.mediabox.height) > float(sheet.mediabox.width)  # A4 portrait
    # Each slide sits beside its notes; a slide without notes gets ruled lines instead.
    rows = page.evaluate(
        """() => [...document.querySelectorAll('.handout-row')].map(row => {
            const slide = row.querySelector('.handout-frame').getBoundingClientRect();
            const notes = row.querySelector('.print-notes');
            // The first line of the notes (a block box runs under a float; its lines do not).
            const walker = document.createTreeWalker(notes, NodeFilter.SHOW_TEXT);
            let node = walker.nextNode();
            while (node && !node.textContent.trim()) node = walker.nextNode();
            const range = document.createRange();
            if (node) range.selectNodeContents(node);
            const line = node && [...range.getClientRects()].find(r => r.width);
            const beside = !line || (line.left >= slide.right && line.top < slide.bottom);
            return {ruled: notes.classList.contains('ruled'), beside};
        })"""
    )
    assert len(rows) == 6 and all(row["beside"] for row in rows)
    # The title slides' eras have no date note here: lines to write on.
    assert [row["ruled"] for row in rows] == [True, False, False, True, False, False]
    # Each slide is laid out at its printed size (not a page shrunk), its code at 9 px or more.
    assert page.evaluate(HANDOUT_CODE) == [
        {"slide": "3", "px": pytest.approx(9.1, abs=0.5), "scaled": False}
    ]


# Code in the handout's slides as printed: font size times any scaling of its frame.
HANDOUT_CODE = """() => [...document.querySelectorAll('.handout-frame')]
    .filter(frame => frame.querySelector('.sample-code pre') && frame.querySelector(
        '.deck-slide').dataset.title === 'A CGI script')
    .map(frame => {
        const pre = frame.querySelector('.sample-code pre');
        const scale = pre.getBoundingClientRect().width / pre.offsetWidth;
        return {slide: frame.querySelector('.deck-slide').dataset.number,
                px: Math.round(parseFloat(getComputedStyle(pre).fontSize) * scale * 10) / 10,
                scaled: Math.abs(scale - 1) > 0.001};
    })"""


def test_a_slide_without_notes_gets_ruled_lines_in_the_handout(live_server, page):
    cgi = make_deck()[0]
    cgi.slides.filter(order=1).update(notes="", notes_html="")
    page.goto(f"{live_server.url}/present/print/?notes=1")
    page.wait_for_selector("html[data-fitted]", state="attached")
    ruled = page.locator(".handout-row .print-notes.ruled")
    assert ruled.count() == 3  # slide 2, and both title slides (their eras have no date note)
    assert "linear-gradient" in ruled.first.evaluate("e => getComputedStyle(e).backgroundImage")
    assert ruled.first.bounding_box()["height"] > 100


def test_print_matches_the_deck_slide_for_slide(live_server, page):
    """Page N of the PDF is slide N of the deck, and no disclosure marker prints."""
    make_deck()
    CodeSample.objects.filter(title="Hello CGI").update(
        runtime="cgi", expected_output="Hello", request="GET / HTTP/1.1\n\n"
    )
    page.goto(f"{live_server.url}/present/")
    titles = page.evaluate(
        "[...document.querySelectorAll('.stage .deck-slide')].map(s => s.dataset.title)"
    )
    pdf = print_pdf(page, f"{live_server.url}/present/print/")
    assert len(pdf.pages) == len(titles)
    for number, title in enumerate(titles, start=1):
        assert title in page_text(pdf, number), (number, title)
    everything = " ".join(page_text(pdf, n) for n in range(1, len(titles) + 1))
    for marker in ["Recorded output", "The HTTP request it answers", "Run or edit"]:
        assert marker not in everything


def test_the_real_history_prints_slide_for_slide_and_hands_out_three_per_page(live_server, page):
    """The whole history: as many pages as slides, page N carries slide N's title, and the
    slides that show a line range on screen print their whole code on their own page. The
    20-minute cut's handout has three slides per A4 page (41 pages before, one per slide) and
    no code in it under 9 px."""
    call_command("load_history", verbosity=0)
    page.goto(f"{live_server.url}/present/")
    titles = page.evaluate(
        "[...document.querySelectorAll('.stage .deck-slide')].map(s => s.dataset.title)"
    )
    assert len(titles) > 100
    pdf = print_pdf(page, f"{live_server.url}/present/print/", timeout=120_000)
    assert len(pdf.pages) == len(titles)
    for number, title in enumerate(titles, start=1):
        assert " ".join(title.split()) in page_text(pdf, number), (number, title)
    ranged = CodeSample.objects.exclude(slide_lines="").exclude(slide=None).select_related("slide")
    assert ranged.count() >= 10
    for sample in ranged:
        number = titles.index(sample.slide.title) + 1
        text = page_text(pdf, number).replace(" ", "")
        for line in (sample.code.splitlines()[0], sample.code.rstrip().splitlines()[-1]):
            assert line.replace(" ", "") in text, (number, sample.title, line)

    talk = "/talks/twenty-minute-cut/present/"
    page.goto(f"{live_server.url}{talk}")
    slides = page.locator(".stage .deck-slide").count()
    handout = print_pdf(page, f"{live_server.url}{talk}print/?notes=1", timeout=60_000)
    assert len(handout.pages) == math.ceil(slides / 3) <= 20
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.handout-frame .sample-code pre')].map(pre =>
            parseFloat(getComputedStyle(pre).fontSize)
            * pre.getBoundingClientRect().width / pre.offsetWidth)"""
    )
    assert len(sizes) >= 10 and min(sizes) >= 9 - 0.05, sorted(sizes)[:5]


def test_talk_and_era_decks_print_their_own_slides(live_server, page):
    make_deck_talk()
    assert len(print_pdf(page, f"{live_server.url}/talks/short/present/print/").pages) == 6
    assert len(print_pdf(page, f"{live_server.url}/present/cgi/print/?notes=1").pages) == 1


def test_print_page_on_screen_offers_print_and_handout(live_server, page):
    make_deck()
    page.goto(f"{live_server.url}/present/print/")
    assert page.get_by_role("button", name="Print or save as PDF").is_visible()
    page.get_by_role("link", name="Handout with notes").click()
    page.wait_for_url("**/present/print/?notes=1")
    assert page.locator(".handout-row").count() == SLIDES
