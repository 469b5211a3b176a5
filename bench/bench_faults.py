#!/usr/bin/env python3
"""`make bench-faults`: the production setup through faults, under load.

Starts the README's production setup locally (gunicorn with uvicorn workers, one per core,
production settings) on a PostgreSQL and a Redis of its own, in a temporary directory, loads the
history and creates a live session for the full deck. Then, for each scenario, puts on it:
page visitors (VISITORS concurrent clients fetching the timeline, an era page and the deck), a
remote moving the session every 0.5 s, an edited sample run every 2 s, and FOLLOWERS event
streams read as browsers read them (reconnecting, with Last-Event-ID). The scenarios:

  1. Redis restart: a snapshot (SAVE), an edit, Redis killed (a crash), another edit while it is
     down (~3 s), Redis started again (it loads the old snapshot);
  2. PostgreSQL restart (pg_ctl stop -m fast, ~3 s, start);
  3. a worker killed (SIGKILL; one with a run in progress when there is one);
  4. SIGTERM of the server with the streams open (its shutdown time), then started again;
  5. a full var/: the server on file caches in a small tmpfs (needs root), filled, then freed;
  6. 1,000 followers (BENCH_FAULTS_CROWD), each loading the follow page first.

For each it prints one line: outcomes by status for pages, remote, runs and followers; seconds
from the fault's end to the last error; and what was lost: moves sent after the fault (plus
GRACE s to reconnect) that a follower never received, followers whose last state is not the
session's, run directories left in /tmp, and (1) pages fetched after the crash that do not show
the last edit. Then the checks a production setup must pass, as PASS/FAIL with their figure.

A measurement, not a test: it exits 0 whatever the figures (1 only if it could not run). A
scenario whose binary is missing is skipped with the reason. Every process and temporary
directory is removed at the end, also on Ctrl-C or SIGTERM. BENCH_FAULTS=1,4 runs some only.
"""

import asyncio
import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import raise_file_limit, start_server  # noqa: E402
from fault_clients import Follower, Remote, Runner, Visitor, now  # noqa: E402
from fault_figures import (  # noqa: E402
    behind,
    check_lines,
    error_summary,
    errors_with,
    format_counts,
    missed,
    recovery_seconds,
    stale,
    table_lines,
    undelivered,
)
from fault_stores import Postgres, Redis, started  # noqa: E402
from load import (  # noqa: E402
    HOST,
    PYTHON,
    ROOT,
    Connection,
    cores,
    decode,
    free_port,
    prepare,
    stop,
    wait_until_up,
)

VISITORS = 4
FOLLOWERS = 50
CROWD = int(os.environ.get("BENCH_FAULTS_CROWD", "1000"))
WARM = 3.0  # seconds of load before the fault
AFTER = 10.0  # seconds of load after it
GRACE = 3.0  # after the fault, for streams to reconnect (the browser's retry is 2 s)
SETTLE = 1.5  # after the remote's last move, for it to reach the followers
OUTAGE = 3.0
LOCK_SECONDS = 5.0  # page_cache.LOCK_SECONDS: the most a page is served stale during a render
SHUTDOWN_BUDGET = 2.0
JOIN_SECONDS = 10.0  # followers join over this long: a room scanning the QR code
RUN_DIRS = "/tmp/historyweb-run-{pid}.*"  # a run's work directory, named after its worker

SETUP_SCRIPT = """
import json
from timeline.live import sessions
from timeline.models import CodeSample, Era
from timeline.presenter import load_deck
deck, _ = load_deck("full", "", Era.objects.published())
session, key = sessions.create(deck, "full", "")
eras = Era.objects.published()
sample = next(s for s in CodeSample.objects.filter(runtime="python", era__in=eras) if s.runnable)
era = eras.order_by("year")[len(eras) // 2]
print(json.dumps({"code": session.code, "key": key, "count": deck.count, "era": era.slug,
                  "sample": {"path": f"/samples/{sample.pk}/run/", "code": sample.code}}))
"""
EDIT_SCRIPT = """
from timeline.models import Era
era = Era.objects.get(slug={slug!r})
era.title = {title!r}
era.save()
"""


