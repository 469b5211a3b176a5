"""`make bench-samples`: what a run costs, per runtime, cold and cached.

Prints medians, measured in the same run, of:
  - the bare interpreter: `python -I -c pass`;
  - the same command inside the sandbox (bwrap with every flag a run uses): the sandbox overhead;
  - a full run per runtime (sandbox + harness + sample), from the Django process;
  - a cached run (an unedited sample answered from the shared file cache), in server time.
Budgets (issue 4): sandbox overhead at most 10 ms over the bare interpreter; cached under 5 ms.
The bare and sandboxed commands are interleaved so that load on a shared machine hits both alike.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "historyweb.settings.dev")
os.environ.setdefault("HISTORYWEB_VAR_DIR", tempfile.mkdtemp(prefix="historyweb-bench-"))

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402

from timeline.runner import sandbox  # noqa: E402
from timeline.runner.config import get_config  # noqa: E402
from timeline.runner.service import run_cached, run_code  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
HELLO = "GET /hello?name=Ada HTTP/1.1\nHost: localhost\n\n"
SAMPLES = {
    "python": ("python", "print('Hello, Ada!')\n", ""),
    "cgi": (
        "cgi",
        "import os\nprint('Content-Type: text/plain')\nprint()\n"
        "print('Hello,', os.environ['QUERY_STRING'])\n",
        HELLO,
    ),
    "wsgi": (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'Hello, Ada!']\n",
        HELLO,
    ),
    "asgi": (
        "asgi",
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'Hello, Ada!'})\n",
        HELLO,
    ),
    "wsgi (Flask)": (
        "wsgi",
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/hello')\n"
        "def hello():\n    return 'Hello, Ada!'\n",
        HELLO,
    ),
    "asgi (FastAPI)": (
        "asgi",
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/hello')\n"
        "def hello():\n    return 'Hello, Ada!'\n",
        HELLO,
    ),
}


def median_ms(action, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    config = get_config()
    if not config.bwrap:
        sys.exit(sandbox.INSTALL_HINT)
    python = config.python
    bare = [python, "-I", "-c", "pass"]
    with tempfile.TemporaryDirectory() as work:
        hosts = sandbox.hosts_file(config)
        boxed = sandbox.build_command(config, Path(work), 0, 0, hosts, argv=["-I", "-c", "pass"])
        boxed.remove("--info-fd")
        boxed.remove("0")
        run = lambda cmd: subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)  # noqa: E731
        run(bare), run(boxed)  # warm the page cache
        # Interleave the two so that load on a shared machine hits both alike.
        bare_times, boxed_times = [], []
        for _ in range(REPEAT * 2):
            bare_times.append(median_ms(lambda: run(bare), 1))
            boxed_times.append(median_ms(lambda: run(boxed), 1))
    bare_ms, boxed_ms = statistics.median(bare_times), statistics.median(boxed_times)
    print(f"interpreter: {python}  ({REPEAT} runs per figure, {os.cpu_count()} cores)")
    print(f"load average: {os.getloadavg()[0]:.1f} (medians swell with load; minimums much less)")
    print(f"{'':<34}{'median':>9}{'min':>10}")
    print(f"{'bare python -I -c pass':<34}{bare_ms:6.1f} ms{min(bare_times):7.1f} ms")
    print(f"{'same, inside the sandbox':<34}{boxed_ms:6.1f} ms{min(boxed_times):7.1f} ms")
    overhead = boxed_ms - bare_ms
    best = min(boxed_times) - min(bare_times)
    verdict = "within" if min(overhead, best) <= 10 else "OVER"
    print(f"{'sandbox overhead':<34}{overhead:6.1f} ms{best:7.1f} ms  ({verdict} the 10 ms budget)")
    print()
    print(f"{'runtime':<20}{'cold median':>12}{'cold min':>12}{'cached':>12}")
    for label, (runtime, code, request) in SAMPLES.items():
        result = run_code(runtime, code, request)
        if not result.ok:
            print(f"{label:<20} failed: {result.error.splitlines()[-1]}")
            continue
        colds = [
            median_ms(lambda: run_code(runtime, code, request), 1)  # noqa: B023
            for _ in range(max(5, REPEAT // 3))
        ]
        cold, cold_min = statistics.median(colds), min(colds)
        cache.clear()
        run_cached(runtime, code, request)
        cached = median_ms(lambda: run_cached(runtime, code, request), REPEAT * 4)  # noqa: B023
        mark = "" if cached < 5 else "  (OVER the 5 ms budget)"
        print(f"{label:<20}{cold:9.1f} ms{cold_min:9.1f} ms{cached:9.2f} ms{mark}")


def view_cached():
    """A cached run through the whole Django stack: POST /samples/<pk>/run/ with the test client."""
    from django.core.management import call_command
    from django.test import Client

    from timeline.models import CodeSample, Era

    call_command("migrate", verbosity=0)
    era, _ = Era.objects.get_or_create(
        slug="bench", defaults={"title": "Bench", "year": 2003, "summary": "Bench."}
    )
    runtime, code, request = SAMPLES["wsgi"]
    sample, _ = CodeSample.objects.get_or_create(
        era=era, order=1, defaults={"title": "Bench", "runtime": runtime, "code": code}
    )
    sample.request = request
    sample.save()
    client = Client(HTTP_HOST="localhost")
    url = f"/samples/{sample.pk}/run/"
    first = client.post(url, "{}", content_type="application/json").json()
    assert first["ok"], first
    post = lambda: client.post(url, "{}", content_type="application/json")  # noqa: E731
    assert post().json()["cached"]
    view_ms = median_ms(post, REPEAT * 4)
    print(f"{'wsgi, cached, through POST /samples/<pk>/run/ (server time)':<56}{view_ms:9.2f} ms")


if __name__ == "__main__":
    main()
    view_cached()
