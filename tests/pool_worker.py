"""A runner host for tests/test_runner_pool.py: the project's own Celery worker, plus a count of
the runs it started (one line per task id in POOL_TEST_STARTS), which the test reads to prove
that a run was never executed twice. Settings come from the environment the test gives it."""

import os
import sys

from celery import signals

from historyweb.celery import app


@signals.task_prerun.connect
def count_start(task_id=None, **kwargs):
    with open(os.environ["POOL_TEST_STARTS"], "a") as starts:
        starts.write(f"{task_id}\n")


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "runner1"
    app.worker_main(
        ["worker", "-Q", "runs", "--concurrency", "1", "--loglevel", "INFO", "-n", f"{name}@%h"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    )