class Bench:
    """The stores, the server and the live session the scenarios share."""

    def __init__(self, tmp, postgres, redis):
        self.tmp, self.postgres, self.redis = tmp, postgres, redis
        self.port = free_port()
        self.server = None
        self.log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed in close())
        self.mounted = None
        self.seq = 0
        self.edits = 0

    def set_up(self):
        shared = {}
        if self.postgres:
            shared["DATABASE_URL"] = self.postgres.url
        else:
            shared["DATABASE_URL"] = f"sqlite:///{self.tmp / 'historyweb.sqlite3'}"
        if self.redis:
            shared["REDIS_URL"] = self.redis.url
        self.env = prepare(self.tmp, shared)
        self.env["DATABASE_POOL_MAX_SIZE"] = "8"
        created = self.manage("shell", "-c", SETUP_SCRIPT).stdout.strip().splitlines()[-1]
        self.live = json.loads(created)
        self.pages = ["/", f"/eras/{self.live['era']}/", "/present/"]

    def manage(self, *args, env=None):
        return subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args],
            env=env or self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )

    async def edit(self):
        """Retitle the watched era, as an admin save would (the ORM's signals bump the content
        version); its new title, or the error if the save failed."""
        self.edits += 1
        title = f"Edited era bench{self.edits}x{os.getpid()}"
        script = EDIT_SCRIPT.format(slug=self.live["era"], title=title)
        try:
            await asyncio.to_thread(self.manage, "shell", "-c", script)
        except subprocess.CalledProcessError as exc:
            return None, exc.stderr.strip().splitlines()[-1]
        return title, None

    async def start(self, env=None):
        self.server = start_server(env or self.env, self.port, self.log)
        await wait_until_up(self.port, self.server)

    async def terminate(self):
        """SIGTERM to the master; seconds until it has exited."""
        started = time.monotonic()
        self.server.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.server.wait, 60)
        except subprocess.TimeoutExpired:
            stop(self.server)
        return time.monotonic() - started

    def workers(self):
        pid = self.server.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    async def session_state(self):
        connection = Connection(self.port)
        try:
            status, headers, body = await connection.request(f"/live/{self.live['code']}/state/")
        finally:
            connection.close()
        data = json.loads(decode(headers, body))
        return data["seq"], data["slide"]

    def close(self):
        if self.server is not None:
            stop(self.server)
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.mounted)], capture_output=True)
        self.log.close()


