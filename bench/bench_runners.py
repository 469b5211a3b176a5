"""`make bench-runners`: runs across machines with one, then two runner hosts.

Each "host" is a Celery worker process of its own (`celery -A historyweb worker -Q runs`), pinned
to one core with its own cgroup parent, var directory and slot cap (1: one per core it is given);
a redis-server of the bench's own is the broker. This process is the web side: it enqueues
through timeline.runner.pool exactly as a web server does, from many threads at once.

A deployment gives the web side and the broker machines of their own; here they share the hosts'
two cores. So each host is held to BENCH_HOST_CPU (0.8) of its core by a CPU quota on a cgroup
that holds its worker and every run it starts, and the rest of the machine stands in for the web
side's and the broker's machines. The web side also runs at nice 19, its autogroup too (under the
kernel's autogroup scheduling, nice weighs only within one session, and each host is a session of
its own), so that it takes what the hosts leave rather than their share; it keeps enough runs
queued that no host waits for it. The broker keeps its priority: the hosts wait on it for every
run. The same hosts are also measured on whole cores, without the quota, where the web side's and
the broker's CPU comes out of the hosts' cores (a figure of this machine, printed beside).

Prints, for one and for two hosts:
  - edited runs per second: distinct python runs (never cached) kept queued, in BENCH_ROUNDS
    windows of BENCH_SECONDS with one host (on each core in turn: they differ) and with two, the
    median of each, how many of the machine's cores were busy meanwhile (web side, broker and
    kernel included), and the CPU each run cost the web side, the broker and the rest (the hosts,
    their sandboxes and the kernel);
  - 300 simulated learners, each submitting an edited run every 30 s (spread evenly), for
    BENCH_LEARNER_SECONDS: p50 and p95 end to end, and how many went unanswered past their
    deadline (the run's timeout + the queue budget + grace);
the same runs per second on whole cores; what the machine itself gives a second core: pure
computation on two cores against one, with the hosts idle, in each round (a virtual machine's
second core may give less than a whole one); and, with one host, the cold run of each runtime
through the pool, and the pool's overhead over an in-process run of the same python sample,
interleaved (p50 of each, then of their paired differences).
The last two lines are in the form the issue fixes:
  runners: 1 worker R1 runs/s, 2 workers R2 runs/s, ratio X.XX
  cold p50: python N ms, wsgi N ms, asgi N ms, flask N ms, fastapi N ms; overhead p50 N ms
"""

import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))  # one window of the runs per second
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))  # windows of each, in turn
SETTLE_SECONDS = 1.0  # after a host is told to start or stop consuming
COMPUTE_SECONDS = 2.0  # each window of the machine's own ratio
SPARE_PAUSE = 0.3  # before each run with spares: a python spare starts in about 40 ms
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "300"))
LEARNER_PERIOD = 30.0
LEARNER_SECONDS = float(os.environ.get("BENCH_LEARNER_SECONDS", "30"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "31"))
# The share of its core each host may use (a CPU quota on its cgroup): the rest of the machine
# stands in for the web side's and the broker's machines. 1: whole cores, shared with them.
HOST_CPU = float(os.environ.get("BENCH_HOST_CPU", "0.8"))
QUOTA_PERIOD_US = 10_000
CGROUP_ROOT = Path("/sys/fs/cgroup")
TMP = Path(tempfile.mkdtemp(prefix="historyweb-bench-runners-"))
QUEUED_PER_SLOT = 4
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def lowest_priority():
    """Nice 19 for this process and for its autogroup, where the kernel groups by session (nice
    alone then weighs only against this session's other processes, never against the hosts').
    Answers a function that gives the autogroup its nice back: it is the whole session's, the
    shell that ran make included."""
    os.setpriority(os.PRIO_PROCESS, 0, 19)
    autogroup = Path("/proc/self/autogroup")
    try:
        before = autogroup.read_text().split()[-1]
        autogroup.write_text("19")
    except (OSError, IndexError):
        return lambda: None

    def restore():
        try:
            autogroup.write_text(before)
        except OSError:
            pass

    return restore


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis():
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(TMP)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)):
        if time.monotonic() > deadline:
            sys.exit("redis-server did not start")
        time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def cgroup_parent(name):
    """A parent cgroup of this host's own, in each hierarchy runs use (v1: memory, pids, cpu;
    v2: one directory). None where cgroups cannot be made: runs then go without, as the worker
    reports."""
    v1 = [
        CGROUP_ROOT / c
        for c in ("memory", "pids", "cpu")
        if (CGROUP_ROOT / c / "cgroup.procs").exists()
    ]
    made = []
    for base in v1 or [CGROUP_ROOT]:
        try:
            (base / name).mkdir(exist_ok=True)
            made.append(base / name)
        except OSError:
            pass
    return name if made else None, made


