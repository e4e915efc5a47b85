"""The counts roll-up: the stored moment-count and month rows of a workspace, from its answers.

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
"""

# SQL here is assembled from the package's constants and the ORM's compiled queries; every
# value goes as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Response
from journeys.models import Touchpoint
from metrics import compute
from metrics.engine.sql import (
    CHANGED,
    COUNTS,
    JOURNEY,
    MONTHS,
    MOT,
    ROWS,
    STAMP_VALUES,
    STAMPED,
    SUMS,
    TOUCHPOINTS,
    TP,
    WORKSPACE,
    Stamp,
    daily_rows,
    drop,
    fetch,
    hash_joins,
    insert_from,
    journey_filter,
    month_of,
    per_touchpoint_day,
    run,
    stored_tp,
    temporary,
    totals,
    with_tp,
)
from metrics.models import Scope
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
# update_counts rebuilds its journeys instead when more of their (touchpoint, day) rows changed
# (all together): one index range per changed day stops paying off against one pass over the
# journeys' answers.
CHANGED_PAIRS_LIMIT = 5_000

Progress = Callable[[float], None]


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
        run("SELECT pg_advisory_xact_lock(%s, %s)", [METRICS_LOCK, workspace_id])
        # The day-by-touchpoint grouping of a million answers spills to disk at the default
        # 4 MB; JIT compiling costs more than it saves on these short queries. This run only.
        run("SET LOCAL work_mem = '64MB'")
        run("SET LOCAL jit = off")


METRICS_LOCK = 0x4D4F54  # "MOT": the advisory-lock namespace of metric writers


def _journeys_of(journey_ids: Iterable[int] | None) -> list[int] | None:
    if journey_ids is None:
        return None
    return sorted(set(journey_ids))


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
    sql, params = per_touchpoint_day(answers, **_counting())
    tp_sql = (
        f"SELECT t.journey_id, t.stage_id, t.mot_stage, q.touchpoint_id, q.day, "
        f"{', '.join(f'CAST(q.{name} AS INTEGER)' for name in COUNT_FIELDS)} "
        f"FROM ({sql}) q JOIN {TOUCHPOINTS} t ON t.id = q.touchpoint_id"
    )
    where, where_params = journey_filter(journeys, "m.journey_id")
    if connection.vendor == "postgresql":
        return _update_in_place(stamp, daily_rows(tp_sql), params, where, where_params)
    run(
        f'DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m."day" IS NOT NULL AND {where}',
        [stamp.workspace_id, *where_params],
    )
    written = run(daily_rows(tp_sql) + insert_from("fresh d"), [*params, *stamp.params])
    return written, _stored_totals(stamp.workspace_id, journeys)


def _stored_totals(workspace_id: int, journeys: list[int] | None) -> list[tuple]:
    where, params = journey_filter(journeys, "d.journey_id")
    return fetch(with_tp(stored_tp(where)) + totals(), [workspace_id, *params])


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
    with hash_joins():
        rows = fetch(
            fresh
            + f", updated AS (UPDATE {ROWS} AS m SET "
            + ", ".join(f"{name} = d.{name}" for name in COUNT_FIELDS)
            + ", computed_at = %s, window_start = %s, window_end = %s FROM fresh d "
            "WHERE m.workspace_id = %s AND m.journey_id = d.journey_id AND m.scope = d.scope "
            'AND m."key" = d."key" AND m."day" = d."day" '
            'RETURNING m.journey_id, m.scope, m."key", m."day"), inserted AS ('
            + insert_from("fresh d", f"WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE {same})")
            + " RETURNING 1) "
            "SELECT (SELECT COUNT(*) FROM updated) + (SELECT COUNT(*) FROM inserted), totals.* "
            f"FROM (SELECT 1) one LEFT JOIN ({totals()}) totals ON TRUE",
            [*params, *stamp.params[1:], stamp.workspace_id, *stamp.params],
        )
    run(
        f'DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m."day" IS NOT NULL '
        f"AND {where} AND m.computed_at <> %s",
        [stamp.workspace_id, *where_params, stamp.params[1]],
    )
    return int(rows[0][0]), [row[1:] for row in rows if row[1] is not None]


