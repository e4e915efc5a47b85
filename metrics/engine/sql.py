"""The engine's SQL: the tables it writes, the statement parts the counts roll-up shares, and
running statements (one cursor each; SQLite's missing row counts made good).

Values always go as query parameters; the SQL text comes from this package's constants and the
ORM's compiled queries.
"""

# SQL here is assembled from this module's constants and the ORM's compiled queries; every
# value goes as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import TruncDate

from journeys.models import Touchpoint
from metrics.compute import COUNT_FIELDS
from metrics.models import MomentCounts, MonthCounts, Scope

ROWS = MomentCounts._meta.db_table
MONTHS = MonthCounts._meta.db_table
TOUCHPOINTS = Touchpoint._meta.db_table
# Temporary tables of one recompute (dropped at its end; a failed run's go with its rollback).
# (journey, touchpoint, day) whose answers changed: their journeys' and the workspace's rows of
# those days, and their touchpoints' months, are rewritten.
CHANGED = "metrics_tmp_changed"

COUNTS = ", ".join(COUNT_FIELDS)
SUMS = ", ".join(f"SUM(d.{name})" for name in COUNT_FIELDS)
TP, STAGE, MOT, JOURNEY, WORKSPACE = (
    f"'{s.value}'"  # SQL literals of our own constants
    for s in (Scope.TOUCHPOINT, Scope.STAGE, Scope.MOT_STAGE, Scope.JOURNEY, Scope.WORKSPACE)
)
TP_COLUMNS = f'journey_id, stage_id, mot_stage, touchpoint_id, "day", {COUNTS}'
# Sums of integers (tp casts its counts to INTEGER): PostgreSQL adds them up as bigint, faster
# than the numeric it uses for sums of bigint.
TP_SUMS = ", ".join(f"SUM({name})" for name in COUNT_FIELDS)


def with_tp(tp_sql: str) -> str:
    """A WITH clause naming ``tp``: ``tp_sql``, a SELECT of TP_COLUMNS, one row per touchpoint
    and day. Referenced several times, it is computed once."""
    return f"WITH tp ({TP_COLUMNS}) AS ({tp_sql}) "


def daily_rows(tp_sql: str, *, touchpoints: bool = True) -> str:
    """A WITH clause naming ``tp`` and ``fresh``: the daily rows of the touchpoints (when
    ``touchpoints``) and of their journeys. (Stages and MOT stages have all-time rows only: no
    page reads them by day, and they would be a fifth of all the rows a recompute writes.)"""
    parts = [
        f'SELECT {JOURNEY}, journey_id, CAST(journey_id AS VARCHAR(40)), "day", {TP_SUMS} '
        'FROM tp GROUP BY journey_id, "day"'
    ]
    if touchpoints:
        parts.insert(
            0,
            f'SELECT {TP}, journey_id, CAST(touchpoint_id AS VARCHAR(40)), "day", {COUNTS} FROM tp',
        )
    return (
        with_tp(tp_sql)
        + f', fresh (scope, journey_id, "key", "day", {COUNTS}) AS ({" UNION ALL ".join(parts)}) '
    )


def totals() -> str:
    """SELECT of the all-time counts of every touchpoint, stage, MOT stage and journey in ``tp``:
    (scope, journey_id, key, *COUNT_FIELDS)."""
    return " UNION ALL ".join(
        f"SELECT {scope}, journey_id, {key}, {TP_SUMS} FROM tp GROUP BY journey_id{group}"
        for scope, key, group in (
            (TP, "CAST(touchpoint_id AS VARCHAR(40))", ", touchpoint_id"),
            (STAGE, "CAST(stage_id AS VARCHAR(40))", ", stage_id"),
            (MOT, "mot_stage", ", mot_stage"),
            (JOURNEY, "CAST(journey_id AS VARCHAR(40))", ""),
        )
    )


