"""The glossary: the words a learner meets, each defined once and tied to the era that brings it.

Era pages link the first use of each term (link_first_uses); the site search lists the terms a
query names (search.glossary_results). The terms are a constant, like the learning path; a test
keeps every era slug here pointing at an era of the history fixtures.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.urls import reverse


@dataclass(frozen=True)
class Term:
    name: str
    era: str  # the slug of the era that introduces it
    definition: str
    # How the term appears: `code` is the text of an inline <code> element; `words` are prose
    # phrases (matched whole words; case-insensitive when written in lower case).
    code: tuple = ()
    words: tuple = ()

    @property
    def anchor(self):
        return "term-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    @property
    def url(self):
        return reverse("timeline:glossary") + "#" + self.anchor


TERMS = (
    Term(
        "ASGI server",
        "asgi",
        "A program such as Uvicorn or Hypercorn that speaks HTTP and WebSockets on the network "
        "and calls an ASGI application with a scope and two coroutines, receive and send.",
        words=("ASGI server", "ASGI servers"),
    ),
    Term(
        "CGI variable",
        "cgi",
        "One of the environment variables a web server sets before starting a CGI script, such as "
        "REQUEST_METHOD, QUERY_STRING or PATH_INFO: the request, handed over as plain strings.",
        code=("REQUEST_METHOD", "QUERY_STRING", "PATH_INFO"),
        words=("CGI variable", "CGI variables"),
    ),
    Term(
        "environ",
        "wsgi",
        "The dictionary a WSGI server passes to the application: the CGI variables of the request "
        "plus wsgi.* keys such as wsgi.input, the request body as a file.",
        code=("environ",),
    ),
    Term(
        "event loop",
        "twisted",
        "One thread that waits on many connections at once and runs whichever code has something "
        "to do, instead of a thread or a process per request.",
        words=("event loop", "event loops"),
    ),
    Term(
        "gateway",
        "cgi",
        "The program between the web server and the code that builds a page; CGI, the Common "
        "Gateway Interface, names the contract between the two.",
        words=("gateway",),
    ),
    Term(
        "middleware",
        "wsgi",
        "Code that wraps an application and is itself an application of the same interface, so "
        "it can change the request on the way in and the response on the way out.",
        words=("middleware",),
    ),
    Term(
        "PEP",
        "wsgi",
        "A Python Enhancement Proposal: the document through which a change to Python or a "
        "shared convention such as WSGI (PEP 333, later PEP 3333) is proposed and agreed.",
        words=("PEP",),
    ),
    Term(
        "receive and send",
        "asgi",
        "The two coroutines an ASGI application is called with: it awaits receive() for the next "
        "event (a piece of the body, a WebSocket message) and send() to answer.",
        code=("receive", "send", "receive()", "send()"),
    ),
    Term(
        "RFC",
        "http-1-0",
        "A Request for Comments: the numbered documents of the IETF that define internet "
        "protocols; HTTP/1.0 is RFC 1945 and CGI is RFC 3875.",
        words=("RFC",),
    ),
    Term(
        "scope",
        "asgi",
        "The dictionary an ASGI application receives for each connection: its type (http, "
        "websocket, lifespan), path, headers and the rest; the ASGI counterpart of environ.",
        code=("scope",),
    ),
    Term(
        "start_response",
        "wsgi",
        "The function a WSGI server passes to the application, which calls it with the status "
        "line and the headers before returning the body.",
        code=("start_response", "start_response()"),
    ),
    Term(
        "worker",
        "gunicorn",
        "One of the processes (or threads) a server starts to handle requests, so that several "
        "run at once and a crash loses one worker, not the server.",
        words=("worker", "workers"),
    ),
    Term(
        "WSGI server",
        "wsgi",
        "A program such as Gunicorn, uWSGI or mod_wsgi that speaks HTTP and calls a WSGI "
        "application once per request with environ and start_response.",
        words=("WSGI server", "WSGI servers"),
    ),
)

# Where a term is never linked: inside a link already, or inside a block of code.
SKIP = {"a", "pre", "script", "style", "textarea"}


def _prose_pattern(term):
    alternatives = "|".join(re.escape(w) for w in sorted(term.words, key=len, reverse=True))
    flags = re.IGNORECASE if all(w == w.lower() for w in term.words) else 0
    return re.compile(rf"(?<![\w.-])(?:{alternatives})(?![\w-])", flags)


PROSE = [(term, _prose_pattern(term)) for term in TERMS if term.words]
BY_CODE = {code: term for term in TERMS for code in term.code}


class _Linker(HTMLParser):
    """Copies sanitised HTML through, wrapping the first use of each unseen term in a link."""

    def __init__(self, seen):
        super().__init__(convert_charrefs=False)
        self.seen, self.out, self.skip = seen, [], 0
        self.code_at = None  # index in `out` of an open inline <code>, to wrap it whole

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        if tag == "code" and not self.skip:
            self.code_at = len(self.out)
        self.out.append(self.get_starttag_text())

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        if tag == "code" and self.code_at is not None:
            start, self.code_at = self.code_at, None
            text = "".join(self.out[start + 1 : -1])
            term = BY_CODE.get(text)
            if term and term.name not in self.seen:
                self.seen.add(term.name)
                self.out.insert(start, _open(term))
                self.out.append("</a>")

    def handle_data(self, data):
        if self.skip or self.code_at is not None:
            self.out.append(data)
        else:
            self.out.append(self._link(data))

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def _link(self, text):
        pieces = []
        while True:
            found = [
                (match.start(), term, match)
                for term, pattern in PROSE
                if term.name not in self.seen and (match := pattern.search(text))
            ]
            if not found:
                break
            _, term, match = min(found, key=lambda item: item[0])
            self.seen.add(term.name)
            pieces += [text[: match.start()], _open(term), match.group(), "</a>"]
            text = text[match.end() :]
        return "".join(pieces) + text


def _open(term):
    return f'<a class="glossary-link" href="{term.url}" title="Glossary: {term.name}">'


def link_first_uses(fragments):
    """The HTML fragments of one page, in reading order, with the first use of each glossary
    term (across all of them) linked to its definition. The fragments are sanitised HTML."""
    seen, linked = set(), []
    for html in fragments:
        parser = _Linker(seen)
        parser.feed(html)
        parser.close()
        linked.append("".join(parser.out) + parser.rawdata)
    return linked
