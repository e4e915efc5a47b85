"""The counts roll-up: the stored moment-count and month rows of a workspace, from its answers
(and, in the same transaction, its expectation sums: metrics/engine/expectations.py).

**Moment counts** never cross into Python row by row (only :func:`update_counts` compares the
number of answers per touchpoint and day there). One ``GROUP BY touchpoint, day`` with
conditional counts over the answers (``COUNT(*) FILTER (WHERE …)``, written by the ORM for either
database) is added up in SQL into the journey and workspace daily rows and the all-time totals,
and written with ``INSERT … SELECT`` / ``UPDATE … FROM``. Only the all-time totals (a few hundred
rows) come back to Python, to get their derived numbers from :mod:`metrics.compute`, the one
definition of every metric.

The rows stored, and the two ways to recompute them: see :mod:`metrics.engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Count

from feedback.models import Kind, Response
from journeys.models import Touchpoint
from metrics import compute
from metrics.compute import COUNT_FIELDS
from metrics.engine.expectations import (
    expectation_tidy,
    rebuild_expectations,
    rewrite_expectation_days,
)
from metrics.engine.sql import (
    DERIVED,
    INSERT_ALL_TIME,
    JOURNEY,
    MOT,
    NAMES,
    TOTALS,
    TP,
    WORKSPACE,
    Stamp,
    affected,
    as_date,
    counting,
    daily_rows,
    day_ranges,
    drop_changed,
    hash_joins,
    insert_fresh,
    journey_filter,
    lock_workspace_metrics,
    month_of,
    note_changed,
    per_touchpoint_day,
    statement,
    stored_tp,
    with_tp,
)
from metrics.models import Scope
from mot.models import Workspace
from mot.sql import EMPTY, Sql, execute, execute_many, fetch, sql

# update_counts rebuilds its journeys instead when more of their (touchpoint, day) rows changed
# (all together): one index range per changed day stops paying off against one pass over the
# journeys' answers.
CHANGED_PAIRS_LIMIT = 5_000

Progress = Callable[[float], None]


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
    execute(statement("VACUUM (ANALYZE) {rows}"))
    # The expectation sums (metrics/engine/expectations.py): few row versions to clear after a
    # merge, but their statistics keep the merge's joins planned on the real row counts.
    execute(expectation_tidy())


def recompute_counts(
    workspace_id: int, *, journey_ids: Iterable[int] | None = None, progress: Progress | None = None
) -> int:
    """Rebuild every moment-count row of the given journeys (all when None) and the
    workspace-wide rows, in one transaction. Returns the number of rows written."""
    progress = progress or (lambda fraction: None)
    journeys = _journeys_of(journey_ids)
    with transaction.atomic():
        lock_workspace_metrics(workspace_id)
        stamp = Stamp.now(workspace_id)
        written, totals = _rebuild(stamp, journeys)
        progress(0.6)
        written += _all_time(stamp, journeys, totals)
    progress(0.8)
    return written


def _rebuild(stamp: Stamp, journeys: list[int] | None) -> tuple[int, list[tuple]]:
    """The journeys' daily rows and months, then the workspace's daily rows: the rows written
    and the journeys' all-time totals (see TOTALS)."""
    written, totals = _rebuild_journeys(stamp, journeys)
    _refresh_months(stamp.workspace_id, journeys)
    rebuild_expectations(stamp, journeys)
    return written + _workspace_daily(stamp, days=False), totals


