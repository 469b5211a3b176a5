"""What a run produced, in the shape the page, the commands and the JSON answer share.

The outcome never comes from the harness's report (untrusted: report.py checks its shape): the
worker's exit status (seen by the harness's supervisor, which user code cannot reach), the host's
clock and output caps, and the whole-run memory limit decide it.

One output cap holds everything a run sends: stdout and stderr (cut by the host as it reads
them), and the status, headers, body, error text and event trace in the report (cut by the
harness, counted again here). A run over it is the OUTPUT outcome, whichever channel it used.
"""

import base64
import enum
import json
import signal
from dataclasses import asdict, dataclass, field
from http import HTTPStatus

from .report import Interference, parse_report, read_message, sent_bytes, within_cap
from .response_rules import ASCII_CODE, response_problem, visible

MiB = 1024 * 1024


class Outcome(enum.StrEnum):
    OK = "ok"
    EXIT = "exit"  # ended with a non-zero status (an exception, sys.exit(n), a failed request)
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT = "output"
    SIGNAL = "signal"
    RESPONSE = "response"  # not a response a server would send (response_problem says why)
    SANDBOX = "sandbox"  # the sandbox or the harness failed, not the code
    INTERFERENCE = "interference"  # the code tampered with the runner's report
    NOT_STARTED = "not-started"  # refused before running: busy, bad input, not runnable


# Outcomes the code alone decides; a timeout or a broken sandbox may be the machine's load.
REPEATABLE = {
    Outcome.OK,
    Outcome.EXIT,
    Outcome.MEMORY,
    Outcome.OUTPUT,
    Outcome.SIGNAL,
    Outcome.RESPONSE,
    Outcome.INTERFERENCE,
}


@dataclass
class RunResult:
    runtime: str
    ok: bool
    output: str = ""
    error: str = ""
    duration_ms: float = 0.0
    cached: bool = False
    outcome: str = Outcome.NOT_STARTED
    exit_status: int | None = None  # the worker's exit status (negative: the signal's number)
    peak_memory_bytes: int | None = None
    memory_limit_bytes: int | None = None
    # HTTP runtimes: the response split into its parts, and what the app logged.
    status: str = ""  # with the standard reason phrase filled in, for the page
    headers: list = field(default_factory=list)
    body: str = ""
    # What the app itself sent, for the exercise checks: the status as written (an ASGI app
    # sends only the code) and the body's length in bytes (`body` is decoded text).
    raw_status: str = ""
    body_length: int | None = None
    log: str = ""
    # Second views: the CGI/WSGI environ, the ASGI scope and event trace.
    environ: dict = field(default_factory=dict)
    events: list = field(default_factory=list)
    truncated: bool = False

    def to_dict(self):
        data = asdict(self)
        data["duration_ms"] = round(self.duration_ms, 1)
        data["outcome"] = str(self.outcome)
        return data

    @classmethod
    def from_dict(cls, data):
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @classmethod
    def refused(cls, runtime, message):
        """A run that never started: busy, a bad request, no sandbox."""
        return cls(runtime=runtime, ok=False, error=message, outcome=Outcome.NOT_STARTED)

    # What the one template (templates/includes/run_result.html) shows.

    @property
    def summary(self):
        """The line above the result: whether it ran, how long it took, how much memory."""
        if self.outcome == Outcome.NOT_STARTED:
            return "Did not run."
        text = "Ran" if self.ok else "Did not finish cleanly"
        text += f" in {self.duration_ms:.0f} ms"
        if self.cached:
            text += " (cached)"
        if self.peak_memory_bytes:
            text += f", peak memory {self.peak_memory_bytes / MiB:.0f} MiB"
        return text + "."

    @property
    def error_message(self):
        """The error, said once: a traceback the output already shows is named by its last line."""
        message = self.error.strip()
        if message and self.output and message in self.output:
            return message.splitlines()[-1] + " (the traceback is in the output below)"
        return self.error

    def environ_items(self):
        """The environ or scope as text: strings as they are, anything else as JSON."""
        return [(key, as_text(value)) for key, value in self.environ.items()]

    def event_items(self):
        return [(f"{e['direction']} · {e['scope']}", as_text(e["message"])) for e in self.events]

    @property
    def repeatable(self):
        """Whether running the same code again gives the same outcome (cache it, record it)."""
        return self.outcome in REPEATABLE


