"""The python runtime behaves like `python sample.py`: each program here is run by plain Python
and in the sandbox, and both must print the same (file paths normalised) and exit the same.

Plain Python runs with -u and its two streams joined, because the sandbox shows one stream in the
order it was written, as a terminal does. Its directory is shown as the sandbox's, /tmp.

CPython runs the script itself (the harness is its sitecustomize), so no frame of the harness is on
the stack: stack walks, dump_traceback, warnings' stacklevel and the recursion limit see what
`python sample.py` sees.
"""

import subprocess

import pytest

from timeline.runner.config import get_config
from timeline.runner.service import run_code

# Each test twice: runs started cold, and each run in a spare (conftest.run_start).
pytestmark = pytest.mark.usefixtures("sandbox", "run_start")

PROGRAMS = {
    "hello": "print('Hello, Ada!')\n",
    "streams in order": "import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint('out')\n",
    "unicode": "print('café ☕', 'ünïcödé')\n",
    "no final newline": "print('partial', end='')\n",
    "name and argv": "import sys\nprint(__name__, sys.argv)\n",
    "file": "print(__file__)\n",
    "builtins": "print(__builtins__)\nimport __main__\nprint(__main__.__file__ == __file__)\n",
    "exception": "x = {}\nprint('before')\nx['missing']\n",
    "nested exception": "def f(n):\n    return 10 / n\n\ndef g():\n    return f(0)\n\ng()\n",
    "chained": (
        "try:\n    int('x')\nexcept ValueError as exc:\n    raise RuntimeError('bad') from exc\n"
    ),
    "notes": "e = TypeError('t')\ne.add_note('a note')\nraise e\n",
    "exception group": "raise ExceptionGroup('two', [ValueError(1), KeyError(2)])\n",
    "syntax error": "def broken(:\n    pass\n",
    "indentation error": "if True:\nprint('x')\n",
    "exit true": "import sys\nsys.exit(True)\n",
    "exit false": "import sys\nsys.exit(False)\n",
    "exit message": "import sys\nprint('about to')\nsys.exit('goodbye, cruel world')\n",
    "exit 3": "import sys\nsys.exit(3)\n",
    "exit none": "import sys\nsys.exit()\n",
    "exit 256": "raise SystemExit(256)\n",
    "os exit": "import os\nprint('x')\nos._exit(5)\n",
    "sigterm": "import os, signal\nprint('x')\nos.kill(os.getpid(), signal.SIGTERM)\n",
    "atexit": (
        "import atexit\natexit.register(print, 'first registered')\n"
        "atexit.register(print, 'second registered')\nprint('main')\n"
    ),
    "atexit after exception": "import atexit\natexit.register(print, 'cleanup')\n1 / 0\n",
    "atexit after sys.exit": "import atexit, sys\natexit.register(print, 'cleanup')\nsys.exit(2)\n",
    "thread joined": (
        "import threading, time\n"
        "def work():\n    time.sleep(0.3)\n    print('thread finished')\n"
        "threading.Thread(target=work).start()\nprint('main finished')\n"
    ),
    "daemon thread": (
        "import threading, time\n"
        "threading.Thread(target=lambda: time.sleep(30), daemon=True).start()\nprint('main')\n"
    ),
    "timer": "import threading\nthreading.Timer(0.1, print, ['timer fired']).start()\n",
    "thread exception": (
        "import threading\n"
        "def work():\n    raise ValueError('in a thread')\n"
        "t = threading.Thread(target=work, name='worker')\nt.start()\nt.join()\nprint('after')\n"
    ),
    "finalizer": (
        "class Resource:\n    def __del__(self):\n        print('released')\n\nr = Resource()\n"
        "print('made')\n"
    ),
    "weakref finalize": (
        "import weakref\nclass A:\n    pass\na = A()\nweakref.finalize(a, print, 'finalized')\n"
    ),
    "generator finally": (
        "def gen():\n    try:\n        yield 1\n    finally:\n        print('closed')\n"
        "it = gen()\nprint(next(it))\n"
    ),
    "inspect getsource": (
        "import inspect\n\ndef greet(name):\n    return f'Hello, {name}'\n\n"
        "print(inspect.getsource(greet))\n"
    ),
    "linecache": "import linecache\nprint(repr(linecache.getline(__file__, 1)))\n",
    "current frame": (
        "import traceback\ndef f():\n    frame = traceback.extract_stack()[-1]\n"
        "    print(frame.name, frame.lineno, frame.line)\nf()\n"
    ),
    "format exc": (
        "import traceback\ntry:\n    [][1]\nexcept IndexError:\n    print(traceback.format_exc())\n"
    ),
    "warnings": "import warnings\nwarnings.warn('careful')\nprint('done')\n",
    "input at eof": "name = input('name? ')\n",
    "stdin empty": "import sys\nprint(repr(sys.stdin.read()))\n",
    "excepthook": (
        "import sys\nsys.excepthook = lambda t, v, tb: print('hooked:', t.__name__, v)\n"
        "raise ValueError('x')\n"
    ),
    "pickle main class": (
        "import pickle\nclass Point:\n    def __init__(self, x):\n        self.x = x\n"
        "print(pickle.loads(pickle.dumps(Point(3))).x)\n"
    ),
    "hash seed": "print(hash('abc') == hash('abc'), sorted({'b', 'a', 'c'}))\n",
    "multiprocessing": (
        "import multiprocessing as mp\n\n"
        "def square(n):\n    return n * n\n\n"
        "def put(queue, lock):\n    with lock:\n        queue.put('from a child')\n\n"
        "if __name__ == '__main__':\n"
        "    with mp.Pool(2) as pool:\n        print(pool.map(square, range(5)))\n"
        "    queue, lock = mp.Queue(), mp.Lock()\n"
        "    child = mp.Process(target=put, args=(queue, lock))\n"
        "    child.start()\n    print(queue.get())\n    child.join()\n    print(child.exitcode)\n"
    ),
    "utf-8 bom": "\ufeff# a file saved by an editor that writes a BOM\nprint('no syntax error')\n",
    "coding declaration": "# -*- coding: latin-1 -*-\nprint(len('café'))\n",
    "keyboard interrupt": (
        "import atexit\natexit.register(print, 'cleanup')\n"
        "print('before')\nraise KeyboardInterrupt\n"
    ),
    "keyboard interrupt caught": (
        "try:\n    raise KeyboardInterrupt\nexcept KeyboardInterrupt:\n    print('caught')\n"
    ),
    "faulthandler": (
        "import faulthandler\nprint(faulthandler.is_enabled())\n"
        "faulthandler.enable()\nprint(faulthandler.is_enabled())\n"
    ),
    "globals": (
        "print(sorted(globals()))\n"
        "print({name: type(value).__name__ for name, value in globals().items()})\n"
        "print(__loader__.name, __loader__.path, __spec__, __package__, __doc__, __cached__)\n"
    ),
    "segfault": "import ctypes\nprint('before')\nctypes.string_at(0)\n",
    "annotations": "x: int = 1\ny: 'str'\nprint(__annotations__)\n",
    # The stack as the program sees it: its own frames, the module's at the bottom.
    "print stack": "import traceback\n\ndef f():\n    traceback.print_stack()\n\nf()\n",
    "extract stack": (
        "import traceback\nprint([(f.name, f.lineno) for f in traceback.extract_stack()])\n"
    ),
    "frame walk": (
        "import sys\n\ndef f():\n    frame = sys._getframe()\n    while frame:\n"
        "        print(frame.f_code.co_name, frame.f_code.co_filename)\n"
        "        frame = frame.f_back\n\nf()\n"
    ),
    "inspect stack": (
        "import inspect\n\ndef f():\n"
        "    print([(i.function, i.lineno, i.filename) for i in inspect.stack()])\n\nf()\n"
    ),
    "dump traceback": (
        "import faulthandler, sys\n\ndef f():\n"
        "    faulthandler.dump_traceback(sys.stdout, all_threads=False)\n\nf()\n"
    ),
    "warning stacklevel": (
        "import warnings\n\ndef f():\n    warnings.warn('the caller', stacklevel=2)\n\n"
        "def g():\n    warnings.warn('past the module', stacklevel=3)\n\nf()\ng()\n"
    ),
    # Nothing left of how the harness was loaded: not in the environment, nor on sys.path.
    "environment and path": (
        "import os, sys\nprint([k for k in os.environ if 'PYTHON' in k or 'RUNNER' in k])\n"
        "print(sys.path[0] == os.path.dirname(__file__), [p for p in sys.path if 'runner' in p])\n"
        "print(sys.flags.safe_path)\n"
    ),
    "recursion depth": (
        "def depth(n=1):\n    try:\n        return depth(n + 1)\n"
        "    except RecursionError:\n        return n\n\nprint(depth())\n"
    ),
}