def _rebuild_journeys(stamp: Stamp, journeys: list[int] | None) -> tuple[int, list[tuple]]:
    """Compute and write the daily rows of the journeys (all when None). Returns the number of
    rows written and the journeys' all-time totals (see TOTALS)."""
    answers = Response.objects.filter(workspace_id=stamp.workspace_id, kind=Kind.SURVEY_ANSWER)
    if journeys is not None:
        answers = answers.filter(touchpoint__journey_id__in=journeys)
    tp = statement(
        "SELECT t.journey_id, t.stage_id, t.mot_stage, q.touchpoint_id, q.day, {cast_counts} "
        "FROM ({per_day}) q JOIN {touchpoints} t ON t.id = q.touchpoint_id",
        cast_counts=NAMES.each("CAST(q.{name} AS INTEGER)", COUNT_FIELDS),
        per_day=per_touchpoint_day(answers, **counting()),
    )
    where = journey_filter(journeys, sql("m.journey_id"))
    if connection.vendor == "postgresql":
        return _update_in_place(stamp, daily_rows(tp), where)
    # SQLite has no data-modifying WITH (and no HOT updates to gain): delete, then insert.
    execute(
        statement(
            'DELETE FROM {rows} AS m WHERE m.workspace_id = %s AND m."day" IS NOT NULL AND {where}',
            stamp.workspace_id,
            where=where,
        )
    )
    written = execute(sql("{fresh}{insert}", fresh=daily_rows(tp), insert=insert_fresh(stamp)))
    return written, _stored_totals(stamp.workspace_id, journeys)


def _stored_totals(workspace_id: int, journeys: list[int] | None) -> list[tuple]:
    stored = stored_tp(workspace_id, journey_filter(journeys, sql("d.journey_id")))
    return fetch(sql("{with_tp}{totals}", with_tp=with_tp(stored), totals=TOTALS))


def _update_in_place(stamp: Stamp, fresh: Sql, where: Sql) -> tuple[int, list[tuple]]:
    """Write the new daily rows over the stored ones, in one statement that also returns the
    all-time totals: update the rows that are there (their indexed columns stay, so each is a
    HOT update on its own page), insert the others; then delete the rows this run did not stamp
    (no answers left)."""
    not_updated = sql(
        "WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.journey_id = d.journey_id "
        'AND u.scope = d.scope AND u."key" = d."key" AND u."day" = d."day")'
    )
    _, computed_at, window_start, window_end = stamp.params
    with hash_joins():
        rows = fetch(
            statement(
                "{fresh}, updated AS (UPDATE {rows} AS m SET {assignments}, computed_at = %s, "
                "window_start = %s, window_end = %s FROM fresh d "
                "WHERE m.workspace_id = %s AND m.journey_id = d.journey_id AND m.scope = d.scope "
                'AND m."key" = d."key" AND m."day" = d."day" '
                'RETURNING m.journey_id, m.scope, m."key", m."day"), '
                "inserted AS ({insert} RETURNING 1) "
                "SELECT (SELECT COUNT(*) FROM updated) + (SELECT COUNT(*) FROM inserted), "
                "totals.* FROM (SELECT 1) one LEFT JOIN ({totals}) totals ON TRUE",
                computed_at,
                window_start,
                window_end,
                stamp.workspace_id,
                fresh=fresh,
                assignments=NAMES.each("{name} = d.{name}", COUNT_FIELDS),
                insert=insert_fresh(stamp, not_updated),
                totals=TOTALS,
            )
        )
    execute(
        statement(
            'DELETE FROM {rows} AS m WHERE m.workspace_id = %s AND m."day" IS NOT NULL '
            "AND {where} AND m.computed_at <> %s",
            stamp.workspace_id,
            computed_at,
            where=where,
        )
    )
    return int(rows[0][0]), [row[1:] for row in rows if row[1] is not None]


def _workspace_daily(stamp: Stamp, *, days: bool) -> int:
    """Replace the workspace's daily rows (all days, or the days in the CHANGED table), added
    up from the stored journey rows of those days."""
    chosen = EMPTY
    if days:
        chosen = statement('AND d."day" IN (SELECT c."day" FROM {changed} c)')
    execute(
        statement(
            "DELETE FROM {rows} AS d WHERE d.workspace_id = %s AND d.journey_id IS NULL "
            'AND d."day" IS NOT NULL {chosen}',
            stamp.workspace_id,
            chosen=chosen,
        )
    )
    return execute(
        statement(
            'INSERT INTO {rows} (journey_id, scope, "key", "day", {counts}, {stamped}) '
            "SELECT NULL, %s, '', d.\"day\", {sums}, {stamp} FROM {rows} d "
            "WHERE d.workspace_id = %s AND d.scope = %s AND d.journey_id IS NOT NULL "
            'AND d."day" IS NOT NULL {chosen} GROUP BY d."day"',
            WORKSPACE,
            stamp.workspace_id,
            JOURNEY,
            stamp=stamp.values,
            chosen=chosen,
        )
    )


