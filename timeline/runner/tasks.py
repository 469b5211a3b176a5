"""The runner hosts' side of runs across machines: the `runs` task, and the checks a worker makes
before it takes any.

A task carries everything a run needs (runtime, code, its requests, limits) and returns only what
the sandbox wrote, as a plain dict: a runner host needs no database and decides no outcome. It
makes the run the embedded default makes (batch.sandbox_job: the same spec for one request, or
for every check of a submission in one run) in the same sandbox: cgroup, seccomp, fresh uid and
slot cap, the cap now per host.
"""

import logging
import threading
import time

from celery import signals

from historyweb.celery import app
from historyweb.errors import ServiceError

from . import config as runner_config
from . import pool_stats, spares
from .batch import sandbox_job
from .config import get_config
from .pool import LIMITS, limited, raw_to_dict
from .sandbox import containment, sweep_at_start

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10


class Host:
    """This worker's name and slot count, known once it has started."""

    name = "unknown"
    slots = 1


@app.task(name="timeline.runner.tasks.run", max_retries=0, acks_late=False)
def run(runtime, code, requests, limits, single=False, wait=None, enqueued=None):
    """One sandbox run, once, for `requests` ((request text, wrap) pairs: a sample's one when
    `single`, else a submission's checks): {"raw": what the sandbox wrote, "limits": those it ran
    with}, or {"error": {status, message, retry_after}} when this host refused it. Nothing is
    decided here: the web side reads the bytes (pool.run)."""
    started = time.time()
    wait_ms = max(0.0, (started - enqueued) * 1000) if enqueued else 0.0
    config = limited(get_config(), limits)
    try:
        raw = sandbox_job(runtime, code, requests, single=single, wait=wait, config=config)
        ran_with = {name: getattr(config, name) for name in LIMITS}
        answer = {"raw": raw_to_dict(raw), "limits": ran_with}
    except ServiceError as exc:  # no free slot here, no sandbox, a request refused: say so
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


def too_few_uids(config, slots):
    """Why the uid range cannot hold this host ("" when it can): each worker process holds a
    uid for its run and one for each spare waiting, and uids are the machine's (one range for
    every server on it), so a short range would refuse runs for want of a uid."""
    needed = slots * (1 + sum(count for _, count in config.spares))
    if needed <= config.uid_count:
        return ""
    return (
        f"{slots} worker processes with their spares hold up to {needed} uids, more than "
        f"RUNNER_UID_COUNT ({config.uid_count}): raise it, or lower RUNNER_SPARES or the "
        "concurrency"
    )


@signals.celeryd_after_setup.connect
def check_host(sender, instance, **kwargs):
    """Before consuming: refuse to start on a host that cannot hold runs (SystemExit ends the
    worker; Celery's signals pass it on), then report this host every HEARTBEAT_SECONDS."""
    slots = int(getattr(instance, "concurrency", None) or 1)
    # Spares on unless RUNNER_SPARES says otherwise: each worker process fills its own.
    runner_config.ON_RUNNER_HOST["on"] = True
    config = get_config()
    problem = refuse_without_containment(config) or too_few_uids(config, slots)
    if problem:
        runner_config.ON_RUNNER_HOST["on"] = False
        logger.error("This runner host takes no runs: %s", problem)
        raise SystemExit(f"This runner host takes no runs: {problem}")
    # Where its runs' cgroups go and what moving a run in waits for (README: favordynmods).
    logger.info("Runs on this host: %s", containment(config).cgroups.describe())
    Host.name, Host.slots = sender, slots
    sweep_at_start()  # a runner host killed mid-run left its runs behind
    threading.Thread(target=heartbeat, name="runner-heartbeat", daemon=True).start()


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def stop_spares(**kwargs):
    """A worker process that ends stops its spares and gives back what they hold (a prefork
    child ends without running atexit)."""
    spares.stop_all()


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
