import contextlib
import time
import types

import pytest
from django.core.cache import caches
from django.test import Client


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway redis-server for this test session (tests/stores.py); skips without one."""
    from .stores import redis_server

    with store_or_skip(redis_server()) as url:
        yield url


@contextlib.contextmanager
def store_or_skip(manager):
    """Enter a tests/stores.py server; a missing one skips, or fails under CI."""
    from .stores import StoreMissing
    from .system import in_ci

    try:
        value = manager.__enter__()
    except StoreMissing as exc:
        if in_ci():
            pytest.fail(f"{exc}; CI must run the shared-state tests.")
        pytest.skip(str(exc))
    try:
        yield value
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture
def history(db):
    """The seed history (tests/seed.py); returns its WSGI era."""
    from .seed import seed_history

    return seed_history()


@pytest.fixture
def admin_client_logged(django_user_model):
    """A client logged in as a superuser, separate from the anonymous `client`."""
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw")
    staff_client = Client()
    staff_client.force_login(user)
    return staff_client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The locmem caches outlive each test's database; start every test with empty ones."""
    from historyweb import page_cache
    from timeline.search import index as search_index

    for cache in caches.all():
        cache.clear()
    page_cache.memory.clear()
    page_cache.shared_store.reset()
    search_index.forget()
    yield
    for cache in caches.all():
        cache.clear()
    page_cache.memory.clear()
    page_cache.shared_store.reset()


# -- runnable samples (timeline/runner) ------------------------------------------------------------


def sandbox_processes():
    """Processes a run of THIS test session could have left: every bwrap below this process, and
    everything below such a bwrap.

    Only descendants count, so another checkout's tests (or a developer's server) running
    sandboxes on the same machine never fail ours. Nothing a run starts can leave this tree while
    its bwrap lives: orphans are re-parented to the sandbox's PID-namespace init, and when that
    init dies the kernel kills the whole namespace.
    """
    import os
    from pathlib import Path

    processes = {}  # pid -> (parent pid, name, uid)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        processes[int(proc.name)] = (
            int(fields.get("PPid", "0").strip() or 0),
            fields.get("Name", "").strip(),
            int(fields.get("Uid", "0").split()[0]),
        )
    me = os.getpid()
    found = []
    for pid, (parent, name, uid) in processes.items():
        # Walk up to this process; remember whether a bwrap lies on the way (or is this one).
        in_sandbox = name == "bwrap"
        seen = set()
        while parent and parent != me and parent not in seen:
            seen.add(parent)
            grandparent, parent_name, _ = processes.get(parent, (0, "", 0))
            in_sandbox = in_sandbox or parent_name == "bwrap"
            parent = grandparent
        if parent == me and in_sandbox:
            found.append(f"{pid} {name} uid={uid}")
    return found


@pytest.fixture
def sandbox(settings, tmp_path):
    """Settings for real sandbox runs. Without bubblewrap these tests are skipped at collection
    (see tests/system.py), or fail under CI. Checks that no process outlives the test."""
    from django.core.cache import cache

    from tests.system import PACKAGES, find_bwrap

    bwrap = find_bwrap()
    if not bwrap:
        pytest.fail(PACKAGES[0].reason() + "; CI must run the sandbox tests.")
    cache.clear()  # results and rate counts from other tests must not leak in
    settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
    settings.RUNNER_BWRAP = bwrap
    settings.RUNNER_TIMEOUT = 2  # the hostile cases behave the same with 2 s as with 5 s
    settings.RUNNER_SLOT_WAIT = 5
    yield settings
    leftovers = sandbox_processes()
    assert not leftovers, f"processes left behind by a run: {leftovers}"


@pytest.fixture(params=["cold", "spare"])
def run_start(request, settings):
    """Each run started cold, or in a spare (timeline/runner/spares.py) started for it: the
    suites that use this hold both ways. With spares, every run must have taken one."""
    from timeline.runner import spares

    if request.param == "cold":
        yield "cold"
        return
    settings.RUNNER_SPARES = 1
    spares.START_AT_RUN["on"] = True
    before = dict(spares.COUNTS)
    try:
        yield "spare"
    finally:
        spares.START_AT_RUN["on"] = False
        spares.stop_all()
    assert spares.COUNTS["cold"] == before["cold"], "a run started cold, not in a spare"


@pytest.fixture(scope="session", autouse=True)
def _sandbox_as_found():
    """Every test sees the machine as tests/system.py found it: with RUNNER_BWRAP=/nonexistent
    the run endpoint answers 503 everywhere, as on a machine without bubblewrap."""
    from django.conf import settings

    from tests.system import find_bwrap

    settings.RUNNER_BWRAP = find_bwrap() or "/nonexistent/bwrap"


# -- missing system packages: skipped locally, said first; under CI every skip fails -----------

MISSING = pytest.StashKey[dict]()
SKIPPED_REPORTS = []


def pytest_collection_modifyitems(config, items):
    from tests.system import PACKAGES, in_ci

    missing = {}
    for package in PACKAGES:
        if not package.missing:
            continue
        needing = [item for item in items if package.needed_by(item)]
        missing[package] = len(needing)
        if not in_ci():  # under CI the fixtures fail instead
            for item in needing:
                item.add_marker(pytest.mark.skip(reason=package.reason()))
    config.stash[MISSING] = missing


def missing_lines(config):
    return [
        f"MISSING {package.name}: install with `{package.install}`; skips {count} tests"
        for package, count in config.stash.get(MISSING, {}).items()
    ]


def pytest_collection_finish(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        for line in missing_lines(session.config):
            reporter.write_line(line, yellow=True, bold=True)


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        SKIPPED_REPORTS.append(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.system import in_ci

    for line in missing_lines(config):
        terminalreporter.write_line(line, yellow=True, bold=True)
    if in_ci() and SKIPPED_REPORTS:
        terminalreporter.write_line(
            f"CI: {len(SKIPPED_REPORTS)} tests were skipped; under CI every test must run "
            f"(first: {SKIPPED_REPORTS[0]}).",
            red=True,
            bold=True,
        )


def pytest_sessionfinish(session, exitstatus):
    from tests.system import in_ci

    if in_ci() and SKIPPED_REPORTS and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def one_rate_window(monkeypatch):
    """The throttle's clock held at the start of a window: its windows are fixed (every 60 s by
    default), so a slow test that crossed a window's end would see its counts start again."""
    from historyweb import throttle

    now = time.time()
    held = now - now % 3600 + 1  # one second into a window of any length that divides an hour
    monkeypatch.setattr(throttle, "time", types.SimpleNamespace(time=lambda: held))