def _refresh_months(workspace_id: int, journeys: list[int] | None, *, changed: bool = False) -> int:
    """Replace the month rows (MonthCounts) of the journeys (all when None), or, when
    ``changed``, only those of the touchpoints and months of the CHANGED table, with the sums of
    the stored touchpoint daily rows. Returns the number of month rows written (the callers
    count moment-count rows only)."""
    month, changed_month = month_of(sql('d."day"')), month_of(sql('c."day"'))
    if changed:
        old = statement(
            "EXISTS (SELECT 1 FROM {changed} c "
            "WHERE c.touchpoint_id = m.touchpoint_id AND {changed_month} = m.month)",
            changed_month=changed_month,
        )
        new = statement(
            'd."day" >= (SELECT MIN({changed_month}) FROM {changed} c) '
            "AND EXISTS (SELECT 1 FROM {changed} c WHERE "
            'CAST(c.touchpoint_id AS VARCHAR(40)) = d."key" AND {changed_month} = {month})',
            changed_month=changed_month,
            month=month,
        )
    else:
        old = journey_filter(journeys, sql("m.journey_id"))
        new = journey_filter(journeys, sql("d.journey_id"))
    execute(
        statement(
            "DELETE FROM {months} AS m WHERE m.workspace_id = %s AND {old}",
            workspace_id,
            old=old,
        )
    )
    return execute(
        statement(
            "INSERT INTO {months} (workspace_id, journey_id, touchpoint_id, month, {counts}) "
            'SELECT d.workspace_id, d.journey_id, CAST(d."key" AS BIGINT), {month}, {sums} '
            'FROM {rows} d WHERE d.workspace_id = %s AND d.scope = %s AND d."day" IS NOT NULL '
            'AND {new} GROUP BY d.workspace_id, d.journey_id, d."key", {month}',
            workspace_id,
            TP,
            month=month,
            new=new,
        )
    )


# --- all-time rows -----------------------------------------------------------------------------


def _derived(counts: compute.Counts, min_sample: int) -> dict:
    nps = compute.nps(counts, min_sample=min_sample)
    csat = compute.csat(counts, min_sample=min_sample)
    ces = compute.ces(counts, min_sample=min_sample)
    moment = compute.moment(counts, min_sample=min_sample)
    return {
        "nps": nps.score,
        "nps_margin": nps.margin,
        "csat_top2_share": csat.top2_share,
        "csat_mean": csat.mean,
        "ces_easy_share": ces.easy_share,
        "ces_mean": ces.mean,
        "glory_share": moment.glory_share,
        "neutral_share": moment.neutral_share,
        "pain_share": moment.pain_share,
        "moment_score": moment.score,
        "enough": moment.enough,
    }


