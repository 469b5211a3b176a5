"""The evolution page's steps: each hello app, the lines that changed since the step before,
and how it answered a POST, from responses recorded by a run in the sandbox.

The recorded responses live in fixtures/evolution/answers.jsonl, each with the SHA-256 of the
code it was recorded from: a record whose code has since changed is not shown."""

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from .diffs import every_line

# JSON Lines, one record a line: not a *.json fixture, which dump_history would own.
METHODS_FILE = Path("evolution") / "answers.jsonl"

# Why an app answered as it did, read from its code: the first rule whose pattern the code
# matches and whose status class the recorded answer has gives the sentence.
GET_DECORATOR = re.compile(r"^\s*@\w+\.get\(", re.MULTILINE)
ROUTE_WITHOUT_METHODS = re.compile(r"\bRoute\((?![^)]*methods\s*=)")
READS_METHOD = re.compile(r"REQUEST_METHOD|\.method\b|[\"']method[\"']")
# A framework's routing table may filter methods by itself: then the code says nothing.
ROUTES = re.compile(r"@\w+\.(?:route|get|post|put|patch|delete)\(|\bRoute\(")
REASONS = (
    (
        "4",
        GET_DECORATOR,
        "<code>@app.get</code> registers the view for GET alone, so the framework refuses "
        "any other method on that path",
    ),
    (
        "4",
        ROUTE_WITHOUT_METHODS,
        "a <code>Route</code> to a function, given no <code>methods</code>, accepts only GET "
        "(and the HEAD that Starlette adds to it)",
    ),
)
NEVER_READS_METHOD = "the code never reads the request method, so a POST gets what a GET gets"


def code_digest(code):
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def _read_records(path):
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    rows = [json.loads(line) for line in lines if line.strip()]
    return {(row["era"], row["order"]): row for row in rows}


def recorded_responses():
    """{(era slug, sample order): record} from the fixtures' evolution directory."""
    return _read_records(str(Path(settings.HISTORY_FIXTURES_DIR) / METHODS_FILE))


def status_of(head):
    """(code, reason phrase) of a response's status line, or None."""
    match = re.match(r"HTTP/\S+ (\d{3}) ?(.*)", head or "")
    return (match.group(1), match.group(2).strip()) if match else None


def allowed_methods(head):
    """The Allow header's value in a response head, or ""."""
    match = re.search(r"^allow:\s*(.*)$", head or "", re.IGNORECASE | re.MULTILINE)
    return match.group(1).strip() if match else ""


def reason_for(code, status):
    """Why code answered with status, as a short HTML sentence fragment, or ""."""
    for status_class, pattern, sentence in REASONS:
        if status.startswith(status_class) and pattern.search(code):
            return sentence
    if status.startswith("2") and not (READS_METHOD.search(code) or ROUTES.search(code)):
        return NEVER_READS_METHOD
    return ""


def answer(sample, record):
    """How the sample answered the recorded request, or None when there is no current record."""
    if record is None or record["code_sha256"] != code_digest(sample.code):
        return None
    head = record["response_head"]
    status = status_of(head)
    if status is None:
        return None
    code, phrase = status
    request_line = record["request"].split("\n", 1)[0]
    return {
        "method": request_line.split(" ", 1)[0],
        "request_line": request_line,
        "status": code,
        "phrase": phrase,
        "allow": allowed_methods(head),
        "head": head,
        "reason": reason_for(sample.code, code),
    }


def changes(previous, sample):
    """The diff of the two samples' code, every line kept, with its counts."""
    lines = every_line(previous.code.splitlines(), sample.code.splitlines())
    return {
        "previous": previous,
        "lines": lines,
        "removed": sum(line["kind"] == "removed" for line in lines),
        "added": sum(line["kind"] == "added" for line in lines),
    }


def build_steps(samples, records):
    """[{"sample", "changes", "answer"}] for samples in page order."""
    steps = []
    for index, sample in enumerate(samples):
        steps.append(
            {
                "sample": sample,
                "changes": changes(samples[index - 1], sample) if index else None,
                "answer": answer(sample, records.get((sample.era.slug, sample.order))),
            }
        )
    return steps


def answer_groups(steps):
    """Steps grouped by method and status, in page order of first appearance:
    [{"method", "status", "phrase", "steps", "names", "reasons", "allows"}]."""
    groups = {}
    for step in steps:
        found = step["answer"]
        if found is None:
            continue
        key = (found["method"], found["status"])
        group = groups.setdefault(
            key, {"method": key[0], "status": key[1], "phrase": found["phrase"], "steps": []}
        )
        group["steps"].append(step)
    for group in groups.values():
        group["names"] = spoken_list([step["sample"].era.title for step in group["steps"]])
        group["reasons"] = reasons(group["steps"])
        group["allows"] = [step for step in group["steps"] if step["answer"]["allow"]]
    return list(groups.values())


def reasons(steps):
    """[{"text", "names"}]: each reason given in steps, with the eras it explains, in order."""
    found = {}
    for step in steps:
        text = step["answer"]["reason"]
        if text:
            found.setdefault(text, []).append(step["sample"].era.title)
    return [{"text": text, "names": spoken_list(names)} for text, names in found.items()]


def spoken_list(words):
    """ "A", "A and B", "A, B and C"."""
    if len(words) < 3:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
