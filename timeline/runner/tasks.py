"""The runner hosts' side of runs across machines: the `runs` task, and the checks a worker makes
before it takes any.

A task carries everything a run needs (runtime, code, request, limits) and returns only the
result, as a plain dict: a runner host needs no database. It runs the same in-process path as the
embedded default (service.run_here): the same sandbox, cgroup, seccomp, fresh uid and slot cap,
the cap now per host.
"""

import dataclasses
import logging
import threading
import time

from celery import signals

from historyweb.celery import app
from historyweb.errors import ServiceError

from . import leftovers, pool_stats
from .config import get_config
from .result import RunResult
from .sandbox import containment
from .service import prepare, run_here

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
# What the web side may lower; a host never runs with more than its own settings allow.
LIMITS = ("timeout", "output_bytes", "memory_bytes")


class Host:
    """This worker's name and slot count, known once it has started."""

    name = "unknown"
    slots = 1


def limited(config, limits):
    """The host's config, with each limit the web side sent if that is lower."""
    lowered = {
        name: min(getattr(config, name), type(getattr(config, name))(limits[name]))
        for name in LIMITS
        if limits.get(name) is not None
    }
    return dataclasses.replace(config, **lowered)


@app.task(name="timeline.runner.tasks.run", max_retries=0, acks_late=False)
def run(runtime, code, request_text, limits, wrap=None, wait=None, enqueued=None):
    """One run, once: {"result": RunResult.to_dict()}, or {"error": {status, message,
    retry_after}} when this host refused it."""
    started = time.time()
    wait_ms = max(0.0, (started - enqueued) * 1000) if enqueued else 0.0
    config = limited(get_config(), limits)
    prepared = prepare(runtime, code, request_text)
    try:
        if isinstance(prepared, RunResult):
            answer = {"result": prepared.to_dict()}
        else:
            result = run_here(runtime, prepared, wait=wait, config=config, wrap=wrap)
            answer = {"result": result.to_dict()}
    except ServiceError as exc:  # no free slot here, no sandbox: the web side says so
        answer = {"error": {"status": exc.status, "message": exc.message}}
        answer["error"]["retry_after"] = exc.retry_after
    run_ms = (time.time() - started) * 1000
    try:
        pool_stats.record(Host.name, Host.slots, wait_ms, run_ms, rejected="error" in answer)
    except Exception:
        logger.warning("Could not record the run's figures", exc_info=True)
    return answer


def refuse_without_containment(config):
    """Why this host must not take runs ("" when it may): no bubblewrap, or in production
    (RUNNER_REQUIRE_CONTAINMENT) no cgroup per run or no seccomp filter."""
    if not config.bwrap:
        return "bubblewrap is not installed here (RUNNER_BWRAP, PATH)"
    problems = containment(config).problems()
    if config.require_containment and problems:
        return "runs cannot be held as a whole: " + "; ".join(problems)
    for problem in problems:
        logger.warning("Runs are not held as a whole here: %s", problem)
    return ""


@signals.celeryd_after_setup.connect
def check_host(sender, instance, **kwargs):
    """Before consuming: refuse to start on a host that cannot hold runs (SystemExit ends the
    worker; Celery's signals pass it on), then report this host every HEARTBEAT_SECONDS."""
    problem = refuse_without_containment(get_config())
    if problem:
        logger.error("This runner host takes no runs: %s", problem)
        raise SystemExit(f"This runner host takes no runs: {problem}")
    Host.name, Host.slots = sender, int(instance.concurrency or 1)
    leftovers.sweep_at_start()  # a runner host killed mid-run left its runs behind
    threading.Thread(target=heartbeat, name="runner-heartbeat", daemon=True).start()


def heartbeat():
    while True:
        try:
            pool_stats.seen(Host.name, Host.slots)
        except Exception:
            logger.warning("Could not report this runner host", exc_info=True)
        time.sleep(HEARTBEAT_SECONDS)


@signals.task_revoked.connect
def count_expired(request=None, expired=False, **kwargs):
    """A run that waited past its deadline in the queue is dropped unstarted: count it refused."""
    if expired:
        try:
            pool_stats.record(Host.name, Host.slots, 0.0, 0.0, rejected=True)
        except Exception:
            logger.warning("Could not record an expired run", exc_info=True)
