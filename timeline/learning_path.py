"""The suggested path through the history for a newcomer, and how long each stop takes to read.

The path is a constant, not a table: eight stops chosen to tell one story (a request, then a
program answering it, then a common interface, then frameworks on it, then async). A test keeps
every slug in it pointing at an era of the history fixtures.
"""

import math
from dataclasses import dataclass

from .search import plain_text

WORDS_PER_MINUTE = 200
# Code is read more slowly than prose: a line of a sample counts as this many words.
WORDS_PER_CODE_LINE = 10


@dataclass(frozen=True)
class Stop:
    slug: str
    why: str


PATH = (
    Stop("http-0-9", "Where it starts: one line of request, a page of HTML back, then hang up."),
    Stop("cgi", "The first way to answer a request with a program: a process per request."),
    Stop("http-1-0", "Headers, status codes and methods: the request and response we still use."),
    Stop(
        "wsgi", "One Python interface between servers and frameworks: environ and start_response."
    ),
    Stop("django", "A full framework on WSGI: models, admin, templates, URLs in one box."),
    Stop("flask", "The small framework: a decorator per route, the rest left to you."),
    Stop("asgi", "WSGI's successor for async: scope, receive and send, for WebSockets too."),
    Stop("fastapi", "Where the path ends today: type hints become validation and API docs."),
)


def reading_minutes(era):
    """Minutes to read an era's page: body and slides at WORDS_PER_MINUTE, its samples' code
    line by line. Reads `slides` and `samples` as prefetched."""
    words = word_count(era.body) + sum(word_count(slide.body) for slide in era.slides.all())
    words += WORDS_PER_CODE_LINE * sum(sample.line_count for sample in era.samples.all())
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def word_count(markdown):
    return len(plain_text(markdown).split())
