"""A response checked as a server would check it before sending it: the status's shape for each
runtime, header names that are tokens, no control characters, Latin-1 under WSGI. Decided on
the host: the harness's own checks ran where the program could change them."""

import re

ASCII_CODE = re.compile(r"[0-9]{3}")  # str.isdigit() and \d would take "²" or "١"
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 5.6.2: a header name
# Characters no status line or header value may hold (RFC 9110 5.5, RFC 9112 4): every control
# character but the horizontal tab.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
NAMED = {"\r": "a carriage return (\\r)", "\n": "a line feed (\\n)", "\x00": "a NUL byte (\\x00)"}
# How each runtime's status must look: WSGI's is the status line's text ("200 OK": PEP 3333,
# and wsgiref asserts the space); ASGI's is the integer, sent here as text; a CGI script's
# Status header may leave out the reason phrase (servers fill it in).
STATUS_SHAPES = {
    "wsgi": (
        re.compile(r"([0-9]{3}) .*", re.DOTALL),
        "does not look like “200 OK” (three digits, a space, a reason phrase)",
    ),
    "asgi": (re.compile(r"(-?[0-9]{1,9})"), "is not a whole number"),
    "cgi": (re.compile(r"([0-9]{3})(?: .*)?", re.DOTALL), "does not start with three digits"),
}


def visible(text):
    """Text with its control characters (not tabs) as escapes, so that a line break an app put
    in a header shows as the \\r\\n it sent instead of looking like another header."""
    return CONTROL.sub(lambda match: escape(match[0]), text)


def escape(char):
    return {"\r": "\\r", "\n": "\\n"}.get(char) or f"\\x{ord(char):02x}"


def quoted(text):
    text = visible(text)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def forbidden(text, what):
    """`what` holds a character HTTP forbids there: which one, in words; "" when none."""
    match = CONTROL.search(text)
    if match is None:
        return ""
    char = match[0]
    return f"{what} holds {NAMED.get(char) or f'a control character ({escape(char)})'}"


def response_problem(runtime, status, headers):
    """The first rule of HTTP the status or the headers break, in words; "" when they keep them
    all. Decided here on the host: the harness's checks ran where the program could change them."""
    shape, wanted = STATUS_SHAPES[runtime]
    match = shape.fullmatch(status)
    if match is None:
        return f"the status {quoted(status)} {wanted}"
    code = int(match[1])
    if not 100 <= code <= 599:
        return f"the status code {code} is not between 100 and 599"
    problem = forbidden(status, f"the status {quoted(status)}")
    if problem:
        return problem
    for name, value in headers:
        if not TOKEN.fullmatch(name):
            bad = next((c for c in name if not TOKEN.fullmatch(c)), "")
            why = f"it holds “{visible(bad)}”" if bad else "it is empty"
            return f"the header name {quoted(name)} is not a token: {why}"
        problem = forbidden(value, f"the value of the header “{name}”")
        if problem:
            return problem
    if runtime == "wsgi":
        for text, what in [(status, "the status"), *((v, f"the header “{n}”") for n, v in headers)]:
            if not is_latin1(text):
                return f"{what} holds text Latin-1 cannot encode (PEP 3333: send it encoded)"
    return ""


def is_latin1(text):
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
