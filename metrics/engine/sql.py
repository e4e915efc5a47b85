"""The engine's SQL, built with :mod:`mot.sql`: the tables and columns its statements may name
(the allow-list NAMES), the parts the counts roll-up's statements share (the daily rows of a
rebuild, the all-time totals, the stamp every row carries), the answers' count per touchpoint and
day as the ORM compiles it, and the statements of a whole run (its lock, planner settings, the
table of changed days). Every value is a parameter.

A statement is one text for PostgreSQL and SQLite. It branches only where the two databases
truly differ: the function that gives a date's month (:func:`month_of`), PostgreSQL's planner
settings and advisory lock (:func:`hash_joins`, :func:`lock_workspace_metrics`), and the
in-place update of :mod:`metrics.engine.counts` (SQLite has no data-modifying ``WITH``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import LiteralString

from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Kind, Response
from journeys.models import Touchpoint
from metrics.compute import CES_EASY_MIN, COUNT_FIELDS
from metrics.models import MomentCounts, MonthCounts, Scope
from mot.sql import (
    EMPTY,
    Identifiers,
    Sql,
    compiled,
    execute,
    execute_many,
    fetch,
    join,
    row_placeholders,
    sql,
    value_list,
)

# A temporary table of update_counts: the (journey, touchpoint, day) whose answers changed;
# their journeys' and the workspace's rows of those days, and their touchpoints' months, are
# rewritten. Dropped at the run's end (a failed run's goes with its rollback).
CHANGED_TABLE = "metrics_tmp_changed"

_MODELS = (MomentCounts, MonthCounts, Touchpoint)
NAMES = Identifiers(
    CHANGED_TABLE,
    *(model._meta.db_table for model in _MODELS),
    *(field.column for model in _MODELS for field in model._meta.concrete_fields),
)
ROWS, MONTHS, TOUCHPOINTS = (NAMES[model._meta.db_table] for model in _MODELS)
CHANGED = NAMES[CHANGED_TABLE]

# The scopes, as the values (parameters) the statements compare and write.
TP, STAGE, MOT, JOURNEY, WORKSPACE = (
    s.value
    for s in (Scope.TOUCHPOINT, Scope.STAGE, Scope.MOT_STAGE, Scope.JOURNEY, Scope.WORKSPACE)
)

COUNTS = NAMES.each("{name}", COUNT_FIELDS)
D_COUNTS = NAMES.each("d.{name}", COUNT_FIELDS)
SUMS = NAMES.each("SUM(d.{name})", COUNT_FIELDS)
TP_COLUMNS = sql('journey_id, stage_id, mot_stage, touchpoint_id, "day", {counts}', counts=COUNTS)
# Sums of integers (tp casts its counts to INTEGER): PostgreSQL adds them up as bigint, faster
# than the numeric it uses for sums of bigint.
TP_SUMS = NAMES.each("SUM({name})", COUNT_FIELDS)
STAMPED = sql("workspace_id, enough, computed_at, window_start, window_end")
# What every engine statement may name without passing it: its tables and the count columns.
COMMON = {
    "rows": ROWS,
    "months": MONTHS,
    "touchpoints": TOUCHPOINTS,
    "changed": CHANGED,
    "counts": COUNTS,
    "d_counts": D_COUNTS,
    "sums": SUMS,
    "tp_sums": TP_SUMS,
    "stamped": STAMPED,
}


def statement(template: LiteralString, *values: object, **parts: Sql) -> Sql:
    """:func:`mot.sql.sql` with COMMON's parts too: ``{rows}`` is the counts table, and so on."""
    return sql(template, *values, **COMMON, **parts)


# The derived numbers of the all-time rows (daily rows hold counts only, summed by readers).
DERIVED = [
    "nps",
    "nps_margin",
    "csat_top2_share",
    "csat_mean",
    "ces_easy_share",
    "ces_mean",
    "glory_share",
    "neutral_share",
    "pain_share",
    "moment_score",
    "enough",
]
ALL_TIME_COLUMNS = [
    "journey_id",
    "scope",
    "key",
    *COUNT_FIELDS,
    *DERIVED,
    "workspace_id",
    "computed_at",
    "window_start",
    "window_end",
]
INSERT_ALL_TIME = statement(  # for execute_many: one row of values per all-time row
    "INSERT INTO {rows} ({columns}) VALUES ({row})",
    columns=NAMES.each("{name}", ALL_TIME_COLUMNS),
    row=row_placeholders(len(ALL_TIME_COLUMNS)),
)


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

    @classmethod
    def now(cls, workspace_id: int) -> Stamp:
        window = Response.objects.filter(
            workspace_id=workspace_id, kind=Kind.SURVEY_ANSWER
        ).aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
        return cls(workspace_id, timezone.now(), window["first"], window["last"])

    @property
    def values(self) -> Sql:
        """The values of STAMPED: derived numbers are for all-time rows, so not ``enough``."""
        return sql("%s, FALSE, %s, %s, %s", *self.params)


