"""More programs that must behave in the sandbox as under `python sample.py`: what a learner can
see of the interpreter's start-up (argv, flags, modules, environment, descriptors, signals), of
its ending (exit statuses, atexit, finalizers, threads) and of the files and processes it makes.

Run as tests/test_runner_fidelity.py runs its programs (plain Python with -u, streams joined, the
directory shown as /tmp); where a value differs legitimately (ids, limits, the host's name) the
program prints only what must hold in both, and object addresses (`0x7f...` in the messages
Python prints for an exception in atexit or __del__, or a thread's id) are not compared.

Differences kept on purpose, each because the harness must exist:
- `atexit._ncallbacks()` (a private function) counts the harness's handlers, which write the report
  after the program's own handlers (and first turn off a tracer or profiler the program set: a
  profiler that prints C calls sees that one call, sys.setprofile(None));
- /proc/self/environ cannot be read (PermissionError): the worker changed its uid (as root) or
  inherited the supervisor's non-dumpable flag, and the kernel then gives /proc/self/environ to
  root; readable, it would show the three variables that loaded the harness, which os.environ
  no longer has (the kernel's copy of the initial environment cannot be rewritten without
  CAP_SYS_RESOURCE); the same holds for /proc/self/mem and /proc/self/auxv.

And because a run is contained: the program never runs as root (os.getuid(), os.getgroups(), ports
below 1024), its user is "sandbox", the host's name is "sandbox" (the server's own stays hidden),
there is no network but loopback, the limits are the run's (resource.getrlimit, memory, time,
64 KB of output), processes left running end with the run, and /proc, /dev and / hold the
sandbox's own.
"""

import re
from pathlib import Path

import pytest

from tests.test_runner_fidelity import run_plain
from timeline.runner.config import get_config
from timeline.runner.service import run_code

pytestmark = pytest.mark.usefixtures("sandbox", "run_start")

