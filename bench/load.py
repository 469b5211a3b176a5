#!/usr/bin/env python3
"""`make bench`: load-test the content pages against a static file of similar size.

Starts gunicorn (one worker per core) on 127.0.0.1 with production settings, a throwaway secret,
a temporary SQLite database loaded with load_history and a temporary STATIC_ROOT; then, with a
small asyncio HTTP/1.1 client in this file, puts CONNECTIONS concurrent connections on each URL
for a slice of seconds at a time (at most MAX_REQUESTS requests per URL) and prints requests/s,
p50, p99 and errors per URL, and each page's throughput divided by the static file's (see
below). Every request carries X-Forwarded-Proto: https, as the TLS proxy in front of
production would send, and Accept-Encoding: br, gzip, as browsers do; byte counts are what
went over the wire. Then it prints each page's first view on the wire (HTML + CSS + JS, each
asset fetched as a browser would) against its budget, plain and compressed.

`make bench-shared` (--shared) does the same with two gunicorn servers, each with its own var
directory, on one PostgreSQL and one Redis (throwaway servers from tests/stores.py);
the connections are split between the two.

Loopback only; every loop is bounded and the server is stopped at the end, also on failure.

The ratio to the static file is measured in pairs, so that load from elsewhere on a shared
machine does not decide the verdict: each pair is one slice on the page and one on the static
file right after (or before: the order alternates), and its ratio is the page's req/s over the
static file's in that pair. Each page gets PAIRS pairs (3), interleaved with the other pages'; its
figure, and the verdict, is the median of its pair ratios. The table's req/s, p50 and p99 pool all
the slices of a URL.

Options and environment: --duration / BENCH_DURATION (s on each page, default 8, split into its
pairs; the static file gets as much again per page), --connections / BENCH_CONNECTIONS (64),
BENCH_PAIRS (3), BENCH_MAX_REQUESTS (50000 per URL). `--duration 1 --connections 8` is a quick
check.
"""

import argparse
import asyncio
import contextlib
import gzip
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
PAIRS = int(os.environ.get("BENCH_PAIRS", "3"))
REQUEST_TIMEOUT = 10.0
TARGET_RATIO = 0.8
# Deck URLs tried in order; the first that answers 200 is measured (skipped with a note if none).
DECK_URLS = ["/present/", "/present/{era}/"]
ACCEPT_ENCODING = os.environ.get("BENCH_ACCEPT_ENCODING", "br, gzip")
# First view on the wire (HTML + CSS + JS), in bytes.
BUDGETS = {"timeline": 60 * 1024, "era": 60 * 1024, "deck": 150 * 1024, "speaker": 150 * 1024}
ASSET = re.compile(r'<(?:link|script)\b[^>]*?(?:href|src)="(/static/[^"]+)"')
IMPORT = re.compile(r'(?:from|import)\s*["\'](\.{1,2}/[^"\']+)["\']')


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def prepare(tmp, shared=None):
    """A production-like environment in `tmp`: SQLite loaded with the history, static files.
    `shared` adds DATABASE_URL and REDIS_URL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="historyweb.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        HISTORYWEB_VAR_DIR=str(tmp / "var"),
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DJANGO_LOG_LEVEL="ERROR",
        RUNNER_CLIENT_IP_HEADER="X-Real-IP",
        **(shared or {}),
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


def start_gunicorn(env, port, workers, log, threads=1):
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
        # uvicorn workers run blocking views in threads of their own; sync workers need these.
        *(["--threads", str(threads)] if SERVER == "wsgi" else []),
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

    async def request(self, path, encoding=ACCEPT_ENCODING):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        accept = f"Accept-Encoding: {encoding}\r\n" if encoding else ""
        self.writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                f"User-Agent: historyweb-bench\r\nAccept: */*\r\n{accept}\r\n"
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


async def fetch(port, path, encoding=ACCEPT_ENCODING):
    connection = Connection(port)
    try:
        return await asyncio.wait_for(connection.request(path, encoding), REQUEST_TIMEOUT)
    finally:
        connection.close()


def decode(headers, body):
    encoding = headers.get("content-encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    return gzip.decompress(body) if encoding == "gzip" else body


async def load(ports, path, duration, max_requests, connections):
    """CONNECTIONS workers hit `path` until `duration` passes or `max_requests` were sent;
    the workers take the servers' ports in turn."""
    latencies, errors, sent = [], [], 0
    deadline = time.perf_counter() + duration

    async def worker(port):
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
    await asyncio.gather(*(worker(ports[n % len(ports)]) for n in range(connections)))
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
    status, headers, timeline = await fetch(port, "/")
    assert status == 200, f"timeline answered {status}"
    eras = re.findall(r'href="(/eras/[^"/]+/)"', decode(headers, timeline).decode())
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
    plain = []
    for _, url in urls:
        _, headers, body = await fetch(port, url)
        plain.append(len(decode(headers, body)))
    # A static file as large as the pages before compression: both go out compressed.
    static_url, _ = similar_static_file(static_root, int(statistics.median(plain)))
    urls.append(("static", static_url))
    sizes = {}
    for _, url in urls:
        _, _, body = await fetch(port, url)
        sizes[url] = len(body)
    return urls, sizes, notes


