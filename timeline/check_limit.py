"""The rate limit on checking exercise answers: a bucket of its own beside edited runs', with its
own message, that counts sandbox time as well as submissions.

A submission costs one unit when its first run starts (a refused one costs nothing), and one
more for each RUNNER_CHECK_SECONDS of sandbox time after the first, counted once its runs have
ended: an app that holds the sandbox for 15 s pays for 15 s, not for one submission.
"""

import logging
import math
import time

from django.conf import settings

from historyweb import throttle

from .runner.batch import run_batch
from .runner.config import get_config
from .runner.service import Busy, count_hit

BUCKET = "check:"

logger = logging.getLogger(__name__)


def limits():
    """(units per window, sandbox seconds one unit buys)."""
    limit = int(getattr(settings, "RUNNER_CHECK_RATE_LIMIT", 10))
    return limit, float(getattr(settings, "RUNNER_CHECK_SECONDS", 1.5))


def window_words(window):
    return "minute" if window == 60 else f"{window} s"


def units_for(seconds):
    """What a submission's sandbox time costs beyond the unit its start paid."""
    return max(0, math.ceil(seconds / limits()[1]) - 1)


class CheckMeter:
    """One submission's account: `start` is the run's on_start, `run` wraps run_batch to add
    up the sandbox time, `settle` charges that time once the runs have ended."""

    def __init__(self, client):
        self.client = client
        self.seconds = 0.0
        self.runs = 0

    def start(self):
        config = get_config()
        count = count_hit(self.client, config, "Checks", bucket=BUCKET)
        limit, per_unit = limits()
        if count > limit:
            retry = throttle.remaining(config.rate_window, time.time())
            raise Busy(
                retry,
                f"You have checked {limit} answers in the last {window_words(config.rate_window)}"
                f" (an answer whose app runs long counts once for each {per_unit:g} s of "
                f"sandbox time). Try again in {retry} s.",
            )

    def run(self, *args, **kwargs):
        results = run_batch(*args, **kwargs)
        # One sandbox run answers every request: its time is counted once (a request refused
        # before running, a malformed one, took none).
        seconds = max((result.duration_ms for result in results), default=0) / 1000
        self.runs += 1 if seconds else 0
        self.seconds += seconds
        return results

    def settle(self):
        extra = units_for(self.seconds)
        if not extra:
            return
        config = get_config()
        try:
            throttle.hit(
                self.client, config.rate_window, config.state_dir, amount=extra, bucket=BUCKET
            )
        except throttle.RateStoreUnavailable:
            # The runs are over: nothing is left to refuse, and the next start fails closed.
            logger.warning("Sandbox time of a check was not counted")