def run_plain(python, code, directory):
    script = directory / "sample.py"
    script.write_text(code, encoding="utf-8")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
    env["HOME"] = str(directory)
    completed = subprocess.run(
        [python, "-u", "sample.py"],
        cwd=directory,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=30,
        check=False,
    )
    output = completed.stdout.decode("utf-8", "backslashreplace")
    return output.replace(f"{directory}/", "/tmp/"), completed.returncode


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_sandbox_runs_it_as_python_does(name, tmp_path):
    code = PROGRAMS[name]
    expected_output, expected_status = run_plain(get_config().python, code, tmp_path)
    result = run_code("python", code)
    assert (result.output, result.exit_status) == (expected_output, expected_status)
    assert result.ok == (expected_status == 0)


def test_the_suite_is_large_enough():
    assert len(PROGRAMS) >= 50


APP_WITH_SHUTDOWN_WORK = """\
import atexit, threading, time

atexit.register(print, "atexit ran")

def late():
    time.sleep(0.2)
    print("thread finished")

def application(environ, start_response):
    threading.Thread(target=late).start()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"answered"]

app = application
"""

ASGI_APP = APP_WITH_SHUTDOWN_WORK.replace("app = application\n", "") + (
    "\nasync def app(scope, receive, send):\n"
    "    if scope['type'] != 'http':\n"
    "        return\n"
    "    threading.Thread(target=late).start()\n"
    "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
    "    await send({'type': 'http.response.body', 'body': b'answered'})\n"
)