PROGRAMS = {
    "orig argv": "import sys\nprint(sys.orig_argv[1:], sys.argv)\n",
    "proc cmdline": "print(open('/proc/self/cmdline').read().split('\\0')[1:])\n",
    "flags": "import sys\nprint(sys.flags)\nprint(sys.dont_write_bytecode, sys._xoptions)\n",
    "user site": (
        "import site, sys\nprint(site.ENABLE_USER_SITE, site.getusersitepackages())\n"
        "print(sys.path[0] + '/', sys.path[1:])\n"
    ),
    "modules": "import sys\nprint(sorted(sys.modules))\n",
    "sitecustomize": (
        "import sys\nprint('sitecustomize' in sys.modules, 'usercustomize' in sys.modules)\n"
    ),
    "environ": "import os\nprint(sorted(os.environ), os.path.expanduser('~/x'))\n",
    "bytecode of an import": (
        "import os\nwith open('helper.py', 'w') as f:\n    f.write('VALUE = 42\\n')\n"
        "import helper\nprint(helper.VALUE, helper.__file__, os.path.exists(helper.__cached__))\n"
        "print(sorted(os.listdir('.')))\n"
    ),
    "cwd": (
        "import os\nprint(os.getcwd() == os.path.dirname(__file__), sorted(os.listdir()))\n"
        "open('out.txt', 'w').write('kept')\nprint(open('out.txt').read())\n"
    ),
    "streams": (
        "import sys\nfor s in (sys.stdin, sys.stdout, sys.stderr):\n"
        "    print(s.name, s.encoding, s.errors, s.line_buffering, s.isatty(), s.fileno())\n"
        "print(sys.getfilesystemencoding(), sys.getdefaultencoding())\n"
    ),
    "descriptors": "import os\nprint(sorted(os.listdir('/proc/self/fd')))\n",
    "stdin kind": (
        "import os, stat\nmode = os.fstat(0).st_mode\n"
        "print(stat.S_ISCHR(mode), stat.S_ISFIFO(mode), os.isatty(0), repr(input.__doc__[:5]))\n"
    ),
    "signals": (
        "import signal\nfor name in ('SIGINT', 'SIGPIPE', 'SIGTERM', 'SIGHUP', 'SIGCHLD',"
        " 'SIGXFSZ', 'SIGUSR1', 'SIGALRM'):\n"
        "    print(name, signal.getsignal(getattr(signal, name)))\n"
        "print(signal.pthread_sigmask(signal.SIG_BLOCK, []))\n"
    ),
    "proc status signals": (
        "for line in open('/proc/self/status'):\n"
        "    if line.startswith(('SigBlk', 'SigIgn', 'SigCgt')):\n        print(line, end='')\n"
    ),
    "umask": "import os\nprint(oct(os.umask(0o22)))\n",
    "nice": "import os\nprint(os.nice(0))\n",
    "recursion limit": "import sys\nprint(sys.getrecursionlimit(), sys.getswitchinterval())\n",
    "recursion error": "def f(n):\n    return f(n + 1)\n\nf(0)\n",
    "tracebacklimit": (
        "import sys\nsys.tracebacklimit = 1\ndef a():\n    b()\ndef b():\n    1 / 0\na()\n"
    ),
    "atexit raises": (
        "import atexit\ndef bad():\n    raise ValueError('in atexit')\n"
        "atexit.register(bad)\nprint('main')\n"
    ),
    "atexit sys.exit": "import atexit, sys\natexit.register(sys.exit, 4)\nprint('main')\n",
    "del raises at shutdown": (
        "class A:\n    def __del__(self):\n        raise RuntimeError('in __del__')\n"
        "a = A()\nprint('main')\n"
    ),
    "unraisable hook": (
        "import sys\nsys.unraisablehook = lambda u: print('unraisable:', u.exc_type.__name__)\n"
        "class A:\n    def __del__(self):\n        1 / 0\nA()\nprint('after')\n"
    ),
    "warnings filters": (
        "import sys, warnings\nprint(sys.warnoptions)\nfor f in warnings.filters:\n    print(f)\n"
        "warnings.warn('old', DeprecationWarning)\n"
    ),
    "threading excepthook": (
        "import threading\n"
        "threading.excepthook = lambda a: print('hooked', a.exc_type.__name__, a.thread.name)\n"
        "t = threading.Thread(target=lambda: 1 / 0, name='w')\nt.start()\nt.join()\n"
    ),
    "thread sys.exit": (
        "import sys, threading\nt = threading.Thread(target=sys.exit, args=(3,))\n"
        "t.start()\nt.join()\nprint('main goes on')\n"
    ),
    "exit builtins": (
        "print(type(exit).__name__, exit, quit)\nprint(repr(copyright)[:20], type(help).__name__)\n"
        "import sys\nprint(hasattr(sys, 'ps1'), hasattr(sys, 'ps2'), __debug__)\nexit(4)\n"
    ),
    "exit with object": "import sys\nsys.exit([1, 2])\n",
    "help": "help(len)\n",
    "breakpoint at eof": "breakpoint()\nprint('after')\n",
    "sigint to self": (
        "import os, signal\nprint('before')\nos.kill(os.getpid(), signal.SIGINT)\nprint('never')\n"
    ),
    "sigalrm handler": (
        "import signal, time\nsignal.signal(signal.SIGALRM, lambda s, f: print('alarm'))\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.05)\ntime.sleep(0.3)\nprint('done')\n"
    ),
    "fork": (
        "import os, sys\npid = os.fork()\nif pid == 0:\n    print('child')\n    sys.exit(7)\n"
        "_, status = os.waitpid(pid, 0)\nprint('parent', os.waitstatus_to_exitcode(status))\n"
    ),
    "fork child raises": (
        "import os\npid = os.fork()\nif pid == 0:\n    raise ValueError('in the child')\n"
        "_, status = os.waitpid(pid, 0)\nprint('parent', os.waitstatus_to_exitcode(status))\n"
    ),
    "subprocess python": (
        "import subprocess, sys\nout = subprocess.run([sys.executable, '-c',"
        " 'import sys, os; print(sys.flags.no_user_site, sys.path[0] == \"\",'"
        " sorted(os.environ))'],"
        " capture_output=True, text=True)\nprint(out.stdout, out.stderr, out.returncode)\n"
    ),
    "os system": "import os\nprint(os.system('echo from the shell; exit 3'))\n",
    "spawn": (
        "import multiprocessing as mp\n\ndef square(n):\n    return n * n\n\n"
        "if __name__ == '__main__':\n    ctx = mp.get_context('spawn')\n"
        "    with ctx.Pool(2) as pool:\n        print(pool.map(square, range(4)))\n"
    ),
    "process pool": (
        "from concurrent.futures import ProcessPoolExecutor\n\ndef cube(n):\n    return n ** 3\n\n"
        "if __name__ == '__main__':\n    with ProcessPoolExecutor(2) as ex:\n"
        "        print(list(ex.map(cube, range(4))))\n"
    ),
    "manager": (
        "import multiprocessing as mp\n\nif __name__ == '__main__':\n"
        "    with mp.Manager() as m:\n        d = m.dict(a=1)\n        print(dict(d))\n"
    ),
    "shared memory": (
        "from multiprocessing import shared_memory\nshm = shared_memory.SharedMemory(create=True,"
        " size=16)\nshm.buf[0] = 7\nprint(shm.buf[0])\nshm.close()\nshm.unlink()\n"
    ),
    "pickle main function": (
        "import pickle\ndef f():\n    return 'called'\nprint(pickle.loads(pickle.dumps(f))())\n"
        "print(pickle.dumps(f)[:40])\n"
    ),
    "asyncio debug": (
        "import asyncio\nasync def main():\n    print(asyncio.get_running_loop().get_debug())\n"
        "    await asyncio.sleep(0)\n    return 'ran'\nprint(asyncio.run(main(), debug=True))\n"
    ),
    "asyncio unawaited": (
        "import asyncio, gc\nasync def c():\n    pass\nc()\ngc.collect()\nprint('done')\n"
    ),
    "locale and time": (
        "import locale, time\nprint(locale.getpreferredencoding(), locale.getlocale())\n"
        "print(time.tzname, time.daylight)\n"
    ),
    "tempdir": "import tempfile\nprint(tempfile.gettempdir())\n",
    "resources": (
        "import resource\nfor name in ('RLIMIT_NOFILE', 'RLIMIT_AS', 'RLIMIT_STACK'):\n"
        "    soft, hard = resource.getrlimit(getattr(resource, name))\n"
        "    print(name, hard == resource.RLIM_INFINITY or soft <= hard)\n"
    ),
    "user name": (
        "import getpass, pwd, os\ntry:\n    print(bool(getpass.getuser()))\n"
        "except Exception as exc:\n    print(type(exc).__name__)\n"
        "try:\n    print(bool(pwd.getpwuid(os.getuid()).pw_dir))\n"
        "except Exception as exc:\n    print(type(exc).__name__)\n"
    ),
    "getlogin": (
        "import os\ntry:\n    os.getlogin()\n"
        "except OSError as exc:\n    print(type(exc).__name__)\n"
    ),
    "globals order": "x = 1\nprint(list(globals()))\n",
    "crlf and tabs": "if True:\r\n\tprint('tabs')\r\n\tprint('crlf')\r\n",
    "bom with latin-1": "\ufeff# -*- coding: latin-1 -*-\nprint('x')\n",
    "unterminated string": "print('hello)\n",
    "non-utf8 name error": "print(undefined_name)\n",
    "closed stdout": "import os\nos.close(1)\nprint('lost')\n",
    "local socket": (
        "import socket\nserver = socket.create_server(('127.0.0.1', 0))\n"
        "client = socket.create_connection(server.getsockname())\nconn, _ = server.accept()\n"
        "client.sendall(b'ping')\nprint(conn.recv(4))\nprint(socket.gethostbyname('localhost'))\n"
    ),
    "sqlite file": (
        "import sqlite3\ndb = sqlite3.connect('data.db')\ndb.execute('create table t(x)')\n"
        "db.execute('insert into t values (1)')\ndb.commit()\nprint(db.execute('select * from t')"
        ".fetchall())\n"
    ),
    "main module": (
        "import sys\nm = sys.modules['__main__']\n"
        "print(m.__spec__, type(m.__loader__).__name__, m.__loader__.path, m.__file__)\n"
    ),
    "enumerate threads": (
        "import threading\n"
        "print([t.name for t in threading.enumerate()], threading.active_count())\n"
    ),
    "stack size": "import threading\nprint(threading.stack_size())\n",
    "gc state": "import gc\nprint(gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())\n",
    "abort": "import os\nprint('x')\nos.abort()\n",
    "ssl store": (
        "import ssl\nctx = ssl.create_default_context()\n"
        "print(ctx.cert_store_stats(), ssl.get_default_verify_paths())\n"
    ),
    "importer cache": (
        "import sys\n"
        "print(sorted(k.replace(__file__.rsplit('/', 1)[0], '<dir>') for k in"
        " sys.path_importer_cache))\n"
    ),
    "find sitecustomize": (
        "import importlib.util\nprint(importlib.util.find_spec('sitecustomize'))\n"
        "import sitecustomize\n"
    ),
    "closerange": "import os\nos.closerange(3, 65536)\nprint('still here')\n",
    "file stat": (
        "import os, stat\nst = os.stat(__file__)\n"
        "print(oct(stat.S_IMODE(st.st_mode)), st.st_uid == os.getuid(),"
        " os.access(__file__, os.W_OK))\n"
    ),
    "shell": "import subprocess\nsubprocess.run('echo $0 $HOME/ $PWD/; ls', shell=True)\n",
    "raw bytes": "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok\\n')\n",
    "stdin bytes": "import sys\nprint(sys.stdin.buffer.read(), sys.stdin.readline() == '')\n",
    "runpy": (
        "import runpy, sys\nif __name__ == '__main__' and len(sys.argv) == 1:\n"
        "    sys.argv.append('x')\n    g = runpy.run_path(__file__, run_name='again')\n"
        "    print(g['__name__'])\n"
    ),
    "surrogate": "print('\\udc80')\n",
    "main spec none": (
        "import __main__, importlib\n"
        "print(__main__.__spec__, importlib.util.find_spec('__main__') if False else '')\n"
    ),
    "inheritable": (
        "import os\nprint([os.get_inheritable(fd) for fd in (0, 1, 2)], os.get_blocking(1))\n"
    ),
    "this": "import this\n",
    "locale set": "import locale\nprint(locale.setlocale(locale.LC_ALL, ''))\n",
    "os release": "import platform\nprint(platform.freedesktop_os_release().get('ID'))\n",
    "sys.exit in finally": "import sys\ntry:\n    sys.exit(2)\nfinally:\n    print('finally')\n",
    "thread print after main": (
        "import threading, time\ndef w():\n    time.sleep(0.2)\n    print('late')\n"
        "threading.Thread(target=w).start()\nraise SystemExit(5)\n"
    ),
    "exception in excepthook": (
        "import sys\ndef hook(*a):\n    raise RuntimeError('hook broke')\nsys.excepthook = hook\n"
        "1/0\n"
    ),
    "atexit order with exception": (
        "import atexit, sys\n"
        "atexit.register(lambda: print('last', sys.last_value if hasattr(sys,"
        " 'last_value') else None))\nraise KeyError('k')\n"
    ),
    "last exc": (
        "import atexit, sys\n"
        "atexit.register(lambda: print(hasattr(sys, 'last_type'), hasattr(sys,"
        " 'last_traceback')))\nraise ValueError(1)\n"
    ),
    "stderr encoding error": (
        "import sys\nprint(sys.stderr.errors, sys.stdout.errors)\n"
        "print('\\udcff', file=sys.stderr)\n"
    ),
    "home": (
        "from pathlib import Path\n"
        "print(str(Path.home()) + '/', Path('~').expanduser() == Path.home())\n"
    ),
    "env user": (
        "import os\n"
        "print(os.environ.get('USER'), os.environ.get('LOGNAME'),"
        " os.environ.get('SHELL'), os.environ.get('TERM'))\n"
    ),
    "sys.exit from atexit after error": "import atexit, sys\natexit.register(sys.exit, 9)\n1/0\n",
    "keyboard interrupt in thread join": (
        "import signal, threading, os\ndef w():\n    os.kill(os.getpid(), signal.SIGINT)\n"
        "t = threading.Thread(target=w)\nt.start()\ntry:\n    t.join()\n"
        "    import time; time.sleep(0.5)\nexcept KeyboardInterrupt:\n    print('caught')\n"
    ),
    "sigterm handler": (
        "import signal, os\nsignal.signal(signal.SIGTERM, lambda s, f: print('term'))\n"
        "os.kill(os.getpid(), signal.SIGTERM)\nprint('after')\n"
    ),
    "sigpipe": (
        "import subprocess\np = subprocess.Popen(['true'], stdin=subprocess.PIPE)\np.wait()\n"
        "try:\n    p.stdin.write(b'x' * 100000)\n    p.stdin.flush()\n"
        "except BrokenPipeError as e:\n    print('broken', e.errno)\n"
    ),
    "dev files": (
        "import os\n"
        "for p in ('/dev/null', '/dev/zero', '/dev/urandom', '/dev/tty',"
        " '/dev/stdin', '/dev/stdout', '/dev/fd/1'):\n    print(p, os.path.exists(p))\n"
    ),
    "write dev stdout": (
        "open('/dev/stdout', 'w').write('via dev stdout\\n')\n"
        "open('/dev/stderr', 'w').write('via dev stderr\\n')\n"
    ),
    "proc self exe": (
        "import os, sys\n"
        "print(os.path.realpath('/proc/self/exe') == os.path.realpath(sys.executable))\n"
    ),
    "proc self cwd": "import os\nprint(os.readlink('/proc/self/cwd') == os.getcwd())\n",
    "proc self fd 1": (
        "import os\n"
        "print(os.readlink('/proc/self/fd/1').split(':')[0], os.readlink('/proc/self/fd/0'))\n"
    ),
    "tty name": "import os\ntry:\n    os.ttyname(0)\nexcept OSError as e:\n    print(e.errno)\n",
    "sys.stdout reopened": (
        "import sys, os\nsys.stdout = open(1, 'w', closefd=False)\nprint('reopened')\n"
    ),
    # What the harness's report needs, broken by the program: nothing of the harness shows.
    "modules cleared": "import sys\nsys.modules.clear()\nraise ValueError('x')\n",
    "traceback patched": "import traceback\ntraceback.format_exception = None\n1 / 0\n",
    "builtins patched": "import builtins\nbuiltins.isinstance = None\n1 / 0\n",
    "audit hook and an error": (
        "import sys\ndef hook(event, args):\n    if event == 'import':\n"
        "        print('audit', event, args[0])\nsys.addaudithook(hook)\n1 / 0\n"
    ),
    "settrace at exit": (
        "import sys\ndef tracer(frame, event, arg):\n    if event == 'call':\n"
        "        print('call', frame.f_code.co_name)\n    return None\ndef f():\n    pass\n"
        "sys.settrace(tracer)\nf()\n"
    ),
    "setprofile at exit": (
        "import sys\ndef prof(frame, event, arg):\n    if event == 'call':\n"
        "        print('call', frame.f_code.co_name)\ndef f():\n    pass\nsys.setprofile(prof)\n"
        "f()\n"
    ),
    "settrace then error": (
        "import sys\ndef tracer(frame, event, arg):\n    if event == 'call':\n"
        "        print('call', frame.f_code.co_name)\n    return None\nsys.settrace(tracer)\n"
        "1 / 0\n"
    ),
    "dump traceback later": (
        "import faulthandler, time\nfaulthandler.dump_traceback_later(0.1)\ndef wait():\n"
        "    time.sleep(0.3)\nwait()\n"
    ),
    "find library": (
        "import ctypes.util\nprint(ctypes.util.find_library('c'), ctypes.util.find_library('m'))\n"
    ),
    "asyncio subprocess": (
        "import asyncio\nasync def main():\n"
        "    p = await asyncio.create_subprocess_exec('echo', 'hi',"
        " stdout=asyncio.subprocess.PIPE)\n    print(await p.stdout.read(), await p.wait())\n"
        "asyncio.run(main())\n"
    ),
    "import itself": "import sys\nprint(__name__)\nif __name__ == '__main__':\n    import sample\n",
    "wait no child": (
        "import os\ntry:\n    os.wait()\nexcept ChildProcessError as e:\n    print(e)\n"
    ),
    "python version": (
        "import subprocess, sys\nsubprocess.run([sys.executable, '--version'])\n"
        "subprocess.run([sys.executable, '-c', 'import sys;"
        " print(sys.flags.dont_write_bytecode)'])\n"
    ),
    "gc callbacks at exit": (
        "import gc\n"
        "gc.callbacks.append(lambda phase, info: print(phase) if phase == 'start' else None)\n"
        "print('main')\n"
    ),
    "audit hook": (
        "import sys\n"
        "sys.addaudithook(lambda e, a: print('audit', e) if e in ('open',"
        " 'os.system', 'exec', 'compile', 'import') else None)\nprint('main')\n"
    ),
    "refcount of a fresh object": "import sys\nx = object()\nprint(sys.getrefcount(x))\n",
    "stdin readline loop": (
        "import sys\nfor line in sys.stdin:\n    print(line)\nprint('no input')\n"
    ),
    "exit code from exception in thread at exit": (
        "import threading\ndef w():\n    raise SystemExit(3)\nthreading.Thread(target=w).start()\n"
    ),
    "print to closed stdout at exit": "import sys\nsys.stdout.close()\n",
    "write after stderr closed": "import sys\nsys.stderr.close()\n1 / 0\n",
    "excepthook none": "import sys\nsys.excepthook = None\n1 / 0\n",
    "displayhook": "import sys\nprint(sys.displayhook, sys.__displayhook__ is sys.displayhook)\n",
    "forkserver": (
        "import multiprocessing as mp\n\ndef double(n):\n    return 2 * n\n\n"
        "if __name__ == '__main__':\n    ctx = mp.get_context('forkserver')\n"
        "    with ctx.Pool(2) as pool:\n        print(pool.map(double, range(4)))\n"
    ),
    "start method and cpus": (
        "import multiprocessing as mp, os\n"
        "print(mp.get_start_method(), os.cpu_count() == mp.cpu_count(),"
        " len(os.sched_getaffinity(0)) == os.cpu_count())\n"
    ),
    "spawn sees main globals": (
        "import multiprocessing as mp, sys\nVALUE = 'module level'\n\ndef show():\n"
        "    print(__name__, VALUE, sys.argv, sys.flags.dont_write_bytecode, flush=True)\n\n"
        "if __name__ == '__main__':\n    p = mp.get_context('spawn').Process(target=show)\n"
        "    p.start()\n    p.join()\n    print(p.exitcode)\n"
    ),
    "spawn child raises": (
        "import multiprocessing as mp\n\ndef bad():\n    raise ValueError('in the child')\n\n"
        "if __name__ == '__main__':\n    p = mp.get_context('spawn').Process(target=bad)\n"
        "    p.start()\n    p.join()\n    print(p.exitcode)\n"
    ),
    "thread pool": (
        "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(4) as ex:\n"
        "    print(list(ex.map(lambda n: n + 1, range(5))))\n"
    ),
    "pass fds": (
        "import os, subprocess, sys\nr, w = os.pipe()\n"
        "subprocess.run([sys.executable, '-c', f'import os; os.write({w}, b\"via"
        " fd\")'], pass_fds=[w])\nos.close(w)\nprint(os.read(r, 100))\n"
    ),
    "pool in a function without guard": (
        "import multiprocessing as mp\nwith mp.Pool(2) as pool:\n"
        "    print(pool.map(abs, [-1, -2]))\n"
    ),
    "logging": (
        "import logging\nlogging.warning('a warning')\nlogging.basicConfig(level=logging.INFO)\n"
        "logging.getLogger('x').info('info')\nlogging.error('error')\n"
    ),
    "unclosed file warning dev mode": (
        "import sys, warnings\nwarnings.simplefilter('default')\nf = open(__file__)\ndel f\n"
        "print('done')\n"
    ),
    "resource warning at exit": (
        "import warnings\nwarnings.simplefilter('always')\nf = open(__file__)\nprint('done')\n"
    ),
    "argparse": (
        "import argparse\np = argparse.ArgumentParser(description='demo')\n"
        "p.add_argument('--n', type=int, default=3)\nprint(p.parse_args())\np.print_help()\n"
    ),
    "argparse error": (
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('name')\np.parse_args()\n"
    ),
    "doctest": (
        "def add(a, b):\n    '''\n    >>> add(1, 2)\n    3\n    >>> add(1, 1)\n    3\n    '''\n"
        "    return a + b\n\nimport doctest\nprint(doctest.testmod())\n"
    ),
    "timeit": "import timeit\nprint(type(timeit.timeit('1+1', number=10)).__name__)\n",
    "pdb post mortem at eof": (
        "import pdb, sys\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    pdb.post_mortem()\n"
        "print('after')\n"
    ),
    "interactive inspect": "import code\ncode.interact(banner='hello', exitmsg='bye')\n",
    "setsid": "import os\nos.setsid()\nprint(os.getsid(0) == os.getpid())\n",
    "setpgrp": "import os\nos.setpgrp()\nprint(os.getpgrp() == os.getpid())\n",
    "killpg own": (
        "import os, signal\nsignal.signal(signal.SIGUSR1, lambda *a: print('usr1'))\n"
        "os.setpgrp()\nos.killpg(0, signal.SIGUSR1)\nprint('done')\n"
    ),
    "http server": (
        "import http.server, threading, urllib.request\n"
        "class Quiet(http.server.SimpleHTTPRequestHandler):\n"
        "    def log_message(self, *args):\n        pass\n"
        "s = http.server.HTTPServer(('127.0.0.1', 0), Quiet)\n"
        "threading.Thread(target=s.serve_forever, daemon=True).start()\n"
        "print(urllib.request.urlopen(f'http://127.0.0.1:{s.server_port}/sample.py').status)\n"
        "s.shutdown()\n"
    ),
    "tempfile": (
        "import tempfile, os\nwith tempfile.TemporaryDirectory() as d:\n"
        "    print(d.startswith('/tmp/'), os.path.isdir(d))\n"
        "with tempfile.NamedTemporaryFile() as f:\n    print(f.name.startswith('/tmp/'))\n"
    ),
    # Not into a directory the program may not write: where the checkout lives under /tmp, the
    # sandbox's /tmp holds the directory its interpreter is mounted under (see checkout_free).
    "walk cwd and home": (
        "import os\nfor root, dirs, files in os.walk('.'):\n"
        "    dirs[:] = [d for d in dirs if os.access(os.path.join(root, d), os.W_OK)]\n"
        "    print(root, sorted(dirs), sorted(files))\n"
        "print(sorted(os.listdir(os.path.expanduser('~'))))\n"
    ),
    "pip version": (
        "import subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'pip', '--version'],"
        " capture_output=True, text=True)\nprint(r.returncode, r.stdout.split()[0])\n"
    ),
    "zoneinfo": (
        "from zoneinfo import ZoneInfo\nfrom datetime import datetime\n"
        "print(datetime(2020, 6, 1, tzinfo=ZoneInfo('Europe/Paris')).utcoffset())\n"
    ),
    "locale by name": (
        "import locale\ntry:\n    print(locale.setlocale(locale.LC_ALL, 'en_US.UTF-8'))\n"
        "except locale.Error as e:\n    print(e)\n"
    ),
}


