"""Runs one sample inside the sandbox and reports what happened; or, for an exercise's checks, a
batch of requests against one instance of the app (run_*_batch, below).

This file is executed by the sandbox's interpreter, never imported by Django: standard library only.

Two processes, so that the report the host gets cannot be forged by the code it describes:
- the supervisor (this process) holds the host's report channel, forks the worker, waits for it
  and writes one message: the worker's real exit status (from waitpid) and the worker's report;
- the worker closes the host's channel before anything of the user's is loaded, drops root,
  runs the user's code and drives it as the runtime says (a script, a CGI program, a WSGI or an
  ASGI application), then writes its report (the response, the traceback) into shared memory that
  the supervisor reads after the worker has exited, and ends the way `python file.py` ends:
  non-daemon threads joined, atexit handlers and finalizers run, CPython's own exit status.
User code can write into that memory, so the host treats the report as the program's own output,
validates its shape, and never takes the run's outcome from it: the exit status, signals,
timeouts, output and memory limits come from the supervisor and the host.

One output cap (the spec's `output_bytes`) holds everything the report carries from the program:
the status line, the headers, the body, the error text and the ASGI event trace share one byte
budget (Budget, below), and what does not fit is cut. The host counts the same bytes again
(report.sent_bytes) and reads no report larger than `report_cap` allows.

A script (the python runtime) is run by CPython itself, as `python sample.py` runs it: this file
is then imported as `sitecustomize` (start_script, below), sets everything up, forks, and in the
worker returns, so that CPython runs /tmp/sample.py as __main__ with nothing of ours on the
stack: traceback.print_stack(), faulthandler.dump_traceback(), sys._getframe() walks,
inspect.stack() and warnings' stacklevel see the program's frames only, and exit statuses,
KeyboardInterrupt and the excepthook are CPython's own. A CGI script answering one request runs
the same way, as a real server starts it. An application (WSGI, ASGI) and a batch are driven by
this file run as the main script: below an application's frames are those of the server that
calls it (this file), as under any real server.

Invoked as: python -s -P -B -u harness.py SPEC_PATH RESULT_FD (the spec is marshal data), or, for
a script, as python -u sample.py with PYTHONPATH=/runner (where this file is
sitecustomize.py) and RUNNER_SPEC, RUNNER_RESULT_FD in the environment; all three are removed
before the program starts. A spare (the host's spares.py) is also given GO_FD (a last argument
after which come the modules to import, or RUNNER_GO_FD): it imports them, then waits there for
its run before it reads the spec (wait_for_run).
"""

# ruff: noqa: E402
# (The snapshot of sys.modules, PRELOADED, has to come before the harness's own imports.)
import sys

# What the interpreter had loaded before this file: a script's worker forgets every module the
# harness added (forget_harness), so sys.modules is as `python sample.py` has it.
PRELOADED = frozenset(sys.modules)

# Imports are few and cheap on purpose: every run pays for them. No `re` (json, base64,
# urllib.parse and traceback all pull it in): the spec arrives as marshal data written by the
# host, the report is encoded below, and traceback is imported only when something failed.
import binascii
import io
import marshal
import mmap
import os
import resource
import types
from _json import encode_basestring_ascii

# The user's code is written here (the sandbox's /tmp, its working directory) so that Python
# finds the source the way it does for `python sample.py`: tracebacks in every thread show
# their lines, and inspect.getsource works.
SCRIPT_DIR = "/tmp"
FILENAME = "sample.py"
# The name CPython gives a script it runs itself (`python sample.py` makes it absolute).
SCRIPT_PATH = f"{SCRIPT_DIR}/{FILENAME}"
# Apps, not scripts, are imported under this name, so `if __name__ == "__main__": app.run()`
# does not start a server inside the sandbox.
APP_MODULE = "sample"
MAX_REPR = 300
PR_SET_DUMPABLE = 4
# The report's frame in the shared memory: its length in ASCII digits and a newline, then it.
HEADER = 16
WORKER = {"pid": 0}
START = {"clock": 0.0}  # when the harness began: a batch's requests share the time after it
# What the report carries besides the program's bytes: field names, the environ or scope (made
# from the request, which the host caps), the harness's own notes.
REPORT_OVERHEAD = 1024 * 1024


def report_cap(output_bytes):
    """The largest report the harness writes at this output cap: the program's bytes (at most
    `output_bytes`, counted as sent) grow at most sixfold as JSON (a control character is
    \\u0001), and the overhead. The supervisor sends no report beyond it; the host reads none."""
    return 8 * output_bytes + REPORT_OVERHEAD


