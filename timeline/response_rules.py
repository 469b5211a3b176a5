"""What any HTTP response must get right before an exercise asks anything of it, judged from
the response the sandbox produced, as a real client would read it.

`protocol_problems(result, method)` lists each broken rule once, in words that name the rule:
- the status line is well formed, and its reason phrase is the standard one for its code;
- Content-Length, when sent, is the body's length in bytes;
- an ASGI response is finished (its last http.response.body has no more_body);
- no header that HTTP allows once is sent twice;
- Content-Type is one media type, and a JSON body is JSON.

The exercise's own assertions use the parsers here too: a Content-Type is compared as a media
type (type/subtype and the parameters the check names), never as a substring, and a JSON body
is compared as data (`json_difference`), so key order and whitespace do not matter.
"""

import json
import re
from dataclasses import dataclass
from http import HTTPStatus

TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e\x80-\xff])*"'
PARAMETER = rf"[ \t]*;[ \t]*(?:({TOKEN})=({TOKEN}|{QUOTED}))?"
MEDIA_TYPE = re.compile(rf"({TOKEN})/({TOKEN})((?:{PARAMETER})*)[ \t]*")
PARAMETERS = re.compile(PARAMETER)
# A status as WSGI's start_response and CGI's Status header carry it: code, space, reason.
STATUS = re.compile(r"(\d{3}) ([^\x00-\x08\x0a-\x1f\x7f]*)")
# Response fields HTTP defines as one value (RFC 9110 5.3): sent twice, clients disagree on
# which one counts, so a sender must not.
SINGLE = {
    "age",
    "content-disposition",
    "content-length",
    "content-location",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expires",
    "last-modified",
    "location",
    "retry-after",
    "server",
}
SHOWN = 60


@dataclass(frozen=True)
class MediaType:
    type: str
    subtype: str
    params: tuple  # (name, value) pairs, names lower-cased

    @property
    def essence(self):
        return f"{self.type}/{self.subtype}"

    @property
    def is_json(self):
        return self.essence == "application/json" or (
            self.type == "application" and self.subtype.endswith("+json")
        )

    def satisfies(self, wanted):
        """Whether this is the wanted type, with every parameter the wanted one names."""
        mine = dict(self.params)
        return self.essence == wanted.essence and all(
            mine.get(name) == value for name, value in wanted.params
        )


def parse_media_type(value):
    """A Content-Type value as a MediaType (RFC 9110 8.3.1), or None when it is not one."""
    match = MEDIA_TYPE.fullmatch(value.strip())
    if not match:
        return None
    params = []
    for name, raw in PARAMETERS.findall(match.group(3)):
        if not name:
            continue
        name = name.lower()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.append((name, raw.lower() if name == "charset" else raw))
    return MediaType(match.group(1).lower(), match.group(2).lower(), tuple(params))


def header_values(headers, name):
    return [value for key, value in headers if key.lower() == name.lower()]


def shown(text):
    text = str(text)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def status_code(result):
    head = (result.raw_status or result.status or "").strip().split(" ", 1)[0]
    # ASCII digits only: "²00".isdigit() is true, and int() refuses it.
    return int(head) if re.fullmatch(r"[0-9]{3}", head) else None


def body_bytes(result):
    return (result.body or "").encode("utf-8")


# -- the rules -----------------------------------------------------------------------------------


def status_problem(result):
    """The status line: a three-digit code from 100 to 599 and, when the app writes the reason
    (CGI, WSGI), the standard phrase for that code. An ASGI app sends only the code: the server
    writes the phrase."""
    raw = result.raw_status or result.status
    if result.runtime == "asgi":
        sent = [status for status in asgi_start_statuses(result) if type(status) is not int]
        if sent:
            return (
                f"The status was sent as {shown(json.dumps(sent[0]))}: ASGI's "
                "http.response.start takes the code as an integer, such as 200."
            )
        if not raw.isdigit() or not 100 <= int(raw) <= 599:
            return f"The status {shown(raw)} is not an HTTP status code (100 to 599)."
        return ""
    match = STATUS.fullmatch(raw)
    if not match and raw.strip().isdigit():
        match = STATUS.fullmatch(raw.strip() + " ")
    if not match:
        return (
            f"The status “{shown(raw)}” is not a status line: a three-digit code, one space and "
            "the reason phrase, such as “200 OK”."
        )
    code, reason = int(match.group(1)), match.group(2)
    if not 100 <= code <= 599:
        return f"The status {code} is not an HTTP status code (100 to 599)."
    try:
        standard = HTTPStatus(code).phrase
    except ValueError:
        standard = None
    if not reason.strip():
        example = f"“{code} {standard}”" if standard else f"“{code}” followed by a reason"
        return f"The status “{shown(raw)}” has no reason phrase: send {example}."
    if standard and " ".join(reason.split()).lower() != standard.lower():
        return (
            f"The status “{shown(raw)}” has the wrong reason phrase: {code} is “{code} {standard}”."
        )
    return ""


def asgi_start_statuses(result):
    """The status of each http.response.start the trace shows, as the app sent it."""
    return [
        event["message"].get("status")
        for event in result.events
        if event.get("direction") == "send"
        and isinstance(event.get("message"), dict)
        and event["message"].get("type") == "http.response.start"
    ]