def stored_tp(where: str) -> str:
    """SELECT of TP_COLUMNS from the stored touchpoint daily rows (``d``) matching ``where``,
    placed on the map as it is now."""
    return (
        f'SELECT d.journey_id, t.stage_id, t.mot_stage, t.id, d."day", '
        f"{', '.join(f'd.{name}' for name in COUNT_FIELDS)} FROM {ROWS} d "
        f'JOIN {TOUCHPOINTS} t ON CAST(t.id AS VARCHAR(40)) = d."key" '
        f'WHERE d.workspace_id = %s AND d.scope = {TP} AND d."day" IS NOT NULL AND {where}'
    )


def orm_sql(queryset: QuerySet, columns: list[str]) -> tuple[str, list]:
    """The SQL of a values() queryset, checked to select exactly ``columns`` in that order."""
    query = queryset.query
    selected = [*query.values_select, *query.annotation_select]
    if selected != columns:
        raise AssertionError(f"the query selects {selected}, not {columns}")
    sql, params = query.sql_with_params()
    return sql, list(params)


def per_touchpoint_day(rows: QuerySet, **counts) -> tuple[str, list]:
    """SQL of (touchpoint_id, day, *counts) per touchpoint and day of the answers; the day in the
    current time zone, as pages show it."""
    query = (
        rows.annotate(day=TruncDate("submitted_at"))
        .order_by()
        .values("touchpoint_id", "day")
        .annotate(**counts)
    )
    return orm_sql(query, ["touchpoint_id", "day", *counts])


def run(sql: str, params: Sequence = ()) -> int:
    """Execute; the number of rows written."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount < 0 and connection.vendor == "sqlite":
            # Python's sqlite3 reports no row count for a statement that starts with WITH.
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return max(cursor.rowcount, 0)


def fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def temporary(name: str, columns: str) -> None:
    run(f"DROP TABLE IF EXISTS {name}")
    run(f"CREATE TEMPORARY TABLE {name} ({columns})")


def drop(*names: str) -> None:
    for name in names:
        run(f"DROP TABLE IF EXISTS {name}")


def placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


@contextmanager
def hash_joins() -> Iterator[None]:
    """PostgreSQL plans the joins of the enclosed statements as hash joins. The tables they join
    are large, and freshly written (no statistics): a nested loop over them would take minutes."""
    if connection.vendor != "postgresql":
        yield
        return
    names = ("enable_nestloop", "enable_mergejoin")
    before = fetch("SELECT current_setting(%s), current_setting(%s)", names)[0]
    for name in names:
        run("SELECT set_config(%s, 'off', true)", [name])
    try:
        yield
    finally:
        for name, value in zip(names, before, strict=True):
            run("SELECT set_config(%s, %s, true)", [name, value])


STAMPED = "workspace_id, enough, computed_at, window_start, window_end"
STAMP_VALUES = "%s, FALSE, %s, %s, %s"  # Stamp.params; derived numbers are for all-time rows


@dataclass(frozen=True)
class Stamp:
    """What every row written by one run carries: its workspace, when, and the data window."""

    workspace_id: int
    computed_at: datetime
    window_start: datetime | None
    window_end: datetime | None

    @property
    def params(self) -> list:
        adapt = connection.ops.adapt_datetimefield_value
        return [
            self.workspace_id,
            adapt(self.computed_at),
            adapt(self.window_start),
            adapt(self.window_end),
        ]


def journey_filter(journeys: list[int] | None, column: str = "journey_id") -> tuple[str, list]:
    """SQL restricting rows to the journeys' (all journey-level rows when None)."""
    if journeys is None:
        return f"{column} IS NOT NULL", []
    return f"{column} IN ({placeholders(journeys)})", list(journeys)


def insert_from(source: str, where: str = "") -> str:
    """INSERT of the daily rows selected from ``source`` (aliased d), stamped, in day order: the
    rows of a day land on neighbouring pages, so a page summing a few days reads few pages (an
    in-place update keeps a row where it is)."""
    return (
        f'INSERT INTO {ROWS} (journey_id, scope, "key", "day", {COUNTS}, {STAMPED}) '
        f'SELECT d.journey_id, d.scope, d."key", d."day", '
        f"{', '.join(f'd.{name}' for name in COUNT_FIELDS)}, {STAMP_VALUES} FROM {source} {where} "
        'ORDER BY d."day"'
    )


def month_of(column: str) -> str:
    """SQL of the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"
