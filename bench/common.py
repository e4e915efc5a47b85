"""What every bench does first: Django on the PostgreSQL database named in DATABASE_URL,
created when it is missing; and how the page benches time their requests."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def setup_postgres(script: str, *, refuse_unless_bench: bool = True):
    """Set Django up and return its connection; stop unless it is PostgreSQL (and, when the bench
    empties tables, unless the database's name says it is a bench's)."""
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(f"{script} measures PostgreSQL: set DATABASE_URL=postgres://…")
    name = connection.settings_dict["NAME"]
    if refuse_unless_bench and "bench" not in name:
        sys.exit(f"refusing to empty the answers of {name!r}: use a database named *bench*")
    return connection


def create_database(connection) -> None:
    """Create the PostgreSQL database the connection names if it is missing."""
    import psycopg
    from psycopg import sql

    params = connection.get_connection_params()
    name = connection.settings_dict["NAME"]
    for key in ("dbname", "cursor_factory", "context"):
        params.pop(key, None)
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def measure(fn: Callable[[], object], *, runs: int, warmup: int) -> list[float]:
    """Milliseconds of each of ``runs`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
