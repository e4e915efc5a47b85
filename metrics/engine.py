"""Computing the stored metric rows of a workspace from its answers and activities.

**Moment counts** never cross into Python row by row (only :func:`update_counts` compares the
number of answers per touchpoint and day there). One ``GROUP BY touchpoint, day`` with
conditional counts over the answers (``COUNT(*) FILTER (WHERE …)``, written by the ORM for either
database) is added up in SQL into the journey and workspace daily rows and the all-time totals,
and written with ``INSERT … SELECT`` / ``UPDATE … FROM``. Only the all-time totals (a few hundred
rows) come back to Python, to get their derived numbers from :mod:`metrics.compute`, the one
definition of every metric.

Stored rows: daily rows (counts only) for touchpoints, journeys and the workspace; all-time rows
(counts and derived numbers) for every scope: touchpoint, stage, MOT stage (within a journey and
workspace-wide), journey, workspace; and month rows of touchpoints (``MonthCounts``), summed from
their daily rows in the same transaction (all of a rebuilt journey's; only the changed touchpoints'
months after new answers), so a page reads a period's whole months as one row each per touchpoint.
Stages and MOT stages have no daily rows: no page reads them by day, and they were a fifth of all
rows. A stage's or MOT stage's all-time counts are those of its touchpoints' daily rows, placed on
the map as it is at the recompute.

Two ways to recompute, each in one transaction under a per-workspace lock, so readers see the
old rows or the new ones, never a mix:

- :func:`recompute_counts` rebuilds every row of the given journeys (all when None) and the
  workspace-wide rows: every row gets this run's ``computed_at`` and data window. On PostgreSQL
  the daily rows are updated in place by one statement (``UPDATE … FROM`` the new rows, inserting
  the new ones; then the rows no longer computed are deleted). The table keeps half of each page
  free (fillfactor 50, migration 0004), so an update of counts stays on its page and touches no
  index (a HOT update): a third of the cost of deleting a row and inserting it again with an
  entry in each of its indexes. HOT needs room on the page: PostgreSQL prunes the replaced row
  versions of a page when it runs short, and after a full run :func:`tidy_counts` vacuums the
  whole table (which also clears what deleted rows leave and refreshes the statistics), as
  autovacuum would, if on and when it comes round.
- :func:`update_counts`, after new answers: per journey, counts the answers of each (touchpoint,
  day) from the (touchpoint, submitted_at) index alone, compares with the stored touchpoint rows,
  and rewrites only the touchpoint rows whose number of answers changed, the journey and
  workspace rows of those days, and the all-time rows of the journey and of the workspace. Other
  daily rows keep their values, ``computed_at`` and data window. A change that keeps a day's
  number of answers (there is none: answers are never edited) or a map edit (a touchpoint moved
  to another stage) reaches the stored rows at the next :func:`recompute_counts` (nightly, the
  Recompute button, ``manage.py recompute_metrics``).

Retention and moment impact load their activity and answers through ``COPY … TO STDOUT`` on
PostgreSQL (the ORM elsewhere) and compute in pandas and :mod:`metrics.compute`.
"""

# SQL here is assembled from this module's constants and the ORM's compiled queries; every
# value goes as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Activity, Response
from journeys.models import Touchpoint
from metrics import compute
from metrics.models import (
    MomentCounts,
    MomentImpact,
    MonthCounts,
    RetentionCohort,
    RetentionSummary,
    Scope,
)
from mot.models import Workspace

COUNT_FIELDS = compute.COUNT_FIELDS
DERIVED = [
    "nps",
    "nps_margin",
    "csat_top2_share",
    "csat_mean",
    "glory_share",
    "neutral_share",
    "pain_share",
    "moment_score",
    "enough",
]
IMPACT_WINDOW_DAYS = 90
IMPACT_CODES = {Experience.GLORY: 1, Experience.PAIN: 2}  # how impact loads the experience
CHURN_WINDOW_DAYS = 90
# update_counts rebuilds its journeys instead when more of their (touchpoint, day) rows changed
# (all together): one index range per changed day stops paying off against one pass over the
# journeys' answers.
CHANGED_PAIRS_LIMIT = 5_000

Progress = Callable[[float], None]

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


def _with_tp(tp_sql: str) -> str:
    """A WITH clause naming ``tp``: ``tp_sql``, a SELECT of TP_COLUMNS, one row per touchpoint
    and day. Referenced several times, it is computed once."""
    return f"WITH tp ({TP_COLUMNS}) AS ({tp_sql}) "


def _daily_rows(tp_sql: str, *, touchpoints: bool = True) -> str:
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
        _with_tp(tp_sql)
        + f', fresh (scope, journey_id, "key", "day", {COUNTS}) AS ({" UNION ALL ".join(parts)}) '
    )