async def first_view(port, path, encoding):
    """Bytes on the wire for a page and the CSS and JS it loads (module imports followed)."""
    status, headers, body = await fetch(port, path, encoding)
    assert status == 200, f"{path} answered {status}"
    total, seen = len(body), {path}
    queue = ASSET.findall(decode(headers, body).decode())
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        status, headers, body = await fetch(port, url, encoding)
        if status != 200:
            continue
        total += len(body)
        if url.endswith(".js"):
            base = url.rsplit("/", 1)[0]
            for relative in IMPORT.findall(decode(headers, body).decode()):
                queue.append(os.path.normpath(f"{base}/{relative}"))
    return total


async def wire_weights(port, urls):
    pages = dict(urls)
    if "deck" in pages:
        pages["speaker"] = pages["deck"] + "speaker/"
    rows = []
    for name in ("timeline", "era", "deck", "speaker"):
        if name in pages:
            sizes = [await first_view(port, pages[name], e) for e in ("", "gzip", "br, gzip")]
            rows.append((name, pages[name], *sizes))
    return rows


def pair_order(pair, page_index):
    """Page first or static file first, alternating by pair and by page, so that a trend in the
    machine's load (rising or falling) favours neither side of the ratio."""
    return "page first" if (pair + page_index) % 2 == 0 else "static first"


async def run(ports, static_root, duration, connections):
    urls, sizes, notes = await choose_urls(ports[0], static_root)
    for port in ports:
        for _, url in urls:
            for _ in range(20):  # warm the page cache and the workers
                await fetch(port, url)
    static_url = dict(urls)["static"]
    pages = [(name, url) for name, url in urls if name != "static"]
    slice_s = duration / PAIRS
    budget = MAX_REQUESTS // PAIRS
    totals = {name: ([], [], 0.0) for name, _ in urls}
    ratios = {name: [] for name, _ in pages}

    async def measure(name, url):
        latencies, errors, elapsed = await load(ports, url, slice_s, budget, connections)
        all_latencies, all_errors, all_elapsed = totals[name]
        totals[name] = (all_latencies + latencies, all_errors + errors, all_elapsed + elapsed)
        return len(latencies) / elapsed

    for pair in range(PAIRS):
        for index, (name, url) in enumerate(pages):
            if pair_order(pair, index) == "page first":
                page_rps = await measure(name, url)
                static_rps = await measure("static", static_url)
            else:
                static_rps = await measure("static", static_url)
                page_rps = await measure(name, url)
            ratios[name].append(page_rps / static_rps if static_rps else float("nan"))
    weights = await wire_weights(ports[0], urls)
    results = {name: summarise(*total) for name, total in totals.items()}
    return urls, sizes, notes, results, ratios, weights