def with_tp(tp: Sql) -> Sql:
    """A WITH clause naming ``tp``: a SELECT of TP_COLUMNS, one row per touchpoint and day.
    Referenced several times, it is computed once."""
    return sql("WITH tp ({columns}) AS ({tp}) ", columns=TP_COLUMNS, tp=tp)


def daily_rows(tp: Sql, *, touchpoints: bool = True) -> Sql:
    """A WITH clause naming ``tp`` and ``fresh``: the daily rows of the touchpoints (when
    ``touchpoints``) and of their journeys. (Stages and MOT stages have all-time rows only: no
    page reads them by day, and they would be a fifth of all the rows a recompute writes.)"""
    selects = [
        statement(
            'SELECT %s, journey_id, CAST(journey_id AS VARCHAR(40)), "day", {tp_sums} '
            'FROM tp GROUP BY journey_id, "day"',
            JOURNEY,
        )
    ]
    if touchpoints:
        selects.insert(
            0,
            statement(
                'SELECT %s, journey_id, CAST(touchpoint_id AS VARCHAR(40)), "day", {counts} '
                "FROM tp",
                TP,
            ),
        )
    return statement(
        '{with_tp}, fresh (scope, journey_id, "key", "day", {counts}) AS ({selects}) ',
        with_tp=with_tp(tp),
        selects=join(" UNION ALL ", selects),
    )


# SELECT of the all-time counts of every touchpoint, stage, MOT stage and journey in ``tp``:
# (scope, journey_id, key, *COUNT_FIELDS).
TOTALS = join(
    " UNION ALL ",
    [
        statement(
            "SELECT %s, journey_id, CAST(touchpoint_id AS VARCHAR(40)), {tp_sums} FROM tp "
            "GROUP BY journey_id, touchpoint_id",
            TP,
        ),
        statement(
            "SELECT %s, journey_id, CAST(stage_id AS VARCHAR(40)), {tp_sums} FROM tp "
            "GROUP BY journey_id, stage_id",
            STAGE,
        ),
        statement(
            "SELECT %s, journey_id, mot_stage, {tp_sums} FROM tp GROUP BY journey_id, mot_stage",
            MOT,
        ),
        statement(
            "SELECT %s, journey_id, CAST(journey_id AS VARCHAR(40)), {tp_sums} FROM tp "
            "GROUP BY journey_id",
            JOURNEY,
        ),
    ],
)


def stored_tp(workspace_id: int, where: Sql) -> Sql:
    """SELECT of TP_COLUMNS from the workspace's stored touchpoint daily rows (``d``) matching
    ``where``, placed on the map as it is now."""
    return statement(
        'SELECT d.journey_id, t.stage_id, t.mot_stage, t.id, d."day", {d_counts} FROM {rows} d '
        'JOIN {touchpoints} t ON CAST(t.id AS VARCHAR(40)) = d."key" '
        'WHERE d.workspace_id = %s AND d.scope = %s AND d."day" IS NOT NULL AND {where}',
        workspace_id,
        TP,
        where=where,
    )


def insert_fresh(stamp: Stamp, where: Sql = EMPTY) -> Sql:
    """INSERT of the daily rows of ``fresh`` (see daily_rows), stamped, in day order: the rows
    of a day land on neighbouring pages, so a page summing a few days reads few pages (an
    in-place update keeps a row where it is)."""
    return statement(
        'INSERT INTO {rows} (journey_id, scope, "key", "day", {counts}, {stamped}) '
        'SELECT d.journey_id, d.scope, d."key", d."day", {d_counts}, {stamp} FROM fresh d '
        '{where} ORDER BY d."day"',
        stamp=stamp.values,
        where=where,
    )


def journey_filter(journeys: list[int] | None, column: Sql) -> Sql:
    """``column`` (a journey id) among the journeys; any journey (not NULL) when None."""
    if journeys is None:
        return sql("{column} IS NOT NULL", column=column)
    return sql("{column} IN ({journeys})", column=column, journeys=value_list(journeys))


def month_of(column: Sql) -> Sql:
    """The first day of the month of a date column. The databases share no function for it."""
    if connection.vendor == "postgresql":
        return sql("CAST(date_trunc('month', {column}) AS DATE)", column=column)
    return sql("date({column}, 'start of month')", column=column)


