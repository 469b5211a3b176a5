"""Values a check draws fresh for each submission, so an answer cannot be hard-coded for the
requests the learner has seen.

A check declares its values, one "name: kind" a line, and uses them as {{name}} in its name,
request, headers, body and inner response; {{name|url}} percent-encodes a value for a path or
query, {{name|html}} escapes it as a page must show it. The expected answer is filled from the
same values as the request. Drawn on the host with `secrets`: nothing in the sandbox can see or
steer them before the request arrives.
"""

import html
import re
import secrets
from urllib.parse import quote

from .text import normalize_text

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([a-z]+)\s*)?\}\}")
TEMPLATE_FIELDS = ("name", "request", "headers", "body", "inner_response")
FILTERS = {
    None: str,
    "url": lambda value: quote(value, safe=""),
    "html": lambda value: html.escape(value, quote=True),
}
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
KINDS = ("word", "number LOW-HIGH", "markup")


def value_kinds(text):
    """The declared values as {name: (kind, low, high)}; raises ValueError saying which line is
    wrong and how."""
    kinds = {}
    for line in normalize_text(text or "").splitlines():
        if not line.strip():
            continue
        name, colon, kind = line.partition(":")
        name, words = name.strip(), kind.split()
        if not colon or not name.isidentifier():
            raise ValueError(f"“{line[:60]}” is not a “name: kind” line.")
        if words[:1] in (["word"], ["markup"]) and len(words) == 1:
            kinds[name] = (words[0], 0, 0)
        elif words[:1] == ["number"] and len(words) == 2:
            low, dash, high = words[1].partition("-")
            if not (dash and low.isdigit() and high.isdigit() and int(low) <= int(high)):
                raise ValueError(f"“{line[:60]}”: a number is drawn from LOW-HIGH, e.g. 5-999.")
            kinds[name] = ("number", int(low), int(high))
        else:
            raise ValueError(f"“{line[:60]}”: the kind is one of {', '.join(KINDS)}.")
    return kinds


def placeholders(text):
    """The value names a template uses; raises ValueError for a filter that does not exist."""
    names = []
    for match in PLACEHOLDER.finditer(text or ""):
        if match[2] not in FILTERS:
            raise ValueError(f"“{match[0]}”: the filters are |url and |html.")
        names.append(match[1])
    return names


def word():
    """A made-up name, letters only (safe in a path, a query and a header): Kadoruvi."""
    syllables = (secrets.choice(CONSONANTS) + secrets.choice(VOWELS) for _ in range(4))
    return "".join(syllables).capitalize()


def draw_value(kind, low, high):
    if kind == "number":
        return str(low + secrets.randbelow(high - low + 1))
    if kind == "markup":
        # No quotes and no ampersand: every HTML escaper writes the same text for it.
        return f"<img src={word()} onerror=alert({secrets.randbelow(10**6)})>"
    return word()


def draw(text):
    """A fresh value for each one the check declares."""
    return {name: draw_value(*kind) for name, kind in value_kinds(text).items()}


def fill(text, values):
    """The template with each {{name}} replaced by its value, filtered as it asks."""
    return PLACEHOLDER.sub(lambda match: FILTERS[match[2]](values[match[1]]), text or "")


def inner_response_parts(text):
    """The inner app's answer as (status, [(name, value)], body), or None when there is none;
    raises ValueError when it is not a status line, header lines, an empty line and a body."""
    text = normalize_text(text or "")
    if not text.strip():
        return None
    head, _, body = text.partition("\n\n")
    status, *lines = head.split("\n")
    if not re.fullmatch(r"[0-9]{3} \S.*", status):
        raise ValueError(f"The inner response starts with a status such as 200 OK, not “{status}”.")
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name != name.strip():
            raise ValueError(f"“{line[:60]}” is not a “Name: value” line.")
        headers.append((name, value.strip()))
    return status, headers, body.rstrip("\n")
