"""Line diffs, all from difflib's unified diff: the admin's classed lines (a run against the
expected output, revisions compared, fixtures about to be exported) and, after an edited run,
what it printed against the sample's recorded output."""

import difflib
import re

from .text import normalize_newlines

KINDS = {"+": "diff-added", "-": "diff-removed", "@": "diff-hunk"}

# A run's output is compared line by line up to this many lines a side.
MAX_COMPARED_LINES = 1500


def diff_lines(old, new, old_label, new_label, context=3):
    """[{"text", "kind"}] for each line of a unified diff of two texts; [] when they match."""
    if old == new:
        return []
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm="", n=context
    )
    return [{"text": line, "kind": KINDS.get(line[:1], "")} for line in lines]


CHANGES = {" ": "same", "-": "removed", "+": "added"}


def every_line(old_lines, new_lines):
    """[{"kind", "text"}] for every line of both lists, in order: "same", "removed" or "added".

    The unified diff with all of its lines as context, read past its three header lines."""
    if old_lines == new_lines:
        return [{"kind": "same", "text": line} for line in old_lines]
    everything = max(len(old_lines), len(new_lines))
    lines = list(difflib.unified_diff(old_lines, new_lines, lineterm="", n=everything))[3:]
    return [{"kind": CHANGES[line[:1]], "text": line[1:]} for line in lines]


def output_lines(text):
    """A run's output as lines: LF line ends, the final newline ends the last line."""
    text = normalize_newlines(text or "")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def http_parts(text):
    """An HTTP response's head (status line and headers) and body, split at the first blank
    line; None for any other output."""
    text = normalize_newlines(text or "")
    head, blank, body = text.partition("\n\n")
    if not re.match(r"HTTP/[0-9]", text) or not blank:
        return None
    return head, body


def compare_part(title, recorded, output):
    """One titled part of a comparison: its lines, and how many were removed and added."""
    old, new = output_lines(recorded), output_lines(output)
    if len(old) > MAX_COMPARED_LINES or len(new) > MAX_COMPARED_LINES:
        return {"title": title, "too_long": True}
    lines = every_line(old, new)
    removed = sum(line["kind"] == "removed" for line in lines)
    added = sum(line["kind"] == "added" for line in lines)
    return {
        "title": title,
        "too_long": False,
        "removed": removed,
        "added": added,
        "lines": lines if removed or added else [],
    }


def compare_output(recorded, output):
    """What an edited run printed against the recorded output, in parts: an HTTP response's
    status line with its headers, then its body; any other output as a whole."""
    before, after = http_parts(recorded), http_parts(output)
    if before and after:
        return [
            compare_part("Status line and headers", before[0], after[0]),
            compare_part("Body", before[1], after[1]),
        ]
    return [compare_part("Output", recorded, output)]
