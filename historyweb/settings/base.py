"""Settings shared by every environment; the environment-specific modules import this."""

import os
from pathlib import Path

from historyweb.caches import cache_settings
from historyweb.databases import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("HISTORYWEB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def meta_header(name):
    """A request header's name as Django's request.META spells it: X-Real-IP -> HTTP_X_REAL_IP."""
    name = name.strip().upper().replace("-", "_")
    if not name:
        return None
    return name if name.startswith("HTTP_") else "HTTP_" + name


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "reversion",
    # Only for its one table, the content version of the page cache (historyweb/models.py).
    "historyweb",
    "timeline",
]

MIDDLEWARE = [
    # Outermost: compresses what the page cache did not already (historyweb/compression.py),
    # and nothing that holds a secret (BREACH).
    "historyweb.compression.CompressionMiddleware",
    # Then: answers anonymous GETs of content pages from memory, with the headers the rest of
    # the stack gave them when they were rendered (historyweb/page_cache.py).
    "historyweb.page_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "historyweb.middleware.RejectNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "historyweb.urls"
WSGI_APPLICATION = "historyweb.wsgi.application"
ASGI_APPLICATION = "historyweb.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# Connections are not kept past their request (historyweb/databases.py); production pools them.
SQLITE_URL = f"sqlite:///{VAR_DIR / 'historyweb.sqlite3'}"
DATABASES = {"default": database_settings(SQLITE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site root (/favicon.ico, /apple-touch-icon.png): whitenoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]
HISTORY_FIXTURES_DIR = BASE_DIR / "fixtures"

# A cache alias per purpose, each sized and timed for what it holds (see historyweb/caches.py).
# Without REDIS_URL every alias is a file cache under var/cache/, shared by the workers of one
# machine; with it, every shared purpose lives in that Redis, so several servers agree.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = cache_settings(REDIS_URL, VAR_DIR / "cache")

# Content-Security-Policy (django-csp 4.0's dict format). Scripts and styles come only from
# this origin: no inline code, no eval, no CDN. Nothing may frame the site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Pages are cached whole for anonymous visitors (historyweb/page_cache.py); which pages, and which
# query parameters count, each view says with @page_cached.
PAGE_CACHE_ENABLED = True
# The content version every worker checks: a file on one machine (one stat() per request); with
# Redis, a row in the database (historyweb/models.py) with a copy in the pages cache, so an edit on
# any server invalidates every server at once, and a Redis that is down, flushed or restored from
# an old snapshot neither fails pages nor brings old ones back.
PAGE_CACHE_VERSION_FILE = None if REDIS_URL else VAR_DIR / "content-version"
# With Redis, each worker reads the version at most this often (seconds): an edit shows on every
# server within this time, and a page hit costs no round trip.
PAGE_CACHE_VERSION_TTL = 0.25
# How long Redis keeps its copy of the version (seconds) before a worker reads the database again:
# the most a copy rolled back by a Redis crash can fool a worker that never saw the newer version.
PAGE_CACHE_VERSION_CACHED_FOR = 5.0

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Runnable samples (timeline/runner): each run is a bubblewrap sandbox. timeline/runner/config.py
# lists every RUNNER_* knob and its default. bwrap is found on PATH; without it runs fail closed.
RUNNER_TIMEOUT = float(os.environ.get("RUNNER_TIMEOUT", "5"))
RUNNER_RATE_LIMIT = int(os.environ.get("RUNNER_RATE_LIMIT", "10"))  # edited runs per client…
RUNNER_RATE_WINDOW = int(os.environ.get("RUNNER_RATE_WINDOW", "60"))  # …per this many seconds
# Checking exercise answers has a limit of its own: units per window, and the sandbox seconds one
# unit buys (a slow app pays for its time: timeline/check_limit.py).
RUNNER_CHECK_RATE_LIMIT = int(os.environ.get("RUNNER_CHECK_RATE_LIMIT", "10"))
RUNNER_CHECK_SECONDS = float(os.environ.get("RUNNER_CHECK_SECONDS", "1.5"))
# How long a run waits for a free sandbox before the answer is 429 busy.
RUNNER_SLOT_WAIT = float(os.environ.get("RUNNER_SLOT_WAIT", "0.5"))
# Behind a proxy: the header it sets to the client's address (e.g. X-Real-IP), which clients
# cannot forge. Without it every visitor shares the proxy's address, and so one rate bucket.
RUNNER_CLIENT_IP_HEADER = meta_header(os.environ.get("RUNNER_CLIENT_IP_HEADER", ""))

# Runs across machines (README, "Runs across machines"): with RUNNER_BROKER_URL, or REDIS_URL and
# RUNNER_POOL=celery, this server runs nothing itself: each run is a Celery task on the `runs`
# queue, taken by `celery -A historyweb worker -Q runs` on runner hosts. Without either, runs
# happen in this process's sandboxes, as `make run` does.
RUNNER_POOL = os.environ.get("RUNNER_POOL", "")
RUNNER_BROKER_URL = os.environ.get("RUNNER_BROKER_URL", "") or (
    REDIS_URL if RUNNER_POOL == "celery" else ""
)
# Seconds a run may wait in the queue beyond its own timeout; past it the answer is 429.
RUNNER_QUEUE_WAIT = float(os.environ.get("RUNNER_QUEUE_WAIT", "5"))
CELERY_BROKER_URL = RUNNER_BROKER_URL
CELERY_RESULT_BACKEND = RUNNER_BROKER_URL

# Live sessions (timeline/live): a phone steers the deck, the audience follows. Production
# asks for a staff login to go live; `make run` on the speaker's laptop does not (dev.py).
LIVE_REQUIRE_STAFF = True
LIVE_CREATE_LIMIT = int(os.environ.get("LIVE_CREATE_LIMIT", "20"))  # sessions per client…
LIVE_CREATE_WINDOW = 60 * 60  # …per hour
LIVE_IDLE_SECONDS = 24 * 60 * 60  # a session nobody moved for a day has expired
# Followers' safety net (timeline/live/channel.py): the database is re-read after this many
# quiet seconds, and every LIVE_FALLBACK_SECONDS while the channel (Redis) is down.
LIVE_RESYNC_SECONDS = float(os.environ.get("LIVE_RESYNC_SECONDS", "5"))
LIVE_FALLBACK_SECONDS = float(os.environ.get("LIVE_FALLBACK_SECONDS", "1"))
# The address `make run HOST=...` listens on. Every interface or a LAN address: the follow and
# remote links a speaker gets at 127.0.0.1 carry this machine's LAN address instead, for phones.
LIVE_BIND_HOST = os.environ.get("HISTORYWEB_BIND_HOST", "")
# With REDIS_URL (above), live events go through Redis pub/sub, so several app servers share
# a session; without it, through UNIX sockets under VAR_DIR, which reach every worker here.
