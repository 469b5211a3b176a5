"""The stores `make bench-faults` restarts under load: a PostgreSQL cluster and a redis-server of
its own, each in a temporary directory on a unix socket (tests/stores.py finds the binaries and
runs Redis; this adds a PostgreSQL that can be stopped and started again, and Redis snapshots).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.stores import RedisProcess, StoreMissing, pg_bin  # noqa: E402


class Postgres:
    def __init__(self):
        self.bindir = pg_bin()
        if self.bindir is None:
            raise StoreMissing("initdb not found: apt-get install postgresql")
        self.as_user = []
        if os.geteuid() == 0:  # initdb refuses root
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                raise StoreMissing("running as root needs a `postgres` user for initdb")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.directory = Path(tempfile.mkdtemp(prefix="historyweb-bench-pg-"))
        if self.as_user:
            shutil.chown(self.directory, "postgres")
        self.data = self.directory / "data"
        self.url = f"postgres://historyweb@{quote(str(self.directory), safe='')}/historyweb"

    def run(self, program, *args, check=True):
        return subprocess.run(
            [*self.as_user, str(self.bindir / program), *args],
            check=check,
            capture_output=True,
            timeout=120,
        )

    def start_new(self):
        """A new cluster with the database, running."""
        self.run("initdb", "-D", str(self.data), "-U", "historyweb", "--auth=trust", "-E", "UTF8")
        self.start()
        self.run("createdb", "-h", str(self.directory), "-U", "historyweb", "historyweb")

    def start(self):
        options = f"-c listen_addresses='' -k {self.directory} -c fsync=off"
        log = str(self.directory / "log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def close(self):
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


class Redis(RedisProcess):
    def start_new(self):
        self.start()

    def snapshot(self):
        """SAVE: what a restart after a crash loads (the crash loses everything since)."""
        import redis

        client = redis.Redis(unix_socket_path=str(self.sock))
        try:
            client.save()
        finally:
            client.close()


def started(stack, store):
    """(a running `store` (Postgres or Redis), None), closed with `stack`; or (None, why not)."""
    try:
        server = store()
    except StoreMissing as exc:
        return None, str(exc)
    stack.callback(server.close)
    server.start_new()
    return server, None