@pytest.mark.parametrize("runtime", ["wsgi", "asgi"])
def test_an_application_shuts_down_as_a_server_process_does(runtime):
    """The response is sent, then, as when a server stops: threads joined, atexit run."""
    code = APP_WITH_SHUTDOWN_WORK if runtime == "wsgi" else ASGI_APP
    result = run_code(runtime, code)
    assert result.ok, result.error
    assert result.body == "answered"
    assert result.log == "thread finished\natexit ran\n"


def test_a_cgi_script_exits_as_python_does():
    code = "import sys\nprint('Content-Type: text/plain')\nprint()\nprint('hi')\nsys.exit('bye')\n"
    result = run_code("cgi", code)
    assert result.exit_status == 1 and not result.ok
    assert result.body == "hi\n"
    assert result.log == "bye\n"


def test_a_cgi_script_sees_only_its_own_frames():
    """A server starts a CGI script as `python sample.py`: its stack is its own."""
    code = (
        "import sys, traceback\nprint('Content-Type: text/plain')\nprint()\n"
        "def f():\n    traceback.print_stack(file=sys.stdout)\nf()\n"
    )
    result = run_code("cgi", code)
    assert result.ok, result.error
    assert result.body == (
        '  File "/tmp/sample.py", line 6, in <module>\n    f()\n'
        '  File "/tmp/sample.py", line 5, in f\n    traceback.print_stack(file=sys.stdout)\n'
    )
