"""Django on a throwaway in-memory database holding the history, for benchmarks that need no
server (imported by the scripts beside it, which run as `python bench/<script>.py`)."""

import io
import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "historyweb.settings.test"
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_history", stdout=io.StringIO())
