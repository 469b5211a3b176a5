"""The clients of `make bench-faults`, all in one event loop: page visitors, the remote, the runs
and the followers. Each records (time, outcome) events; fault_figures.py turns them into figures.

The followers behave as browsers' EventSource does: on a closed stream or a failed connection
they reconnect after the server's `retry` (2 s unless it said otherwise), sending Last-Event-ID.
"""

import asyncio
import json
import re
import time

from fault_figures import outcome_of
from load import HOST, Connection, decode, read_chunk

REQUEST_TIMEOUT = 15.0  # a run may take 5 s, and a loaded machine more


def now():
    return time.monotonic()


async def post_json(port, path, body, headers):
    """POST a JSON body on a fresh connection; (status, parsed answer or None)."""
    raw = json.dumps(body).encode()
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n"
                f"Origin: https://{HOST}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(raw)}\r\nConnection: close\r\n{head}\r\n"
            ).encode()
            + raw
        )
        await writer.drain()
        answer = await reader.readuntil(b"\r\n\r\n")
        status = int(answer.split(b" ", 2)[1])
        length = re.search(rb"content-length: (\d+)", answer.lower())
        body = await reader.readexactly(int(length.group(1))) if length else await reader.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None
    finally:
        writer.close()


async def csrf_pair(port):
    """A CSRF cookie and its token, as the remote page and the Run button get them."""
    connection = Connection(port)
    try:
        status, headers, body = await asyncio.wait_for(
            connection.request("/samples/csrf/"), REQUEST_TIMEOUT
        )
    finally:
        connection.close()
    if status != 200:
        raise RuntimeError(f"/samples/csrf/ answered {status}")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", "")).group(1)
    return cookie, json.loads(decode(headers, body))["csrfToken"]


class Client:
    """A loop that records its outcomes until `stopping` is set."""

    def __init__(self):
        self.events = []

    def record(self, outcome):
        self.events.append((now(), outcome))


class Visitor(Client):
    """Fetches `paths` in turn, keep-alive; keeps the bodies of `watched` (decoded) with their
    time, to find stale pages."""

    def __init__(self, port, paths, watched=None):
        super().__init__()
        self.port, self.paths, self.watched = port, paths, watched
        self.bodies = []

    async def run(self, stopping):
        connection = Connection(self.port)
        try:
            while not stopping.is_set():
                for path in self.paths:
                    asked = now()
                    try:
                        status, headers, body = await asyncio.wait_for(
                            connection.request(path), REQUEST_TIMEOUT
                        )
                    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                        connection.close()
                        self.record(outcome_of(exc))
                        await asyncio.sleep(0.2)
                        continue
                    self.record(status)
                    if path == self.watched and status == 200:
                        self.bodies.append((asked, decode(headers, body).decode()))
                await asyncio.sleep(0.05)
        finally:
            connection.close()


class Remote(Client):
    """Moves the session every `interval` seconds, from the seq of its last answer, as the
    remote page does. `sent` maps each accepted move's seq to when it was sent."""

    def __init__(self, port, code, key, count, seq=0, interval=0.5):
        super().__init__()
        self.port, self.code, self.key, self.count = port, code, key, count
        self.seq, self.interval = seq, interval
        self.sent = {}
        self.moves = 0

    async def run(self, stopping):
        credentials = None
        while not stopping.is_set():
            started = now()
            try:
                credentials = credentials or await csrf_pair(self.port)
                cookie, token = credentials
                self.moves += 1
                headers = {"Cookie": f"csrftoken={cookie}", "X-CSRFToken": token}
                headers["X-Live-Key"] = self.key
                body = {"seq": self.seq, "slide": 1 + self.moves % self.count, "step": 0}
                path = f"/live/{self.code}/state/"
                status, answer = await asyncio.wait_for(
                    post_json(self.port, path, body, headers), REQUEST_TIMEOUT
                )
            except (OSError, TimeoutError, asyncio.IncompleteReadError, RuntimeError) as exc:
                self.record(outcome_of(exc))
                credentials = None
            else:
                self.record(status)
                if isinstance(answer, dict) and isinstance(answer.get("seq"), int):
                    self.seq = answer["seq"]  # a 409's too: the state now, to move from
                    if status == 200:
                        self.sent[self.seq] = started
                if status == 403:
                    credentials = None
            await asyncio.sleep(max(0.0, self.interval - (now() - started)))