def _workspace_daily(stamp: Stamp, *, days: bool) -> int:
    """Replace the workspace's daily rows (all days, or the days in the CHANGED table), added
    up from the stored journey rows of those days."""
    chosen = f'AND d."day" IN (SELECT c."day" FROM {CHANGED} c)' if days else ""
    run(
        f"DELETE FROM {ROWS} AS d WHERE d.workspace_id = %s AND d.journey_id IS NULL "
        f'AND d."day" IS NOT NULL {chosen}',
        [stamp.workspace_id],
    )
    return run(
        f'INSERT INTO {ROWS} (journey_id, scope, "key", "day", {COUNTS}, {STAMPED}) '
        f"SELECT NULL, {WORKSPACE}, '', d.\"day\", {SUMS}, {STAMP_VALUES} FROM {ROWS} d "
        f"WHERE d.workspace_id = %s AND d.scope = {JOURNEY} AND d.journey_id IS NOT NULL "
        f'AND d."day" IS NOT NULL {chosen} GROUP BY d."day"',
        [*stamp.params, stamp.workspace_id],
    )


def _refresh_months(workspace_id: int, journeys: list[int] | None, *, changed: bool = False) -> int:
    """Replace the month rows (MonthCounts) of the journeys (all when None), or, when
    ``changed``, only those of the touchpoints and months of the CHANGED table, with the sums of
    the stored touchpoint daily rows. Returns the number of month rows written (the callers
    count moment-count rows only)."""
    month, changed_month = month_of('d."day"'), month_of('c."day"')
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
        old, old_params = journey_filter(journeys, "m.journey_id")
        new, new_params = journey_filter(journeys, "d.journey_id")
    run(
        f"DELETE FROM {MONTHS} AS m WHERE m.workspace_id = %s AND {old}",
        [workspace_id, *old_params],
    )
    return run(
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
    where, params = journey_filter(journeys, "m.journey_id")
    run(
        f'DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m."day" IS NULL '
        f"AND ({where} OR m.journey_id IS NULL)",
        [stamp.workspace_id, *params],
    )
    written = _insert_all_time(
        stamp,
        [(scope, journey, key, compute.Counts(*counts)) for scope, journey, key, *counts in totals],
    )
    workspace: dict[tuple[str, str], compute.Counts] = {}
    for scope, key, *counts in fetch(
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
            drop(CHANGED)
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
    sql, params = per_touchpoint_day(
        Response.objects.filter(touchpoint__in=touchpoints.values("pk")), answers=Count("*")
    )
    counted = {
        (journey_id, str(touchpoint_id), _as_date(day)): answers
        for journey_id, touchpoint_id, day, answers in fetch(
            f"SELECT t.journey_id, q.touchpoint_id, q.day, q.answers "
            f"FROM ({sql}) q JOIN {TOUCHPOINTS} t ON t.id = q.touchpoint_id",
            params,
        )
    }
    in_journeys, journey_params = journey_filter(journeys, "m.journey_id")
    stored = {
        (journey_id, key, _as_date(day)): answers
        for journey_id, key, day, answers in fetch(
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
    temporary(CHANGED, 'journey_id BIGINT, touchpoint_id BIGINT, "day" DATE')
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
    in_journeys, journey_params = journey_filter(journeys, "m.journey_id")
    run(
        f"DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s AND m.scope = {TP} "
        f'AND m."day" IS NOT NULL AND {in_journeys} AND EXISTS (SELECT 1 FROM {CHANGED} c '
        f'WHERE CAST(c.touchpoint_id AS VARCHAR(40)) = m."key" AND c."day" = m."day")',
        [ws, *journey_params],
    )
    written = 0
    if pairs:
        sql, params = per_touchpoint_day(Response.objects.filter(_day_ranges(pairs)), **_counting())
        in_tp_journeys, tp_params = journey_filter(journeys, "t.journey_id")
        written += run(
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
    run(
        f"DELETE FROM {ROWS} AS m WHERE m.workspace_id = %s "
        f'AND m.scope = {JOURNEY} AND m."day" IS NOT NULL AND {affected.format("m")}',
        [ws],
    )
    fresh = daily_rows(stored_tp(affected.format("d")), touchpoints=False)
    written += run(fresh + insert_from("fresh d"), [ws, *stamp.params])
    return written + _workspace_daily(stamp, days=True)
