"""Two gunicorn servers, each with its own var directory, on one PostgreSQL and one Redis.

What several servers must agree on: an edit made through server A shows on server B within a
second; the edited-run limit counts a client's runs on both servers together, exactly; and a
flood of Host and query variants evicts no run result and resets no counter.

Needs redis-server, PostgreSQL's binaries and bubblewrap: without them it skips with the
reason, and under CI (CI=true) it fails. .ci/run runs it beside its PostgreSQL pass.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from .conftest import store_or_skip
from .form_post import form_pairs
from .stores import postgres_server

pytestmark = pytest.mark.shared

ROOT = Path(settings.BASE_DIR)
HOST = "127.0.0.1"
ADMIN = ("editor", secrets.token_urlsafe(16))
RATE_LIMIT = 10


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn serving the site, and a tiny HTTP client for it (cookies kept by hand: the
    production cookies are Secure, which a cookie jar would not send over plain HTTP)."""

    def __init__(self, name, env, tmp):
        self.name, self.env, self.port = name, env, free_port()
        self.log = open(tmp / f"gunicorn-{name}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "historyweb.wsgi",
             "--workers", "2", "--threads", "16", "--bind", f"{HOST}:{self.port}",
             "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data

    def get(self, path, **headers):
        return self.request("GET", path, headers=headers)

    def wait_until_up(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"server {self.name} exited: see its log"
            try:
                if self.get("/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server {self.name} did not answer within 60 s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=env, cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def servers(redis_url):
    if not shutil.which("bwrap"):
        message = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the shared-state tests.")
        pytest.skip(message)
    url = redis_url.replace("db=0", "db=1")  # apart from the other tests' database
    with store_or_skip(postgres_server()) as database_url:
        tmp = Path(tempfile.mkdtemp(prefix="historyweb-two-servers-"))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RUNNER_"))}
        base.update(
            DJANGO_SETTINGS_MODULE="historyweb.settings.prod",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS=f"{HOST},localhost",
            DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback, no proxy in between
            DJANGO_STATIC_ROOT=str(tmp / "static"),
            DJANGO_LOG_LEVEL="WARNING",
            DATABASE_URL=database_url,
            REDIS_URL=url,
            RUNNER_RATE_LIMIT=str(RATE_LIMIT),
            RUNNER_RATE_WINDOW="3600",  # the counter outlives the test
            RUNNER_SLOT_WAIT="60",  # every run waits for a sandbox: none is refused as busy
            DJANGO_SUPERUSER_PASSWORD=ADMIN[1],
            HISTORYWEB_VAR_DIR=str(tmp / "var-setup"),
        )
        manage(base, "migrate", "--noinput", "-v", "0")
        manage(base, "load_history", "-v", "0")
        manage(base, "collectstatic", "--noinput", "-v", "0")
        manage(base, "createsuperuser", "--noinput", "--username", ADMIN[0], "--email", "e@x.org")
        running = []
        try:
            for name in ("a", "b"):
                running.append(Server(name, {**base, "HISTORYWEB_VAR_DIR": str(tmp / name)}, tmp))
            for server in running:
                server.wait_until_up()
            yield running
        finally:
            for server in running:
                server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def log_in(server):
    server.get("/admin/login/")
    body = urlencode(
        {"username": ADMIN[0], "password": ADMIN[1], "next": "/admin/",
         "csrfmiddlewaretoken": server.cookies["csrftoken"]}
    )  # fmt: skip
    status, _, _ = server.request(
        "POST", "/admin/login/?next=/admin/", body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert status == 302 and "sessionid" in server.cookies


def edit_era(server, slug, field, value):
    """Change one field of an era through the admin's change form, as an editor would."""
    _, _, html = server.get(f"/admin/timeline/era/?q={slug}")
    marker = "/admin/timeline/era/"
    links = {
        part.split("/")[0]
        for part in html.decode().split(marker)[1:]
        if part.split("/")[0].isdigit()
    }
    assert len(links) >= 1, f"no change link for {slug}"
    for pk in links:
        _, _, form = server.get(f"/admin/timeline/era/{pk}/change/")
        pairs = form_pairs(form.decode(), "era_form")
        if dict(pairs).get("slug") != slug:
            continue
        data = [(k, value if k == field else v) for k, v in pairs]
        status, headers, _ = server.request(
            "POST", f"/admin/timeline/era/{pk}/change/", urlencode(data),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert status == 302, f"the admin refused the edit: {status}"
        return
    raise AssertionError(f"no era {slug} in the admin")


def test_an_edit_through_a_shows_on_b_within_a_second(servers):
    a, b = servers
    status, _, page = b.get("/eras/wsgi/")
    assert status == 200
    marker = f"Edited on server A {secrets.token_hex(4)}"
    assert marker not in page.decode()
    log_in(a)
    edit_era(a, "wsgi", "summary", marker)
    edited = time.monotonic()
    # Every request B receives from 1 s after the edit on answers with it. (A slow render on a
    # busy machine may finish later; what counts is when the request came in.)
    while True:
        asked = time.monotonic()
        if marker in b.get("/eras/wsgi/")[2].decode():
            break
        assert asked - edited < 1.0, "server B still serves the old page 1 s after the edit"
        time.sleep(0.05)
    print(f"edit visible on B for a request sent {asked - edited:.3f} s after it")


def runnable_sample(server):
    """A runnable sample's run URL, from an era page's Run button."""
    _, _, html = server.get("/eras/wsgi/")
    text = html.decode()
    start = text.index('data-run-url="') + len('data-run-url="')
    return text[start : text.index('"', start)]


def run(server, url, token, code=None):
    body = json.dumps({} if code is None else {"code": code})
    status, headers, data = server.request(
        "POST", url, body,
        {"Content-Type": "application/json", "X-CSRFToken": token,
         "Cookie": f"csrftoken={token}"},
    )  # fmt: skip
    assert status in (200, 429), (server.name, status, headers, data[:500])
    return status, json.loads(data)


def csrf(server):
    server.cookies.pop("sessionid", None)  # an anonymous learner
    _, _, data = server.get("/samples/csrf/")
    token = server.cookies["csrftoken"]
    assert json.loads(data)["csrfToken"]
    return token


def test_30_concurrent_edited_runs_over_both_servers_run_exactly_10_times(servers):
    a, b = servers
    if time.time() % 3600 > 3500:  # the window must not turn over mid-test
        time.sleep(3600 - time.time() % 3600 + 1)
    url = runnable_sample(a)
    token = csrf(a)
    code = "print('edited', 6 * 7)\n"
    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(lambda n: run((a, b)[n % 2], url, token, code), range(30)))
    ran = [data for status, data in answers if status == 200]
    limited = [data for status, data in answers if status == 429]
    assert len(ran) == RATE_LIMIT, [d.get("error") for _, d in answers]
    # Each ran in a sandbox (a WSGI sample's runtime reports that print() defines no app).
    assert all(data["cached"] is False and data["duration_ms"] > 0 for data in ran)
    assert len(limited) == 30 - RATE_LIMIT
    assert all("your own code" in data["error"] for data in limited)


def test_a_flood_of_host_and_query_variants_evicts_nothing(servers, redis_url):
    a, b = servers
    url = runnable_sample(a)
    token = csrf(a)
    run(a, url, token)  # the unedited sample: run once, then cached on every server
    assert run(b, url, token)[1]["cached"] is True
    import redis

    store = redis.Redis.from_url(redis_url.replace("db=0", "db=1"))
    pages = lambda: sorted(store.keys("historyweb:pages:*:historyweb:page:*"))  # noqa: E731
    for server in (a, b):
        for path in ("/", "/eras/wsgi/", "/present/"):
            server.get(path)
    before = pages()
    counters = {key: store.get(key) for key in store.keys("historyweb:rate:*")}
    assert counters, "the previous test's counter is gone"

    def hit(n):
        server = (a, b)[n % 2]
        host = ("localhost", HOST, "LOCALHOST")[n % 3] + f":{1024 + n}"
        path = ("/", "/eras/wsgi/", "/present/")[n % 3]
        query = urlencode({f"x{n}": n, "kind": f"k{n}", "notes": n, "utm_source": "flood"})
        return server.get(f"{path}?{query}", Host=host)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(hit, range(1000)))
    assert statuses.count(200) == 1000
    assert pages() == before
    assert {key: store.get(key) for key in counters} == counters
    for server in (a, b):
        assert run(server, url, token)[1]["cached"] is True
        status, data = run(server, url, token, "print('edited again')\n")
        assert status == 429 and "your own code" in data["error"]
