"""Spares (timeline/runner/spares.py): sandboxes started ahead of their run, one run each.

The hostile and fidelity suites run with every run in a spare too (conftest.run_start); these
tests take the pool's own path: spares started by its thread, waiting, then dispatched to.
"""

import logging
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from timeline.runner import config as runner_config
from timeline.runner import leftovers, spares
from timeline.runner.config import HOST_SPARES, get_config, spares_setting
from timeline.runner.result import Outcome
from timeline.runner.sandbox import containment
from timeline.runner.service import run_code

UID_AND_TMP = (
    "import os\n"
    "print(os.getuid(), sorted(os.listdir('/tmp')), os.path.exists('/tmp/left-by-run-1'))\n"
    "open('/tmp/left-by-run-1', 'w').write('secret')\n"
)


def waiting(runtime):
    pool = spares.pool()
    with pool.lock:
        return [s for key, found in pool.waiting.items() if key[4] == runtime for s in found]


def wait_for_spares(runtime, count=1, timeout=30):
    """The pool's spares of `runtime` once `count` wait, ready for a run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [s for s in waiting(runtime) if s.ready]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    pytest.fail(f"no {runtime} spare became ready in {timeout} s")


@pytest.fixture
def pooled(sandbox):
    """Spares on, for the python runtime; every spare stopped afterwards."""
    sandbox.RUNNER_SPARES = {"python": 1}
    before = dict(spares.COUNTS)
    yield sandbox, before
    spares.stop_all()


def served(before):
    return {k: spares.COUNTS[k] - before[k] for k in before}


def first_run(runtime="python", code="print('first')\n"):
    """The first run starts cold and tells the pool which spares to keep."""
    assert run_code(runtime, code).ok
    return wait_for_spares(runtime)


def test_a_spare_serves_one_run_two_runs_share_no_uid_and_no_tmp(pooled):
    _, before = pooled
    first_run()
    one = run_code("python", UID_AND_TMP)
    wait_for_spares("python")
    two = run_code("python", UID_AND_TMP)
    assert one.ok and two.ok, (one.error, two.error)
    (uid_one, _), (uid_two, rest) = (run.output.split(" ", 1) for run in (one, two))
    tmp_two, found_two = rest.rsplit(" ", 1)  # /tmp's listing may hold spaces: ['a', 'b']
    assert uid_one != uid_two
    assert "left-by-run-1" not in tmp_two and found_two.strip() == "False"
    assert served(before) == {"spare": 2, "cold": 1}


def test_a_waiting_spare_never_sees_a_run_spec(pooled):
    settings, _ = pooled
    settings.RUNNER_SPARES = {"python": 2}
    first_run()
    other = wait_for_spares("python", 2)[1]  # the first waiting is the next run's
    assert run_code("python", "print('mine')\n").output == "mine\n"
    left = waiting("python")
    assert other in left or not left
    # Its own directory: its user's account files, no spec or body of any run.
    assert sorted(os.listdir(other.work_dir)) == ["group", "passwd"]


def test_a_spare_that_died_while_waiting_is_replaced_by_a_cold_start(pooled):
    _, before = pooled
    spare = first_run()[0]
    os.kill(spares.process.child_pid(spare.launched.info), 9)
    spare.launched.process.wait()
    result = run_code("python", "print('still runs')\n")
    assert result.ok and result.output == "still runs\n"
    assert served(before) == {"spare": 0, "cold": 2}
    assert spare not in waiting("python")
    replacement = wait_for_spares("python")[0]
    assert replacement is not spare


def test_a_spare_that_ends_between_its_check_and_its_run_falls_back_to_a_cold_start(pooled):
    """Its harness gone (the go-ahead cannot be sent): the run starts cold, unharmed."""
    _, before = pooled
    spare = first_run()[0]
    spare.alive = lambda: True  # it passes the check, then its socket finds no one
    spare.channel.close()
    spare.channel = __import__("socket").socket()  # unconnected: sending fails
    result = run_code("python", "print('cold')\n")
    assert result.output == "cold\n"
    assert served(before) == {"spare": 0, "cold": 2}


def test_a_spare_older_than_its_max_age_is_refreshed(pooled):
    settings, before = pooled
    settings.RUNNER_SPARE_MAX_AGE = 1.5
    old = first_run()[0]
    old_pid = old.launched.process.pid
    time.sleep(1.6)
    assert old.expired(get_config().spare_max_age)
    result = run_code("python", "print('fresh')\n")  # not in the old one: it is too old
    assert result.ok
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and old.launched is not None:
        time.sleep(0.05)
    assert old.launched is None and not Path(old.work_dir).exists()
    with pytest.raises(ProcessLookupError):
        os.kill(old_pid, 0)
    new = wait_for_spares("python")[0]
    assert new is not old and not new.expired(get_config().spare_max_age)


def test_the_clock_starts_at_dispatch_not_when_the_spare_started(pooled):
    """The spare waited longer than the time limit: a run of half the limit is still on time,
    and a loop is stopped after the limit counted from its dispatch."""
    settings, _ = pooled
    settings.RUNNER_TIMEOUT = 1
    first_run()
    time.sleep(1.2)
    on_time = run_code("python", "import time\ntime.sleep(0.5)\nprint('done')\n")
    assert on_time.ok and on_time.output == "done\n", on_time.error
    wait_for_spares("python")
    time.sleep(1.2)
    looped = run_code("python", "print('start')\nwhile True:\n    pass\n")
    assert looped.outcome == Outcome.TIMEOUT
    assert 1000 <= looped.duration_ms < 3000
    assert looped.output == "start\n"


def test_the_runs_own_limits_hold_in_a_spare_made_under_others(pooled):
    """A spare waits under the limits of when it started; the run's are set at its dispatch:
    memory in the cgroup (decided from the cgroup's count), output cap, CPU time."""
    settings, before = pooled
    first_run()
    settings.RUNNER_MEMORY_LIMIT = 96 * 1024 * 1024
    settings.RUNNER_OUTPUT_LIMIT = 1000
    hog = (
        "import os\nfor _ in range(4):\n    if os.fork() == 0:\n"
        "        chunk = bytearray(40 * 1024 * 1024)\n        chunk[::4096] = b'y' * 10240\n"
        "        import time; time.sleep(5)\n"
        "        os._exit(0)\nfor _ in range(4):\n    os.wait()\n"
    )
    result = run_code("python", hog)
    assert result.outcome == Outcome.MEMORY, (result.outcome, result.error)
    assert result.peak_memory_bytes <= 96 * 1024 * 1024  # the run's limit, not the spare's
    wait_for_spares("python")
    loud = run_code("python", "print('x' * 5000)\n")
    assert loud.outcome == Outcome.OUTPUT and len(loud.output) <= 1000
    wait_for_spares("python")
    settings.RUNNER_TIMEOUT = 3
    cpu = run_code("python", "import resource\nprint(resource.getrlimit(resource.RLIMIT_CPU))\n")
    assert cpu.output == "(4, 4)\n"
    assert served(before) == {"spare": 3, "cold": 1}


def test_an_asgi_spare_has_fastapi_imported_before_its_run(sandbox):
    """And the worker threads' backend Starlette imports at a plain `def` endpoint's first
    request."""
    sandbox.RUNNER_SPARES = {"asgi": 1}
    app = (
        "import sys\nLOADED = {'fastapi', 'anyio._backends._asyncio'} <= set(sys.modules)\n"
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': str(LOADED).encode()})\n"
    )
    try:
        assert run_code("asgi", app).body == "False"  # cold: nothing imported for it
        wait_for_spares("asgi")
        assert run_code("asgi", app + "# edited\n").body == "True"
    finally:
        spares.stop_all()


def test_stopping_releases_every_spare(pooled):
    spare = first_run()[0]
    cgroup_dirs = list(spare.cgroup.dirs.values()) if spare.cgroup else []
    pid = spare.launched.process.pid
    spares.stop_all()
    assert not waiting("python")
    assert not Path(spare.work_dir).exists()
    assert not any(path.exists() for path in cgroup_dirs)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (get_config().state_dir / "owners" / str(spare.uid)).exists()


KEEP_A_SPARE = """
import sys, time, django
django.setup()
from django.conf import settings
settings.RUNNER_STATE_DIR = sys.argv[1]
settings.RUNNER_SPARES = {"python": 1}
from timeline.runner import sandbox, spares
from timeline.runner.bwrap import hosts_file
from timeline.runner.config import get_config
config = get_config()
spare = spares.Spare(config, sandbox.containment(config), hosts_file(config), "python", True)
assert spare.wait_ready()
print(spare.work_dir, spare.uid, flush=True)
time.sleep(60)
"""


def test_what_a_killed_process_left_of_its_spares_is_swept(sandbox, tmp_path):
    """A process killed (SIGKILL: no atexit) with a spare waiting: its spare dies with it, and
    the next sweep removes its work directory, cgroup and owner record, as for a killed run."""
    import signal
    import subprocess

    from timeline.runner import cgroups

    state = get_config().state_dir
    child = subprocess.Popen(
        [sys.executable, "-c", KEEP_A_SPARE, str(state)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        work_dir, uid = child.stdout.readline().split()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    layout = cgroups.layout_for(get_config().cgroup_parent)
    assert Path(work_dir).exists()
    if layout.available:
        assert (state / "owners" / uid).exists()
    found = leftovers.sweep(get_config(), layout)
    assert Path(work_dir) in found["work_dirs"] and not Path(work_dir).exists()
    if layout.available:
        assert int(uid) in found["uids"] and not (state / "owners" / uid).exists()
        assert not any(path.exists() for path in cgroups.RunCgroup(layout, uid).dirs.values())


def test_spares_are_off_by_default_and_on_at_a_runner_host(settings, monkeypatch):
    del settings.RUNNER_SPARES
    assert get_config().spares == ()
    monkeypatch.setitem(runner_config.ON_RUNNER_HOST, "on", True)
    assert dict(get_config().spares) == HOST_SPARES
    settings.RUNNER_SPARES = 0  # a runner host may turn them off
    assert get_config().spares == ()
    assert spares_setting(2) == tuple((name, 2) for name in sorted(HOST_SPARES))
    assert spares_setting({"asgi": 3, "python": 0}) == (("asgi", 3),)


def test_no_spare_is_started_where_containment_is_required_and_missing(settings, monkeypatch):
    from timeline.runner import sandbox

    class Missing:
        cgroups = seccomp = None

        def problems(self):
            return ["no cgroup per run: test"]

    settings.RUNNER_BWRAP = sys.executable  # an executable: bubblewrap "is there"
    settings.RUNNER_SPARES = 1
    settings.RUNNER_REQUIRE_CONTAINMENT = True
    monkeypatch.setattr(sandbox, "containment", lambda config: Missing())
    monkeypatch.setattr(spares, "Spare", lambda *a: pytest.fail("a spare was started"))
    with pytest.raises(sandbox.SandboxUnavailable, match="Runs are switched off"):
        sandbox.run_in_sandbox(get_config(), {"runtime": "python"})


def test_an_exercise_submission_runs_in_a_spare(sandbox):
    """All of a submission's requests in one run, that run in a spare: one app instance."""
    from tests.test_exercise_one_run import COUNTING_WSGI
    from timeline.runner.batch import run_batch

    sandbox.RUNNER_SPARES = {"wsgi": 1}
    request = "GET / HTTP/1.1\nHost: localhost\n\n"
    before = dict(spares.COUNTS)
    try:
        run_batch("wsgi", COUNTING_WSGI, [(request, None)])  # cold: the pool starts filling
        wait_for_spares("wsgi")
        results = run_batch("wsgi", COUNTING_WSGI, [(request, None)] * 3)
    finally:
        spares.stop_all()
    assert [r.ok for r in results] == [True] * 3
    assert [r.body.split()[-1] for r in results] == ["1", "2", "3"]
    assert served(before) == {"spare": 1, "cold": 1}


@pytest.fixture
def host_start(settings, monkeypatch):
    """A runner host's start (tasks.check_host) on a host that can hold runs, RUNNER_SPARES
    unset, with no sweep and no heartbeat thread."""
    from timeline.runner import tasks

    del settings.RUNNER_SPARES
    monkeypatch.setitem(runner_config.ON_RUNNER_HOST, "on", False)
    monkeypatch.setattr(tasks, "refuse_without_containment", lambda config: "")
    monkeypatch.setattr(tasks, "sweep_at_start", lambda: None)
    quiet = SimpleNamespace(start=lambda: None)
    monkeypatch.setattr(tasks.threading, "Thread", lambda **kwargs: quiet)
    return tasks


def test_a_runner_host_turns_spares_on_and_its_worker_processes_stop_them(
    host_start, monkeypatch, caplog
):
    from celery import signals

    from historyweb import lifespan

    tasks = host_start
    with caplog.at_level(logging.INFO, logger=tasks.logger.name):
        tasks.check_host("runner1@host", instance=SimpleNamespace(concurrency=2))
    # It tells where its runs' cgroups go and what moving a run in waits for.
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Runs on")]
    assert said == [f"Runs on this host: {containment(get_config()).cgroups.describe()}"]
    assert dict(get_config().spares) == HOST_SPARES
    assert spares.stop_all in lifespan._on_stop  # the ASGI server's shutdown stops them
    stopped = []
    monkeypatch.setattr(spares, "stop_all", lambda: stopped.append("stopped"))
    signals.worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0)
    assert stopped == ["stopped"]


def test_a_spare_made_for_another_sandbox_is_not_used(pooled):
    """What is fixed at a spare's start (here its /tmp's size) must be the run's: else cold."""
    settings, before = pooled
    first_run()
    settings.RUNNER_TMP_SIZE = 8 * 1024 * 1024
    size = run_code(
        "python", "import os\nst = os.statvfs('/tmp')\nprint(st.f_blocks * st.f_frsize)\n"
    )
    assert size.output == f"{8 * 1024 * 1024}\n"
    assert served(before) == {"spare": 0, "cold": 2}


def test_a_runner_host_whose_uids_cannot_hold_its_spares_refuses_to_start(host_start, settings):
    """Each worker process holds a uid for its run and one per waiting spare: 16 processes with
    the default spares (6 each) would need 112 of the 100 uids, and runs would be refused."""
    tasks = host_start
    settings.RUNNER_UID_COUNT = 100
    with pytest.raises(SystemExit, match=r"16 worker processes .* 112 uids.*RUNNER_UID_COUNT"):
        tasks.check_host("runner1@host", instance=SimpleNamespace(concurrency=16))
    assert not runner_config.ON_RUNNER_HOST["on"]
    tasks.check_host("runner1@host", instance=SimpleNamespace(concurrency=14))  # 98 uids
    settings.RUNNER_SPARES = 0  # or no spares: 16 uids
    tasks.check_host("runner1@host", instance=SimpleNamespace(concurrency=16))
