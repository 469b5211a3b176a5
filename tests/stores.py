"""Throwaway Redis and PostgreSQL servers for the tests that need the real stores.

Each lives in a temporary directory and listens on a unix socket only (no TCP port to clash
with other test runs on the machine). A missing server raises StoreMissing with the reason;
the tests' fixtures skip on it locally and fail under CI (CI=true), because CI must prove these
stores. bench/load.py uses them too.
"""

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


class StoreMissing(RuntimeError):
    """The server cannot be started here; the message says what to install."""


def missing(message):
    raise StoreMissing(message)


class RedisProcess:
    """A redis-server on a unix socket in its own directory, which a test may stop and start
    again: a stop with kill=True is a crash (nothing saved on the way down), and the next
    start loads the directory's dump.rdb, the last snapshot taken (SAVE), as Redis does."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            missing("redis-server is not installed: apt-get install redis-server")
        self.directory = Path(tempfile.mkdtemp(prefix="historyweb-redis-"))
        self.sock = self.directory / "redis.sock"
        self.url = f"unix://{self.sock}?db=0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                "0",
                "--unixsocket",
                str(self.sock),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.sock.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def stop(self, kill=False):
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        self.sock.unlink(missing_ok=True)  # a killed server leaves its socket file

    def close(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def redis_server():
    """A redis-server on a unix socket; yields its URL (database 0)."""
    server = RedisProcess()
    try:
        server.start()
        yield server.url
    finally:
        server.close()


def pg_bin():
    """The directory holding initdb and pg_ctl, or None (as .ci/run finds them)."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts)
    return versions[-1].parent if versions else None


@contextmanager
def postgres_server():
    """A fresh PostgreSQL cluster on a unix socket; yields its DATABASE_URL. Never a database
    from the environment: the servers it is for load the history into it.

    initdb refuses root: as root the cluster runs as the `postgres` user."""
    bindir = pg_bin()
    if bindir is None:
        missing("PostgreSQL is not installed (initdb not found): apt-get install postgresql")
    as_user = []
    if os.geteuid() == 0:
        if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            missing("running as root needs a `postgres` user for initdb (.ci/run creates it)")
        as_user = ["runuser", "-u", "postgres", "--"]
    directory = Path(tempfile.mkdtemp(prefix="historyweb-pg-"))
    if as_user:
        shutil.chown(directory, "postgres")
    run = lambda *args: subprocess.run(  # noqa: E731
        [*as_user, *args], check=True, capture_output=True, timeout=120
    )
    data = directory / "data"
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "historyweb",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(directory / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-c listen_addresses='' -k {directory} -c fsync=off -c full_page_writes=off",
            "start",
        )
        run(str(bindir / "createdb"), "-h", str(directory), "-U", "historyweb", "historyweb")
        from urllib.parse import quote

        yield f"postgres://historyweb@{quote(str(directory), safe='')}/historyweb"
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(directory, ignore_errors=True)
