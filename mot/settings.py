"""MOT settings: one file, driven by environment variables (see README "Configuration").

Without any variable set MOT runs in its embedded default: SQLite in ./data, Celery tasks run
eagerly in-process, DEBUG on, e-mail printed to the console.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

from mot.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "data"

env = Env()

DEV_SECRET_KEY = "mot-development-only-secret-key-do-not-use-in-production"  # noqa: S105

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY must be set to a random value of at least 32 characters "
        "when DEBUG is off (the development secret is refused)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # naturaltime ("3 hours ago") with Django's own translations of it in every MOT language.
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "ninja",  # serves its bundled Swagger UI for the API docs page (no CDN)
    "csp",  # its system checks refuse the pre-4.0 CSP_* settings
    "mot",
    "journeys",
    "feedback",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above everything that may answer on its own (static files, CSRF and lock-out refusals), so
    # every response carries the policy.
    "csp.middleware.CSPMiddleware",
    # Before anything reads a body: an intake's body is capped before it is parsed.
    "feedback.hooks.middleware.IntakeBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "mot.middleware.InputCheckMiddleware",
    # After the locale middleware, so a signed-in member's own language wins over cookie and
    # browser; and after the input check, since it reads the session, whose cookie may be what
    # that check refuses (a NUL in it would reach the database).
    "mot.language.MemberLanguageMiddleware",
]

ROOT_URLCONF = "mot.urls"
WSGI_APPLICATION = "mot.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.database("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'mot.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(exist_ok=True)
    # WAL lets the dev server read while an eager task writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The few statements mot.sql runs prepared (the public survey POST's) are parsed and planned
    # once per connection, on their second run (threshold 1), then only executed; every other
    # query binds on the client and is never prepared, whatever this says. Off behind a pooler
    # in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or
    # without max_prepared_statements).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "mot.auth.EmailOrUsernameBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The client's address, for the login lock-out and the survey rate limit: REMOTE_ADDR, or behind
# this many trusted reverse proxies the address the outermost one saw (mot.http.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0, maximum=10)
AXES_CLIENT_IP_CALLABLE = "mot.http.client_ip"
RATELIMIT_IP_META_KEY = "mot.http.client_ip"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
# One account from one address: wrong passwords for one account lock out neither its owner
# elsewhere nor the other people behind the same address (an office, a proxy).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Each language named in its own language: the switcher is read by someone who may not read the
# page's current language. Not marked for translation, on purpose. pt-br comes before pt-pt: a
# browser asking for plain "pt" gets the first "pt-" variant listed (Django's matching), and the
# product chose Brazilian Portuguese for it (tests/mot/test_language.py pins it).
LANGUAGES = [
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("pt-pt", "Português (Portugal)"),
    ("es", "Español"),
    ("ro", "Română"),
]

LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Uploads --------------------------------------------------------------------------------
# Request bodies beyond this are refused by Django itself; each upload form has its own cap too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
JOURNEY_IMPORT_MAX_BYTES = env.int("JOURNEY_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
# Uploaded answer files (CSV/XLSX) and their rejected-rows reports. Never served as static media:
# they hold customers' answers, so they are downloaded only through views that check the role.
# Web and worker processes must share this directory (docker-compose mounts one volume on both).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
FEEDBACK_IMPORT_MAX_BYTES = env.int("FEEDBACK_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------------
_DEFAULT_EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=_DEFAULT_EMAIL_BACKEND)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "Environment variables EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other."
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MOT <mot@localhost>")
# Seconds an SMTP connection may hang before the send fails (and an alert's task retries):
# a mail server that does not answer must not hold a worker, or an eager request, for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10, minimum=1, maximum=600)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where MOT is reached, for the links in alert e-mails (sent by workers, outside any request).
SITE_URL = env.url("SITE_URL", default="http://127.0.0.1:8000", schemes={"http", "https"})
# New follow-ups reaching a member within this many seconds share one e-mail.
ALERTS_DIGEST_SECONDS = env.int("ALERTS_DIGEST_SECONDS", default=120, maximum=3000)

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", default="", schemes={"redis", "rediss"})
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # Embedded default: no broker, every task runs in-process at the moment it is sent.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker killed midway leaves the task on the queue to be redone
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A message a killed worker held comes back to the queue after this long. It must outlast the
# longest task (a large file import) and any countdown, or a live task would run twice; metric
# runs do not wait for it: the watchdog below requeues a run whose worker stopped beating.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Enqueueing while Redis is down fails after a few tries instead of hanging a request.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Metric recomputes are heavy: their own queue, so they never hold up invitations or imports.
CELERY_TASK_ROUTES = {"metrics.tasks.*": {"queue": "metrics"}}
# How often the watchdog looks for stalled metrics runs; a run whose worker has not beaten for
# this long is taken as lost.
METRICS_WATCHDOG_SECONDS = env.int("METRICS_WATCHDOG_SECONDS", default=30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "metrics-nightly": {
        "task": "metrics.tasks.recompute_all_metrics",
        "schedule": crontab(hour=3, minute=17),
    },
    # Requeues metrics runs that a killed worker or an unreachable Redis left behind.
    "metrics-watchdog": {
        "task": "metrics.tasks.requeue_stalled_runs",
        "schedule": METRICS_WATCHDOG_SECONDS,
    },
    # Each member's daily e-mail of overdue follow-ups (once a day whatever reruns).
    "followups-overdue-digest": {
        "task": "feedback.tasks.followups_overdue_digests",
        "schedule": crontab(hour=7, minute=5),
    },
    # New follow-ups whose announcing task never ran (Redis was down when they were opened).
    "followups-announce-sweep": {
        "task": "feedback.tasks.followups_announce_missed",
        "schedule": crontab(minute="*/10"),
    },
    # The cached events each workspace's webhooks listen to, in case the cache lost them.
    "webhooks-refresh-events": {
        "task": "feedback.tasks.webhooks_refresh_events",
        "schedule": 60,
    },
    "webhooks-prune-deliveries": {
        "task": "feedback.tasks.webhooks_prune_deliveries",
        "schedule": crontab(hour=4, minute=11),
    },
    # Alert e-mails whose task never ran (Redis was down when they were recorded).
    "alerts-mail-sweep": {
        "task": "mot.tasks.mail_stalled_notifications",
        "schedule": crontab(minute="*/10"),
    },
}
# Answers arriving within this many seconds of each other share one recompute.
METRICS_COALESCE_SECONDS = env.int("METRICS_COALESCE_SECONDS", default=10)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Cache ----------------------------------------------------------------------------------
# django-ratelimit counts public survey posts here, so in production the cache must be shared by
# every worker process: Redis. The embedded default runs one process, where local memory suffices.
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis being down must not refuse a survey answer: see mot/cache.py.
            "BACKEND": "mot.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Without its cache (Redis down) the limiter lets posts through rather than refuse answers.
RATELIMIT_FAIL_OPEN = True
# django-ratelimit's own defaults, spelled out: the survey limiter reads them on every answer,
# and reading a setting that is absent costs django.conf.settings an exception each time.
RATELIMIT_CACHE_PREFIX = "rl:"
RATELIMIT_HASH_ALGORITHM = hashlib.sha256
RATELIMIT_IPV4_MASK = 32
RATELIMIT_IPV6_MASK = 64
SURVEY_RATE_LIMIT = env.str("SURVEY_RATE_LIMIT", default="20/m")  # survey posts per client
if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", SURVEY_RATE_LIMIT):
    raise env.fail(
        "SURVEY_RATE_LIMIT", SURVEY_RATE_LIMIT, "expected posts per period, e.g. 20/m or 100/h"
    )

# --- Webhooks -------------------------------------------------------------------------------
# Outgoing webhooks go to public addresses only; true lets them reach loopback and private
# networks (an intranet receiver, tests). Checked when an endpoint is saved and at delivery.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# Attempts per event and endpoint; the n-th retry waits WEBHOOKS_BACKOFF_SECONDS * 2**(n-1).
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=6, minimum=1, maximum=20)
WEBHOOKS_BACKOFF_SECONDS = env.int("WEBHOOKS_BACKOFF_SECONDS", default=30, minimum=1)
# An endpoint whose deliveries failed (every attempt) this many times in a row is disabled.
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=5, minimum=1)
# Finished outgoing deliveries (their log, their payloads) are deleted after this many days.
WEBHOOKS_KEEP_DAYS = env.int("WEBHOOKS_KEEP_DAYS", default=30, minimum=1)
WEBHOOKS_TIMEOUT_SECONDS = env.int("WEBHOOKS_TIMEOUT_SECONDS", default=10, minimum=1, maximum=60)
# Bodies an intake (/hooks/) reads at most; larger ones are refused (413) before parsing.
WEBHOOKS_MAX_BODY_BYTES = env.int("WEBHOOKS_MAX_BODY_BYTES", default=256 * 1024, minimum=1024)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads nothing from it; the token travels in hx-headers
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy on every response (django-csp): scripts, styles, images, fonts and
# fetches from this origin only, so injected markup can run nothing. No 'unsafe-inline' and no
# 'unsafe-eval': inline handlers live in static/js/, htmx runs with allowEval off (base.html).
# NONCE adds a per-response nonce only on pages that use {{ request.csp_nonce }} (none today).
# data: images: Swagger UI's stylesheet draws its icons with them. plotly.js styles its charts
# through the CSSOM (element.style), which style-src does not govern; its own rules come from
# static/vendor/plotly/plotly.css instead of a <style> it would inject (metrics/dashboard.html).
# style-src-attr: no style attribute but these exact values, allowed by their hashes. plotly.js
# sets them with setAttribute: "" on colorbars, and one fixed style per tag of the markup its chart
# texts may hold (<b>, <i>, <sup>, <sub>, <u>, <s>, <a>, <em>; tests/test_csp.py checks the list
# against the bundle). Any other style attribute, injected or not, is refused.
PLOTLY_STYLE_ATTRIBUTES = [
    "",
    "font-weight:bold",
    "font-style:italic",
    "font-style:italic;font-weight:bold",
    "font-size:70%",
    "text-decoration:underline",
    "text-decoration:line-through",
    "cursor:pointer",
]
STYLE_ATTRIBUTE_HASHES = [
    f"'sha256-{base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()}'"
    for value in PLOTLY_STYLE_ATTRIBUTES
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_HASHES, *STYLE_ATTRIBUTE_HASHES],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

SILENCED_SYSTEM_CHECKS: list[str] = []
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks probe plain http inside the host
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # W021 asks for HSTS preload: a commitment only the domain's owner can make (they set
    # SECURE_HSTS_PRELOAD=true when they submit to the preload list), not a software default.
    SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=["security.W021"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # W040: SQLite ignores an index's INCLUDE columns. The follow-up queue's covering indexes
    # are for PostgreSQL; on SQLite they are plain indexes, which is all the embedded mode needs.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "models.W040"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
