"""A run's result made from a sample's recorded output, as the Run button's JSON answer carries it.

The slide audit shows it in a slide's run panel to measure the panel without running the
sandbox: the recorded output is what a run of the sample prints, so the panel holds what the
room would see after Run.
"""

from django.template.loader import render_to_string

from .runner.result import Outcome, RunResult
from .runner.runtimes import HTTP

RESULT_TEMPLATE = "includes/run_result.html"
# A typical run's figures, for the line above the result.
DURATION_MS = 42.0
PEAK_MEMORY = 24 * 1024 * 1024


def split_response(raw):
    """(status, headers, body) of a recorded HTTP response ("HTTP/1.1 200 OK", headers, a blank
    line, the body); None when the text is not one."""
    head, sep, body = raw.partition("\n\n")
    lines = head.splitlines()
    if not sep or not lines or not lines[0].startswith("HTTP/"):
        return None
    status = lines[0].partition(" ")[2].strip()
    pairs = (line.partition(":") for line in lines[1:])
    headers = [[name.strip(), value.strip()] for name, _, value in pairs]
    return status, headers, body


def recorded_result(sample):
    """The JSON answer of a run of `sample` that printed its recorded output."""
    output = sample.expected_output
    result = RunResult(
        runtime=sample.runtime,
        ok=True,
        output=output,
        duration_ms=DURATION_MS,
        outcome=Outcome.OK,
        peak_memory_bytes=PEAK_MEMORY,
    )
    response = split_response(output) if sample.runtime in HTTP else None
    if response:
        result.status, result.headers, result.body = response
    data = result.to_dict()
    data["ran"] = True
    data["html"] = render_to_string(RESULT_TEMPLATE, {"result": result})
    return data


def run_results(slides):
    """{sample id: its recorded result} for every runnable sample on `slides` (deck items)."""
    return {
        str(sample.pk): recorded_result(sample)
        for item in slides
        for sample in getattr(item, "samples", None) or ()
        if sample.runnable
    }