class Load:
    """Every client of one scenario, started together; followers join a few hundred a second."""

    def __init__(self, bench, followers=FOLLOWERS, join_page=False):
        port, live = bench.port, bench.live
        self.bench = bench
        self.visitors = [Visitor(port, bench.pages, bench.pages[1]) for _ in range(VISITORS)]
        self.remote = Remote(port, live["code"], live["key"], live["count"], seq=bench.seq)
        self.runner = Runner(port, live["sample"])
        self.followers = [Follower(port, live["code"], join_page) for _ in range(followers)]
        self.moving, self.stopping = asyncio.Event(), asyncio.Event()
        self.tasks = []

    async def __aenter__(self):
        for n, follower in enumerate(self.followers):
            self.tasks.append(asyncio.create_task(follower.run(self.stopping)))
            if n % 50 == 49:
                await asyncio.sleep(JOIN_SECONDS * 50 / len(self.followers))
        opened = [asyncio.create_task(f.opened.wait()) for f in self.followers]
        _, pending = await asyncio.wait(opened, timeout=90)
        for task in pending:
            task.cancel()
        self.all_open = now()
        self.tasks.append(asyncio.create_task(self.remote.run(self.moving)))
        self.tasks.append(asyncio.create_task(self.runner.run(self.stopping)))
        self.tasks += [asyncio.create_task(v.run(self.stopping)) for v in self.visitors]
        await asyncio.sleep(WARM)
        return self

    async def __aexit__(self, *exc):
        self.moving.set()
        await asyncio.sleep(SETTLE)
        self.stopping.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.bench.seq = self.remote.seq
        with contextlib.suppress(Exception):
            self.session = await self.bench.session_state()

    def figures(self, fault_end, since=None):
        """The scenario's line, less its name and notes; and its numbers for the checks."""
        groups = {
            "pages": [e for v in self.visitors for e in v.events],
            "remote": self.remote.events,
            "runs": self.runner.events,
            "followers": [e for f in self.followers for e in f.events],
        }
        if self.followers[0].join_page:
            groups["follow pages"] = [e for f in self.followers for e in f.page_events]
        since = fault_end + GRACE if since is None else since
        sent, received = self.remote.sent, [f.seqs for f in self.followers]
        lost = undelivered(sent, received, since)
        owed = sum(1 for when in sent.values() if when >= since) * len(self.followers)
        session = getattr(self, "session", None)
        late = behind([f.final for f in self.followers], session) if session else None
        deliveries = missed(sent, received, fault_end)
        recover = max(
            recovery_seconds(events, fault_end) for events in [*groups.values(), deliveries]
        )
        text = " | ".join(f"{name} {format_counts(events)}" for name, events in groups.items())
        if recover >= AFTER - 2 * self.remote.interval:  # its last moves still went amiss
            recovered = f"not within {AFTER:g} s"
        else:
            recovered = f"{recover:.1f} s"
        text += f" | recover {recovered}"
        lost_text = f"{lost} of {owed} moves after the fault"
        lost_text += f", {late}/{len(self.followers)} followers behind" if late is not None else ""
        text += f" | lost: {lost_text}"
        all_events = [e for events in groups.values() for e in events]
        numbers = {
            "page_500": errors_with(groups["pages"], 500),
            "any_500": errors_with(all_events, 500),
            "lost": lost,
            "behind": late,
            "row": [error_summary(groups), recovered, lost_text],
        }
        return text, numbers


# ---- The scenarios: each answers (line, numbers) -------------------------------------------


async def redis_restart(bench):
    async with Load(bench) as load:
        await asyncio.to_thread(bench.redis.snapshot)
        before, _ = await bench.edit()
        fault_start = now()
        await asyncio.to_thread(bench.redis.stop, True)  # a crash: nothing saved on the way down
        during, failed = await bench.edit()
        await asyncio.sleep(max(0.0, OUTAGE - (now() - fault_start)))
        await asyncio.to_thread(bench.redis.start)
        fault_end = now()
        edited_at = now() if during else fault_start
        await asyncio.sleep(AFTER)
    text, numbers = load.figures(fault_end)
    marker = during or before
    since = max(fault_end, edited_at + LOCK_SECONDS)
    bodies = [body for visitor in load.visitors for body in visitor.bodies]
    numbers["stale"] = stale(bodies, marker, since)
    watched = sum(1 for when, _ in bodies if when >= since)
    numbers["note"] = f"stale pages {numbers['stale']} of {watched} era pages"
    text += ", " + numbers["note"]
    if failed:
        text += f" | the edit while Redis was down failed: {failed}"
    return text, numbers


async def postgres_restart(bench):
    async with Load(bench) as load:
        fault_start = now()
        await asyncio.to_thread(bench.postgres.stop)
        await asyncio.sleep(max(0.0, OUTAGE - (now() - fault_start)))
        await asyncio.to_thread(bench.postgres.start)
        fault_end = now()
        await asyncio.sleep(AFTER)
    return load.figures(fault_end)


def children(task):
    """The processes a thread (/proc/<pid>/task/<tid>) started: a run's sandbox."""
    try:
        return Path(task, "children").read_text().split()
    except OSError:
        return []


