"""Local development: `make run`. Debug is on unless DJANGO_DEBUG says otherwise."""

import os

from historyweb.lan import lan_addresses

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, env_bool

DEBUG = env_bool("DJANGO_DEBUG", default=True)
# A fixed key is fine on a developer's machine only; production refuses to start without its own.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-only-insecure-key-never-used-in-production"
# Template and CSS edits show at once on `make run`; production and the tests cache pages.
PAGE_CACHE_ENABLED = env_bool("HISTORYWEB_PAGE_CACHE", default=False)
# The speaker's laptop: going live needs no login, and phones on the same network reach it
# at its LAN address (`make run HOST=0.0.0.0`), which must be an allowed host.
LIVE_REQUIRE_STAFF = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, *lan_addresses()]
