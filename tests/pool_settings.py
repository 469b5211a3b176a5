"""Settings for the runner host tests/test_runner_pool.py starts: development settings with the
test's broker, state directory and short limits, from the environment."""

import os

from historyweb.settings.dev import *  # noqa: F403

RUNNER_BROKER_URL = CELERY_BROKER_URL = CELERY_RESULT_BACKEND = os.environ["RUNNER_BROKER_URL"]
RUNNER_STATE_DIR = os.environ["RUNNER_STATE_DIR"]
RUNNER_TIMEOUT = 3
RUNNER_SLOT_WAIT = 5