def cpu_cap(cgroups, share):
    """Holds the cgroup of `cgroups` in the cpu hierarchy to `share` of a core. Answers the
    cgroup.procs its worker enters (its runs' cgroups are made below it, under the same cap), or
    None where no cap was set. Set before the worker starts: its probe of the cgroups then sees
    the cap, as a runner host under systemd's CPUQuota= does (on v1, runs then go without a CPU
    quota of their own, which the kernel would refuse above the parent's)."""
    if share >= 1:
        return None
    quota = int(share * QUOTA_PERIOD_US)
    for directory in cgroups:
        try:
            if directory.parent.name == "cpu":  # v1: a process may sit beside child cgroups
                (directory / "cpu.cfs_period_us").write_text(str(QUOTA_PERIOD_US))
                (directory / "cpu.cfs_quota_us").write_text(str(quota))
                return directory / "cgroup.procs"
            if (directory / "cpu.max").exists():  # v2: the worker in a leaf of its own
                (directory / "cpu.max").write_text(f"{quota} {QUOTA_PERIOD_US}")
                (directory / "worker").mkdir(exist_ok=True)
                return directory / "worker" / "cgroup.procs"
        except OSError:
            return None
    return None


class Host:
    """One runner host: a worker process on core `core` (None: any), concurrency 1, held to
    `share` of a core where the cpu controller allows (`capped`)."""

    def __init__(self, index, core, broker, spares=0, share=1.0):
        self.name = f"bench-host{index}"
        self.var = TMP / self.name
        self.var.mkdir()
        parent, self.cgroups = cgroup_parent(f"historyweb-{self.name}")
        procs = cpu_cap(self.cgroups, share)
        self.capped = procs is not None

        def start():
            # A host's core is its own: back to the normal priority this (web) side gave up.
            os.setpriority(os.PRIO_PROCESS, 0, 0)
            if procs is not None:
                procs.write_text(str(os.getpid()))

        env = dict(os.environ, RUNNER_BROKER_URL=broker, HISTORYWEB_VAR_DIR=str(self.var))
        env["DJANGO_SETTINGS_MODULE"] = "historyweb.settings.dev"
        if parent:
            env["BENCH_RUNNER_CGROUP_PARENT"] = parent
        env["BENCH_RUNNER_SPARES"] = str(spares)
        self.log = open(self.var / "worker.log", "w")  # noqa: SIM115
        command = [sys.executable, str(ROOT / "bench" / "runner_host.py"), self.name]
        if core is not None and shutil.which("taskset"):
            command = ["taskset", "-c", str(core), *command]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=start,
        )

    def wait_ready(self):
        deadline = time.monotonic() + 60
        while "ready." not in (self.var / "worker.log").read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{self.name} did not start:\n" + (self.var / "worker.log").read_text())
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        for directory in self.cgroups:
            try:
                if (directory / "worker").exists():
                    (directory / "worker").rmdir()
                directory.rmdir()
            except OSError:
                pass


def listed(values, places=1):
    return ", ".join(f"{value:.{places}f}" for value in values)


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def edited(n):
    """A python run no cache has seen: the same work, a different program each time."""
    return f"print('Hello, Ada!')  # {os.getpid()}-{n}-{time.monotonic_ns()}\n"


@dataclass
class Spent:
    """CPU seconds spent in one window, by the whole machine, the web side and the broker."""

    runs: int
    machine: float
    web: float
    broker: float

    def per_run(self):
        """Milliseconds of CPU per run: web side, broker, and the rest (hosts, their sandboxes, the
        kernel)."""
        runs = max(1, self.runs)
        rest = self.machine - self.web - self.broker
        return tuple(seconds * 1000 / runs for seconds in (self.web, self.broker, rest))


