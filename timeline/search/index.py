"""The search index: every source's rows cut into words, with where each word occurs. Built from
one query when the content version changes, and kept per process until it changes again."""

import threading
from bisect import bisect_left
from collections import Counter, defaultdict

from historyweb.content_version import content_version

from .sources import SOURCE_BY_KIND, read_rows
from .words import tokens

# A word in the title outweighs any number in the body; a heading (an era's summary) between.
FIELDS = (("title", 100), ("head", 10), ("text", 1))
NAMED = {"era", "exercise", "page"}  # kinds whose title or slug, asked for whole, comes first


class Index:
    def __init__(self, rows):
        self.docs = rows
        self.eras = {row["pk"]: row for row in rows if row["kind"] == "era"}
        self.era_number = {row["pk"]: n for n, row in enumerate(rows) if row["kind"] == "era"}
        self.era_by_slug = {row["key"]: n for n, row in enumerate(rows) if row["kind"] == "era"}
        # word -> {doc number: (best field weight, occurrences)}
        self.postings = defaultdict(dict)
        for number, row in enumerate(rows):
            best = {}
            counts = Counter()
            # A row is also found by its kind's name: "exercise" finds the exercises.
            kind_name = SOURCE_BY_KIND[row["kind"]].label
            for field, weight in FIELDS:
                text = row[field] or ""
                for word in tokens(f"{text} {kind_name}" if field == "head" else text):
                    counts[word] += 1
                    best[word] = max(best.get(word, 0), weight)
            for word, weight in best.items():
                self.postings[word][number] = (weight, counts[word])
        self.vocabulary = sorted(self.postings)
        self.named = defaultdict(list)  # a lower-cased title or slug -> the rows it names
        for number, row in enumerate(rows):
            if row["kind"] in NAMED:
                for name in {row["title"].lower(), str(row["key"]).lower()}:
                    self.named[name].append(number)

    def starting_with(self, prefix):
        """The words of the index that start with `prefix`."""
        at = bisect_left(self.vocabulary, prefix)
        while at < len(self.vocabulary) and self.vocabulary[at].startswith(prefix):
            yield self.vocabulary[at]
            at += 1

    def frequency(self, word):
        return len(self.postings.get(word, ()))


_cache = {}
_lock = threading.Lock()


def current():
    """The index for the current content version: built once per version and process."""
    version = content_version()
    index = _cache.get(version)
    if index is None:
        index = Index(read_rows())
        with _lock:
            _cache.clear()
            _cache[version] = index
    return index


def forget():
    """Drop the kept index (tests: a rolled-back database can reuse a content version)."""
    with _lock:
        _cache.clear()
