"""Every check of a submission in one sandbox run, against one instance of the app.

The host draws the requests and puts them in the run's spec; the harness loads the app once,
sends each request to it within its share of the time and reports, per request, what came back:
for WSGI the raw bytes a server wrote (read here as http.client reads them, so a Content-Length
shorter than the body gives what a real client gets), for ASGI the driver's messages, for CGI
the script's stdout (parsed as RFC 3875 says). The same whole-run limits hold for the whole: time,
memory and one output cap. Nothing of a verdict is taken from the program: each request's
RunResult is made here from its bytes, and the checks judge it (exercise_checks.py)."""

import base64
import http.client
import io
import json
from dataclasses import replace

from historyweb.errors import ServiceError

from . import pool
from .config import get_config
from .report import Interference, is_base64, parse_report, read_message, within_cap
from .result import Outcome, RunResult, decide, show_output, started_result
from .service import prepare, sandbox_run, single_input, wrap_for_harness

# The share of the run's time limit the requests may spend (counted from the harness's start):
# the rest is for the interpreter to start and to end, so one hung request is reported as such
# and the run is not stopped whole.
REQUEST_SHARE = 0.8


def run_batch(runtime, code, requests, *, wait=None, config=None, on_start=None):
    """One run for many requests; a RunResult for each. `requests`: (request text, wrap or None)
    pairs, wrap as run_code takes it. Raises Busy and SandboxUnavailable like run_code.

    With a pool of runner hosts the run is one task there (pool.run), which returns what the
    sandbox wrote; either way the results are built and judged here, from those bytes."""
    config = config or get_config()
    prepared = [prepare(runtime, code, text) for text, _ in requests]
    results = [p if isinstance(p, RunResult) else None for p in prepared]
    todo = [i for i, p in enumerate(prepared) if not isinstance(p, RunResult)]
    if not todo:
        return results  # every request refused before running: no run
    sent = [requests[i] for i in todo]
    if pool.enabled():
        raw, config = pool.run(
            runtime, code, sent, config, single=False, wait=wait, on_start=on_start
        )
    else:
        spec = batch_spec(runtime, code, [prepared[i] for i in todo], sent, config)
        raw = sandbox_run(spec, b"", wait=wait, config=config, on_start=on_start)
    methods = [prepared[i][0]["request"]["method"] for i in todo]
    for i, result in zip(todo, build_results(runtime, raw, config, methods), strict=True):
        results[i] = result
    return results


def batch_spec(runtime, code, prepared, requests, config):
    """The harness's spec for one run of every prepared request (none of them refused)."""
    batch = []
    for (spec, _), (_, wrap) in zip(prepared, requests, strict=True):
        item = {"request": spec["request"]}
        if wrap is not None:
            item["wrap"] = wrap_for_harness(wrap)
        batch.append(item)
    spec = {"runtime": runtime, "code": code, "batch": batch}
    spec["batch_seconds"] = config.timeout * REQUEST_SHARE
    return spec


def sandbox_job(runtime, code, requests, *, single, wait=None, config):
    """A runner host's task (tasks.py): the same sandbox run as here, one request (`single`, a
    sample's) or all of them in one; the RawRun, undecided. Raises ServiceError (400) for a
    request that cannot run, Busy and SandboxUnavailable."""
    prepared = [prepare(runtime, code, text) for text, _ in requests]
    refused = next((p for p in prepared if isinstance(p, RunResult)), None)
    if refused is not None or not prepared or (single and len(prepared) != 1):
        raise ServiceError(refused.error if refused else "No request to run.", status=400)
    if single:
        spec, body = single_input(prepared[0], requests[0][1])
    else:
        spec, body = batch_spec(runtime, code, prepared, requests, config), b""
    return sandbox_run(spec, body, wait=wait, config=config)


# -- the report of a batch, checked -----------------------------------------------------------


