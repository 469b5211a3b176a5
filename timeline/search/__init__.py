"""Search over the whole site: eras, exercises, slides, samples' code and pages, the same on
PostgreSQL and SQLite.

A question's wrapping ("what is", "who made", "vs") is dropped; each remaining word matches the
start of a word of the index (index.py). Results that hold the most query words come first, then
by score: where each word occurs (title, heading, text), how often, the source's weight, and
for an era the best of its slides and samples too (they are on its page). An exact title or slug
comes first; an API name goes to the era that defined it (terms.py). A word the site does not
hold gets a "Did you mean" (suggest.py); when nothing matches, the suggestion's results show.

Cost: the index is read in one query per content version and process; a search is then the
content version check, and on PostgreSQL one trigram query when a word is unknown."""

import math
import re
from dataclasses import dataclass, field

from django.utils.text import slugify

from ..models import Era
from . import index as search_index
from .glossary_terms import glossary_results
from .snippets import plain_text, snippet
from .sources import SOURCE_BY_KIND, SOURCES
from .suggest import suggestions
from .terms import TERMS
from .words import meaningful, words_of

__all__ = ["glossary_results", "plain_text", "search", "words_of"]

EXACT = 10_000
DEFINED = 1_000
PREFIX = 0.6  # a word that only starts an indexed word counts this much of a whole one
PAGE_SHARE = 0.5  # an era's slides and samples are on its page: their score counts this much
MAX_RESULTS = 40
ON_ERA_PAGE = {"slide", "sample"}
ERA_KINDS = dict(Era.Kind.choices)


@dataclass
class Result:
    kind: str
    title: str
    url: str
    era: dict | None
    snippet: str
    score: float
    era_kind_label: str = ""


@dataclass
class Results:
    query: str
    words: list
    groups: list = field(default_factory=list)  # [(source, [Result, ...])], best group first
    suggestion: str = ""  # "Did you mean …", when a word is unknown
    corrected: bool = False  # nothing matched the query: these are the suggestion's results
    total: int = 0  # how many matched; the best MAX_RESULTS are shown

    @property
    def ranked(self):
        """Every result, best first (the order the groups were built from)."""
        return sorted((r for _, rs in self.groups for r in rs), key=lambda r: -r.score)

    @property
    def count(self):
        return sum(len(results) for _, results in self.groups)


def search(text, user=None, era_kind=""):
    """The site's pages matching `text` for `user`, grouped by kind; eras limited to `era_kind`."""
    index = search_index.current()
    words = meaningful(words_of(text))
    results = Results(query=text, words=words)
    if not words:
        return results
    staff = bool(user and user.is_authenticated and user.is_staff)
    found, results.total = _ranked(index, text, words, staff, era_kind)
    if found and found[0].score >= EXACT:
        suggestion = words  # a title or slug asked for by name is no typo
    else:
        suggestion = suggestions(index, words)
    results.suggestion = " ".join(suggestion) if suggestion != words else ""
    if not found and results.suggestion:
        found, results.total = _ranked(index, results.suggestion, suggestion, staff, era_kind)
        results.corrected = bool(found)
    results.groups = _grouped(found)
    return results


def _ranked(index, text, words, staff, era_kind):
    per_word = [_word_scores(index, word) for word in words]
    meant = " ".join(words)
    exact = {slugify(text), text.strip().lower(), slugify(meant), meant}
    named_rows = {n for name in exact for n in index.named.get(name, ())}
    scored = []
    for number in set().union(named_rows, *per_word):
        row = index.docs[number]
        era = index.eras.get(row["era"]) if row["era"] else None
        if era and not (staff or era["published"]):
            continue
        if era_kind and (not era or era["era_kind"] != era_kind):
            continue
        hits = [scores.get(number) for scores in per_word]
        covered = sum(1 for hit in hits if hit)
        named = number in named_rows
        score = SOURCE_BY_KIND[row["kind"]].weight * sum(hit or 0 for hit in hits)
        if named:
            covered, score = len(words), score + EXACT
        scored.append((covered, score, row, era))
    best = max((covered for covered, *_ in scored), default=0)
    scored = [item for item in scored if item[0] == best]
    scored.sort(key=_order)
    pattern = _pattern(words)
    shown = [_result(row, era, score, pattern) for _, score, row, era in scored[:MAX_RESULTS]]
    return shown, len(scored)


def _order(item):
    """Best score first; ties in date order, then by title, kind and key: always the same order."""
    _, score, row, era = item
    return (-score, era["year"] if era else 0, row["title"], row["kind"], str(row["key"]))


def _word_scores(index, word):
    """{doc number: score} for one query word, eras taking in their page's slides and samples."""
    scores = {}
    for token in index.starting_with(word):
        quality = 1.0 if token == word else PREFIX
        for number, (weight, count) in index.postings[token].items():
            score = quality * (weight + math.log2(1 + count))
            scores[number] = max(scores.get(number, 0), score)
    for number, score in list(scores.items()):
        row = index.docs[number]
        if row["kind"] in ON_ERA_PAGE and row["era"] in index.era_number:
            era_number = index.era_number[row["era"]]
            scores[era_number] = max(scores.get(era_number, 0), PAGE_SHARE * score)
    defining = index.era_by_slug.get(TERMS.get(word))
    if defining is not None:
        scores[defining] = scores.get(defining, 0) + DEFINED
    return scores


def _pattern(words):
    return re.compile("|".join(r"(?<![^\W_])" + re.escape(word) for word in words), re.IGNORECASE)


def _result(row, era, score, pattern):
    source = SOURCE_BY_KIND[row["kind"]]
    text = f"{row['head']} {row['text']}" if row["head"] else row["text"]
    title = (
        row["title"]
        if row["kind"] in ("era", "page") or not era
        else (f"{era['title']}: {row['title']}")
    )
    return Result(
        kind=row["kind"],
        title=title,
        url=source.url(row, era),
        era=era,
        snippet=snippet(text or "", pattern),
        score=score,
        era_kind_label=ERA_KINDS.get(era["era_kind"], "") if row["kind"] == "era" else "",
    )


def _grouped(results):
    """Results by kind, each group in rank order, the group holding the best result first."""
    groups = {}
    for result in results:  # best first, so each group's first result is its best
        groups.setdefault(result.kind, []).append(result)
    order = {source.kind: n for n, source in enumerate(SOURCES)}
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0].score, order[item[0]]))
    return [(SOURCE_BY_KIND[kind], items) for kind, items in ranked]
