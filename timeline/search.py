"""Ranked search over eras, the same on PostgreSQL and SQLite.

Every word of the query must match, as the start of a word, in the title, the summary, the body
or the year. The order: an exact title or slug first, then eras whose title holds the words, then
their summary, then only their body; ties by full-text rank (PostgreSQL), then date. Each result
carries a snippet with the matched words in <mark>, escaped, so neither the query nor the
content can inject HTML.

PostgreSQL uses its full-text search (SearchVector, SearchRank, SearchHeadline) with the
"simple" configuration: no stemming and no stop words, so it finds what the SQLite fallback
finds. SQLite matches the same word starts with REGEXP (which Django's SQLite backend provides)
and cuts the snippet in Python. One query either way.
"""

import re
import secrets
from itertools import islice

from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from . import glossary

MAX_WORDS = 8
MAX_WORD_LENGTH = 40
SNIPPET_CHARS = 200
CONFIG = "simple"
# A word is letters and digits, possibly joined by . / + - (web.py, HTTP/1.0, async-await);
# underscores split words, as PostgreSQL's parser does (mod_wsgi is "mod" and "wsgi").
WORD = re.compile(r"[^\W_]+(?:[./+-][^\W_]+)*")
# Weight of a field when a word matches there: a title match outranks any number of body ones.
FIELD_WEIGHTS = {"title": 100, "summary": 10, "body": 1}
EXACT = 10_000


def words_of(text):
    """The query's words, lower-cased, unique, at most MAX_WORDS of at most MAX_WORD_LENGTH."""
    words = []
    for word in WORD.findall((text or "").lower()):
        word = word[:MAX_WORD_LENGTH]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def search(queryset, text, then=()):
    """The eras of `queryset` matching every word of `text`, best first, each with `.snippet`.

    `then` orders eras that rank the same (the timeline passes date order)."""
    words = words_of(text)
    if not words:
        return []
    if connection.vendor == "postgresql":
        return _postgresql(queryset, text, words, then)
    return _fallback(queryset, text, words, then)


def _exact_match(text):
    """The era whose title or slug is the query itself, found even when its words are not."""
    text = text.strip()
    slug = slugify(text)
    return Q(title__iexact=text) | Q(slug=slug) if slug else Q(title__iexact=text)


def _exact(text):
    return Case(
        When(_exact_match(text), then=Value(EXACT)), default=Value(0), output_field=IntegerField()
    )


def _summary_and_body():
    return Concat("summary", Value(" "), "body", output_field=TextField())


def _score(matches):
    """Sum over the words of the weight of the best field each matches in."""
    total = Value(0)
    for word in matches:
        whens = [When(match, then=Value(FIELD_WEIGHTS[name])) for name, match in word]
        total = total + Case(*whens, default=Value(0), output_field=IntegerField())
    return total


# -- SQLite (and any database without full-text search) ----------------------------------------


def _starts_word(word):
    # Not preceded by a letter or digit: the start of a word, as PostgreSQL's prefix match.
    return r"(?<![^\W_])" + re.escape(word)


def _fallback(queryset, text, words, then):
    everywhere = Q()
    matches = []
    for word in words:
        pattern = _starts_word(word)
        fields = [(name, Q(**{f"{name}__iregex": pattern})) for name in FIELD_WEIGHTS]
        anywhere = Q(year__startswith=word) if word.isdigit() else Q()
        for _, match in fields:
            anywhere |= match
        everywhere &= anywhere
        matches.append(fields)
    eras = list(
        queryset.filter(everywhere | _exact_match(text))
        .annotate(
            search_exact=_exact(text),
            search_score=_score(matches),
            search_text=_summary_and_body(),  # the body may be deferred
        )
        .order_by("-search_exact", "-search_score", *then)
    )
    pattern = re.compile("|".join(_starts_word(word) for word in words), re.IGNORECASE)
    for era in eras:
        era.snippet = _snippet(era.search_text, pattern)
    return eras