def message_cap(output_bytes):
    """The largest message the supervisor sends: the report as base64, and its frame."""
    return 4 * ((report_cap(output_bytes) + 2) // 3) + 1024


class SampleError(Exception):
    """A problem with the user's code that deserves a short message rather than a traceback."""


def main():
    spare = wait_for_run(int(sys.argv[3]), sys.argv[4:]) if len(sys.argv) > 3 else None
    spec, channel = start(sys.argv[1], int(sys.argv[2]), spare)
    # As for `python sample.py`: the script's directory first on sys.path (Python's traceback
    # printer also looks there for a relative file name once the code has changed directory).
    sys.path.insert(0, SCRIPT_DIR)
    worker(spec, channel)  # ends in SystemExit; CPython finishes the process


def start_script():
    """A script (the python runtime, or a CGI script answering one request), imported as
    `sitecustomize` before CPython runs /tmp/sample.py: what
    let it find us is removed, then the supervisor stays here and the worker returns to CPython,
    which runs the script. The report is written at exit, after the program's own atexit
    handlers (ours is registered first, so it runs last)."""
    import atexit

    spec_path = os.environ.pop("RUNNER_SPEC")
    result_fd = int(os.environ.pop("RUNNER_RESULT_FD"))
    go_fd = os.environ.pop("RUNNER_GO_FD", None)
    runner_dir = os.environ.pop("PYTHONPATH")
    sys.path.remove(runner_dir)
    sys.path_importer_cache.pop(runner_dir, None)
    # bwrap's --chdir sets it; `python sample.py` started without a shell has none.
    os.environ.pop("PWD", None)
    spare = wait_for_run(int(go_fd), ()) if go_fd else None
    spec, channel = start(spec_path, result_fd, spare)
    extra = {}
    if spec["runtime"] == "cgi":
        extra["environ"] = cgi_request(spec)  # its stdout is the response
    else:
        os.dup2(2, 1)  # one stream, in order, as a terminal would show it
    atexit.register(report_script, spec, channel, extra)
    # These two run just before it (atexit calls the last registered first), after all of the
    # program's own: a tracer or profiler the program set sees none of the harness's calls.
    atexit.register(sys.settrace, None)
    atexit.register(sys.setprofile, None)


def forget_harness():
    """In the worker, before CPython runs the script: sys.modules as `python sample.py` has it.
    The modules this file imported are dropped (a program that imports one gets it anew), and
    this file leaves as a missing sitecustomize does: site ignores an ImportError of that name,
    and the import system removes the module. Its functions live on in the atexit handler."""
    for name in set(sys.modules) - PRELOADED:
        del sys.modules[name]
    raise ImportError("the harness is not the program's", name="sitecustomize")


def report_script(spec, channel, extra):
    """The script's report: the traceback CPython printed for an uncaught exception (it keeps
    it in sys.last_value, whichever excepthook printed it), or nothing; and `extra`."""
    try:
        write_report(dict(script_failure(spec), **extra), channel)
    except BaseException:  # noqa: BLE001 - the program broke what the report needs
        # (sys.modules cleared, traceback or builtins patched): CPython printed its traceback,
        # the exit status tells the host, and nothing of ours may show ("Exception ignored in
        # atexit callback" with this file's frames).
        pass


def script_failure(spec):
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    # An uncaught KeyboardInterrupt ends the run by SIGINT, which the host reports: its text is
    # not needed, and formatting it would undo that ending (importing traceback evaluates a
    # string, and CPython forgets the interrupt once any string is evaluated).
    if type(exc) is KeyboardInterrupt or isinstance(exc, SystemExit):
        return {"error": None}
    if not isinstance(exc, BaseException):
        return {"error": None}
    budget = output_budget(spec)
    report, _ = unheard(failure, exc, budget)
    report["truncated"] = budget.over
    return report


def unheard(function, *args):
    """function(*args) with the streams on a pipe nobody reads: an audit hook the program added
    is called for the imports that format a traceback (traceback, linecache, re, ...), and what
    it prints then must not show. With a stream closed by the program, as it is (a new
    descriptor would take the closed one's number)."""
    try:
        os.fstat(1)
        os.fstat(2)
    except OSError:
        return function(*args)
    saved = os.dup(1), os.dup(2)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # a full pipe fails the hook's write, never blocks
    try:
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        return function(*args)
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, read_end, write_end):
            os.close(fd)


