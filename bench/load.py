#!/usr/bin/env python3
"""`make bench`: load-test the content pages against a static file of similar size.

Starts gunicorn (one worker per core) on 127.0.0.1 with production settings, a throwaway secret,
a temporary SQLite database loaded with load_history and a temporary STATIC_ROOT; then, with a
small asyncio HTTP/1.1 client in this file, puts CONNECTIONS concurrent connections on each URL
for DURATION seconds (at most MAX_REQUESTS requests) and prints requests/s, p50, p99 and errors
per URL, and each page's throughput divided by the static file's. Every request carries
X-Forwarded-Proto: https, as the TLS proxy in front of production would send.

Loopback only; every loop is bounded and the server is stopped at the end, also on failure.
The URLs take turns in ROUNDS short rounds, so a burst of load from elsewhere on the machine
hits them all alike. Environment: BENCH_DURATION (s per URL, default 8), BENCH_ROUNDS (4),
BENCH_CONNECTIONS (64), BENCH_MAX_REQUESTS (50000 per URL).
"""

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
DURATION = float(os.environ.get("BENCH_DURATION", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "50000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
REQUEST_TIMEOUT = 10.0
TARGET_RATIO = 0.8
# Deck URLs tried in order; the first that answers 200 is measured (skipped with a note if none).
DECK_URLS = ["/present/", "/present/{era}/"]


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def prepare(tmp):
    """A production-like environment in `tmp`: SQLite loaded with the history, static files."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="historyweb.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        HISTORYWEB_VAR_DIR=str(tmp / "var"),
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_LOG_LEVEL="ERROR",
    )
    manage = [PYTHON, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["load_history"], ["collectstatic", "--noinput"]):
        subprocess.run(
            manage + command + ["-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
    return env


# The production command (README, Deploying) serves ASGI with uvicorn workers; BENCH_SERVER=wsgi
# measures gunicorn's sync workers instead, for comparison.
SERVER = os.environ.get("BENCH_SERVER", "asgi")
SERVER_ARGS = {
    "asgi": ["historyweb.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker"],
    "wsgi": ["historyweb.wsgi"],
}


def start_gunicorn(env, port, workers, log):
    gunicorn = Path(PYTHON).with_name("gunicorn")
    command = [
        str(gunicorn),
        *SERVER_ARGS[SERVER],
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )


def stop(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


# --- A minimal HTTP/1.1 client: keep-alive when the server allows it, reconnect when not. ---


class Connection:
    def __init__(self, port):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, path):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                "User-Agent: historyweb-bench\r\nAccept: */*\r\n\r\n"
            ).encode()
        )
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def fetch(port, path):
    connection = Connection(port)
    try:
        return await asyncio.wait_for(connection.request(path), REQUEST_TIMEOUT)
    finally:
        connection.close()


async def load(port, path, duration, max_requests):
    """CONNECTIONS workers hit `path` until `duration` passes or `max_requests` were sent."""
    latencies, errors, sent = [], [], 0
    deadline = time.perf_counter() + duration

    async def worker():
        nonlocal sent
        connection = Connection(port)
        try:
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                started = time.perf_counter()
                try:
                    status, _, _ = await asyncio.wait_for(connection.request(path), REQUEST_TIMEOUT)
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors.append(type(exc).__name__)
                    connection.close()
                    continue
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(str(status))
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return latencies, errors, time.perf_counter() - started


def summarise(latencies, errors, elapsed):
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def percentile(values, pct):
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


async def wait_until_up(port, server):
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            status, _, _ = await fetch(port, "/")
            if status == 200:
                return
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def similar_static_file(static_root, size):
    """The collected static file (by its hashed URL) whose size is closest to `size`."""
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    candidates = []
    for hashed in manifest.values():
        path = static_root / hashed
        if path.suffix in {".css", ".js", ".svg", ".txt", ".json"} and path.is_file():
            candidates.append((abs(path.stat().st_size - size), hashed, path.stat().st_size))
    _, hashed, found = min(candidates)
    return "/static/" + hashed, found


async def choose_urls(port, static_root):
    status, _, timeline = await fetch(port, "/")
    assert status == 200, f"timeline answered {status}"
    eras = re.findall(r'href="(/eras/[^"/]+/)"', timeline.decode())
    era = eras[len(eras) // 2] if eras else None
    urls = [("timeline", "/")]
    notes = []
    if era:
        urls.append(("era", era))
    else:
        notes.append("no era on the timeline: era page skipped")
    slug = era.split("/")[2] if era else ""
    for template in DECK_URLS:
        deck = template.format(era=slug)
        status, _, _ = await fetch(port, deck)
        if status == 200:
            urls.append(("deck", deck))
            break
    else:
        notes.append(f"no deck yet ({', '.join(DECK_URLS)} answer 404): deck skipped")
    sizes = []
    for _, url in urls:
        _, _, body = await fetch(port, url)
        sizes.append(len(body))
    static_url, static_size = similar_static_file(static_root, int(statistics.median(sizes)))
    urls.append(("static", static_url))
    return urls, dict(zip([u for _, u in urls], sizes + [static_size], strict=True)), notes


async def run(port, static_root):
    urls, sizes, notes = await choose_urls(port, static_root)
    for _, url in urls:
        for _ in range(20):  # warm the page cache and the workers
            await fetch(port, url)
    totals = {name: ([], [], 0.0) for name, _ in urls}
    for _ in range(ROUNDS):
        for name, url in urls:
            latencies, errors, elapsed = await load(
                port, url, DURATION / ROUNDS, MAX_REQUESTS // ROUNDS
            )
            all_latencies, all_errors, all_elapsed = totals[name]
            totals[name] = (all_latencies + latencies, all_errors + errors, all_elapsed + elapsed)
    return urls, sizes, notes, {name: summarise(*total) for name, total in totals.items()}


def report(urls, sizes, notes, results, workers):
    print(
        f"\nhistoryweb bench: gunicorn {workers} {'uvicorn' if SERVER == 'asgi' else 'sync'} "
        f"workers on {HOST}, "
        f"{CONNECTIONS} connections, {DURATION:g} s per URL in {ROUNDS} rounds "
        f"(at most {MAX_REQUESTS} requests), X-Forwarded-Proto: https\n"
    )
    header = f"{'what':9} {'url':42} {'bytes':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
    print(header + f"{'errors':>6} {'vs static':>9}")
    static_rps = results["static"]["rps"]
    failed = False
    for name, url in urls:
        r = results[name]
        ratio = r["rps"] / static_rps if static_rps else float("nan")
        shown = url if len(url) <= 42 else url[:39] + "..."
        line = (
            f"{name:9} {shown:42} {sizes[url]:>7} {r['rps']:>8.0f} {r['p50_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['errors']:>6} {ratio:>9.2f}"
        )
        if r["error_kinds"]:
            line += "  (" + ", ".join(r["error_kinds"]) + ")"
        print(line)
        failed |= r["errors"] > 0 or (name != "static" and ratio < TARGET_RATIO)
    for note in notes:
        print(f"note: {note}")
    verdict = "below target" if failed else "target met"
    print(f"\ntarget: every page >= {TARGET_RATIO} of static throughput, 0 errors: {verdict}")
    return 1 if failed else 0


def main():
    tmp = Path(tempfile.mkdtemp(prefix="historyweb-bench-"))
    server, status = None, 1
    log_path = tmp / "gunicorn.log"
    try:
        env = prepare(tmp)
        port, workers = free_port(), cores()
        with open(log_path, "w") as log:
            server = start_gunicorn(env, port, workers, log)
            asyncio.run(wait_until_up(port, server))
            urls, sizes, notes, results = asyncio.run(run(port, tmp / "static"))
            status = report(urls, sizes, notes, results, workers)
        return status
    finally:
        if server is not None:
            stop(server)
        if status and log_path.exists():
            # The server's own log (404s probed, errors), shown only when something failed.
            print("\n--- gunicorn log (last lines) ---")
            print("\n".join(log_path.read_text().splitlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
