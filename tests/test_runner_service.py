"""The cache of unedited runs, the rate limit, the global cap and failing closed without bwrap."""

import os

import pytest
from django.core.cache import caches

from tests.factories import make_era, make_sample
from timeline.runner import bwrap, service
from timeline.runner.config import get_config
from timeline.runner.request import RequestError, parse_request
from timeline.runner.result import Outcome
from timeline.runner.sandbox import SandboxUnavailable
from timeline.runner.slots import NoFreeSlot, run_slot

pytestmark = pytest.mark.django_db

WSGI = (
    "def application(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'hi']\n"
)


@pytest.fixture
def sample():
    caches["runs"].clear()
    return make_sample(make_era(), runtime="wsgi", code=WSGI, request="GET / HTTP/1.1\n\n")


@pytest.fixture
def count_runs(monkeypatch):
    """Count real sandbox runs."""
    calls = []
    real = service.run_in_sandbox

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "run_in_sandbox", counting)
    return calls


def test_unedited_runs_are_cached(sandbox, sample, count_runs):
    first = service.run_sample(sample)
    second = service.run_sample(sample)
    assert first.ok and not first.cached
    assert second.cached
    assert second.output == first.output == "HTTP/1.1 200 OK\nContent-Type: text/plain\n\nhi"
    assert len(count_runs) == 1


def test_cache_is_keyed_by_code_request_interpreter_and_packages(sandbox, sample, monkeypatch):
    key = service.cache_key("wsgi", WSGI, "GET / HTTP/1.1\n\n")
    assert key != service.cache_key("wsgi", WSGI, "GET /other HTTP/1.1\n\n")
    assert key != service.cache_key("wsgi", WSGI + "\n", "GET / HTTP/1.1\n\n")
    assert key != service.cache_key("asgi", WSGI, "GET / HTTP/1.1\n\n")
    monkeypatch.setattr(service, "interpreter_version", lambda python: "3.99.0")
    assert key != service.cache_key("wsgi", WSGI, "GET / HTTP/1.1\n\n")
    newer = service.cache_key("wsgi", WSGI, "GET / HTTP/1.1\n\n")
    monkeypatch.setattr(service, "packages_digest", lambda python: "flask-9.9.dist-info")
    assert newer != service.cache_key("wsgi", WSGI, "GET / HTTP/1.1\n\n")


def test_the_package_digest_reads_the_venv(settings):
    digest = service.packages_digest(get_config().python)
    assert len(digest) == 16 and digest != service.packages_digest("/nonexistent/bin/python")


def test_edited_runs_are_not_served_from_the_cache(sandbox, sample, count_runs):
    service.run_sample(sample)
    edited = WSGI.replace("b'hi'", "b'edited'")
    assert service.run_sample(sample, code=edited).body == "edited"
    assert service.run_sample(sample, code=edited).cached is False
    assert len(count_runs) == 3


def test_timeouts_are_not_cached(sandbox, sample, count_runs):
    sample.runtime, sample.code = "python", "while True:\n    pass\n"
    sample.save()
    assert service.run_sample(sample).outcome == Outcome.TIMEOUT
    assert service.run_sample(sample).cached is False
    assert len(count_runs) == 2


def test_missing_bwrap_fails_closed_with_an_install_message(settings, sample, tmp_path):
    settings.RUNNER_BWRAP = str(tmp_path / "no-such-bwrap")
    settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
    assert get_config().bwrap is None
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        service.run_sample(sample)


def test_bwrap_not_on_path_fails_closed(settings, monkeypatch, sample, tmp_path):
    settings.RUNNER_BWRAP = "bwrap"
    settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        service.run_code("python", "print(1)\n")


def test_a_cached_result_is_served_even_without_bwrap(sandbox, settings, sample, tmp_path):
    service.run_sample(sample)
    settings.RUNNER_BWRAP = str(tmp_path / "no-such-bwrap")
    result = service.run_sample(sample)
    assert result.cached and result.ok


