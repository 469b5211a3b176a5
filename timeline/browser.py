"""Finding and starting the system Chromium, for the slide audit and the browser tests."""

import os
import shutil

# Looked up on PATH, so a PATH without them (.ci/without-system-packages) is a machine without them.
CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome"]
# Without these Chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path():
    """CHROMIUM_PATH, when set, is the only candidate: a wrong path is not silently replaced
    (so CHROMIUM_PATH=/nonexistent shows how the tests behave without a browser)."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None
