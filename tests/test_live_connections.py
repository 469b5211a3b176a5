"""Followers cost the database nothing: the production server (gunicorn with a uvicorn worker,
ASGI) on a throwaway PostgreSQL, with 50 followers streaming one live session. PostgreSQL's
backends for the database stay within the worker's pool however many follow, the worker holds
no thread per stream, and a move still reaches every follower.

Needs PostgreSQL's binaries (tests/stores.py): without them it skips, and under CI it fails.
"""

import queue
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from .conftest import store_or_skip
from .stores import postgres_server
from .test_live_servers import (
    BIN,
    ROOT,
    SESSION_SCRIPT,
    base_env,
    follow,
    free_port,
    steer,
    stop,
    wait_for_port,
)

pytestmark = pytest.mark.shared

FOLLOWERS = 50
POOL_SIZE = 3


@pytest.fixture
def database_url():
    with store_or_skip(postgres_server()) as url:
        yield url


def backends(database_url):
    """PostgreSQL's client backends on the database, this counting one aside."""
    with psycopg.connect(database_url, autocommit=True) as counting:
        return counting.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def threads(pid):
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def test_followers_hold_no_database_connection_and_no_thread(tmp_path, database_url):
    env = base_env(tmp_path)
    env.update(
        DATABASE_URL=database_url,
        DATABASE_POOL_MAX_SIZE=str(POOL_SIZE),
        HISTORYWEB_VAR_DIR=str(tmp_path / "var"),
        REDIS_URL="",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=300)
    created = subprocess.run(
        manage + ["shell", "-c", SESSION_SCRIPT],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    code, key = created.stdout.strip().splitlines()[-1].split()
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "historyweb.asgi:application",
         "--worker-class", "uvicorn_worker.UvicornWorker", "--workers", "1",
         "--bind", f"127.0.0.1:{port}"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        [worker] = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()

        streams = [queue.Queue() for _ in range(FOLLOWERS)]
        readers = [follow(port, code, streams[n]) for n in range(5)]
        for events in streams[:5]:
            assert events.get(timeout=20)["slide"] == 1
        with_five = threads(worker)
        readers += [follow(port, code, events) for events in streams[5:]]
        for events in streams[5:]:
            assert events.get(timeout=30)["slide"] == 1  # every stream is open
        assert backends(database_url) <= POOL_SIZE
        # 45 more streams, and no thread for any of them (a few for the pool's own upkeep).
        assert threads(worker) - with_five < 10

        assert steer(port, code, key, "state", {"slide": 3, "seq": 0})["slide"] == 3
        for events in streams:
            assert events.get(timeout=15)["slide"] == 3
        assert backends(database_url) <= POOL_SIZE

        steer(port, code, key, "end", {})
        for events in streams:
            assert events.get(timeout=15)["ended"] is True
        for reader in readers:
            reader.join(timeout=15)
            assert not reader.is_alive()
    finally:
        stop(server)
