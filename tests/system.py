"""The system packages some tests need, how to find them, and how to install them.

`make test` passes without them: the tests that need one are skipped, and the run starts with
one line per missing package (its install command and how many tests it skips). Under CI
(CI=true, which .ci/run sets after installing everything) a skipped test fails the run.

To try a machine without them: RUNNER_BWRAP=/nonexistent CHROMIUM_PATH=/nonexistent make test.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]


def find_bwrap():
    """bubblewrap as the runner's tests use it; RUNNER_BWRAP names another (or none)."""
    name = os.environ.get("RUNNER_BWRAP", "bwrap")
    path = name if os.path.isabs(name) else shutil.which(name)
    return path if path and os.access(path, os.X_OK) else None


def find_chromium():
    """CHROMIUM_PATH, when set, is the only candidate: a wrong path is not silently replaced."""
    explicit = os.environ.get("CHROMIUM_PATH")
    candidates = [explicit] if explicit else CHROMIUM_CANDIDATES
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    return None if explicit else shutil.which("chromium")


def find_axe():
    path = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    return str(path) if path.exists() else None


def in_browser_dir(item):
    return "tests/browser/" in str(item.fspath).replace(os.sep, "/")


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
        lambda item: "sandbox" in getattr(item, "fixturenames", ()),
    ),
    Package(
        "chromium",
        "sudo apt-get install chromium (or set CHROMIUM_PATH)",
        find_chromium,
        lambda item: in_browser_dir(item) and "browser" in getattr(item, "fixturenames", ()),
    ),
    Package(
        "axe-core",
        "make axe (needs npm: sudo apt-get install npm)",
        find_axe,
        lambda item: "axe_source" in getattr(item, "fixturenames", ()),
    ),
]


def in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
