"""Parse the raw HTTP request a sample answers ("GET /hello?name=Ada HTTP/1.1", headers, body).

Requests are stored like every text (timeline/text.py): LF line ends and one final newline.
So headers end at the first blank line or at the end of the text, and the body is what
follows the blank line without that final newline: a body cannot end in a newline.
"""

import base64
import re

from ..text import normalize_text

DEFAULT_REQUEST = "GET / HTTP/1.1\nHost: localhost\n"
METHOD = re.compile(r"[A-Z][A-Z-]{0,19}")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# ASCII digits only: str.isdigit() and \d accept "²" or "١", which int() then refuses or reads.
PROTOCOL = re.compile(r"HTTP/[0-9]\.[0-9]")
PORT = re.compile(r"[0-9]{1,5}")
MAX_PORT = 65535
MAX_REQUEST_CHARS = 64 * 1024


class RequestError(ValueError):
    """The learner's request cannot be parsed; the message says what to fix."""


def parse_request(text):
    """Return the request as a plain dict the sandbox's harness understands."""
    if len(text or "") > MAX_REQUEST_CHARS:
        raise RequestError(f"The request is longer than {MAX_REQUEST_CHARS // 1024} KB.")
    text = normalize_text(text or "").lstrip("\n") or DEFAULT_REQUEST
    head, blank, body = text.partition("\n\n")
    if blank:
        # The text's final newline ends the text, not the body ("…\n\nname=Ada\n" sends 8 bytes).
        body = body[:-1]
    lines = head.rstrip("\n").split("\n")
    parts = lines[0].split()
    if len(parts) == 2:
        # A request line without a version is HTTP/0.9's one-line request (RFC 1945 4.1).
        parts.append("HTTP/0.9")
    if len(parts) != 3:
        raise RequestError(
            f"The first line must look like “GET /path HTTP/1.1”, not “{lines[0][:80]}”."
        )
    method, target, protocol = parts
    if not METHOD.fullmatch(method):
        raise RequestError(f"“{method[:20]}” is not an HTTP method such as GET or POST.")
    if not target.startswith("/"):
        raise RequestError(f"The path must start with “/”, not “{target[:80]}”.")
    if not PROTOCOL.fullmatch(protocol):
        raise RequestError(f"The protocol must look like HTTP/1.1, not “{protocol[:20]}”.")
    headers = []
    for number, line in enumerate(lines[1:], start=2):
        name, colon, value = line.partition(":")
        if not colon or not HEADER_NAME.fullmatch(name):
            raise RequestError(f"Line {number} is not a header (“Name: value”): “{line[:80]}”.")
        headers.append((name, value.strip()))
    body_bytes = body.encode("utf-8")
    names = {name.lower() for name, _ in headers}
    if body_bytes and "content-length" not in names:
        headers.append(("Content-Length", str(len(body_bytes))))
    try:
        for name, value in headers:
            name.encode("latin-1")
            value.encode("latin-1")
        target.encode("ascii")
    except UnicodeEncodeError as exc:
        raise RequestError(
            "The request line and headers must be ASCII or Latin-1; percent-encode the rest "
            "(for example %C3%A9 for é)."
        ) from exc
    host = next((value for name, value in headers if name.lower() == "host"), "localhost")
    server_name, _, port = host.partition(":")
    path, _, query = target.partition("?")
    return {
        "method": method,
        "target": target,
        "path": path,
        "query": query,
        "protocol": protocol,
        "headers": headers,
        "server_name": server_name or "localhost",
        "server_port": server_port(port),
        "body_b64": base64.b64encode(body_bytes).decode("ascii"),
    }


def server_port(text):
    """The port a Host header names, or 80 when it names none a server could listen on."""
    if PORT.fullmatch(text) and int(text) <= MAX_PORT:
        return int(text)
    return 80