def _totals() -> str:
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


def _stored_tp(where: str) -> str:
    """SELECT of TP_COLUMNS from the stored touchpoint daily rows (``d``) matching ``where``,
    placed on the map as it is now."""
    return (
        f'SELECT d.journey_id, t.stage_id, t.mot_stage, t.id, d."day", '
        f"{', '.join(f'd.{name}' for name in COUNT_FIELDS)} FROM {ROWS} d "
        f'JOIN {TOUCHPOINTS} t ON CAST(t.id AS VARCHAR(40)) = d."key" '
        f'WHERE d.workspace_id = %s AND d.scope = {TP} AND d."day" IS NOT NULL AND {where}'
    )


def _counting() -> dict:
    """The conditional counts of one group of answers, named as compute.Counts fields."""
    return {
        "answers": Count("id"),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "passives": Count("id", filter=Q(nps__gte=7, nps__lte=8)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
        "csat_answers": Count("id", filter=Q(csat__isnull=False)),
        "csat_top2": Count("id", filter=Q(csat__gte=4)),  # top-2 box of 1 to 5
        "csat_sum": Sum("csat", default=0),
        "glory": Count("id", filter=Q(experience=Experience.GLORY)),
        "neutral": Count("id", filter=Q(experience=Experience.NEUTRAL)),
        "pain": Count("id", filter=Q(experience=Experience.PAIN)),
    }


def _sql(queryset: QuerySet, columns: list[str]) -> tuple[str, list]:
    """The SQL of a values() queryset, checked to select exactly ``columns`` in that order."""
    query = queryset.query
    selected = [*query.values_select, *query.annotation_select]
    if selected != columns:
        raise AssertionError(f"the query selects {selected}, not {columns}")
    sql, params = query.sql_with_params()
    return sql, list(params)


def _per_touchpoint_day(rows: QuerySet, **counts) -> tuple[str, list]:
    """SQL of (touchpoint_id, day, *counts) per touchpoint and day of the answers; the day in the
    current time zone, as pages show it."""
    query = (
        rows.annotate(day=TruncDate("submitted_at"))
        .order_by()
        .values("touchpoint_id", "day")
        .annotate(**counts)
    )
    return _sql(query, ["touchpoint_id", "day", *counts])


def _run(sql: str, params: Sequence = ()) -> int:
    """Execute; the number of rows written."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount < 0 and connection.vendor == "sqlite":
            # Python's sqlite3 reports no row count for a statement that starts with WITH.
            cursor.execute("SELECT changes()")
            return cursor.fetchone()[0]
        return max(cursor.rowcount, 0)


def _fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _temporary(name: str, columns: str) -> None:
    _run(f"DROP TABLE IF EXISTS {name}")
    _run(f"CREATE TEMPORARY TABLE {name} ({columns})")


def _drop(*names: str) -> None:
    for name in names:
        _run(f"DROP TABLE IF EXISTS {name}")


def _in(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


@contextmanager
def _hash_joins() -> Iterator[None]:
    """PostgreSQL plans the joins of the enclosed statements as hash joins. The tables they join
    are large, and freshly written (no statistics): a nested loop over them would take minutes."""
    if connection.vendor != "postgresql":
        yield
        return
    names = ("enable_nestloop", "enable_mergejoin")
    before = _fetch("SELECT current_setting(%s), current_setting(%s)", names)[0]
    for name in names:
        _run("SELECT set_config(%s, 'off', true)", [name])
    try:
        yield
    finally:
        for name, value in zip(names, before, strict=True):
            _run("SELECT set_config(%s, %s, true)", [name, value])


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


def _stamp(workspace_id: int) -> Stamp:
    window = Response.objects.filter(workspace_id=workspace_id).aggregate(
        first=Min("submitted_at"), last=Max("submitted_at")
    )
    return Stamp(workspace_id, timezone.now(), window["first"], window["last"])


def _lock_workspace_metrics(workspace_id: int) -> None:
    """One metrics writer per workspace at a time, held to the end of the transaction, taken
    before reading, so a run that read older data can never commit after a newer one. On
    PostgreSQL an advisory lock (nothing else waits on it); SQLite runs one writer anyway."""
    if connection.vendor == "postgresql":
        _run("SELECT pg_advisory_xact_lock(%s, %s)", [METRICS_LOCK, workspace_id])
        # The day-by-touchpoint grouping of a million answers spills to disk at the default
        # 4 MB; JIT compiling costs more than it saves on these short queries. This run only.
        _run("SET LOCAL work_mem = '64MB'")
        _run("SET LOCAL jit = off")


METRICS_LOCK = 0x4D4F54  # "MOT": the advisory-lock namespace of metric writers


def _journeys_of(journey_ids: Iterable[int] | None) -> list[int] | None:
    if journey_ids is None:
        return None
    return sorted(set(journey_ids))


def _journey_filter(journeys: list[int] | None, column: str = "journey_id") -> tuple[str, list]:
    """SQL restricting rows to the journeys' (all journey-level rows when None)."""
    if journeys is None:
        return f"{column} IS NOT NULL", []
    return f"{column} IN ({_in(journeys)})", list(journeys)


# --- rebuilding journeys -----------------------------------------------------------------------


def tidy_counts() -> None:
    """``VACUUM (ANALYZE)`` the counts table after a full recompute, on PostgreSQL: it clears the
    row versions the run replaced, so the next run's updates stay in place (HOT) instead of
    getting slower run after run where autovacuum is off or behind, and refreshes the statistics
    the dashboard's plans use. VACUUM cannot run in a transaction: inside a caller's (a test's)
    it is left to autovacuum."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {ROWS}")


def recompute_counts(
    workspace_id: int, *, journey_ids: Iterable[int] | None = None, progress: Progress | None = None
) -> int:
    """Rebuild every moment-count row of the given journeys (all when None) and the
    workspace-wide rows, in one transaction. Returns the number of rows written."""
    progress = progress or (lambda fraction: None)
    journeys = _journeys_of(journey_ids)
    with transaction.atomic():
        _lock_workspace_metrics(workspace_id)
        stamp = _stamp(workspace_id)
        written, totals = _rebuild(stamp, journeys)
        progress(0.6)
        written += _all_time(stamp, journeys, totals)
    progress(0.8)
    return written


def _rebuild(stamp: Stamp, journeys: list[int] | None) -> tuple[int, list[tuple]]:
    """The journeys' daily rows and months, then the workspace's daily rows: the rows written
    and the journeys' all-time totals (see _totals)."""
    written, totals = _rebuild_journeys(stamp, journeys)
    _refresh_months(stamp.workspace_id, journeys)
    return written + _workspace_daily(stamp, days=False), totals


def _rebuild_journeys(stamp: Stamp, journeys: list[int] | None) -> tuple[int, list[tuple]]:
    """Compute and write the daily rows of the journeys (all when None). Returns the number of
    rows written and the journeys' all-time totals (see _totals)."""
    answers = Response.objects.filter(workspace_id=stamp.workspace_id)
    if journeys is not None:
        answers = answers.filter(touchpoint__journey_id__in=journeys)
    sql, params = _per_touchpoint_day(answers, **_counting())
    tp_sql = (
        f"SELECT t.journey_id, t.stage_id, t.mot_stage, q.touchpoint_id, q.day, "
        f"{', '.join(f'CAST(q.{name} AS INTEGER)' for name in COUNT_FIELDS)} "
        f"FROM ({sql}) q JOIN {TOUCHPOINTS} t ON t.id = q.touchpoint_id"
    )
    where, where_params = _journey_filter(journeys, "m.journey_id")
    if connection.vendor == "postgresql":
        return _update_in_place(stamp, _daily_rows(tp_sql), params, where, where_params)
    _run(
        f'DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m."day" IS NOT NULL AND {where}',
        [stamp.workspace_id, *where_params],
    )
    written = _run(_daily_rows(tp_sql) + _insert_from("fresh d"), [*params, *stamp.params])
    return written, _stored_totals(stamp.workspace_id, journeys)


def _stored_totals(workspace_id: int, journeys: list[int] | None) -> list[tuple]:
    where, params = _journey_filter(journeys, "d.journey_id")
    return _fetch(_with_tp(_stored_tp(where)) + _totals(), [workspace_id, *params])


def _insert_from(source: str, where: str = "") -> str:
    """INSERT of the daily rows selected from ``source`` (aliased d), stamped, in day order: the
    rows of a day land on neighbouring pages, so a page summing a few days reads few pages (an
    in-place update keeps a row where it is)."""
    return (
        f'INSERT INTO {ROWS} (journey_id, scope, "key", "day", {COUNTS}, {STAMPED}) '
        f'SELECT d.journey_id, d.scope, d."key", d."day", '
        f"{', '.join(f'd.{name}' for name in COUNT_FIELDS)}, {STAMP_VALUES} FROM {source} {where} "
        'ORDER BY d."day"'
    )


def _update_in_place(
    stamp: Stamp, fresh: str, params: list, where: str, where_params: list
) -> tuple[int, list[tuple]]:
    """Write the new daily rows over the stored ones, in one statement that also returns the
    all-time totals: update the rows that are there (their indexed columns stay, so each is a
    HOT update on its own page), insert the others; then delete the rows this run did not stamp
    (no answers left)."""
    same = (
        'u.journey_id = d.journey_id AND u.scope = d.scope AND u."key" = d."key" '
        'AND u."day" = d."day"'
    )
    with _hash_joins():
        rows = _fetch(
            fresh
            + f", updated AS (UPDATE {ROWS} AS m SET "
            + ", ".join(f"{name} = d.{name}" for name in COUNT_FIELDS)
            + ", computed_at = %s, window_start = %s, window_end = %s FROM fresh d "
            "WHERE m.workspace_id = %s AND m.journey_id = d.journey_id AND m.scope = d.scope "
            'AND m."key" = d."key" AND m."day" = d."day" '
            'RETURNING m.journey_id, m.scope, m."key", m."day"), inserted AS ('
            + _insert_from("fresh d", f"WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE {same})")
            + " RETURNING 1) "
            "SELECT (SELECT COUNT(*) FROM updated) + (SELECT COUNT(*) FROM inserted), totals.* "
            f"FROM (SELECT 1) one LEFT JOIN ({_totals()}) totals ON TRUE",
            [*params, *stamp.params[1:], stamp.workspace_id, *stamp.params],
        )
    _run(
        f'DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m."day" IS NOT NULL '
        f"AND {where} AND m.computed_at <> %s",
        [stamp.workspace_id, *where_params, stamp.params[1]],
    )
    return int(rows[0][0]), [row[1:] for row in rows if row[1] is not None]


def _workspace_daily(stamp: Stamp, *, days: bool) -> int:
    """Replace the workspace's daily rows (all days, or the days in the CHANGED table), added
    up from the stored journey rows of those days."""
    chosen = f'AND d."day" IN (SELECT c."day" FROM {CHANGED} c)' if days else ""
    _run(
        f"DELETE FROM {ROWS} AS d WHERE d.workspace_id = %s AND d.journey_id IS NULL "
        f'AND d."day" IS NOT NULL {chosen}',
        [stamp.workspace_id],
    )
    return _run(
        f'INSERT INTO {ROWS} (journey_id, scope, "key", "day", {COUNTS}, {STAMPED}) '
        f"SELECT NULL, {WORKSPACE}, '', d.\"day\", {SUMS}, {STAMP_VALUES} FROM {ROWS} d "
        f"WHERE d.workspace_id = %s AND d.scope = {JOURNEY} AND d.journey_id IS NOT NULL "
        f'AND d."day" IS NOT NULL {chosen} GROUP BY d."day"',
        [*stamp.params, stamp.workspace_id],
    )


def _month_of(column: str) -> str:
    """SQL of the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def _refresh_months(workspace_id: int, journeys: list[int] | None, *, changed: bool = False) -> int:
    """Replace the month rows (MonthCounts) of the journeys (all when None), or, when
    ``changed``, only those of the touchpoints and months of the CHANGED table, with the sums of
    the stored touchpoint daily rows. Returns the number of month rows written (the callers
    count moment-count rows only)."""
    month, changed_month = _month_of('d."day"'), _month_of('c."day"')
    if changed:
        old = (
            f"EXISTS (SELECT 1 FROM {CHANGED} c "
            f"WHERE c.touchpoint_id = m.touchpoint_id AND {changed_month} = m.month)"
        )
        new = (
            f'd."day" >= (SELECT MIN({changed_month}) FROM {CHANGED} c) '
            f"AND EXISTS (SELECT 1 FROM {CHANGED} c WHERE "
            f'CAST(c.touchpoint_id AS VARCHAR(40)) = d."key" AND {changed_month} = {month})'
        )
        old_params, new_params = [], []
    else:
        old, old_params = _journey_filter(journeys, "m.journey_id")
        new, new_params = _journey_filter(journeys, "d.journey_id")
    _run(
        f"DELETE FROM {MONTHS} AS m WHERE m.workspace_id = %s AND {old}",
        [workspace_id, *old_params],
    )
    return _run(
        f"INSERT INTO {MONTHS} (workspace_id, journey_id, touchpoint_id, month, {COUNTS}) "
        f'SELECT d.workspace_id, d.journey_id, CAST(d."key" AS BIGINT), {month}, {SUMS} '
        f'FROM {ROWS} d WHERE d.workspace_id = %s AND d.scope = {TP} AND d."day" IS NOT NULL '
        f'AND {new} GROUP BY d.workspace_id, d.journey_id, d."key", {month}',
        [workspace_id, *new_params],
    )


# --- all-time rows -----------------------------------------------------------------------------


def _derived(counts: compute.Counts, min_sample: int) -> dict:
    nps = compute.nps(counts, min_sample=min_sample)
    csat = compute.csat(counts, min_sample=min_sample)
    moment = compute.moment(counts, min_sample=min_sample)
    return {
        "nps": nps.score,
        "nps_margin": nps.margin,
        "csat_top2_share": csat.top2_share,
        "csat_mean": csat.mean,
        "glory_share": moment.glory_share,
        "neutral_share": moment.neutral_share,
        "pain_share": moment.pain_share,
        "moment_score": moment.score,
        "enough": moment.enough,
    }


def _all_time(stamp: Stamp, journeys: list[int] | None, totals: list[tuple]) -> int:
    """Replace the all-time rows of the journeys (all when None) with their ``totals`` (see
    _totals), then the workspace-wide ones with the sums of every journey's all-time rows; each
    with the numbers compute.py derives."""
    where, params = _journey_filter(journeys, "m.journey_id")
    _run(
        f'DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m."day" IS NULL '
        f"AND ({where} OR m.journey_id IS NULL)",
        [stamp.workspace_id, *params],
    )
    written = _insert_all_time(
        stamp,
        [(scope, journey, key, compute.Counts(*counts)) for scope, journey, key, *counts in totals],
    )
    workspace: dict[tuple[str, str], compute.Counts] = {}
    for scope, key, *counts in _fetch(
        f'SELECT m.scope, m."key", {COUNTS} FROM {ROWS} m WHERE m.workspace_id = %s '
        f'AND m."day" IS NULL AND m.journey_id IS NOT NULL AND m.scope IN ({JOURNEY}, {MOT})',
        [stamp.workspace_id],
    ):
        total = (Scope.WORKSPACE.value, "") if scope == Scope.JOURNEY else (scope, key)
        workspace[total] = workspace.get(total, compute.Counts()) + compute.Counts(*counts)
    return written + _insert_all_time(
        stamp, [(scope, None, key, counts) for (scope, key), counts in sorted(workspace.items())]
    )


def _insert_all_time(stamp: Stamp, rows: list[tuple[str, int | None, str, compute.Counts]]) -> int:
    if not rows:
        return 0
    min_sample = Workspace.objects.values_list("min_sample", flat=True).get(pk=stamp.workspace_id)
    columns = ["journey_id", "scope", "key", *COUNT_FIELDS, *DERIVED]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    values = []
    for scope, journey_id, key, counts in rows:
        derived = _derived(counts, min_sample)
        values.append(
            [
                journey_id,
                scope,
                key,
                *(int(getattr(counts, n)) for n in COUNT_FIELDS),
                *(derived[n] for n in DERIVED),
                *stamp.params,
            ]
        )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ROWS} ({names}, workspace_id, computed_at, window_start, window_end) "
            f"VALUES ({', '.join(['%s'] * len(columns))}, %s, %s, %s, %s)",
            values,
        )
    return len(values)


# --- updating journeys after new answers -------------------------------------------------------


def update_counts(
    workspace_id: int, *, journey_ids: Iterable[int], progress: Progress | None = None
) -> int:
    """Rewrite the rows of the given journeys' (touchpoint, day) pairs whose number of answers
    changed, the journey and workspace rows of those days, the touchpoints' months, and the
    all-time rows of the journeys and the workspace, in one transaction. Returns the rows
    written (moment-count rows).

    When more than CHANGED_PAIRS_LIMIT pairs changed (all the journeys' together), the journeys
    are rebuilt instead."""
    progress = progress or (lambda fraction: None)
    journeys = _journeys_of(journey_ids) or []
    with transaction.atomic():
        _lock_workspace_metrics(workspace_id)
        stamp = _stamp(workspace_id)
        changed = _changed_pairs(workspace_id, journeys)
        progress(0.4)
        if len(changed) > CHANGED_PAIRS_LIMIT:
            written, totals = _rebuild(stamp, journeys)
        else:
            _note_changed(changed)
            written = _rewrite_pairs(
                stamp, journeys, sorted({(tp, day) for _j, tp, day in changed})
            )
            _refresh_months(workspace_id, journeys, changed=True)
            totals = _stored_totals(workspace_id, journeys)
            _drop(CHANGED)
        progress(0.6)
        written += _all_time(stamp, journeys, totals)
    progress(0.8)
    return written


def _changed_pairs(workspace_id: int, journeys: list[int]) -> list[tuple[int, int, date]]:
    """The (journey, touchpoint, day) of the journeys whose number of answers differs from the
    stored touchpoint row's (or that has no row, or a row but no answers left). The answers are
    counted from the (touchpoint, submitted_at) index alone; both sides are a number per
    touchpoint and day, compared here in Python (the one place counts come back row by row)."""
    touchpoints = Touchpoint.objects.filter(
        journey_id__in=journeys, journey__workspace_id=workspace_id
    )
    sql, params = _per_touchpoint_day(
        Response.objects.filter(touchpoint__in=touchpoints.values("pk")), answers=Count("*")
    )
    counted = {
        (journey_id, str(touchpoint_id), _as_date(day)): answers
        for journey_id, touchpoint_id, day, answers in _fetch(
            f"SELECT t.journey_id, q.touchpoint_id, q.day, q.answers "
            f"FROM ({sql}) q JOIN {TOUCHPOINTS} t ON t.id = q.touchpoint_id",
            params,
        )
    }
    in_journeys, journey_params = _journey_filter(journeys, "m.journey_id")
    stored = {
        (journey_id, key, _as_date(day)): answers
        for journey_id, key, day, answers in _fetch(
            f'SELECT m.journey_id, m."key", m."day", m.answers FROM {ROWS} m '
            f'WHERE m.workspace_id = %s AND m.scope = {TP} AND m."day" IS NOT NULL '
            f"AND {in_journeys}",
            [workspace_id, *journey_params],
        )
    }
    return sorted(
        (journey_id, int(key), day)
        for (journey_id, key, day) in counted.keys() | stored.keys()
        if counted.get((journey_id, key, day)) != stored.get((journey_id, key, day))
    )


def _note_changed(changed: list[tuple[int, int, date]]) -> None:
    """The CHANGED table, holding ``changed`` (journey, touchpoint, day)."""
    _temporary(CHANGED, 'journey_id BIGINT, touchpoint_id BIGINT, "day" DATE')
    if changed:
        adapt = connection.ops.adapt_datefield_value
        with connection.cursor() as cursor:
            cursor.executemany(
                f'INSERT INTO {CHANGED} (journey_id, touchpoint_id, "day") VALUES (%s, %s, %s)',
                [(journey, touchpoint, adapt(day)) for journey, touchpoint, day in changed],
            )


def _as_date(value: date | str) -> date:
    # SQLite returns a computed day as text, a stored one as a date.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _day_ranges(pairs: list[tuple[int, date]]) -> Q:
    """Answers of the (touchpoint, day) pairs: one submitted_at range per run of consecutive days
    of a touchpoint (days start at midnight in the current time zone, as TruncDate counts)."""
    condition = Q(pk__in=[])
    runs: list[list] = []
    for touchpoint_id, day in pairs:
        if runs and runs[-1][0] == touchpoint_id and runs[-1][2] + timedelta(days=1) == day:
            runs[-1][2] = day
        else:
            runs.append([touchpoint_id, day, day])
    for touchpoint_id, first, last in runs:
        condition |= Q(
            touchpoint_id=touchpoint_id,
            submitted_at__gte=_midnight(first),
            submitted_at__lt=_midnight(last + timedelta(days=1)),
        )
    return condition


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _rewrite_pairs(stamp: Stamp, journeys: list[int], pairs: list[tuple[int, date]]) -> int:
    """Replace the touchpoint rows of the changed pairs, then the other journey-level rows and
    the workspace-wide rows of their days."""
    ws = stamp.workspace_id
    in_journeys, journey_params = _journey_filter(journeys, "m.journey_id")
    _run(
        f"DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m.scope = {TP} "
        f'AND m."day" IS NOT NULL AND {in_journeys} AND EXISTS (SELECT 1 FROM {CHANGED} c '
        f'WHERE CAST(c.touchpoint_id AS VARCHAR(40)) = m."key" AND c."day" = m."day")',
        [ws, *journey_params],
    )
    written = 0
    if pairs:
        sql, params = _per_touchpoint_day(
            Response.objects.filter(_day_ranges(pairs)), **_counting()
        )
        in_tp_journeys, tp_params = _journey_filter(journeys, "t.journey_id")
        written += _run(
            f'INSERT INTO {ROWS} (journey_id, scope, "key", "day", {COUNTS}, {STAMPED}) '
            f"SELECT t.journey_id, {TP}, CAST(q.touchpoint_id AS VARCHAR(40)), q.day, "
            f"{', '.join(f'q.{name}' for name in COUNT_FIELDS)}, {STAMP_VALUES} "
            f"FROM ({sql}) q JOIN {TOUCHPOINTS} t ON t.id = q.touchpoint_id "
            f"WHERE {in_tp_journeys}",
            [*stamp.params, *params, *tp_params],
        )
    affected = (  # a row of a journey and day with changed answers
        f"EXISTS (SELECT 1 FROM {CHANGED} a "
        'WHERE a.journey_id = {0}.journey_id AND a."day" = {0}."day")'
    )
    _run(
        f"DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s "
        f'AND m.scope = {JOURNEY} AND m."day" IS NOT NULL AND {affected.format("m")}',
        [ws],
    )
    fresh = _daily_rows(_stored_tp(affected.format("d")), touchpoints=False)
    written += _run(fresh + _insert_from("fresh d"), [ws, *stamp.params])
    return written + _workspace_daily(stamp, days=True)


# --- retention and moment impact ---------------------------------------------------------------


def _epoch(field: str) -> Func:
    """The timestamp as seconds since 1970, computed by the database: hundreds of thousands of
    numbers load far faster than as many Python datetimes."""
    if connection.vendor == "postgresql":
        template = "date_part('epoch', %(expressions)s)"  # a float8, not EXTRACT's numeric
    else:  # SQLite keeps UTC text; julianday keeps the fraction of a second
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
    return Func(F(field), template=template, output_field=FloatField())


def _times(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds.astype("float64"), unit="s", utc=True).dt.round("ms")


def _load(rows: QuerySet, columns: dict[str, str]) -> pd.DataFrame:
    """The rows of a values_list() queryset as a frame; ``columns`` names them and gives each
    one's type, "int8" or "float8" (none may be NULL). On PostgreSQL the database packs every
    row into a fixed-width binary record (``int8send``, ``float8send``) and all of them into one
    value (``string_agg``), which numpy reads in one call: a Python object per row, or per row of
    a COPY, would cost seconds for the hundreds of thousands of rows retention and impact read."""
    if connection.vendor != "postgresql":
        return pd.DataFrame.from_records(
            list(rows.iterator(chunk_size=20_000)), columns=list(columns)
        )
    sql, params = rows.query.sql_with_params()
    names = [f"c{i}" for i in range(len(columns))]
    record = " || ".join(
        f"{kind}send(CAST({name} AS {kind}))"
        for name, kind in zip(names, columns.values(), strict=True)
    )
    (data,) = _fetch(
        f"SELECT string_agg({record}, ''::bytea) FROM ({sql}) AS q ({', '.join(names)})", params
    )[0]
    dtypes = {"int8": (">i8", "int64"), "float8": (">f8", "float64")}
    packed = np.dtype([(name, dtypes[kind][0]) for name, kind in columns.items()])
    values = np.frombuffer(bytes(data or b""), dtype=packed)
    return pd.DataFrame(
        {name: values[name].astype(dtypes[kind][1]) for name, kind in columns.items()}
    )


def activity_frame(workspace_id: int) -> tuple[pd.DataFrame, str]:
    """(customer, occurred_at) of every activity, or of every answer with a customer when the
    workspace records no activity (product.md: retention falls back to responses)."""
    activities = Activity.objects.filter(workspace_id=workspace_id)
    if activities.exists():
        records = activities.annotate(t=_epoch("occurred_at")).values_list("customer_id", "t")
        basis = "activities"
    else:
        records = (
            Response.objects.filter(workspace_id=workspace_id, customer__isnull=False)
            .annotate(t=_epoch("submitted_at"))
            .values_list("customer_id", "t")
        )
        basis = "responses"
    frame = _load(records, {"customer": "int8", "occurred_at": "float8"})
    if not frame.empty:
        frame["occurred_at"] = _times(frame["occurred_at"])
    return frame, basis


def recompute_retention(
    workspace_id: int,
    *,
    as_of: date | None = None,
    activity: tuple[pd.DataFrame, str] | None = None,
) -> int:
    """``activity`` is :func:`activity_frame`'s result when the caller has it already."""
    frame, basis = activity or activity_frame(workspace_id)
    now = timezone.now()
    as_of = as_of or timezone.localdate(now)
    rows: list[dict] = []
    summary = None
    if not frame.empty:
        occurred = pd.to_datetime(frame["occurred_at"], utc=True)
        months = pd.DataFrame(
            {
                "customer": frame["customer"],
                "month": occurred.dt.tz_localize(None).dt.to_period("M"),
            }
        )
        cohorts = compute.retention_cohorts(months)
        rows = [
            {
                "workspace_id": workspace_id,
                "cohort": row.cohort.start_time.date(),
                "offset": int(row.offset),
                "customers": int(row.customers),
                "active": int(row.active),
                "share": float(row.share),
                "basis": basis,
                "computed_at": now,
            }
            for row in cohorts.itertuples(index=False)
        ]
        summary = compute.churn_and_repurchase(
            pd.DataFrame({"customer": frame["customer"], "occurred_at": occurred}),
            as_of=as_of,
            window_days=CHURN_WINDOW_DAYS,
        )
    with transaction.atomic():
        RetentionCohort.objects.filter(workspace_id=workspace_id).delete()
        RetentionCohort.objects.bulk_create([RetentionCohort(**row) for row in rows])
        RetentionSummary.objects.filter(workspace_id=workspace_id).delete()
        if summary is not None:
            RetentionSummary.objects.create(
                workspace_id=workspace_id,
                basis=basis,
                window_days=summary["window_days"],
                as_of=summary["as_of"],
                base_customers=summary["churn_base"],
                churned=summary["churned"],
                churn_share=summary["churn"],
                window_customers=summary["repurchase_base"],
                repurchased=summary["repurchased"],
                repurchase_share=summary["repurchase"],
                computed_at=now,
            )
    return len(rows)


def recompute_impact(workspace_id: int, *, activity: tuple[pd.DataFrame, str] | None = None) -> int:
    """Per touchpoint: of the customers whose latest answer there was glory (pain), how many were
    active again within IMPACT_WINDOW_DAYS after it.

    Only answers given at least IMPACT_WINDOW_DAYS before the computation count: a more recent
    answer has not had its whole window yet, and counting it as "not back" would bias the rates.
    """
    frame, basis = activity or activity_frame(workspace_id)
    now = timezone.now()
    window = timedelta(days=IMPACT_WINDOW_DAYS)
    # The experience as a number, so that every column loads as one: glory 1, pain 2, else 0.
    code = Case(
        *(When(experience=e, then=Value(c)) for e, c in IMPACT_CODES.items()), default=Value(0)
    )
    answers = _load(
        Response.objects.filter(
            workspace_id=workspace_id, customer__isnull=False, submitted_at__lte=now - window
        )
        .annotate(t=_epoch("submitted_at"), code=code)
        .values_list("touchpoint_id", "customer_id", "t", "code", "pk"),
        {
            "touchpoint_id": "int8",
            "customer": "int8",
            "submitted_at": "float8",
            "experience": "int8",
            "pk": "int8",
        },
    )
    rows: list[dict] = []
    if not answers.empty:
        answers["submitted_at"] = _times(answers["submitted_at"])
        # The latest answer of each customer at each touchpoint, whatever it was; then only the
        # glory and pain ones (a pain answer followed by a neutral one is in neither group).
        latest = answers.sort_values(["submitted_at", "pk"]).drop_duplicates(
            ["touchpoint_id", "customer"], keep="last"
        )
        latest = latest[latest["experience"].isin(IMPACT_CODES.values())]
    if not answers.empty and not latest.empty:
        if not frame.empty:
            frame = frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"], utc=True))
        latest = latest.assign(retained=_retained(latest, frame))
        counts = latest.pivot_table(
            index="touchpoint_id",
            columns="experience",
            values="retained",
            aggfunc=["count", "sum"],
            fill_value=0,
        )
        min_sample = Workspace.objects.values_list("min_sample", flat=True).get(pk=workspace_id)

        def cell(kind: str, experience: str, touchpoint_id) -> int:
            column = (kind, IMPACT_CODES[experience])
            return int(counts.at[touchpoint_id, column]) if column in counts.columns else 0

        for touchpoint_id in counts.index:
            result = compute.impact(
                cell("count", Experience.GLORY, touchpoint_id),
                cell("sum", Experience.GLORY, touchpoint_id),
                cell("count", Experience.PAIN, touchpoint_id),
                cell("sum", Experience.PAIN, touchpoint_id),
                min_sample=min_sample,
            )
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "touchpoint_id": int(touchpoint_id),
                    "basis": basis,
                    "window_days": IMPACT_WINDOW_DAYS,
                    "glory_n": result.glory_n,
                    "glory_retained": result.glory_retained,
                    "pain_n": result.pain_n,
                    "pain_retained": result.pain_retained,
                    "difference": result.difference,
                    "low": result.low,
                    "high": result.high,
                    "enough": result.enough,
                    "computed_at": now,
                }
            )
    with transaction.atomic():
        MomentImpact.objects.filter(workspace_id=workspace_id).delete()
        MomentImpact.objects.bulk_create([MomentImpact(**row) for row in rows])
    return len(rows)


def _retained(latest: pd.DataFrame, activity: pd.DataFrame) -> pd.Series:
    """Whether each answer's customer was active in (answered, answered + window]."""
    if activity.empty:
        return pd.Series(False, index=latest.index)
    events = activity.sort_values("occurred_at")
    merged = pd.merge_asof(
        latest.sort_values("submitted_at").reset_index(),
        events.rename(columns={"occurred_at": "next_at"}),
        left_on="submitted_at",
        right_on="next_at",
        by="customer",
        direction="forward",
        allow_exact_matches=False,
    ).set_index("index")
    window = timedelta(days=IMPACT_WINDOW_DAYS)
    hit = merged["next_at"].notna() & (merged["next_at"] - merged["submitted_at"] <= window)
    return hit.reindex(latest.index, fill_value=False)