def busy_cores():
    """CPU seconds the whole machine has spent busy (not idle, not waiting on I/O) so far."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(f) for f in fields]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid=None):
    """CPU seconds (user and system) spent so far by this process, all its threads, or by `pid`."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runs_per_second(run, slots, broker_pid):
    """Edited runs kept queued (QUEUED_PER_SLOT per slot, and one more) for SECONDS: completed per
    second, how many cores the machine kept busy, and the CPU seconds the web side and the broker
    spent. Enough are queued that a host never waits for the next while the web side, at the
    lowest priority, answers the last."""
    done, errors = [], []
    stop_at = time.monotonic() + SECONDS
    counter = iter(range(10**9))

    def client():
        while time.monotonic() < stop_at:
            try:
                run("python", edited(next(counter)))
                done.append(time.monotonic())
            except Exception as exc:
                errors.append(exc)

    started, busy = time.monotonic(), busy_cores()
    web, broker = cpu_seconds(), cpu_seconds(broker_pid)
    threads = [threading.Thread(target=client) for _ in range(QUEUED_PER_SLOT * slots + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    spent = Spent(
        runs=len(done),
        machine=busy_cores() - busy,
        web=cpu_seconds() - web,
        broker=cpu_seconds(broker_pid) - broker,
    )
    return len(done) / elapsed, spent.machine / elapsed, spent, errors


def learners(run, deadline):
    """LEARNERS learners, each submitting every 30 s, their starts spread over the period."""
    gap = LEARNER_PERIOD / LEARNERS
    submissions = int(LEARNER_SECONDS / gap)
    latencies, errors, late = [], [], 0
    lock = threading.Lock()

    def submit(n):
        nonlocal late
        due = begin + n * gap
        time.sleep(max(0.0, due - time.monotonic()))
        sent = time.monotonic()
        try:
            run("python", edited(n))
        except Exception as exc:
            with lock:
                errors.append(type(exc).__name__ + ": " + str(exc))
        took = time.monotonic() - sent
        with lock:
            latencies.append(took * 1000)
            late += took > deadline

    begin = time.monotonic() + 0.5
    with ThreadPoolExecutor(max_workers=64) as executor:
        list(executor.map(submit, range(submissions)))
    return latencies, errors, late


COMPUTE = """\
import sys, time
stop, count = time.monotonic() + float(sys.argv[1]), 0
while time.monotonic() < stop:
    for _ in range(10_000):
        pass
    count += 1
print(count)
"""


def compute(cores, seconds=COMPUTE_SECONDS):
    """Loops of pure Python counted in `seconds`, one process on each of `cores`, each in a
    session of its own (an autogroup, as a host is), at the normal priority."""
    processes = [
        subprocess.Popen(
            ["taskset", "-c", str(core), sys.executable, "-c", COMPUTE, str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, 0),
        )
        for core in cores
    ]
    return sum(int(process.communicate()[0]) for process in processes)


def machine_ratio(cores):
    """What the machine itself gives a second core, with the hosts idle: pure computation on two
    cores at once against one. A virtual machine's cores may share a physical one, or its clock
    drop when both are busy; no ratio of runs can be higher than this."""
    first, second = sorted(cores)[:2]
    alone = (compute([first]) + compute([second])) / 2  # each core alone: they differ
    return compute([first, second]) / alone if alone else 0.0


def cpu_per_run(windows):
    """The CPU each run cost, over all the windows: where a second host's runs go slower."""
    total = Spent(
        runs=sum(w.runs for w in windows),
        machine=sum(w.machine for w in windows),
        web=sum(w.web for w in windows),
        broker=sum(w.broker for w in windows),
    )
    web, broker, rest = total.per_run()
    return (
        f"CPU per run: web side {web:.1f} ms, broker {broker:.1f} ms,"
        f" hosts and kernel {rest:.1f} ms"
    )


def interleaved(first, second, repeat=REPEAT, ready=lambda: None):
    """p50 of each, and the p50 of their paired differences (each pair run back to back, so a
    moment's load on a shared machine weighs on both halves of a pair and cancels out).
    `ready()` runs before each action, off the clock."""
    a, b = [], []
    for _ in range(repeat):
        for action, times in ((first, a), (second, b)):
            ready()
            started = time.perf_counter()
            action()
            times.append((time.perf_counter() - started) * 1000)
    paired = [y - x for x, y in zip(a, b, strict=True)]
    return statistics.median(a), statistics.median(b), statistics.median(paired)


def main():
    redis_process, broker = start_redis()
    restore_priority = lowest_priority()
    os.environ["RUNNER_BROKER_URL"] = broker
    os.environ["HISTORYWEB_VAR_DIR"] = str(TMP / "web")
    os.environ["DJANGO_SETTINGS_MODULE"] = "historyweb.settings.dev"
    import django

    django.setup()
    from django.conf import settings
    from run_samples import SAMPLES
    from spare_figures import wait_for_spare

    from historyweb.celery import RUNS_QUEUE, app
    from timeline.runner import pool, spares
    from timeline.runner.config import get_config
    from timeline.runner.service import prepare, run_code, run_here

    def through_pool(runtime, code, request_text=""):
        result = run_code(runtime, code, request_text)  # RUNNER_BROKER_URL is set: a task
        if result.outcome != "ok":
            raise RuntimeError(f"{result.outcome}: {result.error or result.output}"[:200])
        return result

    def in_process(runtime, code, request_text=""):
        config = get_config()
        return run_here(runtime, prepare(runtime, code, request_text), config=config)

    deadline = get_config().timeout + pool.budget() + pool.GRACE_SECONDS
    cores = os.sched_getaffinity(0)
    print(
        f"machine: {len(cores)} cores, load {os.getloadavg()[0]:.2f}; {LEARNERS} learners;"
        " web side at nice 19 (its autogroup too), broker and each host at 0, each host on a core"
        " of its own"
    )
    figures = {}
    hosts = []
    try:
        pinned = [sorted(cores)[index % len(cores)] for index in range(2)]
        whole = [Host(index + 1, core, broker) for index, core in enumerate(pinned)]
        hosts += whole
        # A third with a python spare, for the pool's overhead on a run whose interpreter is
        # already started (as a runner host runs by default). On any core, as the in-process
        # run it is compared with: pinned to one, a spare run's processes take turns on it and
        # wait (22.8 ms at p50 in the host, against 12.6 ms unpinned).
        spare = Host(3, None, broker, spares=1)
        hosts.append(spare)
        # Two more on the same cores, each held to HOST_CPU of its core: a deployment's hosts
        # have whole cores to themselves, as these have what the web side and the broker leave.
        held = (
            []
            if HOST_CPU >= 1
            else [
                Host(index + 4, core, broker, share=HOST_CPU) for index, core in enumerate(pinned)
            ]
        )
        hosts += held
        for host in hosts:
            host.wait_ready()
        if not all(host.capped for host in held):
            held = []  # no cpu controller to hold them with
        groups = {"held": held, "whole": whole} if held else {"whole": whole}
        headline = next(iter(groups))  # the figures the lines report

        def consuming(chosen):
            """Only the hosts `chosen` consume the runs queue; one told to stop finishes the runs
            it holds."""
            for host in hosts:
                node = [f"{host.name}@{socket.gethostname()}"]
                if host in chosen:
                    app.control.add_consumer(RUNS_QUEUE, destination=node, reply=True)
                else:
                    app.control.cancel_consumer(RUNS_QUEUE, destination=node, reply=True)
            time.sleep(SETTLE_SECONDS)

        def hosts_taking(count, group="whole", turn=0):
            """`count` hosts of `group`; one alone on each core in turn (cores differ)."""
            chosen = groups[group]
            consuming(chosen if count > 1 else [chosen[turn % len(chosen)]])

        hosts_taking(1)
        through_pool("python", edited(-1))  # each side connected before the clock starts
        cold = {}
        for label, (runtime, code, request_text) in SAMPLES.items():
            times = []
            for n in range(max(3, REPEAT // 3)):
                started = time.perf_counter()
                through_pool(runtime, code + f"\n# {n}-{time.monotonic_ns()}\n", request_text)
                times.append((time.perf_counter() - started) * 1000)
            cold[label] = statistics.median(times)
        local_ms, pooled_ms, overhead_ms = interleaved(
            lambda: in_process("python", edited(0)),
            lambda: through_pool("python", edited(0)),
        )
        # The same with a python spare ready on each side before each run, off the clock: this
        # process's waited for, the host's replaced within the pause.
        consuming([spare])
        settings.RUNNER_SPARES = {"python": 1}
        in_process("python", edited(-2))  # the first run starts cold and asks for a spare
        through_pool("python", edited(-2))

        def spares_ready():
            time.sleep(SPARE_PAUSE)
            wait_for_spare("python")

        warm = interleaved(
            lambda: in_process("python", edited(0)),
            lambda: through_pool("python", edited(0)),
            ready=spares_ready,
        )
        settings.RUNNER_SPARES = 0
        spares.stop_all()
        # Each round: the machine's own ratio, then one host and two with each host held to
        # HOST_CPU of its core, then on whole cores, in turn: a load that comes and goes on a
        # shared machine then weighs on every figure alike.
        windows = {(group, count): [] for group in groups for count in (1, 2)}
        print(
            f"each host held to {HOST_CPU:.0%} of its core (a CPU quota on its worker and its"
            " runs), the rest standing in for the web side's and the broker's machines; then on"
            " whole cores"
            if held
            else "each host on a whole core (BENCH_HOST_CPU=1, or no cpu controller for a quota)"
        )
        errors, machine = [], []
        for turn in range(ROUNDS):
            if shutil.which("taskset") and len(cores) > 1:
                hosts_taking(1)  # and none queued: the hosts are idle
                machine.append(machine_ratio(cores))
            for group in groups:
                for count in (1, 2):
                    hosts_taking(count, group, turn)
                    *window, failed = runs_per_second(through_pool, count, redis_process.pid)
                    windows[group, count].append(window)
                    errors += failed
        for count in (1, 2):
            hosts_taking(count)  # learners on whole cores, as a deployment's hosts have them
            rates, busy, spent = zip(*windows[headline, count], strict=True)
            figures[count] = statistics.median(rates)
            latencies, failed, late = learners(through_pool, deadline)
            print(
                f"{count} worker{'s' if count > 1 else ''}: {figures[count]:.1f} edited runs/s"
                f" (median of {ROUNDS}: {listed(rates)});"
                f" machine busy {statistics.median(busy):.2f} of {len(cores)} cores"
                f" ({cpu_per_run(spent)});"
                f" learners (whole cores): p50 {percentile(latencies, 50):.0f} ms,"
                f" p95 {percentile(latencies, 95):.0f} ms, {len(failed)} errors,"
                f" {late} past the {deadline:.1f} s deadline"
            )
            errors += failed
        if held:
            rates = {count: [rate for rate, _, _ in windows["whole", count]] for count in (1, 2)}
            one, two = (statistics.median(rates[count]) for count in (1, 2))
            print(
                f"on whole cores, shared with the web side and the broker: 1 worker {one:.1f}"
                f" runs/s ({listed(rates[1])}), 2 workers {two:.1f}"
                f" runs/s ({listed(rates[2])}), ratio {two / one:.2f};"
                f" machine busy {statistics.median([b for _, b, _ in windows['whole', 2]]):.2f}"
                f" with two ({cpu_per_run([w for _, _, w in windows['whole', 2]])})"
            )
        for error in sorted(set(map(str, errors)))[:5]:
            print(f"  error: {error}")
        settings.RUNNER_BROKER_URL = ""
    finally:
        restore_priority()
        for host in hosts:
            host.stop()
        redis_process.terminate()
        redis_process.wait(timeout=10)
        shutil.rmtree(TMP, ignore_errors=True)
    print(
        f"cold: in-process p50 {local_ms:.0f} ms, through the pool p50 {pooled_ms:.0f} ms,"
        f" overhead p50 {overhead_ms:.0f} ms ({REPEAT} pairs, back to back; the overhead is their"
        " paired difference's p50)"
    )
    print(
        f"a python spare ready on each side: in-process p50 {warm[0]:.0f} ms, through the pool"
        f" p50 {warm[1]:.0f} ms, overhead p50 {warm[2]:.0f} ms"
    )
    if machine:
        print(
            f"the machine: two cores compute {statistics.median(machine):.2f}x one"
            f" (pure Python, hosts idle; median of {listed(machine, 2)})"
        )
    ratio = figures[2] / figures[1] if figures[1] else 0.0
    print(
        f"runners: 1 worker {figures[1]:.1f} runs/s, 2 workers {figures[2]:.1f} runs/s,"
        f" ratio {ratio:.2f}"
    )
    names = ["python", "wsgi", "asgi", "wsgi (Flask)", "asgi (FastAPI)"]
    labels = ["python", "wsgi", "asgi", "flask", "fastapi"]
    print(
        "cold p50: "
        + ", ".join(
            f"{label} {cold[name]:.0f} ms" for name, label in zip(names, labels, strict=True)
        )
        + f"; overhead p50 {warm[2]:.0f} ms"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
