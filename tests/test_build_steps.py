"""Build steps are counted once, on the server, from the slide as rendered (build_steps.py),
and every view of the deck gets them from there as data."""

import json
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from timeline.build_steps import highlights, slide_builds, top_bullets
from timeline.deck_pieces import CHUNK_SIZE

from .factories import make_era, make_sample, make_slide

CODE = "".join(f"line_{n} = {n}\n" for n in range(1, 11))  # ten lines


def sample(steps, code=CODE, slide_html="<pre>"):
    return SimpleNamespace(slide_steps=steps, code=code, slide_html=slide_html)


def slide(body_html, fragments=True):
    return SimpleNamespace(body_html=body_html, fragments=fragments)


@pytest.mark.parametrize(
    ("body", "bullets"),
    [
        ("<ul><li>a</li><li>b</li><li>c</li></ul>", 3),
        ('<ol start="2"><li>a</li><li>b</li></ol>', 2),
        # A nested list comes with its parent item: "<li" appears 4 times, 2 bullets.
        ("<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b<br></li></ul>", 2),
        # Two lists at the top, and text between them.
        ("<p>Why:</p><ul><li>a</li></ul><hr><ol><li>b</li><li>c</li></ol>", 3),
        # A list inside a quote or a table cell is not at the top: shown whole.
        ("<blockquote><ul><li>a</li><li>b</li></ul></blockquote>", 0),
        ("<table><tr><td><ul><li>a</li></ul></td></tr></table>", 0),
        ("<p>No list, only &lt;li&gt; as text.</p>", 0),
        ("", 0),
    ],
)
def test_a_slide_with_fragments_builds_each_top_level_bullet(body, bullets):
    assert top_bullets(body) == bullets
    assert slide_builds(slide(body), []) == bullets
    assert slide_builds(slide(body, fragments=False), []) == 0


@pytest.mark.parametrize(
    ("steps", "groups"),
    [
        ("3-4|6-8|all", [[3, 4], [6, 7, 8], None]),
        ("3|4|all", [[3], [4], None]),
        ("1-2, 5|7", [[1, 2, 5], [7]]),  # commas join ranges; spaces do not count
        ("5-7|8-10|11-16", []),  # line 16 is past the code's ten: the slide is not stepped
        ("1-4|6-9|", []),  # bad syntax
        ("", []),
    ],
)
def test_highlight_steps_are_groups_of_lines_separated_by_bars(steps, groups):
    assert highlights(sample(steps)) == groups
    assert slide_builds(slide(""), [sample(steps)]) == max(len(groups) - 1, 0)


def test_a_sample_shown_whole_has_no_steps_and_a_title_slide_has_none():
    # Without the line-by-line markup (no range nor steps rendered) there is nothing to light.
    assert highlights(sample("1-2|3", slide_html="")) == []
    assert slide_builds(None, [sample("1-2|3")]) == 0


def test_bullets_come_first_then_each_samples_highlights():
    body = "<ul><li>a</li><li>b</li></ul>"
    assert slide_builds(slide(body), [sample("1|2|3"), sample("4|all")]) == 2 + 2 + 1


STEPS = re.compile(r'data-number="\d+" data-title="[^"]*" data-steps="(\d+)"')


def slide_steps(html):
    return [int(n) for n in STEPS.findall(html)]


@pytest.mark.django_db
def test_the_deck_and_its_pieces_carry_each_slides_steps(client):
    era = make_era(slug="wsgi", title="WSGI", year=2003)
    built = make_slide(era, title="Built", body="- a\n    - a1\n- b\n- c", fragments=True)
    make_sample(
        era, slide=built, title="Ten", code=CODE, slide_lines="3-8", slide_steps="3-4|6-8|all"
    )
    for n in range(CHUNK_SIZE):
        make_slide(era, title=f"Plain {n}")
    make_slide(era, title="Late", body="- x\n- y", fragments=True)
    html = client.get(reverse("timeline:present")).content.decode()
    # Title slide, then three bullets and two more highlights, then plain slides.
    assert slide_steps(html) == [0, 3 + 2] + [0] * (CHUNK_SIZE - 2)
    groups = re.search(r'data-highlights="([^"]*)"', html).group(1).replace("&quot;", '"')
    assert json.loads(groups) == [[3, 4], [6, 7, 8], None]
    assert 'data-steps="3-4' not in html  # the syntax itself is not the browser's to parse
    part = client.get(reverse("timeline:present-slides", kwargs={"chunk": 2})).content.decode()
    assert slide_steps(part) == [0, 0, 2]  # slides 9-11: a piece loaded later carries them too
