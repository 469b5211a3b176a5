"""Every evidence quote of every reference in fixtures/ stands verbatim in its cited source, where
fixtures/sources/ stores that source's text; a cut inside a quote is marked with "…".

A source file: "reference: <url>", "era: <slug>", then the text, each part headed by a line
"=== <where it came from>" (a commit or a file at a commit). Compared with whitespace runs
collapsed to one space, so line breaks and indentation in the source do not matter."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

ELLIPSIS = "…"
PROVENANCE = "=== "


def normalise(text):
    return re.sub(r"\s+", " ", text).strip()


def quotes(evidence):
    """The quoted passages of an evidence text: each outermost “…” (nested quotes stay inside
    it) and each `code` span; an evidence with neither is one quote as a whole."""
    found, depth, start = [], 0, 0
    for index, char in enumerate(evidence):
        if char == "“":
            if depth == 0:
                start = index + 1
            depth += 1
        elif char == "”" and depth:
            depth -= 1
            if depth == 0:
                found.append(evidence[start:index])
    outside = re.sub(r"“[^”]*”", "", evidence)
    found += re.findall(r"`([^`]+)`", outside)
    return found or [evidence]


def missing_piece(quote, source):
    """The first piece of the quote (split at each "…") not found in order in the source, or
    None when the whole quote stands there."""
    text, position = normalise(source), 0
    for piece in (normalise(part) for part in quote.split(ELLIPSIS)):
        if not piece:
            continue
        found = text.find(piece, position)
        if found < 0:
            return piece
        position = found + len(piece)
    return None


def stored_sources():
    """{(era slug, url): source text} from fixtures/sources/."""
    sources = {}
    for path in sorted((Path(settings.HISTORY_FIXTURES_DIR) / "sources").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        url = lines[0].removeprefix("reference: ")
        era = lines[1].removeprefix("era: ")
        text = "\n".join(line for line in lines[2:] if not line.startswith(PROVENANCE))
        sources[(era, url)] = text
    return sources


def fixture_references():
    """[(era slug, url, evidence)] of every reference in fixtures/eras/ that quotes evidence."""
    found = []
    for path in sorted((Path(settings.HISTORY_FIXTURES_DIR) / "eras").glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            fields = row["fields"]
            if row["model"] == "timeline.reference" and fields.get("evidence"):
                found.append((fields["era"][0], fields["url"], fields["evidence"]))
    return found


def test_every_quote_stands_verbatim_in_its_stored_source():
    sources = stored_sources()
    checked, wrong = 0, []
    for era, url, evidence in fixture_references():
        if (era, url) not in sources:
            continue
        for quote in quotes(evidence):
            checked += 1
            piece = missing_piece(quote, sources[(era, url)])
            if piece is not None:
                wrong.append(f"{era} {url}: {piece!r} is not in the stored source")
    assert checked >= len(sources), "a stored source whose reference quotes nothing"
    assert wrong == [], "\n".join(wrong)


def test_every_stored_source_belongs_to_a_reference_with_evidence():
    """A renamed reference URL or era leaves no stored source behind, unchecked."""
    cited = {(era, url) for era, url, _ in fixture_references()}
    assert set(stored_sources()) <= cited


@pytest.mark.parametrize(
    "quote, passes",
    [
        ("Post-History: 07-Dec-2003, 08-Aug-2004", True),
        # Drops "08-Aug-2004, " from the middle without saying so.
        ("Post-History: 07-Dec-2003, 20-Aug-2004", False),
        ("Post-History: 07-Dec-2003, … 20-Aug-2004", True),
        # Both pieces are there, but not in this order.
        ("20-Aug-2004 … Post-History:", False),
        ("Post-History:   07-Dec-2003,\n08-Aug-2004", True),
    ],
)
def test_a_cut_must_be_marked(quote, passes):
    source = "Created: 07-Dec-2003\nPost-History: 07-Dec-2003,\n    08-Aug-2004, 20-Aug-2004\n"
    assert (missing_piece(quote, source) is None) == passes


def test_quotes_are_the_outermost_curly_quotes_then_code_spans_else_the_whole_text():
    assert quotes("abc, 2009: “first commit”; “x “y” z”") == ["first commit", "x “y” z"]
    assert quotes('reads `version="0.9.0"` and “Initial revision”') == [
        "Initial revision",
        'version="0.9.0"',
    ]
    assert quotes('__version__ = "0.111" … def run():') == ['__version__ = "0.111" … def run():']