def _snippet(text, pattern):
    """The window showing the most distinct matched words: plain text, escaped, in <mark>."""
    text = plain_text(text)
    matches = list(islice(pattern.finditer(text), 200))  # bounded work on a huge body
    start = 0
    if matches:

        def words_near(match):
            near = [m for m in matches if match.start() <= m.start() < match.start() + 150]
            return len({m.group().lower() for m in near}), -match.start()

        first = max(matches, key=words_near).start()
        if first > SNIPPET_CHARS // 4:
            start = text.rfind(" ", 0, first - SNIPPET_CHARS // 4) + 1
    end = start + SNIPPET_CHARS
    if end < len(text) and " " in text[start:end]:
        end = text.rfind(" ", start, end)
    piece = text[start:end]
    html, last = [], 0
    for match in pattern.finditer(piece):
        html.append(escape(piece[last : match.start()]))
        html.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    html.append(escape(piece[last:]))
    prefix = "… " if start else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(html) + suffix)  # noqa: S308 - every piece is escaped


MARKDOWN = [
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images: their text
    (re.compile(r"`+|\*{1,3}|_{2,}|^#+\s*|^>\s?", re.MULTILINE), ""),  # code, emphasis, headings
    (re.compile(r"\s+"), " "),
]


def plain_text(markdown):
    """Markdown source as one line of plain text, good enough for a snippet."""
    for pattern, replacement in MARKDOWN:
        markdown = pattern.sub(replacement, markdown)
    return markdown.strip()


# -- PostgreSQL ----------------------------------------------------------------------------------


def _postgresql(queryset, text, words, then):
    from django.contrib.postgres.search import (
        SearchHeadline,
        SearchQuery,
        SearchRank,
        SearchVector,
    )

    def prefix(word):
        # `words` hold only letters, digits and . / + -: nothing tsquery reads as an operator.
        return SearchQuery(f"{word}:*", search_type="raw", config=CONFIG)

    every_word = SearchQuery(
        " & ".join(f"{word}:*" for word in words), search_type="raw", config=CONFIG
    )
    document = (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector(Cast("year", CharField()), weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector("body", weight="C", config=CONFIG)
    )
    vectors = {name: SearchVector(name, config=CONFIG) for name in FIELD_WEIGHTS}
    annotations = {f"search_{name}": vector for name, vector in vectors.items()}
    matches = [
        [(name, Q(**{f"search_{name}": prefix(word)})) for name in FIELD_WEIGHTS] for word in words
    ]
    # Random markers, escaped with the text and then turned into <mark>: content cannot forge them.
    start, stop = secrets.token_hex(8), secrets.token_hex(8)
    eras = list(
        queryset.annotate(search_document=document, **annotations)
        .filter(Q(search_document=every_word) | _exact_match(text))
        .annotate(
            search_exact=_exact(text),
            search_score=_score(matches),
            search_rank=SearchRank(F("search_document"), every_word),
            search_headline=SearchHeadline(
                _summary_and_body(),
                every_word,
                config=CONFIG,
                start_sel=start,
                stop_sel=stop,
                max_words=35,
                min_words=20,
                short_word=2,
            ),
        )
        .order_by("-search_exact", "-search_score", "-search_rank", *then)
    )
    for era in eras:
        html = escape(plain_text(era.search_headline))
        html = html.replace(start, "<mark>").replace(stop, "</mark>")
        era.snippet = mark_safe(html)  # noqa: S308 - escaped above; only our markers become tags
    return eras


def glossary_results(text):
    """The glossary terms a query names: all the words of the term's name are in the query
    ("what is environ"), or all the query's words are words of the term ("wsgi server")."""
    words = set(words_of(text))
    found = []
    for term in glossary.TERMS:
        name = set(words_of(term.name))
        forms = set(words_of(" ".join((term.name, *term.code, *term.words))))
        if words and (name <= words or words <= forms):
            found.append(term)
    return found
