"""Settings from the environment: a malformed value stops start-up, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mot.env import Env
from mot.settings import DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k7#Vq9!xR2@mZ4$wL8^bN1&cT6*yH3(pJ5)sD0-fG9_aE2+uQ"  # 50 characters

# Everything mot/settings.py reads, so the developer's own environment cannot leak into a case.
READ_BY_SETTINGS = [
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE", "AXES_FAILURE_LIMIT", "TIME_ZONE", "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "JOURNEY_IMPORT_MAX_BYTES", "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL", "REDIS_URL",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER",
    "SILENCED_SYSTEM_CHECKS", "LOG_LEVEL", "SURVEY_RATE_LIMIT", "SITE_URL",
    "ALERTS_DIGEST_SECONDS", "EMAIL_TIMEOUT", "DATABASE_PREPARED_STATEMENTS",
]  # fmt: skip

START = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def start(*, code: str = START, **variables: str) -> subprocess.CompletedProcess[str]:
    """Start Django in a fresh interpreter with exactly these MOT variables set."""
    env = {k: v for k, v in os.environ.items() if k not in READ_BY_SETTINGS}
    env.update(variables, DJANGO_SETTINGS_MODULE="mot.settings")
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


MALFORMED = [
    ({"DEBUG": "ture"}, "DEBUG"),
    ({"DEBUG": "2"}, "DEBUG"),
    ({"EMAIL_PORT": "25a"}, "EMAIL_PORT"),
    ({"SURVEY_RATE_LIMIT": "lots"}, "SURVEY_RATE_LIMIT"),
    ({"EMAIL_PORT": "70000"}, "EMAIL_PORT"),
    ({"EMAIL_USE_TLS": "yess"}, "EMAIL_USE_TLS"),
    ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_SSL"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgres://u@h:notaport/db"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgres://u@h:5432/"}, "DATABASE_URL"),
    ({"DATABASE_URL": "127.0.0.1:5432/mot"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgres://postgres@127.0.0.1/mot", "DATABASE_CONN_MAX_AGE": "1m"},
     "DATABASE_CONN_MAX_AGE"),
    ({"REDIS_URL": "http://x"}, "REDIS_URL"),
    ({"REDIS_URL": "redis://localhost:63a79/0"}, "REDIS_URL"),
    ({"REDIS_URL": "redis://[::1/0"}, "REDIS_URL"),
    ({"ALLOWED_HOSTS": "a,,b"}, "ALLOWED_HOSTS"),
    ({"ALLOWED_HOSTS": "a,b,"}, "ALLOWED_HOSTS"),
    ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT"),
    ({"JOURNEY_IMPORT_MAX_BYTES": "2MB"}, "JOURNEY_IMPORT_MAX_BYTES"),
    ({"SITE_URL": "mot.example.com"}, "SITE_URL"),
    ({"SITE_URL": "ftp://mot.example.com"}, "SITE_URL"),
    ({"ALERTS_DIGEST_SECONDS": "two minutes"}, "ALERTS_DIGEST_SECONDS"),
    ({"ALERTS_DIGEST_SECONDS": "7200"}, "ALERTS_DIGEST_SECONDS"),
    ({"EMAIL_TIMEOUT": "0"}, "EMAIL_TIMEOUT"),
    ({"DEBUG": "false"}, "SECRET_KEY"),
    ({"DEBUG": "false", "SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
    ({"DEBUG": "false", "SECRET_KEY": "too-short"}, "SECRET_KEY"),
    ({"DEBUG": "false", "SECRET_KEY": GOOD_SECRET, "SECURE_HSTS_SECONDS": "a year"},
     "SECURE_HSTS_SECONDS"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("variables", "name"),
    MALFORMED,
    ids=[" ".join(f"{k}={v[:20]}" for k, v in vs.items()) for vs, _n in MALFORMED],
)
def test_malformed_environment_stops_start_up_naming_the_variable(variables, name):
    result = start(**variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert name in message, result.stderr


def test_defaults_start_in_the_embedded_debug_mode():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_starts_with_a_long_random_secret():
    result = start(DEBUG="false", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="mot.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_well_formed_service_urls_start():
    result = start(
        DATABASE_URL="postgres://mot:secret@db.internal:5432/mot",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="yes",
        ALLOWED_HOSTS="a.example.com, b.example.com",
        SITE_URL="https://mot.example.com",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variables", "threshold"), [({}, "1"), ({"DATABASE_PREPARED_STATEMENTS": "false"}, "None")]
)
def test_prepared_statements_can_be_turned_off_for_a_pooler(variables, threshold):
    # mot.sql prepares the survey's statements only where the connection has a threshold.
    options = "settings.DATABASES['default']['OPTIONS']"
    code = START.replace("print(settings.DEBUG)", f"print({options}.get('prepare_threshold'))")
    result = start(code=code, DATABASE_URL="postgres://u@h/mot", **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold


# --- mot.env.Env on its own ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("on", True), (" on ", True),
        ("false", False), ("False", False), ("0", False), ("no", False), ("off", False),
    ],
)  # fmt: skip
def test_env_bool_reads_the_usual_spellings(raw, expected):
    assert Env({"FLAG": raw}).bool("FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "y", "2", "enabled", "t rue"])
def test_env_bool_refuses_a_typo_naming_the_variable_and_value(raw):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        Env({"FLAG": raw}).bool("FLAG", default=True)
    assert "FLAG" in str(excinfo.value)
    assert repr(raw.strip()) in str(excinfo.value)


@pytest.mark.parametrize("environ", [{}, {"FLAG": ""}, {"FLAG": "   "}])
def test_env_missing_or_blank_value_means_the_default(environ):
    env = Env(environ)
    assert env.bool("FLAG", default=True) is True
    assert env.int("FLAG", default=7) == 7
    assert env.str("FLAG", default="x") == "x"
    assert env.list("FLAG", default=["a"]) == ["a"]
    assert env.url("FLAG", default="redis://d", schemes={"redis"}) == "redis://d"


def test_env_int_checks_number_and_bounds():
    env = Env({"PORT": "587", "BAD": "25a", "LOW": "0", "HIGH": "65536"})
    assert env.int("PORT", default=25, minimum=1, maximum=65535) == 587
    for name in ("BAD", "LOW", "HIGH"):
        with pytest.raises(ImproperlyConfigured, match=name):
            env.int(name, default=25, minimum=1, maximum=65535)


def test_env_list_strips_items_and_refuses_empty_ones():
    assert Env({"HOSTS": " a , b "}).list("HOSTS", default=[]) == ["a", "b"]
    for raw in ("a,,b", ",a", "a,", ","):
        with pytest.raises(ImproperlyConfigured, match="HOSTS"):
            Env({"HOSTS": raw}).list("HOSTS", default=[])


def test_env_url_checks_scheme_and_port():
    env = Env({"OK": "rediss://h:6380/1", "SCHEME": "http://h", "PORT": "redis://h:x/0"})
    assert env.url("OK", default="", schemes={"redis", "rediss"}) == "rediss://h:6380/1"
    for name in ("SCHEME", "PORT"):
        with pytest.raises(ImproperlyConfigured, match=name):
            env.url(name, default="", schemes={"redis", "rediss"})


def test_env_database_parses_postgres_and_sqlite():
    pg = Env({"DATABASE_URL": "postgres://u:p@db:5433/mot"}).database("DATABASE_URL", default="")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "mot",
        "u",
        "p",
        "db",
        5433,
    )
    lite = Env({}).database("DATABASE_URL", default="sqlite:////tmp/x.sqlite3")
    assert lite["ENGINE"] == "django.db.backends.sqlite3"
    assert lite["NAME"] == "/tmp/x.sqlite3"  # noqa: S108 - only parsed, never opened


@pytest.mark.parametrize(
    "raw", ["mysql://u@h/db", "postgres://u@h:notaport/db", "postgres://u@h:5432/", "mot"]
)
def test_env_database_refuses_what_it_cannot_use(raw):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        Env({"DATABASE_URL": raw}).database("DATABASE_URL", default="")