def counting() -> dict:
    """The conditional counts of one group of answers, named as compute.Counts fields."""
    return {
        "answers": Count("id"),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "passives": Count("id", filter=Q(nps__gte=7, nps__lte=8)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
        "csat_answers": Count("id", filter=Q(csat__isnull=False)),
        "csat_top2": Count("id", filter=Q(csat__gte=4)),  # top-2 box of 1 to 5
        "csat_sum": Sum("csat", default=0),
        "ces_answers": Count("id", filter=Q(ces__isnull=False)),
        "ces_easy": Count("id", filter=Q(ces__gte=CES_EASY_MIN)),  # 5-7 of 1 to 7
        "ces_sum": Sum("ces", default=0),
        "glory": Count("id", filter=Q(experience=Experience.GLORY)),
        "neutral": Count("id", filter=Q(experience=Experience.NEUTRAL)),
        "pain": Count("id", filter=Q(experience=Experience.PAIN)),
    }


def per_touchpoint_day(rows: QuerySet, **counts) -> Sql:
    """SELECT of (touchpoint_id, day, *counts) per touchpoint and day of the answers, compiled
    by the ORM; the day in the current time zone, as pages show it."""
    query = (
        rows.annotate(day=TruncDate("submitted_at"))
        .order_by()
        .values("touchpoint_id", "day")
        .annotate(**counts)
    )
    selected = [*query.query.values_select, *query.query.annotation_select]
    if selected != ["touchpoint_id", "day", *counts]:
        raise AssertionError(f"the query selects {selected}, not touchpoint_id, day, {counts}")
    return compiled(query)


def as_date(value: date | str) -> date:
    # SQLite returns a computed day as text, a stored one as a date.
    return value if isinstance(value, date) else date.fromisoformat(value)


def day_runs(pairs: list[tuple[int, date]]) -> list[tuple[int, date, date]]:
    """The sorted (touchpoint, day) pairs as runs of consecutive days of a touchpoint:
    (touchpoint, first day, last day)."""
    runs: list[list] = []
    for touchpoint_id, day in pairs:
        if runs and runs[-1][0] == touchpoint_id and runs[-1][2] + timedelta(days=1) == day:
            runs[-1][2] = day
        else:
            runs.append([touchpoint_id, day, day])
    return [(tp, first, last) for tp, first, last in runs]


def day_ranges(pairs: list[tuple[int, date]]) -> Q:
    """Answers of the (touchpoint, day) pairs: one submitted_at range per run of consecutive days
    of a touchpoint (days start at midnight in the current time zone, as TruncDate counts)."""
    condition = Q(pk__in=[])
    for touchpoint_id, first, last in day_runs(pairs):
        condition |= Q(
            touchpoint_id=touchpoint_id,
            submitted_at__gte=_midnight(first),
            submitted_at__lt=_midnight(last + timedelta(days=1)),
        )
    return condition


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def affected(alias: Sql) -> Sql:
    """The rows (of ``alias``) of a journey and day whose answers changed."""
    return statement(
        'EXISTS (SELECT 1 FROM {changed} a WHERE a.journey_id = {alias}.journey_id AND a."day" = '
        '{alias}."day")',
        alias=alias,
    )


def note_changed(changed: list[tuple[int, int, date]]) -> None:
    """The CHANGED table, holding ``changed`` (journey, touchpoint, day)."""
    drop_changed()
    execute(
        statement(
            'CREATE TEMPORARY TABLE {changed} (journey_id BIGINT, touchpoint_id BIGINT, "day" DATE)'
        )
    )
    if not changed:
        return
    adapt = connection.ops.adapt_datefield_value
    execute_many(
        statement(
            'INSERT INTO {changed} (journey_id, touchpoint_id, "day") VALUES ({row})',
            row=row_placeholders(3),
        ),
        [(journey, touchpoint, adapt(day)) for journey, touchpoint, day in changed],
    )


def drop_changed() -> None:
    execute(statement("DROP TABLE IF EXISTS {changed}"))


METRICS_LOCK = 0x4D4F54  # "MOT": the advisory-lock namespace of metric writers


def lock_workspace_metrics(workspace_id: int) -> None:
    """One metrics writer per workspace at a time, held to the end of the transaction, taken
    before reading, so a run that read older data can never commit after a newer one. On
    PostgreSQL an advisory lock (nothing else waits on it); SQLite runs one writer anyway."""
    if connection.vendor == "postgresql":
        execute(sql("SELECT pg_advisory_xact_lock(%s, %s)", METRICS_LOCK, workspace_id))
        # The day-by-touchpoint grouping of a million answers spills to disk at the default
        # 4 MB; JIT compiling costs more than it saves on these short queries. This run only.
        execute(sql("SET LOCAL work_mem = '64MB'"))
        execute(sql("SET LOCAL jit = off"))


@contextmanager
def hash_joins() -> Iterator[None]:
    """PostgreSQL plans the joins of the enclosed statements as hash joins. The tables they join
    are large, and freshly written (no statistics): a nested loop over them would take minutes."""
    if connection.vendor != "postgresql":
        yield
        return
    names = ("enable_nestloop", "enable_mergejoin")
    before = fetch(sql("SELECT current_setting(%s), current_setting(%s)", *names))[0]
    for name in names:
        execute(sql("SELECT set_config(%s, 'off', true)", name))
    try:
        yield
    finally:
        for name, value in zip(names, before, strict=True):
            execute(sql("SELECT set_config(%s, %s, true)", name, value))
