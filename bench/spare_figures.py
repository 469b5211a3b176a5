"""`make bench-samples`, cold vs spare: each runtime's sample run end to end (run_code, its code
edited every time) started cold and in a spare (timeline/runner/spares.py), interleaved so that
load on a shared machine hits both alike; and what a spare run still costs on its critical path.

A spare run here is the steady state of a runner host: a spare of the runtime is ready when the
run arrives (the bench waits for the pool's replacement between runs, outside the timing).
Budgets: an edited FastAPI run at most 50 ms at p50; the containment's work on a spare run's
critical path (dispatch: the run's limits, spec and body written, the go-ahead) at most 10 ms.
"""

import statistics
import time

from django.conf import settings

from timeline.runner import process, spares
from timeline.runner.service import run_code

FASTAPI_BUDGET_MS = 50
OVERHEAD_BUDGET_MS = 10


def p(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def wait_for_spare(runtime, timeout=30):
    pool = spares.pool()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with pool.lock:
            ready = [s for k, found in pool.waiting.items() if k[4] == runtime for s in found]
        if any(spare.ready for spare in ready):
            return True
        time.sleep(0.01)
    return False


class Dispatch:
    """From the run's arrival in spares.run to collect(): the spare's share of the critical
    path before the harness goes on (the rest is the program's own run and its collection)."""

    def __init__(self):
        self.times = []
        self.began = None

    def __enter__(self):
        self.run, self.collect = spares.run, process.collect

        def run(*args, **kwargs):
            self.began = time.perf_counter()
            return self.run(*args, **kwargs)

        def collect(*args, **kwargs):
            if self.began is not None:
                self.times.append((time.perf_counter() - self.began) * 1000)
                self.began = None
            return self.collect(*args, **kwargs)

        spares.run, process.collect = run, collect
        return self

    def __exit__(self, *exc):
        spares.run, process.collect = self.run, self.collect


def timed(runtime, code, request, n):
    started = time.perf_counter()
    result = run_code(runtime, f"{code}# edit {n}\n", request)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed if result.ok else None


def side_by_side(samples, repeat, bare_ms=None):
    print()
    print("cold vs spare, end to end (run_code, code edited each run; a spare ready for each):")
    print(f"{'runtime':<20}{'cold p50':>10}{'spare p50':>11}{'spare p95':>11}{'spare min':>11}")
    figures = {}
    n = 0
    with Dispatch() as dispatch:
        for label, (runtime, code, request) in samples.items():
            cold, warm = [], []
            settings.RUNNER_SPARES = {runtime: 1}
            run_code(runtime, code, request)  # the first run tells the pool to fill
            for _ in range(max(5, repeat)):
                n += 1
                wait_for_spare(runtime)  # no spare being started while either is timed
                settings.RUNNER_SPARES = 0
                cold.append(timed(runtime, code, request, n))
                settings.RUNNER_SPARES = {runtime: 1}
                warm.append(timed(runtime, code, request, n))
            settings.RUNNER_SPARES = 0
            spares.stop_all()
            if None in cold or None in warm:
                print(f"{label:<20} failed")
                continue
            figures[label] = statistics.median(warm)
            print(
                f"{label:<20}{statistics.median(cold):7.1f} ms{statistics.median(warm):8.1f} ms"
                f"{p(warm, 0.95):8.1f} ms{min(warm):8.1f} ms"
            )
    passed = [run_pass() for _ in range(max(5, repeat))]
    settings.RUNNER_SPARES = 0
    spares.stop_all()
    fastapi = figures.get("asgi (FastAPI)")
    if fastapi is not None:
        mark = "within" if fastapi <= FASTAPI_BUDGET_MS else "OVER"
        print(f"edited FastAPI run in a spare: p50 {fastapi:.1f} ms  ({mark} the 50 ms budget)")
    overhead = statistics.median(dispatch.times)
    mark = "within" if overhead <= OVERHEAD_BUDGET_MS else "OVER"
    print(
        f"spare dispatch on the critical path (limits, spec, go-ahead): p50 {overhead:.2f} ms, "
        f"p95 {p(dispatch.times, 0.95):.2f} ms  ({mark} the 10 ms budget)"
    )
    print(
        f"a spare run of `pass`, end to end (dispatch, harness, fork, exit, collection): "
        f"p50 {statistics.median(passed):.1f} ms"
    )
    if bare_ms is not None:
        # What a learner waits for beyond the interpreter itself: the sandbox's whole overhead.
        extra = statistics.median(passed) - bare_ms
        mark = "within" if extra <= OVERHEAD_BUDGET_MS else "OVER"
        print(
            f"sandbox overhead in a spare (that run vs bare python -I -c pass, {bare_ms:.1f} ms):"
            f" {extra:+.1f} ms  ({mark} the 10 ms budget)"
        )


def run_pass():
    settings.RUNNER_SPARES = {"python": 1}
    if not wait_for_spare("python", timeout=0):
        run_code("python", "pass\n")
        wait_for_spare("python")
    started = time.perf_counter()
    run_code("python", "pass\n")
    return (time.perf_counter() - started) * 1000
