"""A runner host for `make bench-runners`: the project's Celery worker on the `runs` queue,
concurrency 1, with the cgroup parent the bench made for it (BENCH_RUNNER_CGROUP_PARENT), and no
spares unless BENCH_RUNNER_SPARES names a count per runtime."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from historyweb.celery import app  # noqa: E402

if os.environ.get("BENCH_RUNNER_CGROUP_PARENT"):
    settings.RUNNER_CGROUP_PARENT = os.environ["BENCH_RUNNER_CGROUP_PARENT"]
# Cold runs unless BENCH_RUNNER_SPARES says otherwise: the figures this bench prints are cold
# (make bench-samples sets cold and spare runs side by side).
settings.RUNNER_SPARES = int(os.environ.get("BENCH_RUNNER_SPARES", "0"))

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "-Q",
            "runs",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "-n",
            f"{sys.argv[1]}@%h",
        ]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    )
