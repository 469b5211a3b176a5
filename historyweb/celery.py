"""The Celery app for runs across machines: `celery -A historyweb worker -Q runs` on runner hosts.

Configured from Django settings (CELERY_*, set from RUNNER_BROKER_URL). The task lives in the app
(timeline.runner.tasks), named here by string only: this package never imports the app. Imported
only where a broker is configured; the embedded default never loads Celery.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "historyweb.settings.dev")

RUNS_QUEUE = "runs"

app = Celery("historyweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    imports=["timeline.runner.tasks"],
    task_default_queue=RUNS_QUEUE,
    # At most once: the message is acknowledged as the run starts, and a worker that dies mid-run
    # does not hand it back (user code is never run twice; the web side answers 503).
    task_acks_late=False,
    task_reject_on_worker_lost=False,
    # One run reserved per free process: a run queued behind a long one on one host would wait
    # while another host is idle.
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A result nobody collected (its request gave up) is dropped soon.
    result_expires=300,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