def checkout_under_tmp():
    """The name in /tmp of the directory the interpreter lives in, where the checkout is under
    /tmp (a clone in a temporary folder), else None."""
    parts = Path(get_config().python).parts
    return parts[2] if parts[:2] == ("/", "tmp") and len(parts) > 3 else None


def checkout_free(text, name=None):
    """The sandbox's output without the one thing a checkout under /tmp changes: bubblewrap makes
    the directory the interpreter is mounted under in the run's /tmp (its tmpfs), where plain
    Python's working directory has none. Its name leaves listings, and the program's own
    "<dir>" for /tmp is undone in its path."""
    name = name or checkout_under_tmp()
    if name is None:
        return text
    text = text.replace(f"<dir>/{name}/", f"/tmp/{name}/")
    for listed in (f"'{name}', ", f", '{name}'", f"'{name}'"):
        text = text.replace(listed, "")
    return "".join(line for line in text.splitlines(True) if line.rstrip("\n") != name)


def test_a_checkout_under_tmp_leaves_only_its_name():
    seen = "['__pycache__', 'clone', 'helper.py']\n['clone']\n<dir>/clone/.venv\nclone\nsample.py\n"
    free = "['__pycache__', 'helper.py']\n[]\n/tmp/clone/.venv\nsample.py\n"
    assert checkout_free(seen, "clone") == free
    assert checkout_free("['clones', 'sample.py']\n", "clone") == "['clones', 'sample.py']\n"


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_sandbox_runs_it_as_python_does(name, tmp_path):
    code = PROGRAMS[name]
    expected_output, expected_status = run_plain(get_config().python, code, tmp_path)
    result = run_code("python", code)
    assert (addressless(checkout_free(result.output)), result.exit_status) == (
        addressless(expected_output),
        expected_status,
    )


def addressless(text):
    return re.sub(r"0x[0-9a-f]+", "0x…", text)


def test_a_run_sees_the_public_certificates_and_no_private_key():
    code = "import os\nprint(os.path.isdir('/etc/ssl/certs'), os.path.exists('/etc/ssl/private'))\n"
    result = run_code("python", code)
    assert result.output == "True False\n"


@pytest.mark.parametrize("closed", ["0", "1", "0, 1, 2"])
def test_the_error_is_reported_whichever_streams_the_program_closed(closed):
    code = f"import os\nfor fd in ({closed},):\n    os.close(fd)\nraise ValueError('kept')\n"
    result = run_code("python", code)
    assert result.exit_status == 1
    assert result.error.endswith("ValueError: kept")
