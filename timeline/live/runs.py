"""A run's result as followers and the remote see it: what the projector showed, re-rendered here.

The projector (which holds the control key) reports the result it got; only the fields the
result template shows are kept, each checked and cut to a size a state event can carry, and the
HTML is rendered here by the one template (Django escapes it). Whatever markup or HTML the report
holds is text to this module, never passed on as HTML.
"""

from django.template.loader import render_to_string

from ..runner.result import Outcome, RunResult
from . import sessions
from .sessions import OutOfRange

RESULT_TEMPLATE = "includes/run_result.html"
MAX_TEXT = 4000  # characters per field: a phone shows a screenful, the projector has the rest
MAX_HTML = 48_000  # the stored HTML; escaping can make text six times longer
MAX_HEADERS = 20
CUT = "\n… (cut for the live view)"
TABS = ("Response", "Raw", "Output", "environ", "Scope", "ASGI events", "Log")
TEXT_FIELDS = ("runtime", "output", "error", "status", "body", "log")


def cut(text, limit=MAX_TEXT):
    return text if len(text) <= limit else text[:limit] + CUT


def text_of(report, name, limit):
    value = report.get(name, "")
    if not isinstance(value, str):
        raise OutOfRange(f"“{name}” must be text.")
    return cut(value, limit)


def headers_of(report, limit):
    pairs = report.get("headers") or []
    if not isinstance(pairs, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        for pair in pairs
    ):
        raise OutOfRange("“headers” must be a list of [name, value] text pairs.")
    kept = pairs[:MAX_HEADERS]
    return [[cut(name, limit // 20), cut(value, limit // 10)] for name, value in kept]


def result_of(report, limit=MAX_TEXT):
    """A RunResult from the projector's report, checked field by field; raises OutOfRange."""
    if not isinstance(report, dict) or type(report.get("ok")) is not bool:
        raise OutOfRange("“result” must be a run's result, with “ok” true or false.")
    outcome = report.get("outcome", Outcome.OK if report["ok"] else Outcome.EXIT)
    if outcome not in set(Outcome):
        raise OutOfRange("“outcome” is not a run's outcome.")
    duration = report.get("duration_ms", 0)
    if type(duration) not in (int, float) or not 0 <= duration < 10**7:
        raise OutOfRange("“duration_ms” must be a number of milliseconds.")
    fields = {name: text_of(report, name, limit) for name in TEXT_FIELDS}
    return RunResult(
        ok=report["ok"],
        outcome=Outcome(outcome),
        duration_ms=float(duration),
        cached=report.get("cached") is True,
        headers=headers_of(report, limit),
        **fields,
    )


def shown_run(slide, sample, report):
    """The run as the session stores it: where it ran, its HTML (rendered here) and its tab."""
    limit = MAX_TEXT
    while True:
        result = result_of(report, limit)
        html = render_to_string(RESULT_TEMPLATE, {"result": result, "compare": None})
        if len(html) <= MAX_HTML or limit < 100:
            break
        limit //= 2  # text that escaping made long (markup): cut shorter
    return {"slide": slide, "sample": sample, "ok": result.ok, "html": html, "tab": ""}


def checked_tab(tab):
    if tab not in TABS:
        raise OutOfRange(f"“tab” must be one of {', '.join(TABS)}.")
    return tab


def record(session, sample, report):
    """Store the run the projector shows on the current slide and tell every follower."""
    if type(sample) is not int or sample not in session.layout[session.slide - 1]["samples"]:
        raise OutOfRange("That sample is not on the current slide.")
    shown = shown_run(session.slide, sample, report)
    return sessions.replace_run(session, shown["slide"], lambda _last: shown)


def choose_tab(session, tab):
    """The tab the speaker chose in the run's result: followers show the same."""
    tab = checked_tab(tab)

    def with_tab(last):
        if not last:
            raise OutOfRange("No run is shown on the projector.")
        return {**last, "tab": tab}

    return sessions.replace_run(session, session.slide, with_tab)