async def worker_killed(bench):
    leftovers = set(glob.glob(RUN_DIRS.format(pid="*")))
    async with Load(bench) as load:
        victim, mid_run = None, False
        deadline = now() + 4
        while now() < deadline and not mid_run:  # a worker with a sandbox running, if any
            for pid in bench.workers():
                if any(children(task) for task in glob.glob(f"/proc/{pid}/task/*")):
                    victim, mid_run = pid, True
            await asyncio.sleep(0.02)
        victim = victim or bench.workers()[0]
        os.kill(victim, signal.SIGKILL)
        fault_end = now()
        await asyncio.sleep(AFTER)
    text, numbers = load.figures(fault_end)
    left = len(set(glob.glob(RUN_DIRS.format(pid=victim))) - leftovers)
    numbers["note"] = f"run directories left {left} (killed {'mid-run' if mid_run else 'idle'})"
    text += ", " + numbers["note"]
    return text, numbers


async def sigterm(bench):
    async with Load(bench) as load:
        took = await bench.terminate()
        await bench.start()
        fault_end = now()
        await asyncio.sleep(AFTER)
    text, numbers = load.figures(fault_end)
    byes = sum(1 for f in load.followers if f.byes)
    numbers["shutdown"] = took
    numbers["note"] = f"shutdown {took:.2f} s ({byes}/{FOLLOWERS} streams got bye)"
    return f"{numbers['note']} | {text}", numbers


def mount_reason():
    if os.geteuid() != 0:
        return "mounting a small tmpfs over var/ needs root"
    return None


async def full_var(bench):
    var = bench.tmp / "var-full"
    var.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(var)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        return f"skipped: cannot mount a tmpfs: {mounted.stderr.strip()}", {}
    bench.mounted = var
    # File caches (no REDIS_URL) in the small var/: what a full disk breaks.
    env = {**bench.env, "HISTORYWEB_VAR_DIR": str(var), "REDIS_URL": ""}
    stop(bench.server)
    await bench.start(env)
    try:
        async with Load(bench) as load:
            fault_start = now()
            await asyncio.to_thread(fill, var / "ballast")
            await asyncio.sleep(8)
            (var / "ballast").unlink()
            fault_end = now()
            await asyncio.sleep(AFTER)
        text, numbers = load.figures(fault_end, since=fault_start + GRACE)
        numbers["note"] = "file caches, 16 MiB var/ filled for 8 s"
    finally:
        stop(bench.server)
        subprocess.run(["umount", "-l", str(var)], capture_output=True)
        bench.mounted = None
    await bench.start()  # as before: on Redis
    return "file caches, 16 MiB var/ filled for 8 s | " + text, numbers


def fill(path):
    # The last buffered bytes fail again as the file closes: that ENOSPC is the goal too.
    with contextlib.suppress(OSError), open(path, "wb") as ballast:
        while True:
            ballast.write(b"\0" * 65536)
            ballast.flush()


async def crowd(bench):
    async with Load(bench, followers=CROWD, join_page=True) as load:
        await asyncio.sleep(AFTER)
    joined = sum(1 for f in load.followers if f.opened.is_set())
    text, numbers = load.figures(load.all_open, since=load.all_open)
    numbers["note"] = f"{joined}/{CROWD} streams open, each after loading the follow page"
    return f"{joined}/{CROWD} streams open | {text}", numbers


def needs(bench, store):
    return None if getattr(bench, store) else bench.missing[store]


SCENARIOS = [
    ("1 Redis restart", redis_restart, lambda b: needs(b, "redis")),
    ("2 PostgreSQL restart", postgres_restart, lambda b: needs(b, "postgres")),
    ("3 worker killed", worker_killed, lambda b: None),
    (f"4 SIGTERM, {FOLLOWERS} streams", sigterm, lambda b: None),
    ("5 full var/", full_var, lambda b: mount_reason()),
    (f"6 {CROWD:,} followers", crowd, lambda b: None),
]


