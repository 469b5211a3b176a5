"""Running samples for the site: caching, the per-client rate limit and the global cap."""

import base64
import functools
import hashlib
import json
import logging
import subprocess
import time
from pathlib import Path

from django.core.cache import caches

from historyweb import throttle
from historyweb.errors import DISK_FULL, ServiceError

from ..text import normalize_text
from . import pool
from .bwrap import HARNESS
from .bytecode import digest
from .config import get_config
from .request import RequestError, parse_request
from .result import RunResult, build_result
from .runtimes import HTTP, MAX_CODE_CHARS, RUNNABLE
from .sandbox import INSTALL_HINT, SandboxUnavailable, run_in_sandbox
from .slots import Busy, NoFreeSlot, run_slot

logger = logging.getLogger(__name__)

CACHE_PREFIX = "runner:result:"


@functools.lru_cache(maxsize=8)
def interpreter_version(python):
    """The sandbox interpreter's version, read once per process (pyvenv.cfg, else ask it)."""
    cfg = Path(python).parent.parent / "pyvenv.cfg"
    if cfg.exists():
        for line in cfg.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                return value.strip()
    completed = subprocess.run(
        [python, "-I", "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return completed.stdout.strip()


@functools.lru_cache(maxsize=8)
def packages_digest(python):
    """Which packages the sandbox imports from: the venv's *.dist-info names carry versions, so
    upgrading Flask gives new cache keys. Read once per process."""
    venv = Path(python).parent.parent
    names = sorted(
        entry.name
        for site in venv.glob("lib/python3*/site-packages")
        for entry in site.iterdir()
        if entry.name.endswith(".dist-info")
    )
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def harness_digest():
    return digest(HARNESS)


def cache_key(runtime, code, request_text, config=None):
    config = config or get_config()
    parts = [runtime, code, request_text, config.python, interpreter_version(config.python)]
    parts += [packages_digest(config.python), harness_digest()]
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    return CACHE_PREFIX + digest


def prepare(runtime, code, request_text=""):
    """The harness's spec and the request body, or a RunResult saying why it cannot run."""
    if runtime not in RUNNABLE:
        return RunResult.refused(runtime, f"“{runtime}” is not a runtime.")
    if len(code) > MAX_CODE_CHARS:
        return RunResult.refused(runtime, f"The code is longer than {MAX_CODE_CHARS // 1024} KB.")
    try:
        request = parse_request(request_text if runtime in HTTP else "")
    except RequestError as exc:
        return RunResult.refused(runtime, f"The request: {exc}")
    body = base64.b64decode(request["body_b64"])
    return {"runtime": runtime, "code": code, "request": request}, body


def run_code(runtime, code, request_text="", *, wait=None, config=None, on_start=None, wrap=None):
    """Run code in the sandbox now (no cache). Raises Busy when every slot stays taken.

    `wrap` (a WSGI middleware check): {"factory", "status", "headers", "body"}: the app run is
    what `factory(inner)` returns, for an inner app that answers with that status, those
    headers and that body.

    `on_start` is called once a slot is held, just before the run starts; it may raise Busy to
    refuse the run (the rate limit counts there, so a run refused as busy, or a malformed one,
    costs no quota).

    With a pool of runner hosts (pool.py) the run is theirs; otherwise it runs here."""
    config = config or get_config()
    prepared = prepare(runtime, code, request_text)
    if isinstance(prepared, RunResult):
        return prepared
    if pool.enabled():
        requests = [(request_text, wrap)]
        raw, config = pool.run(
            runtime, code, requests, config, single=True, wait=wait, on_start=on_start
        )
        return build_result(runtime, raw, config)  # judged here, from what the sandbox wrote
    return run_here(runtime, prepared, wait=wait, config=config, on_start=on_start, wrap=wrap)


def run_here(runtime, prepared, *, wait=None, config, on_start=None, wrap=None):
    """Run a prepared run in this host's sandbox: the embedded default."""
    raw = sandbox_run(*single_input(prepared, wrap), wait=wait, config=config, on_start=on_start)
    return build_result(runtime, raw, config)


def single_input(prepared, wrap):
    """The harness's spec and stdin for one prepared request, with a middleware check's wrap."""
    spec, body = prepared
    if wrap is not None:
        spec["wrap"] = wrap_for_harness(wrap)
    return spec, body


def wrap_for_harness(wrap):
    """A middleware check's inner app as the harness takes it: headers as (name, value) tuples."""
    return dict(wrap, headers=[tuple(pair) for pair in wrap["headers"]])


def sandbox_run(spec, body, *, wait=None, config, on_start=None):
    """The harness run on `spec` in a sandbox slot of this host; the RawRun. Raises Busy and
    SandboxUnavailable."""
    if not config.bwrap:
        raise SandboxUnavailable(INSTALL_HINT)
    wait = config.slot_wait if wait is None else wait
    try:
        with run_slot(config.state_dir / "slots", config.max_concurrent, wait):
            if on_start is not None:
                on_start()
            raw = run_in_sandbox(config, spec, body)
    except NoFreeSlot:
        raise Busy(2, "Every sandbox is busy. Try again in a moment.") from None
    if not raw.started:
        # bwrap is there but did not build the sandbox (no user namespaces, say): it reported
        # no child on its info descriptor, so nothing of the program ran and stderr is bwrap's.
        # Never decided from stderr's text, which a program that did run writes as it likes.
        message = raw.stderr.decode("utf-8", "replace").strip()
        raise SandboxUnavailable(f"The sandbox could not start: {message}")
    return raw


def run_cached(runtime, code, request_text=""):
    """An unedited sample: answer from the shared cache, or run once and remember."""
    started = time.monotonic()
    config = get_config()
    key = cache_key(runtime, code, request_text, config)
    data = _cached_result(key)
    if data is not None:
        result = RunResult.from_dict(data)
        result.cached = True
        result.duration_ms = (time.monotonic() - started) * 1000
        return result
    result = run_code(runtime, code, request_text, config=config)
    if result.repeatable:  # a timeout may be the machine's load, not the code
        _cache_result(key, result.to_dict())
    return result


# The results cache is a cache: when it fails (Redis down, a full disk) the sample runs uncached.


def _cached_result(key):
    try:
        return caches["runs"].get(key)
    except Exception:
        logger.warning("The runs cache failed; running uncached", exc_info=True)
        return None


def _cache_result(key, data):
    try:
        caches["runs"].set(key, data)  # the alias's timeout: see historyweb/caches.py
    except Exception:
        logger.warning("The runs cache failed; the result is not kept", exc_info=True)


def count_hit(client, config, paused="Edited runs", **kwargs):
    """throttle.hit in the runner's window; a store that cannot count is a 503 that says which
    runs are `paused` (they fail closed: a run without its limit lets one client take every
    sandbox)."""
    try:
        return throttle.hit(client, config.rate_window, config.state_dir, **kwargs)
    except throttle.RateStoreUnavailable as exc:
        if exc.disk_full:
            message = (
                f"{DISK_FULL}, so {paused.lower()} are paused: their rate limit cannot be "
                f"counted. Try again in {exc.retry_after} s."
            )
        else:
            message = (
                f"{paused} are paused: their rate limit cannot be counted right now "
                f"(its store is unreachable). Try again in {exc.retry_after} s."
            )
        raise ServiceError(message, status=503, retry_after=exc.retry_after) from exc


def check_rate(client):
    """Count one edited run for this client; raise Busy past the limit in the window.

    Called once the run holds a sandbox slot, so only runs that start are counted. Without
    its counters (Redis down), a 503 that says so."""
    config = get_config()
    count = count_hit(client, config)
    if count > config.rate_limit:
        retry = throttle.remaining(config.rate_window, time.time())
        times = "once" if config.rate_limit == 1 else f"{config.rate_limit} times"
        raise Busy(
            retry,
            f"You have run your own code {times} in the last "
            f"{config.rate_window} s (edited samples and Try it share this limit). "
            f"Try again in {retry} s.",
        )


def run_sample(sample, code=None, request_text=None, client="anonymous"):
    """Run a CodeSample as the learner asked: the original (cached) or their edit (limited).

    An edit arrives with LF line ends (the views normalise what a browser sends, with
    timeline/text.py). Raises Busy (answer 429) and SandboxUnavailable (fail closed, unless the
    cache answers)."""
    if not sample.runnable:
        return RunResult.refused(sample.runtime, "This sample is not runnable.")
    if code is None:
        code = sample.code
    if request_text is None:
        request_text = sample.request
    # A textarea sent back unchanged may differ from the stored text only in its final newline.
    if normalize_text(code) == sample.code and normalize_text(request_text) == sample.request:
        return run_cached(sample.runtime, sample.code, sample.request)
    return run_edited(sample.runtime, code, request_text, client)


def run_edited(runtime, code, request_text, client, wrap=None):
    """A learner's own code or request, run now: an edited sample, or an exercise's Try it.
    Counted against the client's run limit once it starts; raises Busy past it."""
    extra = {"wrap": wrap} if wrap else {}
    return run_code(runtime, code, request_text, on_start=lambda: check_rate(client), **extra)


__all__ = ["Busy", "SandboxUnavailable", "run_code", "run_cached", "run_edited", "run_sample"]