def length_problem(result, method):
    """Content-Length, when sent, is the body's length: a client reads exactly that many bytes."""
    values = header_values(result.headers, "Content-Length")
    if len(values) != 1 or result.truncated or method == "HEAD":
        return ""  # twice is its own rule; a cut body or a HEAD answer has no length to compare
    code = status_code(result)
    if code is not None and (code < 200 or code in (204, 304)):
        return ""
    value = values[0].strip()
    if not value.isdigit():
        return f"Content-Length “{shown(value)}” is not a number of bytes."
    declared = int(value)
    body = body_bytes(result)
    actual = len(body) if result.body_length is None else result.body_length
    if declared == actual:
        return ""
    said = f"Content-Length says {declared} but the body has {actual} bytes"
    if declared > actual:
        return f"{said}; a client waits for {declared - actual} more bytes that never come."
    if declared == 0:
        return f"{said}; a client reads no body at all."
    read = body[:declared].decode("utf-8", "replace")
    return f"{said}; a client stops reading after “{shown(read)}”."


def finished_problem(result):
    """An ASGI response ends with an http.response.body whose more_body is false."""
    if result.runtime != "asgi":
        return ""
    bodies = [
        event["message"]
        for event in result.events
        if event.get("direction") == "send"
        and event.get("scope") == "http"
        and isinstance(event.get("message"), dict)
        and event["message"].get("type") == "http.response.body"
    ]
    if not bodies:
        return (
            "The response never finished: the app sent http.response.start but no "
            "http.response.body, so a client waits for a body until it gives up."
        )
    if any(not message.get("more_body", False) for message in bodies):
        return ""
    return (
        "The response never finished: the last http.response.body said more_body: True and no "
        "final message followed, so a client waits for the rest until it gives up."
    )


def repeated_problems(result):
    """No header HTTP allows once is sent twice."""
    problems = []
    seen = []
    for name, _ in result.headers:
        key = name.lower()
        if key in SINGLE and key not in seen:
            seen.append(key)
            values = header_values(result.headers, key)
            if len(values) > 1:
                listed = ", ".join(f"“{shown(v)}”" for v in values)
                problems.append(
                    f"The {name} header was sent {len(values)} times ({listed}); HTTP allows it "
                    "once, and clients disagree on which one counts."
                )
    return problems


def content_type_problems(result):
    """A Content-Type is one media type; a body it says is JSON parses as JSON."""
    values = header_values(result.headers, "Content-Type")
    if len(values) != 1:
        return []
    media = parse_media_type(values[0])
    if media is None:
        return [
            f"Content-Type “{shown(values[0])}” is not one media type: write type/subtype, then "
            "any parameters after “;”, such as “text/plain; charset=utf-8”."
        ]
    if media.is_json and result.body and not result.truncated:
        try:
            json.loads(result.body)
        except ValueError as exc:
            return [
                f"Content-Type says {media.essence} but the body is not JSON: {json_error(exc)}"
            ]
    return []


def json_error(exc):
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}."
    return f"{exc}."


def protocol_problems(result, method="GET"):
    """Each protocol rule the response breaks, one message a rule."""
    problems = [status_problem(result), length_problem(result, method), finished_problem(result)]
    problems += repeated_problems(result) + content_type_problems(result)
    return [problem for problem in problems if problem]


# -- JSON compared as data -----------------------------------------------------------------------


def as_json(text):
    """The check's expected body as JSON data when it is a JSON object or array, else None."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, (dict, list)) else None


def show_json(value):
    return shown(json.dumps(value, ensure_ascii=False))


def same_value(wanted, got):
    """Equal as JSON values: true is not 1, and 1 is 1.0."""
    if isinstance(wanted, bool) or isinstance(got, bool):
        return type(wanted) is type(got) and wanted == got
    if isinstance(wanted, (int, float)) and isinstance(got, (int, float)):
        return wanted == got
    return type(wanted) is type(got) and wanted == got


def json_difference(wanted, got, exact=True, path=""):
    """The first way `got` differs from `wanted`, in words, or "". Not exact: an object may have
    keys the check does not name (every key it names must be there, with that value)."""
    where = f"“{path}” in the JSON" if path else "the JSON"
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            return f"{where} is {show_json(got)}, not an object"
        for key, value in wanted.items():
            inner = f"{path}.{key}" if path else key
            if key not in got:
                return f"{where} has no “{key}” key"
            difference = json_difference(value, got[key], exact, inner)
            if difference:
                return difference
        extra = [key for key in got if key not in wanted]
        if exact and extra:
            return f"{where} has a key the check does not expect: “{extra[0]}”"
        return ""
    if isinstance(wanted, list) and isinstance(got, list) and len(wanted) == len(got):
        for index, (item, other) in enumerate(zip(wanted, got, strict=True)):
            difference = json_difference(item, other, exact, f"{path}[{index}]")
            if difference:
                return difference
        return ""
    if isinstance(wanted, list) or not same_value(wanted, got):
        return f"{where} is {show_json(got)}, not {show_json(wanted)}"
    return ""
