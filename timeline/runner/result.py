"""What a run produced, in the shape the page, the commands and the JSON answer share."""

import base64
import signal
from dataclasses import asdict, dataclass, field
from http import HTTPStatus

HTTP_RUNTIMES = {"cgi", "wsgi", "asgi"}


@dataclass
class RunResult:
    runtime: str
    ok: bool
    output: str = ""
    error: str = ""
    duration_ms: float = 0.0
    cached: bool = False
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
        return data

    @classmethod
    def from_dict(cls, data):
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


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


def crash_message(returncode):
    """bwrap reports a signal death as 128 + the signal's number."""
    if returncode is not None and (returncode > 128 or returncode < 0):
        number = returncode - 128 if returncode > 128 else -returncode
        try:
            sig = signal.Signals(number)
        except ValueError:
            pass
        else:
            return f"The process crashed: it was stopped by {SIGNALS.get(sig, sig.name)}."
    return (
        f"The run ended before it could report (exit status {returncode}): "
        "did the code call os._exit() or close its own output?"
    )


def build_result(runtime, raw, config):
    """Combine the streams and the harness's report into a RunResult."""
    report = raw.report or {}
    result = RunResult(runtime=runtime, ok=False, duration_ms=raw.duration_ms)
    errors = []
    if raw.timed_out:
        errors.append(
            f"Stopped after {config.timeout:g} s: the run took too long (an endless loop?)."
        )
    elif raw.overflowed:
        kb = config.output_bytes // 1024
        errors.append(f"Stopped: the output passed {kb} KB, so it was cut there.")
        result.truncated = True
    elif raw.report is None:
        errors.append(crash_message(raw.returncode))
    if report.get("error"):
        errors.append(report["error"].rstrip())

    if runtime == "python":
        result.output = decode(raw.stderr)
    else:
        result.log = decode(raw.stderr)
        result.environ = report.get("environ") or report.get("scope") or {}
        result.events = report.get("events") or []
        if runtime == "cgi":
            result.environ = report.get("environ") or {}
            status, headers, body, problem = parse_cgi_output(raw.stdout)
            if problem and not errors:
                errors.append(problem)
            if status is None:
                status, headers = "500 Internal Server Error", [("Content-Type", "text/plain")]
                body = f"500 Internal Server Error\n\n{problem or 'The script failed.'}\n".encode()
        elif "status" in report:
            status, headers = report["status"], [tuple(h) for h in report["headers"]]
            body = base64.b64decode(report.get("body_b64", ""))
        else:
            status, headers, body = None, [], b""
        if status is not None:
            result.status = status_line(status)
            result.headers = [list(h) for h in headers]
            result.body = decode(body)
            result.output = raw_response(status, headers, result.body)
        if report.get("truncated"):
            result.truncated = True
            errors.append(f"The body was cut at {config.output_bytes // 1024} KB.")
    result.error = "\n".join(errors)
    result.ok = not errors
    return result
