"""timeline/diffs.py: the one line diff, as the admin shows it (unified, classed lines) and as a
learner sees an edited run against the recorded output (every line, in parts)."""

from timeline.diffs import MAX_COMPARED_LINES, compare_output, diff_lines, every_line


def kinds(lines):
    return [line["kind"][0] + line["text"] for line in lines]


def test_every_line_of_both_in_order():
    assert kinds(every_line(["a", "b", "c", "d"], ["a", "c", "x", "d"])) == [
        "sa",
        "rb",
        "sc",
        "ax",
        "sd",
    ]
    assert kinds(every_line([], ["new"])) == ["anew"]
    assert kinds(every_line(["old"], [])) == ["rold"]
    assert kinds(every_line(["same"], ["same"])) == ["ssame"]
    # Lines that look like a diff's own header lines are text like any other.
    assert kinds(every_line(["--- a", "@@"], ["+++ b", "@@"])) == ["r--- a", "a+++ b", "s@@"]


def test_an_http_response_is_compared_head_then_body():
    recorded = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nHello, Ada\n"
    output = "HTTP/1.1 200 OK\nContent-Type: text/html\n\nGoodbye, Ada\n"
    head, body = compare_output(recorded, output)
    assert head["title"] == "Status line and headers"
    assert kinds(head["lines"]) == [
        "sHTTP/1.1 200 OK",
        "rContent-Type: text/plain",
        "aContent-Type: text/html",
    ]
    assert (head["removed"], head["added"]) == (1, 1)
    assert body["title"] == "Body"
    assert kinds(body["lines"]) == ["rHello, Ada", "aGoodbye, Ada"]


def test_other_output_is_compared_whole():
    (part,) = compare_output("one\ntwo\n", "one\ntwo\nthree")
    assert part["title"] == "Output"
    assert kinds(part["lines"]) == ["sone", "stwo", "athree"]
    (part,) = compare_output("HTTP/1.1 200 OK\n\nbody\n", "not HTTP\n")
    assert part["title"] == "Output"
    (same,) = compare_output("a\n", "a")  # the final newline is not a line of its own
    assert same["lines"] == [] and (same["removed"], same["added"]) == (0, 0)


def test_output_too_long_to_compare_says_so():
    (part,) = compare_output("x\n" * (MAX_COMPARED_LINES + 1), "y\n")
    assert part == {"title": "Output", "too_long": True}


def test_the_admins_unified_diff_is_unchanged():
    assert diff_lines("a\n", "a\n", "old", "new") == []
    assert diff_lines("a\nb\n", "a\nc\n", "old", "new") == [
        {"text": "--- old", "kind": "diff-removed"},
        {"text": "+++ new", "kind": "diff-added"},
        {"text": "@@ -1,2 +1,2 @@", "kind": "diff-hunk"},
        {"text": " a", "kind": ""},
        {"text": "-b", "kind": "diff-removed"},
        {"text": "+c", "kind": "diff-added"},
    ]