def test_edited_runs_are_rate_limited_per_client(sandbox, settings, sample, one_rate_window):
    settings.RUNNER_RATE_LIMIT = 2
    edited = WSGI.replace("hi", "ho")
    service.run_sample(sample, code=edited, client="10.0.0.1")
    service.run_sample(sample, code=edited, client="10.0.0.1")
    with pytest.raises(service.Busy) as busy:
        service.run_sample(sample, code=edited, client="10.0.0.1")
    assert 1 <= busy.value.retry_after <= 60
    assert "Try again in" in busy.value.message
    # Another client, and the unedited sample, are not affected.
    assert service.run_sample(sample, code=edited, client="10.0.0.2").ok
    assert service.run_sample(sample, client="10.0.0.1").ok


def test_global_cap_answers_busy_when_every_slot_is_taken(sandbox, settings, tmp_path):
    settings.RUNNER_MAX_CONCURRENT = 1
    settings.RUNNER_SLOT_WAIT = 0.1
    config = get_config()
    with run_slot(config.state_dir / "slots", 1):
        with pytest.raises(service.Busy) as busy:
            service.run_code("python", "print(1)\n")
    assert busy.value.retry_after == 2
    assert service.run_code("python", "print(1)\n").output == "1\n"


def test_the_cap_is_never_above_the_cores(settings):
    from timeline.runner.config import cores

    settings.RUNNER_MAX_CONCURRENT = 999
    assert get_config().max_concurrent == cores()


def test_slots_exclude_each_other_and_free_on_exit(tmp_path):
    with run_slot(tmp_path, 2) as first:
        with run_slot(tmp_path, 2) as second:
            assert {first, second} == {0, 1}
            with pytest.raises(NoFreeSlot):
                with run_slot(tmp_path, 2, wait=0.05):
                    pass
    with run_slot(tmp_path, 2) as again:
        assert again == 0


def test_slot_locks_hold_across_processes(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(tmp_path / 'slot-0.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(NoFreeSlot):
            with run_slot(tmp_path, 1, wait=0.05):
                pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with run_slot(tmp_path, 1) as slot:
        assert slot == 0


def test_request_parsing():
    parsed = parse_request("POST /form?a=1 HTTP/1.0\r\nHost: example.org:81\r\n\r\nx=1")
    assert parsed["method"] == "POST" and parsed["path"] == "/form" and parsed["query"] == "a=1"
    assert parsed["server_name"] == "example.org" and parsed["server_port"] == 81
    assert ("Content-Length", "3") in parsed["headers"]
    assert parse_request("")["target"] == "/"
    assert parse_request("GET /x")["protocol"] == "HTTP/0.9"
    for bad, message in [
        ("hello", "first line"),
        ("get / HTTP/1.1", "not an HTTP method"),
        ("GET x HTTP/1.1", "must start with"),
        ("GET / HTTP/1.1\nno colon here", "Line 2 is not a header"),
        ("GET /é HTTP/1.1", "percent-encode"),
    ]:
        with pytest.raises(RequestError, match=message):
            parse_request(bad)


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("x:8080", 8080),
        ("x:65535", 65535),
        ("x:²", 80),  # str.isdigit() is true for "²", and int() refuses it
        ("x:8²", 80),
        ("x:٨٠٨٠", None),  # not Latin-1: refused with the percent-encoding hint
        ("x:65536", 80),
        ("x:" + "9" * 5000, 80),  # int() refuses more than 4300 digits
        ("x:-1", 80),
        ("x: 81", 80),
    ],
)
def test_a_port_is_ascii_digits_only(host, port):
    text = f"GET / HTTP/1.1\nHost: {host}\n"
    if port is None:
        with pytest.raises(RequestError, match="percent-encode"):
            parse_request(text)
    else:
        assert parse_request(text)["server_port"] == port


@pytest.mark.parametrize("protocol", ["HTTP/١.١", "HTTP/1.10"])
def test_the_protocol_is_ascii_digits_only(protocol):
    with pytest.raises(RequestError, match="The protocol must look like HTTP/1.1"):
        parse_request(f"GET / {protocol}\n")


def test_a_bad_request_is_answered_without_running(settings, tmp_path):
    settings.RUNNER_BWRAP = str(tmp_path / "no-such-bwrap")
    result = service.run_code("wsgi", WSGI, "nonsense")
    assert not result.ok
    assert result.error.startswith("The request: The first line must look like")


