#!/usr/bin/env python3
"""`make bench-live`: 200, then 1,000 followers on a live session while a remote moves 50 times.

Starts the production server as the README runs it (gunicorn with uvicorn workers, one per
core, production settings, a temporary SQLite database loaded with the history), creates a
live session for the full deck, opens FOLLOWERS event streams to it, then POSTs CHANGES moves
with the control key as a remote would, one every INTERVAL seconds. Prints:

* delivery: from the moment the remote's request is sent to the moment each follower has the
  event, p50 / p95 / max over every (change, follower) pair, and how many never arrived;
* the remote's own request time (p50 / p95);
* the server's CPU time (master and workers, from /proc) over the run, as seconds and as a
  share of one core, and this script's own CPU (the followers are simulated here);
* page latency meanwhile: the deck and an era page fetched back to back during the run,
  beside the same pages fetched before the followers connected.

* with --postgres (a throwaway PostgreSQL from tests/stores.py instead of SQLite): the most
  PostgreSQL client backends seen on the database during the step, against the bound the
  deployment is sized for (workers x DATABASE_POOL_MAX_SIZE), whatever the number of followers.

* pointer moves: then the phone's finger on the slide, POINTER_RATE moves a second for
  POINTER_SECONDS (at most two requests on their way, as the remote sends them): the rate
  sent, and from each move's request to each follower's event p50 / p95. Latest wins on the
  server, so a follower that falls behind skips positions (counted), but must get the last.

Each step of --followers (e.g. --followers 200,1000) opens that many followers afresh and is
reported on its own. Budget: delivery p95 <= 300 ms, none missing; pointer moves >= 20/s,
delivered p95 <= 150 ms, the last reaching every follower; and with --postgres at most
workers x pool size backends. Environment: BENCH_FOLLOWERS (200,1000), BENCH_CHANGES (50),
BENCH_INTERVAL (0.2 s), BENCH_WORKERS (cores), BENCH_REDIS_URL (use Redis pub/sub instead of the
local sockets; the URL of a running Redis).
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import (  # noqa: E402 (the sibling bench's helpers)
    HOST,
    PYTHON,
    ROOT,
    Connection,
    cores,
    decode,
    fetch,
    free_port,
    percentile,
    prepare,
    read_chunk,
    stop,
    wait_until_up,
)

FOLLOWERS = os.environ.get("BENCH_FOLLOWERS", "200,1000")
CHANGES = int(os.environ.get("BENCH_CHANGES", "50"))
INTERVAL = float(os.environ.get("BENCH_INTERVAL", "0.2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "0")) or cores()
BUDGET_P95_MS = 300
POINTER_RATE = float(os.environ.get("BENCH_POINTER_RATE", "30"))  # the remote's throttle
POINTER_SECONDS = float(os.environ.get("BENCH_POINTER_SECONDS", "3"))
POINTER_MIN_RATE = 20
POINTER_IN_FLIGHT = 2  # as live-pointer.js sends them
BUDGET_POINTER_P95_MS = 150
POOL_SIZE = 8  # DATABASE_POOL_MAX_SIZE: production's default (historyweb/settings/prod.py)
BACKENDS_SQL = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)
SESSION_SCRIPT = """
from timeline.live import sessions
from timeline.models import Era
from timeline.presenter import load_deck
deck, _ = load_deck("full", "", Era.objects.published())
session, key = sessions.create(deck, "full", "")
print(session.code, key, deck.count)
"""


def start_server(env, port, log):
    command = [
        str(Path(PYTHON).with_name("gunicorn")),
        "historyweb.asgi:application",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--workers",
        str(WORKERS),
        "--bind",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )


def cpu_seconds(pid):
    """CPU time of `pid` and its children (the gunicorn master and its workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


class Follower:
    """One EventSource, in asyncio: records when each state event (by id) arrives."""

    def __init__(self, port, path):
        self.port, self.path = port, path
        self.arrivals = {}
        self.pointers = {}  # a pointer move's x: when it arrived
        self.ready = asyncio.Event()
        self.task = None

    async def run(self):
        reader, writer = await asyncio.open_connection(HOST, self.port)
        writer.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                "Accept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        chunked = b"transfer-encoding: chunked" in head.lower()
        buffer = b""
        try:
            while True:
                data = await read_chunk(reader, chunked)
                if not data:
                    return
                now = time.perf_counter()
                buffer += data
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    if block.startswith(b"event: pointer"):
                        x = json.loads(block.split(b"data: ", 1)[1]).get("x")
                        self.pointers[x] = now
                        continue
                    match = re.search(rb"^id: (\d+)$", block, re.M)
                    if match and b"event: state" in block:
                        self.arrivals[int(match.group(1))] = now
                        self.ready.set()
        finally:
            writer.close()


async def csrf(port):
    """A CSRF cookie and token, as the remote page would have."""
    status, headers, body = await fetch(port, "/samples/csrf/")
    assert status == 200, status
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", "")).group(1)
    return cookie, json.loads(decode(headers, body))["csrfToken"]


async def post_json(connection, port, path, key, cookie, token, data):
    """POST `data` to one of the session's controls with the control key; answers its JSON."""
    body = json.dumps(data).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"X-Forwarded-Proto: https\r\nOrigin: https://{HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: csrftoken={cookie}\r\nX-CSRFToken: {token}\r\nX-Live-Key: {key}\r\n\r\n"
    ).encode() + body
    if connection.writer is None:
        connection.reader, connection.writer = await asyncio.open_connection(HOST, port)
    connection.writer.write(request)
    await connection.writer.drain()
    head = await connection.reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))
    answer = await connection.reader.readexactly(length)
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"remote: {head.split(b' ', 2)[1].decode()} {answer[:200]!r}")
    return json.loads(answer)


