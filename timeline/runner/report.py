"""The harness's message, checked: its shape and types, before anything of it is used.

The message is untrusted input: the user's code ran in the process that wrote the report inside
it. A report that fails these checks is the program interfering with the runner (result.py
turns that into the INTERFERENCE outcome). The checks say only whether the report is one the
harness writes; what the run's outcome was is decided in result.py, never from the report.

The run's one output cap is enforced here again: no report larger than the harness writes at
that cap is parsed (`within_cap`), and the program's bytes in a parsed one are counted as the
harness counts them (`sent_bytes`), so what the host spends on a run is bounded by the cap.
"""

import base64
import binascii
import json
from dataclasses import dataclass

from .harness import header_size, report_cap, utf8_size


class Interference(Exception):
    """The report is not one the harness writes: the program wrote into it."""


@dataclass(frozen=True)
class Message:
    exit_status: int
    report: bytes | None  # None: the worker wrote more than the harness ever would


def read_message(data):
    """The supervisor's message, or None when there is none (the sandbox or harness failed)."""
    try:
        message = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or set(message) != {"exit", "report_b64", "report_bytes"}:
        return None
    status, encoded = message["exit"], message["report_b64"]
    if type(status) is not int or not (encoded is None or isinstance(encoded, str)):
        return None
    try:
        report = None if encoded is None else base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return None
    return Message(exit_status=status, report=report)


def within_cap(message, output_bytes):
    """Whether the worker's report is one the harness could have written at this output cap:
    the supervisor sends none larger (None), and none larger is parsed here either."""
    return message.report is not None and len(message.report) <= report_cap(output_bytes)


def sent_bytes(report):
    """The program's bytes in a parsed report, counted as the harness counts them against the
    output cap: the status, each header as `name: value\r\n`, the body, the error text and
    each event of the trace as the JSON it is written as."""
    size = utf8_size(report.get("status") or "") + utf8_size(report.get("error") or "")
    size += sum(header_size(name, value) for name, value in report.get("headers") or [])
    size += len(base64.b64decode(report.get("body_b64") or ""))
    for event in report.get("events") or []:
        size += len(json.dumps(event, separators=(",", ":")))
    return size


MAX_DEPTH = 8


def is_text(value):
    return isinstance(value, str)


def is_optional_text(value):
    return value is None or isinstance(value, str)


def is_kind(value):
    return value in (None, "exception", "memory", "syntax", "sample", "exit")


def is_flag(value):
    return isinstance(value, bool)


def is_text_map(value):
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def is_headers(value):
    return isinstance(value, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        for pair in value
    )


def is_base64(value):
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error:
        return False
    return True


def is_plain(value, depth=0):
    """JSON of bounded depth (an ASGI scope or message as the harness pictures it)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return True
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, list):
        return all(is_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(is_plain(item, depth + 1) for item in value.values())
    return False


def is_events(value):
    return isinstance(value, list) and all(
        isinstance(event, dict)
        and set(event) == {"direction", "scope", "message"}
        and isinstance(event["direction"], str)
        and isinstance(event["scope"], str)
        and is_plain(event["message"])
        for event in value
    )


COMMON = {"error": is_optional_text, "kind": is_kind, "truncated": is_flag}
RESPONSE = {"status": is_text, "headers": is_headers, "body_b64": is_base64}
# The fields each runtime's report may carry, and those it must (the harness always sends them).
FIELDS = {
    "python": (COMMON, {}),
    "cgi": ({**COMMON, "environ": is_text_map}, {}),
    "wsgi": ({**COMMON, **RESPONSE, "environ": is_text_map}, RESPONSE),
    "asgi": ({**COMMON, **RESPONSE, "scope": is_plain, "events": is_events}, RESPONSE),
}


def parse_report(runtime, data):
    """The worker's report as a dict of known fields and types; raises Interference."""
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Interference("its report is not the JSON the harness writes") from None
    if not isinstance(report, dict):
        raise Interference("its report is not a JSON object")
    allowed, required = FIELDS[runtime]
    unknown = sorted(set(report) - set(allowed))
    if unknown:
        raise Interference(f"its report has fields the harness never writes ({unknown[0][:40]!r})")
    for name, check in allowed.items():
        if name in report and not check(report[name]):
            raise Interference(f"the “{name}” in its report has the wrong shape")
    missing = sorted(set(required) - set(report))
    if missing:
        raise Interference(f"its report has no “{missing[0]}”")
    return report
