"""Strict readers for environment variables.

Every setting that comes from the environment goes through one of these helpers, so a typo
("DEBUG=ture", "EMAIL_PORT=25a") stops start-up with a message that names the variable instead of
silently falling back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def fail(self, name: str, value: str, expected: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f"Environment variable {name}={value!r} is invalid: {expected}."
        )

    def str(self, name: str, default: str = "") -> str:
        raw = self._raw(name)
        return default if raw is None else raw

    def bool(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self.fail(name, raw, "expected one of true/false, 1/0, yes/no, on/off")

    def int(self, name: str, default: int, *, minimum: int = 0, maximum: int = 2**31) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self.fail(name, raw, "expected a whole number") from None
        if not minimum <= value <= maximum:
            raise self.fail(name, raw, f"expected a number between {minimum} and {maximum}")
        return value

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self._raw(name)
        if raw is None:
            return list(default)
        items = [item.strip() for item in raw.split(",")]
        if any(not item for item in items):
            raise self.fail(name, raw, "expected a comma-separated list without empty items")
        return items

    def url(self, name: str, default: str, *, schemes: set[str]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            parts = urlsplit(raw)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError as exc:
            raise self.fail(name, raw, str(exc)) from None
        if parts.scheme not in schemes:
            raise self.fail(
                name, raw, f"expected a URL starting with {' or '.join(sorted(schemes))}"
            )
        return raw

    def database(self, name: str, default: str) -> dict[str, Any]:
        import dj_database_url

        raw = self.url(
            name,
            default,
            schemes={"sqlite", "postgres", "postgresql", "pgsql"},
        )
        try:
            config = dj_database_url.parse(raw, conn_max_age=0)
        except Exception as exc:  # dj-database-url raises several types for bad URLs
            raise self.fail(name, raw, str(exc) or "not a database URL") from None
        if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
            raise self.fail(name, raw, "the URL names no database")
        return config
