"""The web side of runs across machines: a sandbox run (a sample's, or every check of a submission
in one) becomes one Celery task on the `runs` queue, taken by a runner host (tasks.py), and this
server waits for it within a deadline. The host returns what the sandbox wrote, nothing decided:
this server builds the results and judges them from those bytes, as it does its own runs.

- Back-pressure: when the queue's expected wait (runs ahead × recent run time / slots, from
  pool_stats) is over RUNNER_QUEUE_WAIT, the answer is 429 with that wait, before any quota counts.
- At most once: a task is never retried, and one not started before its share of the deadline
  expires in the queue unrun. A worker lost mid-run, or a deadline passed, is a 503.
- A result belongs to its request only: each task has a fresh id, and a result that comes after
  its request gave up stays under that id until it expires.

Celery is imported only here, and only when a broker is configured (the embedded default never
loads it).
"""

import base64
import binascii
import dataclasses
import math
import time
import uuid

from django.conf import settings

from historyweb.errors import ServiceError

from .process import RawRun
from .slots import Busy

# Beyond the run's timeout and the queue budget: the sandbox's start and the result's way back.
GRACE_SECONDS = 1.0
TASK = "timeline.runner.tasks.run"
STOPPED = "The runner stopped before your run finished. Try again."
UNREADABLE = "The runner's answer could not be read. Try again."
# What the web side may lower for a run; a host never runs with more than its own settings allow.
LIMITS = ("timeout", "output_bytes", "memory_bytes")
RAW_FIELDS = tuple(field.name for field in dataclasses.fields(RawRun))
BYTES = ("stdout", "stderr", "report")


def enabled():
    return bool(getattr(settings, "RUNNER_BROKER_URL", ""))


class RunnerStopped(ServiceError):
    """The run's worker was lost, or its result did not come within the deadline (503)."""

    status = 503


def budget(wait=None):
    """Seconds a run may wait in the queue; commands that wait for a slot may wait that long."""
    queue_wait = float(getattr(settings, "RUNNER_QUEUE_WAIT", 5))
    return max(queue_wait, wait or 0.0)


def ahead_message(ahead, seconds):
    runs = "run" if ahead == 1 else "runs"
    return f"{ahead} {runs} ahead of yours, about {seconds} s. Try again then."


def refuse_when_full(queue_budget):
    """Raise Busy (429) when the expected wait is over the budget; Retry-After is that wait."""
    from . import pool_stats

    ahead, expected = unreachable_is_503(pool_stats.expected_wait)
    if expected > queue_budget:
        seconds = math.ceil(expected)
        unreachable_is_503(pool_stats.refused)
        raise Busy(seconds, ahead_message(ahead, seconds))


def unreachable_is_503(call):
    try:
        return call()
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(
            "Runs are paused: the runners' queue is unreachable right now. Try again in a moment.",
            status=503,
            retry_after=5,
        ) from exc


def raw_to_dict(raw):
    """A RawRun as a task returns it (JSON): the streams and report base64, as the sandbox
    wrote them."""
    data = dataclasses.asdict(raw)
    for name in BYTES:
        data[name] = base64.b64encode(data[name]).decode("ascii")
    return data


def raw_from_dict(data):
    """The RawRun a task returned; raises RunnerStopped when it is not one."""
    try:
        fields = {name: data[name] for name in RAW_FIELDS}
        for name in BYTES:
            fields[name] = base64.b64decode(fields[name], validate=True)
        return RawRun(**fields)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise RunnerStopped(UNREADABLE, retry_after=1) from None


def limited(config, limits):
    """`config` with each limit in `limits` that is lower: what a runner host runs with, and what
    the web side judges its run by (a host never runs with more than its own settings allow)."""
    lowered = {
        name: min(getattr(config, name), type(getattr(config, name))(limits[name]))
        for name in LIMITS
        if isinstance(limits, dict) and limits.get(name) is not None
    }
    return dataclasses.replace(config, **lowered)


def summary(runtime, code, requests):
    """A task's arguments as Celery shows them: their shape, never their text."""
    count = len(requests)
    return f"({runtime}, {len(code.encode())} bytes of code, {count} request{'s' * (count != 1)})"


def run(runtime, code, requests, config, *, single, wait=None, on_start=None):
    """Enqueue one sandbox run and wait for it: (RawRun, the limits it ran with). `requests`:
    (request text, wrap) pairs, all of them prepared (service.prepare) without a refusal;
    `single` is a sample's run of one request, else every request in one run (batch.py).
    The runner host returns only what the sandbox wrote: the web side judges it, as it judges
    its own runs. Raises Busy, RunnerStopped, ServiceError."""
    from celery.exceptions import TimeoutError as ResultTimeout

    from historyweb.celery import app

    queue_budget = budget(wait)
    refuse_when_full(queue_budget)
    if on_start is not None:
        on_start()  # the rate limit counts a run that is let into the queue
    limits = {name: getattr(config, name) for name in LIMITS}
    now = time.time()
    pending = unreachable_is_503(
        lambda: app.send_task(
            TASK,
            args=[runtime, code, [list(pair) for pair in requests], limits],
            kwargs={"single": single, "wait": wait, "enqueued": now},
            task_id=str(uuid.uuid4()),
            # What inspection and events show of a task: a summary, not the learner's code, and
            # no repr of it to build on every run.
            argsrepr=summary(runtime, code, requests),
            kwargsrepr="",
            # Not started within its budget, it cannot finish in time: dropped unrun.
            expires=queue_budget,
            retry=False,
        )
    )
    try:
        answer = pending.get(
            timeout=config.timeout + queue_budget + GRACE_SECONDS, propagate=False, interval=0.02
        )
    except ResultTimeout:
        pending.revoke()  # if it still waits somewhere, it never starts
        raise RunnerStopped(STOPPED, retry_after=1) from None
    if not pending.successful() or not isinstance(answer, dict):
        # WorkerLostError (the host or its process died mid-run), an expired task, a crash.
        raise RunnerStopped(STOPPED, retry_after=1)
    if "error" in answer:
        error = answer["error"]
        retry = error["retry_after"]
        raise ServiceError(error["message"], status=error["status"], retry_after=retry)
    return raw_from_dict(answer.get("raw")), limited(config, answer.get("limits"))
