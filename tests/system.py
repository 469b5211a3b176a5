"""The system packages some tests need, how to find them, and how to install them.

Each is found the way the code that uses it finds it (bubblewrap as the sandbox fixture does,
Chromium as timeline.browser does, redis-server and PostgreSQL as tests/stores.py does).

`make test` passes without them: the tests that need one are skipped, and the run starts with
one line per missing package (its install command and how many tests it skips). Under CI
(CI=true, which .ci/run sets after installing everything) a skipped test fails the run.

To try a machine without them: .ci/without-system-packages make test (it hides them from PATH).
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def find_bwrap():
    """bubblewrap as the runner's tests use it; RUNNER_BWRAP names another (or none)."""
    name = os.environ.get("RUNNER_BWRAP", "bwrap")
    path = name if os.path.isabs(name) else shutil.which(name)
    return path if path and os.access(path, os.X_OK) else None


def find_chromium():
    from timeline.browser import chromium_path

    return chromium_path()


def find_axe():
    path = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    return str(path) if path.exists() else None


def find_redis():
    return shutil.which("redis-server")


def find_postgres():
    from tests.stores import pg_bin

    return pg_bin()


def two_servers(item):
    """tests/test_two_servers.py: gunicorn servers running samples, on PostgreSQL and Redis."""
    return item.get_closest_marker("shared") is not None


def uses_redis(item):
    params = getattr(getattr(item, "callspec", None), "params", {})
    names = getattr(item, "fixturenames", ())
    fixtures = {"redis_url", "redis_process", "runner_broker"}
    return bool(fixtures & set(names)) or params.get("backend") == "redis"


@dataclass(frozen=True)
class Package:
    name: str
    install: str
    find: object
    needed_by: object  # item -> bool

    @property
    def missing(self):
        return self.find() is None

    def reason(self):
        return f"{self.name} is not installed: {self.install}"


PACKAGES = [
    Package(
        "bubblewrap",
        "sudo apt-get install bubblewrap",
        find_bwrap,
        lambda item: "sandbox" in getattr(item, "fixturenames", ()) or two_servers(item),
    ),
    Package(
        "chromium",
        "sudo apt-get install chromium (or set CHROMIUM_PATH)",
        find_chromium,
        lambda item: "browser" in getattr(item, "fixturenames", ()),
    ),
    Package(
        "axe-core",
        "make axe (needs npm: sudo apt-get install npm)",
        find_axe,
        lambda item: "axe_source" in getattr(item, "fixturenames", ()),
    ),
    Package("redis-server", "sudo apt-get install redis-server", find_redis, uses_redis),
    Package("postgresql", "sudo apt-get install postgresql", find_postgres, two_servers),
]


def in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