async def post_state(connection, port, code, key, cookie, token, slide, seq):
    """Move to `slide` from the state numbered `seq` (the remote's last); answers the new seq."""
    move = {"seq": seq, "slide": slide, "step": 0}
    return (await post_json(connection, port, f"/live/{code}/state/", key, cookie, token, move))[
        "seq"
    ]


async def point(port, code, key, cookie, token, slide, rate, seconds):
    """The phone's finger on the slide: `rate` pointer moves a second for `seconds`, each at an
    x of its own (so its arrival can be matched), at most POINTER_IN_FLIGHT requests on their
    way as the remote sends them; answers ({x: when sent}, seconds taken)."""
    sent = {}
    path = f"/live/{code}/pointer/"
    free = asyncio.Queue()
    for _ in range(POINTER_IN_FLIGHT):
        free.put_nowait(Connection(port))

    async def send(n, x):
        connection = await free.get()
        try:
            data = {"slide": slide, "x": x, "y": 0.5, "sender": "bench", "n": n}
            await post_json(connection, port, path, key, cookie, token, data)
        finally:
            free.put_nowait(connection)

    tasks = []
    started = time.perf_counter()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        connection = await free.get()  # the remote waits too while both are on their way
        free.put_nowait(connection)
        x = round((n + 1) / 10_000, 4)
        sent[x] = time.perf_counter()
        tasks.append(asyncio.create_task(send(n, x)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    while not free.empty():
        free.get_nowait().close()
    return sent, wall


async def page_latencies(port, paths, stop_at=None, count=None):
    """Fetch `paths` in turn until `stop_at` (an Event) is set or `count` rounds are done."""
    times = []
    rounds = 0
    connection = Connection(port)
    try:
        while (stop_at is None or not stop_at.is_set()) and (count is None or rounds < count):
            for path in paths:
                started = time.perf_counter()
                status, _, _ = await connection.request(path)
                times.append(time.perf_counter() - started)
                assert status == 200, (path, status)
            rounds += 1
            await asyncio.sleep(0.02)
    finally:
        connection.close()
    return times


async def count_backends(database_url, stop_at, seen):
    """Poll PostgreSQL's client backends on the database until `stop_at`; append each count."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as counting:
        while not stop_at.is_set():
            seen.append((await (await counting.execute(BACKENDS_SQL)).fetchone())[0])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_at.wait(), 0.2)


async def measure(port, code, key, count, server_pid, followers_count, database_url=None):
    backends, counted = [], asyncio.Event()
    counter = None
    if database_url:
        counter = asyncio.create_task(count_backends(database_url, counted, backends))
    _, headers, timeline = await fetch(port, "/")
    eras = re.findall(r'href="(/eras/[^"/]+/)"', decode(headers, timeline).decode())
    pages = ["/present/", eras[len(eras) // 2]]
    await page_latencies(port, pages, count=10)  # warm the page cache
    before = await page_latencies(port, pages, count=30)

    followers = [Follower(port, f"/live/{code}/events/") for _ in range(followers_count)]
    for follower in followers:
        follower.task = asyncio.create_task(follower.run())
    await asyncio.wait_for(asyncio.gather(*(f.ready.wait() for f in followers)), 60)

    cookie, token = await csrf(port)
    remote = Connection(port)
    done = asyncio.Event()
    pages_task = asyncio.create_task(page_latencies(port, pages, stop_at=done))
    cpu_start, own_start, wall_start = cpu_seconds(server_pid), time.process_time(), time.time()
    sent, request_times = {}, []
    # The session's state now: a step after the first starts where the last one left it.
    status, headers, body = await fetch(port, f"/live/{code}/state/")
    assert status == 200, status
    seq = json.loads(decode(headers, body))["seq"]
    for n in range(CHANGES):
        slide = 2 + n % (count - 1)
        started = time.perf_counter()
        seq = await post_state(remote, port, code, key, cookie, token, slide, seq)
        request_times.append(time.perf_counter() - started)
        sent[seq] = started
        await asyncio.sleep(INTERVAL)
    await asyncio.sleep(1.0)  # stragglers
    # Then the phone points at the slide the deck is on, as fast as the remote sends.
    pointer_sent, pointer_wall = await point(
        port, code, key, cookie, token, slide, POINTER_RATE, POINTER_SECONDS
    )
    await asyncio.sleep(0.5)
    cpu = cpu_seconds(server_pid) - cpu_start
    own = time.process_time() - own_start
    wall = time.time() - wall_start
    done.set()
    during = await pages_task
    remote.close()
    for follower in followers:
        follower.task.cancel()
    await asyncio.gather(*(f.task for f in followers), return_exceptions=True)
    counted.set()
    if counter is not None:
        await counter

    delays, missing = [], 0
    for seq, started in sent.items():
        for follower in followers:
            arrived = follower.arrivals.get(seq)
            if arrived is None:
                missing += 1
            else:
                delays.append(arrived - started)
    # Latest wins: a follower behind may skip a position, so each counts only what it got.
    pointer_delays, pointer_skipped = [], 0
    for follower in followers:
        for x, started in pointer_sent.items():
            arrived = follower.pointers.get(x)
            if arrived is None:
                pointer_skipped += 1
            else:
                pointer_delays.append(arrived - started)
    last_x = max(pointer_sent)
    return {
        "pointer": {
            "delays": pointer_delays,
            "skipped": pointer_skipped,
            "rate": len(pointer_sent) / pointer_wall,
            "last_missing": sum(last_x not in f.pointers for f in followers),
        },
        "delays": delays,
        "missing": missing,
        "requests": request_times,
        "cpu": cpu,
        "own": own,
        "wall": wall,
        "before": before,
        "during": during,
        "pages": pages,
        "followers": followers_count,
        "backends": backends,
    }


def ms(values, pct):
    return percentile(values, pct) * 1000


def report(r, database):
    backend = "Redis pub/sub" if os.environ.get("BENCH_REDIS_URL") else "local UNIX sockets"
    print(
        f"\nhistoryweb bench-live: gunicorn + {WORKERS} uvicorn workers on {HOST}, {backend}, "
        f"{database}; {r['followers']} followers, {CHANGES} changes every {INTERVAL:g} s; machine "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work shares "
        "the CPU)\n"
    )
    d = r["delays"]
    print(
        f"delivery remote request -> follower: p50 {ms(d, 50):.1f} ms  p95 {ms(d, 95):.1f} ms  "
        f"max {max(d) * 1000:.1f} ms  ({len(d)} deliveries, {r['missing']} missing)"
    )
    q = r["requests"]
    print(f"remote request:                      p50 {ms(q, 50):.1f} ms  p95 {ms(q, 95):.1f} ms")
    print(
        f"server CPU: {r['cpu']:.2f} s over {r['wall']:.1f} s = {100 * r['cpu'] / r['wall']:.0f}% "
        f"of one core ({1000 * r['cpu'] / max(1, len(d)):.2f} ms per delivery); "
        f"this script (the followers): {r['own']:.2f} s"
    )
    for label, times in (("before", r["before"]), ("during", r["during"])):
        print(
            f"pages {label:6} ({', '.join(r['pages'])}): p50 {ms(times, 50):.1f} ms  "
            f"p95 {ms(times, 95):.1f} ms  ({len(times)} requests)"
        )
    p = r["pointer"]
    print(
        f"pointer moves from the phone: {p['rate']:.1f}/s sent; delivered p50 "
        f"{ms(p['delays'], 50):.1f} ms  p95 {ms(p['delays'], 95):.1f} ms  "
        f"({len(p['delays'])} deliveries, {p['skipped']} skipped for a newer one, "
        f"{p['last_missing']} followers without the last)"
    )
    p95 = ms(d, 95)
    met = p95 <= BUDGET_P95_MS and not r["missing"]
    budget = f"delivery p95 <= {BUDGET_P95_MS} ms, none missing"
    pointer_met = (
        p["rate"] >= POINTER_MIN_RATE
        and ms(p["delays"], 95) <= BUDGET_POINTER_P95_MS
        and not p["last_missing"]
    )
    met = met and pointer_met
    budget += (
        f"; pointer >= {POINTER_MIN_RATE}/s, delivered p95 <= {BUDGET_POINTER_P95_MS} ms, "
        "the last position reaching everyone"
    )
    if r["backends"]:
        bound = WORKERS * POOL_SIZE
        most = max(r["backends"])
        print(
            f"PostgreSQL client backends on the database: at most {most}, at the end "
            f"{r['backends'][-1]} ({len(r['backends'])} samples; bound {WORKERS} workers x pool "
            f"{POOL_SIZE} = {bound})"
        )
        met = met and most <= bound
        budget += f", PostgreSQL backends <= {bound}"
    print(f"\nbudget: {budget}: {'met' if met else 'NOT met'}")
    return 0 if met else 1


def follower_steps(text):
    steps = [int(part) for part in text.split(",") if part.strip()]
    if not steps or min(steps) < 1:
        raise argparse.ArgumentTypeError("follower counts are whole numbers from 1, e.g. 200,1000")
    return steps


@contextlib.contextmanager
def postgres():
    """A throwaway PostgreSQL (tests/stores.py); yields its DATABASE_URL."""
    sys.path.insert(0, str(ROOT))
    from tests.stores import StoreMissing, postgres_server

    try:
        with postgres_server() as database_url:
            yield database_url
    except StoreMissing as exc:
        raise SystemExit(f"bench-live --postgres needs PostgreSQL: {exc}") from None


def raise_file_limit():
    """A follower is a socket here and one in the server (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--followers",
        type=follower_steps,
        default=follower_steps(FOLLOWERS),
        help="followers per step, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite"
    )
    args = parser.parse_args()
    raise_file_limit()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(postgres()) if args.postgres else None
        return bench(args.followers, database_url)


def bench(steps, database_url):
    tmp = Path(tempfile.mkdtemp(prefix="historyweb-bench-live-"))
    server, status = None, 1
    log_path = tmp / "server.log"
    database = "PostgreSQL" if database_url else "SQLite"
    try:
        env = prepare(tmp, {"DATABASE_URL": database_url} if database_url else None)
        env["DATABASE_POOL_MAX_SIZE"] = str(POOL_SIZE)
        env["DJANGO_ALLOWED_HOSTS"] = HOST
        env["RUNNER_CLIENT_IP_HEADER"] = "X-Real-IP"  # as a deployment behind a proxy sets it
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "")
        created = (
            subprocess.run(
                [PYTHON, str(ROOT / "manage.py"), "shell", "-c", SESSION_SCRIPT],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            )
            .stdout.strip()
            .splitlines()[-1]
            .split()
        )
        code, key, count = created[0], created[1], int(created[2])
        port = free_port()
        with open(log_path, "w") as log:
            server = start_server(env, port, log)
            asyncio.run(wait_until_up(port, server))
            status = 0
            for followers in steps:
                results = asyncio.run(
                    measure(port, code, key, count, server.pid, followers, database_url)
                )
                status |= report(results, database)
        return status
    finally:
        if server is not None:
            stop(server)
        if status and log_path.exists():
            print("\n--- server log (last lines) ---")
            print("\n".join(log_path.read_text().splitlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