def _all_time(stamp: Stamp, journeys: list[int] | None, totals: list[tuple]) -> int:
    """Replace the all-time rows of the journeys (all when None) with their ``totals`` (see
    TOTALS), then the workspace-wide ones with the sums of every journey's all-time rows; each
    with the numbers compute.py derives."""
    execute(
        statement(
            'DELETE FROM {rows} AS m WHERE m.workspace_id = %s AND m."day" IS NULL '
            "AND ({where} OR m.journey_id IS NULL)",
            stamp.workspace_id,
            where=journey_filter(journeys, sql("m.journey_id")),
        )
    )
    written = _insert_all_time(
        stamp,
        [(scope, journey, key, compute.Counts(*counts)) for scope, journey, key, *counts in totals],
    )
    workspace: dict[tuple[str, str], compute.Counts] = {}
    for scope, key, *counts in fetch(
        statement(
            'SELECT m.scope, m."key", {counts} FROM {rows} m WHERE m.workspace_id = %s '
            'AND m."day" IS NULL AND m.journey_id IS NOT NULL AND m.scope IN (%s, %s)',
            stamp.workspace_id,
            JOURNEY,
            MOT,
        )
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
    values = []  # in ALL_TIME_COLUMNS' order
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
    execute_many(INSERT_ALL_TIME, values)
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
        lock_workspace_metrics(workspace_id)
        stamp = Stamp.now(workspace_id)
        changed = _changed_pairs(workspace_id, journeys)
        progress(0.4)
        if len(changed) > CHANGED_PAIRS_LIMIT:
            written, totals = _rebuild(stamp, journeys)
        else:
            note_changed(changed)
            pairs = sorted({(tp, day) for _j, tp, day in changed})
            written = _rewrite_pairs(stamp, journeys, pairs)
            rewrite_expectation_days(stamp, pairs)
            _refresh_months(workspace_id, journeys, changed=True)
            totals = _stored_totals(workspace_id, journeys)
            drop_changed()
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
    per_day = per_touchpoint_day(
        Response.objects.filter(touchpoint__in=touchpoints.values("pk"), kind=Kind.SURVEY_ANSWER),
        answers=Count("*"),
    )
    counted = {
        (journey_id, str(touchpoint_id), as_date(day)): answers
        for journey_id, touchpoint_id, day, answers in fetch(
            statement(
                "SELECT t.journey_id, q.touchpoint_id, q.day, q.answers "
                "FROM ({per_day}) q JOIN {touchpoints} t ON t.id = q.touchpoint_id",
                per_day=per_day,
            )
        )
    }
    stored = {
        (journey_id, key, as_date(day)): answers
        for journey_id, key, day, answers in fetch(
            statement(
                'SELECT m.journey_id, m."key", m."day", m.answers FROM {rows} m '
                'WHERE m.workspace_id = %s AND m.scope = %s AND m."day" IS NOT NULL '
                "AND {in_journeys}",
                workspace_id,
                TP,
                in_journeys=journey_filter(journeys, sql("m.journey_id")),
            )
        )
    }
    return sorted(
        (journey_id, int(key), day)
        for (journey_id, key, day) in counted.keys() | stored.keys()
        if counted.get((journey_id, key, day)) != stored.get((journey_id, key, day))
    )


def _rewrite_pairs(stamp: Stamp, journeys: list[int], pairs: list[tuple[int, date]]) -> int:
    """Replace the touchpoint rows of the changed pairs, then the other journey-level rows and
    the workspace-wide rows of their days."""
    ws = stamp.workspace_id
    execute(
        statement(
            'DELETE FROM {rows} AS m WHERE m.workspace_id = %s AND m.scope = %s AND m."day" IS NOT '
            "NULL AND {in_journeys} AND EXISTS (SELECT 1 FROM {changed} c "
            'WHERE CAST(c.touchpoint_id AS VARCHAR(40)) = m."key" AND c."day" = m."day")',
            ws,
            TP,
            in_journeys=journey_filter(journeys, sql("m.journey_id")),
        )
    )
    written = 0
    if pairs:
        written += execute(
            statement(
                'INSERT INTO {rows} (journey_id, scope, "key", "day", {counts}, {stamped}) '
                "SELECT t.journey_id, %s, CAST(q.touchpoint_id AS VARCHAR(40)), q.day, "
                "{q_counts}, {stamp} FROM ({per_day}) q "
                "JOIN {touchpoints} t ON t.id = q.touchpoint_id WHERE {in_journeys}",
                TP,
                q_counts=NAMES.each("q.{name}", COUNT_FIELDS),
                stamp=stamp.values,
                per_day=per_touchpoint_day(
                    Response.objects.filter(day_ranges(pairs), kind=Kind.SURVEY_ANSWER),
                    **counting(),
                ),
                in_journeys=journey_filter(journeys, sql("t.journey_id")),
            )
        )
    execute(
        statement(
            "DELETE FROM {rows} AS m WHERE m.workspace_id = %s "
            'AND m.scope = %s AND m."day" IS NOT NULL AND {affected}',
            ws,
            JOURNEY,
            affected=affected(sql("m")),
        )
    )
    fresh = daily_rows(stored_tp(ws, affected(sql("d"))), touchpoints=False)
    written += execute(sql("{fresh}{insert}", fresh=fresh, insert=insert_fresh(stamp)))
    return written + _workspace_daily(stamp, days=True)