def checks(results):
    def get(n, key):
        return results.get(n, {}).get(key)

    def check(what, n, key, test, unit=""):
        value = get(n, key)
        if value is None:
            return (what, None, "not measured")
        return (what, test(value), f"{value:.2f}{unit}" if isinstance(value, float) else value)

    return [
        check("0 page 500s through a Redis restart", 1, "page_500", lambda v: v == 0),
        check("0 lost moves for followers after it", 1, "lost", lambda v: v == 0),
        check(f"no 500 at {CROWD:,} followers", 6, "any_500", lambda v: v == 0),
        check(
            f"shutdown <= {SHUTDOWN_BUDGET:g} s with {FOLLOWERS} streams",
            4,
            "shutdown",
            lambda v: v <= SHUTDOWN_BUDGET,
            " s",
        ),
        check("no stale page after a Redis crash", 1, "stale", lambda v: v == 0),
        check("no 500 with a full var/", 5, "any_500", lambda v: v == 0),
    ]


async def run_scenarios(bench, chosen):
    await bench.start()
    results = {}
    for n, (name, scenario, reason) in enumerate(SCENARIOS, 1):
        if chosen and n not in chosen:
            continue
        why = reason(bench)
        if why:
            print(f"{name:26} skipped: {why}", flush=True)
            continue
        if results:  # each on a fresh server: no scenario inherits another's damage
            stop(bench.server)
            await bench.start()
        text, numbers = await scenario(bench)
        numbers["name"] = name
        results[n] = numbers
        print(f"{name:26} {text}", flush=True)
    return results


def main():
    chosen = {int(n) for n in os.environ.get("BENCH_FAULTS", "").split(",") if n.strip()}
    raise_file_limit()
    # Ctrl-C and SIGTERM end the bench through its clean-up, also when started in the
    # background (where a shell has SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    tmp = Path(tempfile.mkdtemp(prefix="historyweb-bench-faults-"))
    bench = None
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        postgres, pg_missing = started(stack, Postgres)
        redis, redis_missing = started(stack, Redis)
        bench = Bench(tmp, postgres, redis)
        bench.missing = {"postgres": pg_missing, "redis": redis_missing}
        stack.callback(bench.close)
        bench.set_up()
        database = "PostgreSQL" if postgres else "SQLite (no PostgreSQL)"
        cache = "Redis" if redis else "file caches (no Redis)"
        machine = (
            f"gunicorn + {cores()} uvicorn workers, {database}, {cache}, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at the start"
        )
        print(
            f"historyweb bench-faults: gunicorn + {cores()} uvicorn workers on {HOST}, {database}, "
            f"{cache}; {VISITORS} page visitors, a remote every 0.5 s, a run every 2 s, "
            f"{FOLLOWERS} followers; load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores\n",
            flush=True,
        )
        try:
            results = asyncio.run(run_scenarios(bench, chosen))
        except Exception:
            print("\n--- server log (last lines) ---")
            print("\n".join((tmp / "server.log").read_text().splitlines()[-30:]))
            raise
        server_log = (tmp / "server.log").read_text()
        if "Traceback" in server_log:
            print("\n--- server log (last lines; it has tracebacks) ---")
            print("\n".join(server_log.splitlines()[-15:]))
        print("\nChecks:")
        for line in check_lines(checks(results)):
            print("  " + line)
        print(f"\nFor the README ({time.strftime('%Y-%m-%d')}; {machine}):\n")
        print("\n".join(table_lines(table_rows(results))))
    return 0


def table_rows(results):
    """(scenario, errors, recovery, lost, notes) of each scenario run, in order."""
    return [
        (numbers["name"].strip(), *numbers.get("row", ("", "", "")), numbers.get("note", ""))
        for _, numbers in sorted(results.items())
    ]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench-faults: interrupted; its servers are stopped and its files removed")
        sys.exit(130)