def wait_for_run(go_fd, warm):
    """A spare (the host's spares.py): import what its runtime's programs import, say so, and
    wait for the run: the host writes its spec, then sends one byte. Without it (the spare
    discarded) end quietly. Returns the CPU seconds spent so far, before the run's own."""
    os.set_inheritable(go_fd, False)
    for name in warm:
        try:
            __import__(name)
        except ImportError:  # not installed here: a program importing it fails as it would
            pass
    os.write(go_fd, b"r")
    go = os.read(go_fd, 1)
    os.close(go_fd)
    if go != b"g":
        os._exit(0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start(spec_path, result_fd, spare_cpu=None):
    """Everything before the user's code: limits, the report's memory, the fork. Returns in
    the worker only, with the source written and root dropped; the supervisor never returns.
    `spare_cpu`: a spare's CPU seconds before its run, on top of which the run's count."""
    import time

    START["clock"] = time.monotonic()
    with open(spec_path, "rb") as f:
        spec = marshal.load(f)
    os.set_inheritable(result_fd, False)  # nothing the worker execs may inherit it either
    # The worker's report: shared memory (an anonymous shared mapping, made before the fork so
    # both processes have it), read by the supervisor only after the worker exited, so a large
    # report never blocks and a process the user left behind cannot hold the run open. It is no
    # file descriptor: a program that closes every descriptor (os.closerange(3, 65536), as
    # daemons do) still has its report sent, and `os.write(3, …)` fails as under plain Python.
    # Pages never written cost nothing.
    channel = mmap.mmap(-1, HEADER + report_cap(spec["limits"]["output_bytes"]))
    channel[:HEADER] = frame(b"")
    limits = spec["limits"]
    if spare_cpu is not None:
        limits = dict(limits, cpu_seconds=limits["cpu_seconds"] + int(spare_cpu) + 1)
    apply_limits(limits)
    uid = worker_uid(spec)
    if uid == os.getuid():
        hide_from_same_uid()
    pid = os.fork()
    if pid == 0:
        os.close(result_fd)  # the worker has no way to the host but its report and streams
        if spare_cpu is not None:  # a fork's CPU count starts at 0: the run's allowance alone
            resource.setrlimit(resource.RLIMIT_CPU, (spec["limits"]["cpu_seconds"],) * 2)
        open_streams_to(uid)
        drop_privileges(uid)
        WORKER["pid"] = os.getpid()
        # Mapped until the process ends: what the program writes there after the report (an
        # atexit handler, a thread) is then a report the host refuses, not a crash.
        WORKER["channel"] = channel
        # No faulthandler: as under `python sample.py`, it is off unless the program turns it
        # on (a segfault is still told, by the signal the supervisor sees).
        write_source(spec["code"])
        return spec, channel
    supervise(pid, channel, result_fd, spec["limits"])


def supervise(pid, channel, result_fd, limits):
    """Wait for the worker, then tell the host how it ended and what it reported."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:  # pragma: no cover - cannot happen: the worker is our child
            status = 0xFF00
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
    exit_code = os.waitstatus_to_exitcode(status)  # negative: killed by that signal
    cap = report_cap(limits["output_bytes"])
    head = channel[:HEADER]
    digits = head[:-1].lstrip(b" ")
    if head.endswith(b"\n") and digits.isdigit():
        size = int(digits)
        data = channel[HEADER : HEADER + size] if size <= cap else b""
    else:
        # Not the frame the worker writes (the program wrote over it): passed on as it is, up
        # to its last non-zero byte, and the host finds it is not a report.
        data = channel[: HEADER + cap].rstrip(b"\0")[:cap]
        size = len(data)
    report = f'"{binascii.b2a_base64(data, newline=False).decode()}"' if size <= cap else "null"
    message = f'{{"exit":{exit_code},"report_b64":{report},"report_bytes":{size}}}'.encode()
    while message:
        message = message[os.write(result_fd, message) :]
    os._exit(0)


def frame(data):
    """The report as the shared memory holds it: its length, padded to HEADER bytes, then it."""
    return b"%*d\n" % (HEADER - 1, len(data)) + data


def worker_uid(spec):
    """The uid the user's code runs as: the run's own when the host runs us as root."""
    if os.getuid() != 0:
        return os.getuid()
    return spec.get("uid") or 65534


def hide_from_same_uid():
    """Without root there is one uid for both processes: make the supervisor non-dumpable, so
    the worker can neither ptrace it nor open its descriptors through /proc/<pid>/fd. The
    worker inherits the flag; a process may always read its own /proc/self."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def worker(spec, channel):
    runners = BATCH_RUNNERS if "batch" in spec else RUNNERS
    report, ending = runners[spec["runtime"]](spec)
    write_report(report, channel)
    if spec["runtime"] in ("wsgi", "asgi") and ending is None:
        server_exit()
    # A child the user's code forked falls through to here too: it ends the same way.
    if isinstance(ending, KeyboardInterrupt):
        # Raised at the top, CPython ends the process by SIGINT after its usual shutdown, as
        # for `python sample.py`; the traceback was shown already, through the program's hook.
        sys.excepthook = silent_hook
    if ending is not None:
        raise ending
    sys.exit(0)


def server_exit():
    """An app's server ends as a server's worker does once it has answered: its threads joined
    and atexit run (as at CPython's own exit, in that order), its streams flushed, and then out,
    without tearing a framework's modules down object by object: tens of milliseconds with
    FastAPI loaded, on every run's critical path, for nothing the program can see."""
    import atexit
    import threading

    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken by the program: nothing more to say
            pass
    os._exit(0)


def write_report(report, channel):
    """Into the report's memory, from the worker only (a child the program forked ends here
    too). It replaces anything the user's code wrote there before; what it writes after (a
    daemon thread) makes the report invalid, which the host sees."""
    if os.getpid() != WORKER["pid"]:
        return
    data = to_json(report).encode("ascii")
    # A report larger than the memory sends its length alone: the supervisor passes it on as
    # too large to read.
    written = frame(data) if HEADER + len(data) <= len(channel) else frame(data)[:HEADER]
    channel[: len(written)] = written


def silent_hook(kind, value, tb):
    """An exception hook that shows nothing."""


def apply_limits(limits):
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "processes": resource.RLIMIT_NPROC,
        "file_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
    }
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # No POSIX message queues: their bytes are counted per uid (within the server's, without a
    # user namespace of the run's own), and nothing in the standard library uses them.
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    for name, which in pairs.items():
        value = limits[name]
        resource.setrlimit(which, (value, value))
    # Every other limit (stack, locked memory, pending signals, ...) keeps its soft value as
    # its hard one too, so the program can raise none of them.
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            which = getattr(resource, name)
            soft, _ = resource.getrlimit(which)
            resource.setrlimit(which, (soft, soft))


def open_streams_to(uid):
    """The streams are the host's pipes, 0600 and the server's: `open('/dev/stdout', 'w')`
    reopens one by its inode, which its owner may do under plain Python. As root the run has a
    uid of its own, so the pipes are made openable by it (nothing outside the run can reach
    them: a pipe has no name but /proc/<pid>/fd of a process holding it)."""
    if os.getuid() != 0 or uid == 0:
        return
    for fd in (1, 2):
        try:
            os.fchmod(fd, 0o666)
        except OSError:  # closed, or not ours to change: left as it is
            pass


