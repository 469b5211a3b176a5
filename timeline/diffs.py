"""Unified diffs as classed lines, for the admin's pages (run against expected output,
revisions compared, fixtures about to be exported)."""

import difflib

KINDS = {"+": "diff-added", "-": "diff-removed", "@": "diff-hunk"}


def diff_lines(old, new, old_label, new_label, context=3):
    """[{"text", "kind"}] for each line of a unified diff of two texts; [] when they match."""
    if old == new:
        return []
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm="", n=context
    )
    return [{"text": line, "kind": KINDS.get(line[:1], "")} for line in lines]
