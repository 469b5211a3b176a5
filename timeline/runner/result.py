"""What a run produced, in the shape the page, the commands and the JSON answer share.

The harness's message is untrusted input: the user's code ran in the process that wrote the
report inside it. Its shape and types are checked here; a report that fails the check is the
program interfering with the runner. The outcome never comes from the report: the worker's exit
status (seen by the harness's supervisor, which user code cannot reach), the host's clock and
output caps, and the whole-run memory limit decide it.
"""

import base64
import binascii
import enum
import json
import signal
from dataclasses import asdict, dataclass, field
from http import HTTPStatus

MiB = 1024 * 1024


class Outcome(enum.StrEnum):
    OK = "ok"
    EXIT = "exit"  # ended with a non-zero status (an exception, sys.exit(n), a failed request)
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT = "output"
    SIGNAL = "signal"
    RESPONSE = "response"  # a CGI script's output is not an HTTP response
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
    status: str = ""
    headers: list = field(default_factory=list)
    body: str = ""
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


def as_text(value):
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def decode(data):
    """Text as the learner should see it: UTF-8, with any other byte shown as an escape."""
    return data.decode("utf-8", "backslashreplace")


def status_line(status):
    status = str(status).strip()
    if status.isdigit():
        try:
            return f"{status} {HTTPStatus(int(status)).phrase}"
        except ValueError:
            return status
    return status


def raw_response(status, headers, body):
    """The response as the client would receive it, with \n line ends for reading."""
    lines = [f"HTTP/1.1 {status_line(status)}"]
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
    signal.SIGXCPU: "its CPU-time limit (SIGXCPU)",
    signal.SIGXFSZ: "its file-size limit (SIGXFSZ)",
}


def signal_message(number):
    try:
        name = SIGNALS.get(signal.Signals(number), signal.Signals(number).name)
    except ValueError:
        name = f"signal {number}"
    return f"The process crashed: it was stopped by {name}."


# -- the harness's message, checked ---------------------------------------------------------------


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


COMMON = {"error": is_optional_text, "kind": is_kind}
RESPONSE = {"status": is_text, "headers": is_headers, "body_b64": is_base64}
# The fields each runtime's report may carry, and those it must (the harness always sends them).
FIELDS = {
    "python": (COMMON, {}),
    "cgi": ({**COMMON, "environ": is_text_map}, {}),
    "wsgi": ({**COMMON, **RESPONSE, "truncated": is_flag, "environ": is_text_map}, RESPONSE),
    "asgi": (
        {**COMMON, **RESPONSE, "truncated": is_flag, "scope": is_plain, "events": is_events},
        RESPONSE,
    ),
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


# -- the result -----------------------------------------------------------------------------------


def build_result(runtime, raw, config):
    """Combine the streams and the harness's message into a RunResult."""
    result = RunResult(
        runtime=runtime,
        ok=False,
        duration_ms=raw.duration_ms,
        peak_memory_bytes=raw.peak_memory_bytes,
        memory_limit_bytes=config.memory_bytes,
    )
    message = read_message(raw.report)
    report, problem = {}, ""
    if message is not None:
        result.exit_status = message.exit_status
        if message.report is None:
            problem = "its report is larger than the harness ever writes"
        elif message.report:
            try:
                report = parse_report(runtime, message.report)
            except Interference as exc:
                problem = str(exc)
    response_problem = show_output(result, runtime, raw, report)
    result.outcome, result.error = decide(runtime, raw, config, message, report, problem)
    result.truncated = raw.overflowed
    if result.outcome == Outcome.OK and response_problem:
        result.outcome, result.error = Outcome.RESPONSE, response_problem
    if result.outcome == Outcome.OK and report.get("truncated"):
        result.truncated = True
        result.outcome = Outcome.OUTPUT
        kb = config.output_bytes // 1024
        result.error = f"Stopped: output limit ({kb} KB): the body was cut there."
    result.ok = result.outcome == Outcome.OK
    return result


def decide(runtime, raw, config, message, report, problem):
    """(outcome, message): from what the host and the supervisor saw, never from the report."""
    if raw.timed_out:
        return Outcome.TIMEOUT, (
            f"Stopped: time limit ({config.timeout:g} s): the run took too long (an endless loop?)."
        )
    if raw.memory_exceeded:
        return Outcome.MEMORY, memory_message(raw, config)
    if raw.overflowed:
        kb = config.output_bytes // 1024
        return Outcome.OUTPUT, f"Stopped: output limit ({kb} KB): the output was cut there."
    if message is None:
        return Outcome.SANDBOX, (
            f"The sandbox ended before the runner could report (exit status {raw.returncode})."
        )
    if problem:
        return Outcome.INTERFERENCE, f"The program interfered with the runner: {problem}."
    status = message.exit_status
    if status < 0:
        return Outcome.SIGNAL, signal_message(-status)
    text = (report.get("error") or "").rstrip()
    if status > 0:
        if report.get("kind") == "memory":
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
    result.status = status_line(status)
    result.headers = [list(h) for h in headers]
    result.body = decode(body)
    result.output = raw_response(status, headers, result.body)
    return problem