class Runner(Client):
    """An edited run of a sample every `interval` seconds, each from its own client address
    (X-Real-IP), so the per-client limit counts each once, as a room of learners."""

    def __init__(self, port, sample, interval=2.0):
        super().__init__()
        self.port, self.sample, self.interval = port, sample, interval
        self.count = 0

    async def run(self, stopping):
        credentials = None
        while not stopping.is_set():
            started = now()
            self.count += 1
            try:
                credentials = credentials or await csrf_pair(self.port)
                cookie, token = credentials
                headers = {
                    "Cookie": f"csrftoken={cookie}",
                    "X-CSRFToken": token,
                    "X-Real-IP": f"10.{self.count // 250 % 250}.{self.count % 250}.1",
                }
                code = self.sample["code"] + f"\n# edited, run {self.count}\n"
                status, _ = await asyncio.wait_for(
                    post_json(self.port, self.sample["path"], {"code": code}, headers),
                    REQUEST_TIMEOUT,
                )
            except (OSError, TimeoutError, asyncio.IncompleteReadError, RuntimeError) as exc:
                self.record(outcome_of(exc))
                credentials = None
            else:
                self.record(status)
            await asyncio.sleep(max(0.0, self.interval - (now() - started)))


class Follower(Client):
    """One phone following the session: its stream's opening status (and failures) are its
    events; `final` is the last (seq, slide) it was told, `seqs` every seq it got."""

    def __init__(self, port, code, join_page=False):
        super().__init__()
        self.port, self.code, self.join_page = port, code, join_page
        self.seqs = set()
        self.final = None
        self.retry = 2.0
        self.opened = asyncio.Event()
        self.byes = 0
        self.page_events = []  # the follow page's outcome, apart from the stream's

    async def run(self, stopping):
        if self.join_page:  # the follow page first, as a phone that scanned the QR code
            connection = Connection(self.port)
            try:
                status, _, _ = await asyncio.wait_for(
                    connection.request(f"/live/{self.code}/"), REQUEST_TIMEOUT
                )
                outcome = status
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                outcome = outcome_of(exc)
            finally:
                connection.close()
            self.page_events.append((now(), outcome))
        while not stopping.is_set():
            try:
                await self.stream(stopping)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                self.record(outcome_of(exc))
            with_stop = asyncio.ensure_future(stopping.wait())
            await asyncio.wait([with_stop], timeout=self.retry)
            with_stop.cancel()

    async def stream(self, stopping):
        reader, writer = await asyncio.open_connection(HOST, self.port)
        try:
            last = f"Last-Event-ID: {self.final[0]}\r\n" if self.final else ""
            writer.write(
                (
                    f"GET /live/{self.code}/events/ HTTP/1.1\r\nHost: {HOST}\r\n"
                    f"X-Forwarded-Proto: https\r\nAccept: text/event-stream\r\n{last}\r\n"
                ).encode()
            )
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            status = int(head.split(b" ", 2)[1])
            self.record(status)
            if status != 200:
                return
            self.opened.set()
            chunked = b"transfer-encoding: chunked" in head.lower()
            buffer = b""
            while not stopping.is_set():
                data = await read_chunk(reader, chunked)
                if not data:
                    return
                buffer += data
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    self.take(block.decode())
        finally:
            writer.close()

    def take(self, block):
        fields = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = value
        if fields.get("retry", "").isdigit():
            self.retry = int(fields["retry"]) / 1000
        if fields.get("event") == "bye":
            self.byes += 1
        elif fields.get("event") == "state" and fields.get("id", "").isdigit():
            seq = int(fields["id"])
            self.seqs.add(seq)
            self.final = (seq, json.loads(fields["data"])["slide"])