def test_sandbox_command_shape(settings, tmp_path):
    """The facts from trying bwrap on Debian, as flags: tmpfs before binds, clean environment,
    dies with its parent, no network, absolute interpreter."""
    settings.RUNNER_STATE_DIR = str(tmp_path)
    config = get_config()
    command = bwrap.build_command(config, tmp_path, 5, 6, tmp_path / "hosts")
    assert "--clearenv" in command and "--die-with-parent" in command
    assert "--unshare-net" in command or "--unshare-all" in command
    assert "--unshare-pid" in command or "--unshare-all" in command
    assert command.index("--tmpfs") < command.index("--ro-bind")
    assert command[command.index("/etc/hosts") - 1] == str(tmp_path / "hosts")
    python = command[command.index("-P") - 2]
    assert python.startswith("/") and ".pyenv/shims" not in python


def test_a_bwrap_that_cannot_build_the_sandbox_fails_closed(settings, sample, tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'bwrap: Creating new namespace failed: Operation not permitted' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    settings.RUNNER_BWRAP = str(fake)
    settings.RUNNER_STATE_DIR = str(tmp_path / "runner")
    with pytest.raises(SandboxUnavailable, match="could not start: bwrap: Creating new namespace"):
        service.run_sample(sample)
    assert (
        caches["runs"].get(service.cache_key(sample.runtime, sample.code, sample.request)) is None
    )


def test_os_exit_ends_a_script_as_python_would_and_an_app_before_it_answered(sandbox):
    """A script that calls os._exit(0) succeeded, as under `python file.py`; an application
    that does so never answered, which is explained."""
    result = service.run_code("python", "import os\nprint('bye', flush=True)\nos._exit(0)\n")
    assert result.ok and result.outcome == Outcome.OK
    assert result.output == "bye\n"
    app = service.run_code("wsgi", "import os\nos._exit(0)\n")
    assert app.outcome == Outcome.INTERFERENCE
    assert "ended the process before the application answered" in app.error


def test_runs_refused_as_busy_cost_no_quota(sandbox, settings, sample, one_rate_window):
    """The limit counts runs that start: a run turned away because every slot is taken is free."""
    settings.RUNNER_RATE_LIMIT = 1
    settings.RUNNER_MAX_CONCURRENT = 1
    settings.RUNNER_SLOT_WAIT = 0.1
    edited = WSGI.replace("hi", "ho")
    with run_slot(get_config().state_dir / "slots", 1):
        for _ in range(3):
            with pytest.raises(service.Busy, match="Every sandbox is busy"):
                service.run_sample(sample, code=edited, client="10.0.0.9")
    assert service.run_sample(sample, code=edited, client="10.0.0.9").ok
    with pytest.raises(service.Busy, match="run your own code"):
        service.run_sample(sample, code=edited, client="10.0.0.9")


def test_leftover_check_counts_only_this_sessions_sandboxes(tmp_path):
    """The teardown check sees a bwrap this process started, but not one another checkout (here:
    a detached shell's) runs at the same moment, so parallel test runs never fail each other."""
    import shutil
    import signal
    import subprocess
    import time

    from tests.conftest import sandbox_processes

    bwrap = shutil.which("bwrap")
    if not bwrap:
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    sleeper = f"{bwrap} --ro-bind / / --unshare-pid"
    if os.geteuid() == 0:  # like a real run as root: the program runs as a sandbox uid
        sleeper += " setpriv --reuid=61005 --regid=61005 --clear-groups"
    sleeper += " sleep 30"
    pid_file = tmp_path / "other"
    # `setsid sh -c '... &'`: the shell exits at once, so the other bwrap belongs to nobody here.
    subprocess.run(["setsid", "sh", "-c", f"{sleeper} & echo $! > {pid_file}"], check=True)
    other = int(pid_file.read_text())
    ours = subprocess.Popen(sleeper.split())
    try:
        for _ in range(100):  # until ours shows in /proc as bwrap (it has just been started)
            found = sandbox_processes()
            if any(line.startswith(f"{ours.pid} bwrap") for line in found):
                break
            time.sleep(0.02)
        assert any(line.startswith(f"{ours.pid} bwrap") for line in found)
        assert not any(line.startswith(f"{other} ") for line in found)
    finally:
        ours.kill()
        ours.wait()
        os.kill(other, signal.SIGKILL)
    assert sandbox_processes() == []