def report(urls, sizes, notes, results, ratios, workers, servers, weights, duration, connections):
    where = f"{servers} gunicorn servers" if servers > 1 else "gunicorn"
    slice_s = duration / PAIRS
    print(
        f"\nhistoryweb bench: {where}, {workers} "
        f"{'uvicorn' if SERVER == 'asgi' else 'sync'} workers each, on {HOST}, "
        f"{connections} connections, X-Forwarded-Proto: https, "
        f"Accept-Encoding: {ACCEPT_ENCODING or '(none)'}, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"'vs static': the median of {PAIRS} ratios, each a page's req/s over the static\n"
        f"file's in a pair of {slice_s:.2f} s slices run back to back (order alternating), the\n"
        f"pairs of all pages interleaved (at most {MAX_REQUESTS // PAIRS} requests a slice);\n"
        f"req/s, p50 and p99 pool a URL's slices ({duration:g} s per page, "
        f"{duration * len(ratios):g} s on the static file).\n"
    )
    header = f"{'what':9} {'url':42} {'bytes':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
    print(header + f"{'errors':>6} {'vs static':>9}  pair ratios")
    failed = False
    for name, url in urls:
        r = results[name]
        ratio = statistics.median(ratios[name]) if name in ratios else None
        pairs = " ".join(f"{x:.2f}" for x in ratios.get(name, []))
        shown_ratio = "-" if ratio is None else f"{ratio:.2f}"
        shown = url if len(url) <= 42 else url[:39] + "..."
        line = (
            f"{name:9} {shown:42} {sizes[url]:>7} {r['rps']:>8.0f} {r['p50_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['errors']:>6} {shown_ratio:>9}  {pairs}"
        ).rstrip()
        if r["error_kinds"]:
            line += "  (" + ", ".join(r["error_kinds"]) + ")"
        print(line)
        failed |= r["errors"] > 0 or (ratio is not None and ratio < TARGET_RATIO)
    for note in notes:
        print(f"note: {note}")
    verdict = "below target" if failed else "target met"
    print(f"\ntarget: every page's median pair ratio >= {TARGET_RATIO}, 0 errors: {verdict}")
    print("\nfirst view on the wire, HTML + CSS + JS (bytes):")
    print(f"{'what':9} {'url':34} {'plain':>9} {'gzip':>9} {'br,gzip':>9} {'budget':>9}")
    for name, url, plain, gz, br in weights:
        budget = BUDGETS[name]
        over = br > budget
        failed |= over
        print(
            f"{name:9} {url[:34]:34} {plain:>9,} {gz:>9,} {br:>9,} {budget:>9,}"
            + ("  OVER" if over else "")
        )
    return 1 if failed else 0


@contextlib.contextmanager
def shared_stores():
    """A throwaway Redis and PostgreSQL."""
    sys.path.insert(0, str(ROOT))
    from tests.stores import StoreMissing, postgres_server, redis_server

    try:
        with redis_server() as redis_url, postgres_server() as database_url:
            yield {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
    except StoreMissing as exc:
        raise SystemExit(f"bench-shared needs Redis and PostgreSQL: {exc}") from None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", action="store_true", help="two servers on Redis + PostgreSQL")
    parser.add_argument(
        "--duration",
        type=float,
        default=DURATION,
        help=f"seconds on each page, split into {PAIRS} pairs (default {DURATION:g})",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=CONNECTIONS,
        help=f"concurrent connections (default {CONNECTIONS})",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        shared = stack.enter_context(shared_stores()) if args.shared else None
        return bench(
            servers=2 if args.shared else 1,
            shared=shared,
            duration=args.duration,
            connections=args.connections,
        )


def bench(servers, shared, duration=DURATION, connections=CONNECTIONS):
    tmp = Path(tempfile.mkdtemp(prefix="historyweb-bench-"))
    running, status = [], 1
    logs = [tmp / f"gunicorn-{n}.log" for n in range(servers)]
    try:
        env = prepare(tmp, shared)
        workers = cores()
        ports = [free_port() for _ in range(servers)]
        for n, port in enumerate(ports):
            # Each server its own var directory (file caches, slots); with one server it also
            # holds the SQLite database that prepare() loaded.
            var = tmp / ("var" if servers == 1 else f"var-{n}")
            server_env = {**env, "HISTORYWEB_VAR_DIR": str(var)}
            with open(logs[n], "w") as log:
                running.append(start_gunicorn(server_env, port, workers, log))
        for port, server in zip(ports, running, strict=True):
            asyncio.run(wait_until_up(port, server))
        measured = asyncio.run(run(ports, tmp / "static", duration, connections))
        urls, sizes, notes, results, ratios, weights = measured
        status = report(
            urls, sizes, notes, results, ratios, workers, servers, weights, duration, connections
        )
        return status
    finally:
        for server in running:
            stop(server)
        for log_path in logs:
            if status and log_path.exists():
                # The server's own log (404s probed, errors), shown only when something failed.
                print(f"\n--- {log_path.name} (last lines) ---")
                print("\n".join(log_path.read_text().splitlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())


async def read_chunk(reader, chunked):
    """The next piece of a streamed response body (one chunk when chunked), b"" at its end."""
    if not chunked:
        return await reader.read(65536)
    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
    if size == 0:
        return b""
    return (await reader.readexactly(size + 2))[:-2]