def drop_privileges(uid):
    """When the host runs as root there is no user namespace: become an unprivileged user, so
    the process limit applies (root is exempt from RLIMIT_NPROC) and no capability is left."""
    if os.getuid() != 0:
        return
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def write_source(source):
    fd = os.open(SCRIPT_PATH, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        data = source.encode("utf-8", "surrogatepass")
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def b64(data):
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def unquote(path):
    """Percent-decoding to bytes, as urllib.parse.unquote_to_bytes does."""
    parts = path.encode("latin-1").split(b"%")
    out = bytearray(parts[0])
    for part in parts[1:]:
        try:
            out += bytes.fromhex(part[:2].decode("ascii")) + part[2:]
        except ValueError:
            out += b"%" + part
    return bytes(out)


def to_json(value):
    """JSON for the report: dicts, lists, tuples, str, int, float, bool and None."""
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        items = (f"{encode_basestring_ascii(str(k))}:{to_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    return encode_basestring_ascii(repr(value))


# -- loading the user's code ----------------------------------------------------------------------


def load(spec, name):
    """Run the user's code as module `name`, with the globals `python sample.py` gives it."""
    from _frozen_importlib_external import SourceFileLoader  # loaded at start-up: free

    module = types.ModuleType(name)
    module.__loader__ = SourceFileLoader(name, FILENAME)
    module.__annotations__ = {}
    module.__builtins__ = __builtins__
    module.__file__ = FILENAME
    module.__cached__ = None
    sys.modules[name] = module
    sys.argv = [FILENAME]
    # From the bytes of the file, as CPython reads a script: a UTF-8 BOM or a coding
    # declaration is honoured.
    source = spec["code"].encode("utf-8", "surrogatepass")
    code = compile(source, FILENAME, "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return module


def user_traceback(exc):
    """The traceback from the user's first frame on: the harness's own frames (and asyncio's,
    which drive an ASGI app) are left out: a syntax error has none of the user's."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename not in (FILENAME, SCRIPT_PATH):
        tb = tb.tb_next
    return tb


def describe_exception(exc):
    """The traceback as Python prints it, without the harness's own frames."""
    import traceback

    return "".join(traceback.format_exception(type(exc), exc, user_traceback(exc)))


def failure(exc, budget, **extra):
    """The report of a failed run; the error text is cut to what is left of the output cap
    (the full text still goes to stderr, which the host caps as it reads it)."""
    if isinstance(exc, SampleError):
        text, kind = str(exc), "sample"
    else:
        text = describe_exception(exc)
        kind = "memory" if isinstance(exc, MemoryError) else "exception"
        if isinstance(exc, SyntaxError):
            kind = "syntax"
    return {"error": budget.text(text), "kind": kind, **extra}, text


# -- the output cap -------------------------------------------------------------------------------


def utf8_size(text):
    return len(text.encode("utf-8", "surrogatepass"))


def header_size(name, value):
    """A header's bytes as sent: `name: value\r\n`."""
    return utf8_size(name) + utf8_size(value) + 4


class Budget:
    """The run's one output cap in bytes, shared by everything the report carries from the
    program: status, headers, body, error text, event trace. What does not fit is cut, and
    `over` says so; once over, nothing more is taken, so the report stays within the cap
    however much the program sends."""

    def __init__(self, limit):
        self.left = limit
        self.over = False

    def fit(self, size):
        """How many of `size` bytes fit; a cut spends the rest and marks the budget over."""
        if self.over:
            return 0
        if size <= self.left:
            self.left -= size
            return size
        room, self.left, self.over = self.left, 0, True
        return room

    def whole(self, size):
        """Whether an item of `size` bytes fits whole (a header, an event): cut, it is dropped."""
        if self.over or size > self.left:
            self.fit(self.left + 1)
            return False
        self.left -= size
        return True

    def data(self, data):
        return data[: self.fit(len(data))]

    def text(self, text):
        raw = text.encode("utf-8", "surrogatepass")
        size = self.fit(len(raw))
        return text if size == len(raw) else raw[:size].decode("utf-8", "ignore")

    def headers(self, headers):
        """The headers that fit, in order, as (name, value) pairs; the rest are cut."""
        kept = []
        for name, value in headers:
            if not self.whole(header_size(name, value)):
                break
            kept.append((name, value))
        return kept


# -- python and cgi: scripts, run as __main__ ----------------------------------------------------


def output_budget(spec):
    return Budget(spec["limits"]["output_bytes"])


def run_script(spec):
    # One stream, in order, as a terminal would show it.
    os.dup2(2, 1)
    return run_main(spec, output_budget(spec))


def run_main(spec, budget):
    """Run the script as __main__. Returns (report, ending): the ending is raised at the top, so
    CPython itself turns it into the exit status and message, as for `python sample.py`."""
    try:
        load(spec, "__main__")
    except SystemExit as exc:
        # sys.exit(True) is 1; sys.exit("msg") prints msg to stderr and is 1: CPython decides.
        return {"error": None, "kind": "exit"}, exc
    except BaseException as exc:  # noqa: BLE001 - every failure of user code is reported
        report, _ = failure(exc, budget)
        report["truncated"] = budget.over
        tb = user_traceback(exc)
        exc.__traceback__ = tb  # Python's printer reads the exception's own traceback
        try:
            sys.excepthook(type(exc), exc, tb)  # a hook the script installed is honoured
        except BaseException:  # noqa: BLE001 - as Python does when the hook itself fails
            sys.__excepthook__(type(exc), exc, tb)
        if type(exc) is KeyboardInterrupt:
            return report, exc  # ends by SIGINT (see worker)
        return report, SystemExit(1)
    return {"error": None}, None


def run_cgi(spec):
    """RFC 3875: the request as environment variables, the body on stdin, the response on stdout."""
    environ = cgi_request(spec)
    report, ending = run_main(spec, output_budget(spec))
    report["environ"] = environ
    return report, ending


def cgi_request(spec):
    """Give this process the request as a CGI script gets it; returns its environment."""
    environ = cgi_environ(spec["request"])
    for key in list(os.environ):
        if key not in ("PATH", "LANG", "HOME"):
            del os.environ[key]
    os.environ.update(environ)
    fd = os.open(spec["body_path"], os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    return environ


def cgi_environ(request):
    environ = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "historyweb-sandbox",
        "SERVER_NAME": request["server_name"],
        "SERVER_PORT": str(request["server_port"]),
        "SERVER_PROTOCOL": request["protocol"],
        "REQUEST_METHOD": request["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(request["path"]).decode("latin-1"),
        "QUERY_STRING": request["query"],
        "REMOTE_ADDR": "127.0.0.1",
    }
    for name, value in request["headers"]:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            key = "HTTP_" + key
            environ[key] = environ[key] + "," + value if key in environ else value
    return environ


# -- WSGI (PEP 3333) ------------------------------------------------------------------------------


def find_app(module, names, bottle_default=False):
    for name in names:
        app = getattr(module, name, None)
        if app is not None:
            if not callable(app):
                raise SampleError(f"`{name}` is defined but is not callable.")
            return app
    bottle = sys.modules.get("bottle")
    if bottle is not None and bottle_default:
        # Bottle's module-level @route decorators register on its default application.
        return bottle.default_app()
    wanted = " or ".join(f"`{n}`" for n in names)
    raise SampleError(f"No application found: define {wanted} at module level.")


def wsgi_environ(request):
    environ = cgi_environ(request)
    del environ["GATEWAY_INTERFACE"]
    environ.update(
        {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request_body(request)),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
    )
    return environ


def request_body(request):
    return binascii.a2b_base64(request["body_b64"])


def environ_view(environ):
    return {
        key: value if isinstance(value, str) else short_repr(value)
        for key, value in environ.items()
    }


def short_repr(value):
    if isinstance(value, (str, bytes, bytearray)) and len(value) > 64 * MAX_REPR:
        value = value[: 64 * MAX_REPR]  # repr() of the whole would cost as much as it is long
    text = repr(value)
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


class Body:
    """Collects response bytes within what is left of the output cap."""

    def __init__(self, budget):
        self.data = bytearray()
        self.budget = budget

    def add(self, chunk):
        self.data += self.budget.data(chunk)

    def report(self):
        return b64(bytes(self.data))


def check_status_and_headers(status, headers):
    """Types only, so the report can carry them: whether they make a valid response (the
    status's shape, the characters in names and values) is the host's to decide, since
    anything checked here ran where the program could change it."""
    if not isinstance(status, str):
        raise TypeError(f"The status must be a str such as '200 OK', not {short_repr(status)}.")
    if not isinstance(headers, list):
        raise TypeError(f"The headers must be a list of (name, value) tuples, not {type(headers)}.")
    for item in headers:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError(f"Each header must be a (name, value) tuple, not {short_repr(item)}.")
        if not all(isinstance(part, str) for part in item):
            raise TypeError(f"Header names and values must be str, not {short_repr(item)}.")


def run_wsgi(spec):
    os.dup2(2, 1)  # the application's prints are log lines, not part of the response
    request = spec["request"]
    environ = wsgi_environ(request)
    view = environ_view(environ)
    budget = output_budget(spec)
    body = Body(budget)
    state = {"status": None, "headers": None, "sent": False}

    def write(data):
        if state["status"] is None:
            raise AssertionError("write() called before start_response().")
        if not isinstance(data, bytes):
            raise TypeError(f"write() needs bytes, not {type(data).__name__}: {short_repr(data)}.")
        state["sent"] = state["sent"] or bool(data)
        body.add(data)

    def start_response(status, headers, exc_info=None):
        if exc_info:
            try:
                if state["sent"]:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif state["status"] is not None:
            raise AssertionError("start_response() called a second time without exc_info.")
        check_status_and_headers(status, headers)
        # Counted and cut now, copied: the list the app keeps is no longer ours to read.
        state["status"], state["headers"] = budget.text(status), budget.headers(headers)
        return write

    try:
        module = load(spec, APP_MODULE)
        if spec.get("wrap"):
            app = wrapped_app(module, spec["wrap"])
        else:
            app = find_app(module, ["application", "app"], bottle_default=True)
        iterable = app(environ, start_response)
        try:
            for chunk in iterable:
                if not isinstance(chunk, bytes):
                    raise TypeError(
                        f"The application must yield bytes, not {type(chunk).__name__}: "
                        f"{short_repr(chunk)}. Encode it, e.g. {short_repr(chunk)}.encode()."
                    )
                if chunk and state["status"] is None:
                    raise AssertionError("The application sent a body before start_response().")
                state["sent"] = state["sent"] or bool(chunk)
                body.add(chunk)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        if state["status"] is None:
            raise SampleError("The application returned without calling start_response().")
    except BaseException as exc:  # noqa: BLE001 - reported as a 500, like a server would
        report, text = failure(exc, budget, environ=view)
        sys.stderr.write(text)
        if not state["sent"]:
            report.update(server_error(last_line(text), budget))
        else:
            report.update(status=state["status"], headers=state["headers"], body_b64=body.report())
        report["truncated"] = budget.over
        return report
    return {
        "error": None,
        "status": state["status"],
        "headers": state["headers"],
        "body_b64": body.report(),
        "truncated": budget.over,
        "environ": view,
    }


def wrapped_app(module, wrap):
    """What the program's middleware factory makes of an inner app the host describes: a check
    that the middleware calls the app it wraps and passes its answer on."""
    name = wrap["factory"]
    factory = getattr(module, name, None)
    if not callable(factory):
        raise SampleError(f"No middleware found: define `{name}(app)` at module level.")

    def inner_app(environ, start_response):
        start_response(wrap["status"], list(wrap["headers"]))
        return [wrap["body"].encode("utf-8")]

    app = factory(inner_app)
    if not callable(app):
        raise SampleError(f"`{name}(app)` must return a WSGI app, not {short_repr(app)}.")
    return app


def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def server_error(reason, budget):
    """The 500 a server sends for a failed request; its bytes count against the cap too."""
    body = Body(budget)
    status = budget.text("500 Internal Server Error")
    headers = budget.headers([("Content-Type", "text/plain; charset=utf-8")])
    body.add(f"500 Internal Server Error\n\n{reason}\n".encode("utf-8", "surrogatepass"))
    return {"status": status, "headers": headers, "body_b64": body.report()}


# -- ASGI (HTTP and lifespan) ---------------------------------------------------------------------


def asgi_scope(request):
    path_bytes = unquote(request["path"])
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request["protocol"].split("/", 1)[-1],
        "method": request["method"],
        "scheme": "http",
        "path": path_bytes.decode("utf-8", "replace"),
        "raw_path": request["path"].encode("latin-1"),
        "query_string": request["query"].encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request["headers"]
        ],
        "client": ("127.0.0.1", 50000),
        "server": (request["server_name"], request["server_port"]),
    }


def message_view(message, room=None, depth=0):
    """A JSON-safe picture of an ASGI message or scope: bytes as b'…' reprs, tuples as lists.
    `room` (a one-item list: characters left) ends the picture once it is that long, with "…"
    for the rest, so a message of any size costs at most that much to picture."""
    room = [REPORT_OVERHEAD] if room is None else room
    if room[0] <= 0:
        return "…"
    if isinstance(message, int) and not -(2**63) <= message < 2**63:
        message = f"<an int of {message.bit_length()} bits>"  # repr() refuses the largest
    if isinstance(message, (bool, int, float, type(None))):
        room[0] -= 8
        return message
    if isinstance(message, str):
        view = message if len(message) <= MAX_REPR else short_repr(message)
        room[0] -= len(view) + 2
        return view
    if depth < 4 and isinstance(message, dict):
        room[0] -= 2
        view = {}
        for key, value in message.items():
            if len(view) == 100:
                break
            view[str(key)[:MAX_REPR]] = message_view(value, room, depth + 1)
        return view
    if depth < 4 and isinstance(message, (list, tuple)):
        room[0] -= 2
        return [message_view(item, room, depth + 1) for item in message[:100]]
    view = short_repr(message)
    room[0] -= len(view) + 2
    return view


def run_asgi(spec):
    os.dup2(2, 1)  # the application's prints are log lines, not part of the response
    return AsgiRun(spec).report()


# asyncio is imported where it is used: only ASGI runs pay for it.


class AsgiRun:
    """One request to an ASGI application, as a server makes it: lifespan startup, the HTTP
    request, lifespan shutdown. Every message either way is kept in `events` for the report."""

    def __init__(self, spec):
        self.spec = spec
        self.request = spec["request"]
        self.scope = asgi_scope(self.request)
        # Pictured now: the app gets this scope's lists and could grow them.
        self.scope_view = message_view(self.scope)
        self.events = []
        self.status = None  # set by http.response.start
        self.headers = []
        self.complete = False  # the last http.response.body was sent
        self.budget = output_budget(spec)
        self.body = Body(self.budget)
        self.chunk_size = spec.get("chunk_bytes", 4096)
        self.chunks = []  # the request body still to receive, set when the request starts
        self.finished = None  # an asyncio.Event: the response is complete or the app returned

    def log(self, direction, scope, message):
        """Keep a picture of the message in the trace, while the output cap has room for it."""
        if self.budget.over:
            return
        picture = message_view(message, [self.budget.left])
        event = {"direction": direction, "scope": scope, "message": picture}
        if self.budget.whole(len(to_json(event))):
            self.events.append(event)

    def report(self):
        import asyncio

        try:
            asyncio.run(self.drive())
        except BaseException as exc:  # noqa: BLE001 - reported as a 500, like a server would
            return self.failed(exc)
        return self.result()

    def failed(self, exc):
        """The report of a request the app failed: a 500 unless the response had started."""
        report, text = failure(exc, self.budget, scope=self.scope_view, events=self.events)
        sys.stderr.write(text)
        if self.status is None:
            report.update(server_error(last_line(text), self.budget))
        else:
            report.update(status=self.status, headers=self.headers)
            report["body_b64"] = self.body.report()
        report["truncated"] = self.budget.over
        return report

    def result(self):
        return {
            "error": None,
            "status": self.status,
            "headers": self.headers,
            "body_b64": self.body.report(),
            "truncated": self.budget.over,
            "scope": self.scope_view,
            "events": self.events,
        }

    async def drive(self):
        module = load(self.spec, APP_MODULE)
        app = find_app(module, ["app", "application"])
        state = {}
        lifespan = Lifespan(app, state, self.log)
        started = await lifespan.step("startup")
        try:
            await self.http(app, state)
        finally:
            if started and not lifespan.task.done():
                await lifespan.step("shutdown")
            if not lifespan.task.done():
                lifespan.task.cancel()

    async def http(self, app, state):
        import asyncio

        http_scope = dict(self.scope, state=dict(state))
        data = request_body(self.request)
        size = self.chunk_size
        self.chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        self.finished = asyncio.Event()
        self.log("scope", "http", http_scope)
        await app(http_scope, self.receive, self.send)
        self.finished.set()
        if self.status is None:
            raise SampleError("The application returned without sending http.response.start.")

    async def receive(self):
        if self.chunks:
            chunk = self.chunks.pop(0)
            message = {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}
        else:
            await self.finished.wait()
            message = {"type": "http.disconnect"}
        self.log("receive", "http", message)
        return message

    async def send(self, message):
        self.log("send", "http", message)
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "http.response.start":
            if self.status is not None:
                raise RuntimeError("http.response.start sent twice.")
            status = message.get("status")
            if type(status) is not int:  # "404" or 404.0: a server's status table has no such key
                raise TypeError(
                    f"The status must be an int, such as 200, not {short_repr(status)}."
                )
            # Counted and cut now, like a WSGI app's: the text the report will carry.
            self.status = self.budget.text(str(status))
            self.headers = self.budget.headers(
                (bytes(n).decode("latin-1"), bytes(v).decode("latin-1"))
                for n, v in message.get("headers", [])
            )
        elif kind == "http.response.body":
            if self.status is None:
                raise RuntimeError("http.response.body sent before http.response.start.")
            if self.complete:
                raise RuntimeError("http.response.body sent after the response was complete.")
            chunk = message.get("body", b"")
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError(f"The body must be bytes, not {type(chunk).__name__}.")
            self.body.add(bytes(chunk))
            if not message.get("more_body", False):
                self.complete = True
                self.finished.set()
        else:
            raise RuntimeError(f"Unexpected ASGI message for an HTTP scope: {short_repr(message)}")


class Lifespan:
    """The application's lifespan scope, started before the request: `step("startup")` and
    `step("shutdown")` send an event and wait for the reply, or for the app to give up the scope."""

    def __init__(self, app, state, log):
        import asyncio

        self.log = log
        self.queue = asyncio.Queue()
        self.replies = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        scope["state"] = state
        self.task = asyncio.ensure_future(app(scope, self.receive, self.send))

    async def receive(self):
        message = await self.queue.get()
        self.log("receive", "lifespan", message)
        return message

    async def send(self, message):
        self.log("send", "lifespan", message)
        await self.replies.put(message)

    async def step(self, kind):
        """Whether the app took part: False when it does not support lifespan at all."""
        import asyncio

        await self.queue.put({"type": f"lifespan.{kind}"})
        getter = asyncio.ensure_future(self.replies.get())
        done, _ = await asyncio.wait({self.task, getter}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            message = getter.result()
            if message.get("type") == f"lifespan.{kind}.failed":
                raise SampleError(f"Lifespan {kind} failed: {message.get('message', '')}")
            return True
        getter.cancel()
        exc = self.task.exception()
        note = (
            f"the application does not support lifespan ({type(exc).__name__})"
            if exc
            else "the application returned from the lifespan scope"
        )
        self.log("note", "lifespan", note)
        return False


def as_server(serve):
    """A WSGI or ASGI run ends like a server process that shuts down after one request; a
    failed request ends it with status 1, which the supervisor sees whatever the report says."""

    def run(spec):
        report = serve(spec)
        return report, (SystemExit(1) if report.get("error") else None)

    return run


# -- a batch: every check of a submission against one instance of the app -------------------------
# The host draws the requests and sends them in the spec (`batch`); the app is loaded once and
# each request is answered in turn, within its share of the time left (`batch_seconds`), so an
# app that hangs on one request still leaves the others answered. Each item of the report is
# what the host reads for one request: for WSGI the raw bytes a server sent back (the host reads
# them as http.client would), for ASGI the driver's messages, for CGI the script's stdout.


class Deadlines:
    """Each request's share of the time left: what remains of the batch's seconds (counted from
    the harness's start, so loading the app spends them too), split over the requests to go."""

    def __init__(self, seconds, count):
        import time

        self.clock = time.monotonic
        self.end = START["clock"] + seconds
        self.left = count

    def next(self):
        share = max(0.05, (self.end - self.clock()) / max(1, self.left))
        self.left -= 1
        return share


def late_item(seconds):
    return {"error": None, "late": True, "kind": None, "seconds": round(seconds, 2)}


def run_wsgi_batch(spec):
    """wsgiref's handler, with wsgiref.validate on, serves each request (its environ made as for
    a single run) and writes the answer into one end of a socket pair, as a server writes to its
    client; the other end reads what came before the server closed. (wsgiref.simple_server's
    own request parsing is left out: it imports http.server, most of a run's time.)"""
    import socket
    import threading
    from wsgiref.handlers import SimpleHandler
    from wsgiref.validate import validator

    os.dup2(2, 1)
    budget = output_budget(spec)
    deadlines = Deadlines(spec["batch_seconds"], len(spec["batch"]))
    try:
        module = load(spec, APP_MODULE)
        plain = None
        apps = []
        for item in spec["batch"]:
            if item.get("wrap"):
                apps.append(validator(wrapped_app(module, item["wrap"])))
            else:
                plain = plain or validator(find_app(module, ["application", "app"], True))
                apps.append(plain)
    except BaseException as exc:  # noqa: BLE001 - the app never loaded: every request fails
        report, text = failure(exc, budget)
        sys.stderr.write(text)
        return dict(report, items=[], truncated=budget.over), SystemExit(1)

    class Handler(SimpleHandler):
        os_environ = {}  # the request's environ only, not the harness's process environment
        server_software = "historyweb-sandbox"

        def __init__(self, stdout, environ, errors):
            super().__init__(environ["wsgi.input"], stdout, sys.stderr, environ, False, False)
            self.errors = errors

        def client_is_modern(self):
            """Every answer has a status line, even to an HTTP/0.9 request: the era's servers
            refuse those with a status the learner can read."""
            return True

        def log_exception(self, exc_info):
            text = describe_exception(exc_info[1])
            self.errors.append(text)
            sys.stderr.write(text)

    def exchange(app, request, seconds):
        """One request, served in a thread of its own (a request the app hangs on keeps only
        its thread); what the server wrote before it closed."""
        environ = wsgi_environ(request)
        view = environ_view(environ)
        errors = []
        ours, theirs = socket.socketpair()

        def serve():
            try:
                with theirs.makefile("wb") as stdout:
                    Handler(stdout, environ, errors).run(app)
            finally:
                theirs.close()

        threading.Thread(target=serve, daemon=True).start()
        ours.settimeout(seconds)
        data = bytearray()
        try:
            while chunk := ours.recv(65536):
                data += budget.data(chunk)
        except TimeoutError:
            return dict(late_item(seconds), environ=view)
        finally:
            ours.close()
        result = {"error": None, "kind": None, "raw_b64": b64(bytes(data)), "environ": view}
        if errors:
            result.update(error=budget.text(errors[0]), kind="exception")
        return result

    items = []
    for item, app in zip(spec["batch"], apps, strict=True):
        items.append(exchange(app, item["request"], deadlines.next()))
    return {"error": None, "items": items, "truncated": budget.over}, None


def run_asgi_batch(spec):
    """One ASGI app, one lifespan, one http scope per request, each in its own time."""
    import asyncio

    os.dup2(2, 1)
    budget = output_budget(spec)
    items = []

    async def drive():
        module = load(spec, APP_MODULE)
        app = find_app(module, ["app", "application"])
        state = {}
        lifespan = Lifespan(app, state, lambda *a: None)
        started = await lifespan.step("startup")
        deadlines = Deadlines(spec["batch_seconds"], len(spec["batch"]))
        try:
            for item in spec["batch"]:
                run = AsgiRun(dict(spec, request=item["request"]))
                run.budget = run.body.budget = budget
                seconds = deadlines.next()
                try:
                    await asyncio.wait_for(run.http(app, state), seconds)
                    report = run.result()
                except TimeoutError:
                    report = dict(run.result(), **late_item(seconds))
                except Exception as exc:  # noqa: BLE001 - a 500 for this request only
                    report = run.failed(exc)
                items.append(report)
        finally:
            if started and not lifespan.task.done():
                await lifespan.step("shutdown")
            if not lifespan.task.done():
                lifespan.task.cancel()

    try:
        asyncio.run(drive())
    except BaseException as exc:  # noqa: BLE001 - the app never loaded or lifespan failed
        report, text = failure(exc, budget)
        sys.stderr.write(text)
        return dict(report, items=items, truncated=budget.over), SystemExit(1)
    return {"error": None, "items": items, "truncated": budget.over}, None


def run_cgi_batch(spec):
    """A CGI script is a process per request (RFC 3875): one child each, its stdout read back."""
    import select
    import signal
    import time

    budget = output_budget(spec)
    deadlines = Deadlines(spec["batch_seconds"], len(spec["batch"]))
    items = []
    for item in spec["batch"]:
        request = item["request"]
        body_read, body_write = os.pipe()
        out_read, out_write = os.pipe()
        error_read, error_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            for fd in (body_write, out_read, error_read):
                os.close(fd)
            os.dup2(out_write, 1)
            os.dup2(body_read, 0)
            environ = cgi_environ(request)
            for key in list(os.environ):
                if key not in ("PATH", "LANG", "HOME"):
                    del os.environ[key]
            os.environ.update(environ)
            report, ending = run_main(dict(spec, request=request), output_budget(spec))
            os.write(error_write, (report.get("error") or "").encode("utf-8", "replace")[:65536])
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exit_code_of(ending))
        for fd in (body_read, out_write, error_write):
            os.close(fd)
        try:
            os.write(body_write, request_body(request))
        except OSError:
            pass
        os.close(body_write)
        seconds = deadlines.next()
        end = time.monotonic() + seconds
        data = bytearray()
        late = False
        while True:
            wait = end - time.monotonic()
            ready = select.select([out_read], [], [], max(0, wait))[0] if wait > 0 else []
            if not ready:
                late = True
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(out_read, 65536)
            if not chunk:
                break
            data += budget.data(chunk)
        os.close(out_read)
        _, status = os.waitpid(pid, 0)
        error = read_all(error_read).decode("utf-8", "replace")
        code = os.waitstatus_to_exitcode(status)
        result = late_item(seconds) if late else {"error": None, "kind": None}
        if code and not late:
            text = error or f"The script exited with status {code}."
            result.update(error=budget.text(text), kind="exception" if error else "exit")
        result.update(stdout_b64=b64(bytes(data)), environ=cgi_environ(request))
        items.append(result)
    return {"error": None, "items": items, "truncated": budget.over}, None


def read_all(fd):
    data = bytearray()
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    return bytes(data)


def exit_code_of(ending):
    """The exit status `raise ending` would give, as CPython computes it (an interrupt is 1)."""
    if not isinstance(ending, SystemExit) or ending.code is None:
        return 1 if ending is not None else 0
    if isinstance(ending.code, int):
        return ending.code & 0xFF
    sys.stderr.write(f"{ending.code}\n")
    return 1


BATCH_RUNNERS = {"wsgi": run_wsgi_batch, "asgi": run_asgi_batch, "cgi": run_cgi_batch}


# The runtimes this harness drives; timeline.runner.runtimes lists the same names (a test
# holds the two together, since this file cannot import Django).
RUNNERS = {
    "python": run_script,
    "cgi": run_cgi,
    "wsgi": as_server(run_wsgi),
    "asgi": as_server(run_asgi),
}


if __name__ == "__main__":
    main()
elif __name__ == "sitecustomize":
    try:
        start_script()
    except BaseException:  # noqa: BLE001 - site would print it and run the program unlimited
        import traceback

        traceback.print_exc()
        os._exit(1)
    forget_harness()
