"""Live sessions across real server processes: the production server (gunicorn with a uvicorn
worker, ASGI) run twice on one database. A remote's move sent to one server reaches a follower
streaming from the other, through Redis pub/sub (REDIS_URL, separate var/ directories) and
through the local UNIX sockets (no Redis, one shared var/ directory)."""

import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SESSION_SCRIPT = """
from tests.factories import make_era, make_slide
from timeline.live import sessions
from timeline.models import Era
from timeline.presenter import load_deck
era = make_era(slug="wsgi", title="WSGI", year=2003)
for n in range(3):
    make_slide(era, title=f"Slide {n}")
deck, _ = load_deck("era", "wsgi", Era.objects.published())
session, key = sessions.create(deck, "era", "wsgi")
print(session.code, key)
"""


SERVER_COMMANDS = {
    # As the README's Deploying section runs it.
    "gunicorn": lambda port: [
        str(BIN / "gunicorn"),
        "historyweb.asgi:application",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
    ],
    "uvicorn": lambda port: [
        str(BIN / "uvicorn"),
        "historyweb.asgi:application",
        "--port",
        str(port),
    ],
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port} after {timeout} s")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def redis_url():
    server = shutil.which("redis-server")
    if not server:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; CI must test live sessions on Redis")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    yield f"redis://127.0.0.1:{port}/0"
    stop(process)


def base_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="historyweb.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def prepare(tmp_path):
    env = base_env(tmp_path)
    env["HISTORYWEB_VAR_DIR"] = str(tmp_path / "var-setup")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=300)
    created = subprocess.run(
        manage + ["shell", "-c", SESSION_SCRIPT],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    code, key = created.stdout.strip().splitlines()[-1].split()
    return code, key


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(var_dir, redis_url=""):
        env = base_env(tmp_path)
        env.update(HISTORYWEB_VAR_DIR=str(var_dir), REDIS_URL=redis_url)
        port = free_port()
        process = subprocess.Popen(
            SERVER_COMMANDS["gunicorn"](port),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        wait_for_port(port, process)
        return port

    yield start
    for process in started:
        stop(process)


HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS proxy in front of production sends


def follow(port, code, events):
    """Read the event stream in a thread; put each state event's data on `events`."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/live/{code}/events/", headers=HTTPS)

    def read():
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Type"] == "text/event-stream"
            block = []
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line:
                    block.append(line)
                    continue
                fields = dict(item.split(": ", 1) for item in block if ": " in item)
                block = []
                if fields.get("event") == "state":
                    events.put(json.loads(fields["data"]))
                    if json.loads(fields["data"])["ended"]:
                        return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def steer(port, code, key, path, body):
    """POST as the remote does: CSRF cookie and token, the control key in its header."""
    csrf = urllib.request.Request(f"http://127.0.0.1:{port}/samples/csrf/", headers=HTTPS)
    with urllib.request.urlopen(csrf, timeout=10) as response:
        token = json.load(response)["csrfToken"]
        # A Secure cookie (production) that urllib would keep from plain http: send it by hand.
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/live/{code}/{path}/",
        data=json.dumps(body).encode(),
        headers={
            **HTTPS,
            "Origin": f"https://127.0.0.1:{port}",
            "Content-Type": "application/json",
            "Cookie": cookie,
            "X-CSRFToken": token,
            "X-Live-Key": key,
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.mark.parametrize("backend", ["redis", "sockets"])
def test_a_move_sent_to_one_server_reaches_followers_of_the_other(
    tmp_path, servers, backend, request
):
    code, key = prepare(tmp_path)
    if backend == "redis":
        url = request.getfixturevalue("redis_url")
        ports = [servers(tmp_path / "var-a", url), servers(tmp_path / "var-b", url)]
    else:  # two processes, one machine, one var/: the UNIX sockets carry the news
        ports = [servers(tmp_path / "var"), servers(tmp_path / "var")]
    streams = [queue.Queue() for _ in ports]
    threads = [follow(port, code, events) for port, events in zip(ports, streams, strict=True)]
    for events in streams:
        assert events.get(timeout=20)["slide"] == 1  # the state as it is, on connecting
    assert steer(ports[0], code, key, "state", {"slide": 3, "seq": 0})["slide"] == 3
    for events in streams:
        assert events.get(timeout=10)["slide"] == 3
    assert steer(ports[1], code, key, "state", {"slide": 2, "seq": 1})["slide"] == 2
    for events in streams:
        assert events.get(timeout=10)["slide"] == 2
    steer(ports[1], code, key, "end", {})
    for events in streams:
        assert events.get(timeout=10)["ended"] is True
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()  # the stream closed when the session ended


# ---- Shutdown with followers connected ------------------------------------------------------

STREAMS = 50


def open_stream(port, code):
    """A follower's event stream on a raw connection, read up to its first state event."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(
        f"GET /live/{code}/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "X-Forwarded-Proto: https\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    received = b""
    while b"event: state" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"the stream closed before its first event: {received!r}"
        received += chunk
    assert received.startswith(b"HTTP/1.1 200"), received
    return sock, received


def read_to_end(sock, received, timeout):
    sock.settimeout(timeout)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    finally:
        sock.close()
    return received


@pytest.mark.parametrize(
    "server, backend", [("gunicorn", "sockets"), ("gunicorn", "redis"), ("uvicorn", "sockets")]
)
def test_sigterm_ends_every_stream_with_bye_and_the_server_exits_at_once(
    tmp_path, server, backend, request
):
    """A deploy with followers connected: on SIGTERM every open stream gets "bye" and ends
    cleanly (the browser reconnects to another worker or the new process at the current
    slide), and the server exits within 2 s instead of waiting for the streams' 30 minutes."""
    code, _ = prepare(tmp_path)
    env = base_env(tmp_path)
    redis = request.getfixturevalue("redis_url") if backend == "redis" else ""
    env.update(HISTORYWEB_VAR_DIR=str(tmp_path / "var"), REDIS_URL=redis)
    port = free_port()
    process = subprocess.Popen(
        SERVER_COMMANDS[server](port),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        streams = [open_stream(port, code) for _ in range(STREAMS)]
        started = time.monotonic()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - started
        outputs = [read_to_end(sock, received, timeout=1) for sock, received in streams]
    finally:
        stop(process)
    assert took <= 2, f"shutdown took {took:.1f} s with {STREAMS} streams open"
    for output in outputs:
        assert b"event: bye" in output
        assert output.endswith(b"0\r\n\r\n")  # the chunked response ended, not cut
