"""A result's snippet: the window of plain text showing the most matched words, escaped, the
words in <mark>, so neither the query nor the content can inject HTML."""

import re
from itertools import islice

from django.utils.html import escape
from django.utils.safestring import mark_safe

SNIPPET_CHARS = 200


def snippet(text, pattern):
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