# -- what the program printed or answered, as the learner reads it --------------------------------


def as_text(value):
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def decode(data):
    """Text as the learner should see it: UTF-8, with any other byte shown as an escape."""
    return data.decode("utf-8", "backslashreplace")


def status_line(status):
    status = str(status).strip()
    if ASCII_CODE.fullmatch(status):
        try:
            return f"{status} {HTTPStatus(int(status)).phrase}"
        except ValueError:
            return status
    return status


def raw_response(status, headers, body, protocol="HTTP/1.1"):
    """The response as the client would receive it, with \n line ends for reading."""
    lines = [f"{protocol} {status_line(status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return "\n".join(lines) + "\n\n" + body


def parse_cgi_output(data):
    """Turn a CGI script's stdout into (status, headers, body, problem) as a server would."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or b"\n\n" in head:
        head, sep, body = data.partition(b"\n\n")
    if not sep:
        if not data:
            return None, [], b"", "The script printed nothing: a CGI script must print headers."
        return None, [], b"", "The script printed no blank line after its headers."
    headers = []
    status = None
    for line in decode(head).replace("\r\n", "\n").split("\n"):
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            return None, [], b"", f"Malformed header line from the script: {line[:80]!r}"
        value = value.strip()
        if name.lower() == "status":
            status = value
        else:
            headers.append((name, value))
    names = {name.lower() for name, _ in headers}
    if status is None:
        # RFC 3875 6.2.3: a Location without Status is a redirect.
        status = "302 Found" if "location" in names else "200 OK"
    if "content-type" not in names and "location" not in names and body:
        return None, [], b"", "The script sent a body without a Content-Type header."
    return status, headers, body, ""


SIGNALS = {
    signal.SIGSEGV: "a segmentation fault (SIGSEGV)",
    signal.SIGABRT: "an abort (SIGABRT)",
    signal.SIGBUS: "a bus error (SIGBUS)",
    signal.SIGFPE: "a floating-point exception (SIGFPE)",
    signal.SIGILL: "an illegal instruction (SIGILL)",
    signal.SIGKILL: "SIGKILL",
    # No SIGXCPU here: the CPU-time limit's hard value is its soft one, so the kernel ends a run
    # that reaches it by SIGKILL; a SIGXCPU can only come from the program, which is not told
    # it reached a limit.
    signal.SIGXFSZ: "its file-size limit (SIGXFSZ)",
}


def signal_message(number):
    try:
        name = SIGNALS.get(signal.Signals(number), signal.Signals(number).name)
    except ValueError:
        name = f"signal {number}"
    return f"The process crashed: it was stopped by {name}."


# -- the outcome, decided, and the output filled in -----------------------------------------------


def started_result(runtime, raw, config):
    """A run's result before its outcome is decided: what the host measured of it."""
    return RunResult(
        runtime=runtime,
        ok=False,
        duration_ms=raw.duration_ms,
        peak_memory_bytes=raw.peak_memory_bytes,
        memory_limit_bytes=config.memory_bytes,
    )


def build_result(runtime, raw, config):
    """Combine the streams and the harness's message into a RunResult."""
    result = started_result(runtime, raw, config)
    message = read_message(raw.report)
    report, problem, unread = {}, "", False
    if message is not None:
        result.exit_status = message.exit_status
        if not within_cap(message, config.output_bytes):
            unread = True  # more than the harness writes at this cap: not parsed
        elif message.report:
            try:
                report = parse_report(runtime, message.report)
            except Interference as exc:
                problem = str(exc)
            if sent_bytes(report) > config.output_bytes:
                report, unread = {}, True  # not cut by the harness: none of it is shown
    response_problem = show_output(result, runtime, raw, report)
    result.outcome, result.error = decide(runtime, raw, config, message, report, problem, unread)
    if result.outcome == Outcome.OK and response_problem:
        result.outcome, result.error = Outcome.RESPONSE, response_problem
    result.truncated = result.outcome == Outcome.OUTPUT
    result.ok = result.outcome == Outcome.OK
    return result


def decide(runtime, raw, config, message, report, problem, unread=False):
    """(outcome, message): from what the host and the supervisor saw, never from the report.
    `unread`: the report was over the output cap (report.within_cap, report.sent_bytes)."""
    if raw.timed_out:
        return Outcome.TIMEOUT, (
            f"Stopped: time limit ({config.timeout:g} s): the run took too long (an endless loop?)."
        )
    if raw.memory_exceeded:
        return Outcome.MEMORY, memory_message(raw, config)
    kb = config.output_bytes // 1024
    if raw.overflowed:
        return Outcome.OUTPUT, f"Stopped: output limit ({kb} KB): the output was cut there."
    if message is None:
        return Outcome.SANDBOX, (
            f"The sandbox ended before the runner could report (exit status {raw.returncode})."
        )
    if unread:
        return Outcome.OUTPUT, (
            f"Stopped: output limit ({kb} KB): "
            "the program sent more than that; none of it is shown."
        )
    if problem:
        return Outcome.INTERFERENCE, f"The program interfered with the runner: {problem}."
    status = message.exit_status
    if status < 0:
        return Outcome.SIGNAL, signal_message(-status)
    if report.get("truncated"):
        # The harness cut what the program sent at the cap (a claim a program can only make
        # against itself: it stops its own run).
        return Outcome.OUTPUT, f"Stopped: output limit ({kb} KB): the output was cut there."
    text = (report.get("error") or "").rstrip()
    if status > 0:
        if report.get("kind") == "memory" and raw.memory_limit_reached:
            # A MemoryError is the run's limit only where the cgroup's own counters say the
            # limit was reached: the report alone is the program's word (an atexit handler can
            # rewrite it), and a MemoryError it raised itself is an exception like any other.
            return Outcome.MEMORY, memory_message(raw, config) + ("\n" + text if text else "")
        return Outcome.EXIT, text or f"The script exited with status {status}."
    if runtime in ("wsgi", "asgi") and not report:
        return Outcome.INTERFERENCE, (
            "The program interfered with the runner: it ended the process before the "
            "application answered (did it call os._exit()?)."
        )
    if text:  # the harness ends a failed request with status 1; something overrode it
        return Outcome.EXIT, text
    return Outcome.OK, ""


def memory_message(raw, config):
    text = f"Stopped: memory limit ({config.memory_bytes // MiB} MiB)."
    if raw.peak_memory_bytes:
        text += f" Peak: {raw.peak_memory_bytes / MiB:.0f} MiB."
    return text


def show_output(result, runtime, raw, report):
    """Fill in what the program printed or answered; returns a CGI response's problem, if any."""
    if runtime == "python":
        result.output = decode(raw.stderr)
        return ""
    result.log = decode(raw.stderr)
    result.environ = report.get("environ") or report.get("scope") or {}
    result.events = report.get("events") or []
    problem = ""
    if runtime == "cgi":
        status, headers, body, problem = parse_cgi_output(raw.stdout)
        if status is None:
            status, headers = "500 Internal Server Error", [("Content-Type", "text/plain")]
            body = f"500 Internal Server Error\n\n{problem or 'The script failed.'}\n".encode()
    elif "status" in report:
        status, headers = report["status"], report["headers"]
        body = base64.b64decode(report["body_b64"])
    else:
        return ""
    if not problem:
        problem = response_problem(runtime, status, headers)
        if problem:
            who = "script" if runtime == "cgi" else "application"
            problem = f"The {who} sent an invalid response: {problem}."
    # As sent, with any control character escaped: what the learner reads, never a forged line.
    status, headers = visible(status), [[visible(n), visible(v)] for n, v in headers]
    result.status = status_line(status)
    result.raw_status = str(status)
    result.body_length = len(body)
    result.headers = headers
    result.body = decode(body)
    result.output = raw_response(status, headers, result.body)
    return problem