def is_items(value):
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def is_seconds(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


ITEM_FIELDS = {"late": lambda v: isinstance(v, bool), "seconds": is_seconds}
RAW_FIELD = {"wsgi": "raw_b64", "cgi": "stdout_b64"}


def parse_batch(runtime, data, count):
    """The batch report: its own fields, and one item per request, each checked as the report
    of a single run of that runtime is (report.py); raises Interference."""
    try:
        report = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Interference("its report is not the JSON the harness writes") from None
    if not isinstance(report, dict) or not is_items(report.get("items")):
        raise Interference("its report is not a batch the harness writes")
    items = report.pop("items")
    head = parse_report("python", json.dumps(report).encode())
    if len(items) not in (0, count):
        raise Interference("its report does not have one answer per request")
    checked = []
    for item in items:
        item = dict(item)
        extra = {name: item.pop(name) for name in list(item) if name in ITEM_FIELDS}
        raw_name = RAW_FIELD.get(runtime)
        raw = item.pop(raw_name, None) if raw_name else None
        if raw_name and not extra.get("late") and not is_base64(raw):
            raise Interference(f"an answer in its report has no “{raw_name}”")
        if runtime == "asgi" and extra.get("late") and item.get("status") is None:
            item["status"] = ""  # no http.response.start before its time was up
        fields = parse_report("cgi" if runtime == "wsgi" else runtime, json.dumps(item).encode())
        if not all(ITEM_FIELDS[name](value) for name, value in extra.items()):
            raise Interference("an answer in its report has the wrong shape")
        checked.append({**fields, **extra, "raw": base64.b64decode(raw) if raw else b""})
    return head, checked


def batch_sent_bytes(head, items):
    """The program's bytes in the report, counted as the harness counts them."""
    from .report import sent_bytes

    size = sent_bytes(head)
    for item in items:
        size += sent_bytes(item) + len(item["raw"])
    return size


# -- each request's result --------------------------------------------------------------------


class Wire:
    """The bytes a server wrote, as the socket http.client reads a response from."""

    def __init__(self, data):
        self.data = data

    def makefile(self, mode):
        return io.BytesIO(self.data)


def client_read(data, method):
    """(status as sent, headers, body as a client reads it, bytes sent after the head) from what
    a server wrote, or None when it is not an HTTP response."""
    response = http.client.HTTPResponse(Wire(data), method=method)
    try:
        response.begin()
    except (http.client.HTTPException, ValueError):
        return None
    try:
        body = response.read()
    except http.client.IncompleteRead as exc:
        body = exc.partial
    except (http.client.HTTPException, ValueError):
        body = b""
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    status = line.split(" ", 1)[1] if " " in line else ""
    head, sep, rest = data.partition(b"\r\n\r\n")
    headers = [(name, value) for name, value in response.msg.items()]
    return status, headers, body, len(rest) if sep else 0


def build_results(runtime, raw, config, methods):
    """A RunResult per request of a batch run: the whole run's outcome where the run as a whole
    failed (time, memory, output, a crash, interference), else each answer's own."""
    count = len(methods)
    message = read_message(raw.report)
    head, items, problem, unread = {}, [], "", False
    if message is not None:
        if not within_cap(message, config.output_bytes):
            unread = True
        elif message.report:
            try:
                head, items = parse_batch(runtime, message.report, count)
            except Interference as exc:
                problem = str(exc)
            if batch_sent_bytes(head, items) > config.output_bytes:
                head, items, unread = {}, [], True
    outcome, error = decide("python", raw, config, message, head, problem, unread)
    if outcome == Outcome.OK and len(items) != count:
        outcome, error = Outcome.INTERFERENCE, "The program interfered with the runner."
    results = []
    for number in range(count):
        result = started_result(runtime, raw, config)
        result.log = raw.stderr.decode("utf-8", "backslashreplace")
        if outcome != Outcome.OK or number >= len(items):
            result.outcome, result.error = outcome, error
            result.output = result.log if runtime == "python" else ""
        else:
            answer(result, raw, items[number], methods[number])
        result.truncated = result.outcome == Outcome.OUTPUT
        result.ok = result.outcome == Outcome.OK
        results.append(result)
    return results


def answer(result, raw, item, method):
    """Fill in one request's result from its item of the report."""
    if item.get("late"):
        result.outcome = Outcome.TIMEOUT
        result.error = (
            f"No answer to this request within {item.get('seconds', 0):g} s: the app was still "
            "working on it (an endless loop, or waiting for something that never comes)."
        )
        return
    report = {key: item[key] for key in ("environ", "scope", "events") if key in item}
    sent = None
    if result.runtime == "wsgi":
        read = client_read(item["raw"], method)
        if read is None:
            result.outcome = Outcome.EXIT
            result.error = item.get("error") or "The server's answer was not an HTTP response."
            return
        status, headers, body, sent = read
        report.update(status=status, headers=headers, body_b64=base64.b64encode(body).decode())
    elif result.runtime == "asgi":
        report.update({k: item[k] for k in ("status", "headers", "body_b64") if k in item})
    raw_item = replace(raw, stdout=item["raw"]) if result.runtime == "cgi" else raw
    problem = show_output(result, result.runtime, raw_item, report)
    if sent is not None:
        result.body_length = sent  # what the server sent, beside what a client read
    text = (item.get("error") or "").rstrip()
    if text:
        result.outcome, result.error = Outcome.EXIT, text
    elif problem:
        result.outcome, result.error = Outcome.RESPONSE, problem
    else:
        result.outcome = Outcome.OK
