"""The expectation sums, the write side: each touchpoint's ``ExpectationCounts`` row per day,
from its answers rating at least one of the four expectations.

Written with the moment counts, in the same transaction and under the same lock
(metrics/engine/counts.py calls these). A rebuild of journeys (:func:`rebuild_expectations`)
counts their rated answers in one ``GROUP BY touchpoint, day`` with conditional counts and sums,
as the ORM compiles it. On PostgreSQL it merges them into the stored rows in one statement, as
the recovery figures do: a row whose sums changed is updated, a new one inserted, one no longer
computed deleted; the others (most: past days stand still) keep their values and
``computed_at``, so a nightly rebuild writes next to nothing (writing every row again cost
several times the counting). SQLite deletes the journeys' rows and inserts them again. After new
answers (:func:`rewrite_expectation_days`) only the (touchpoint, day) pairs whose number of
answers changed are deleted and counted again from the answers of those days. Answers are never
edited, so all ways leave the same rows (tests/metrics/test_expectations.py). What the sums
mean and what is derived from them: metrics/expectations.py.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import BigIntegerField, Count, F, Q, Sum
from django.db.models.functions import Cast

from feedback.models import Response
from journeys.models import Touchpoint
from metrics.engine.sql import Stamp, day_ranges, day_runs, hash_joins, per_touchpoint_day
from metrics.expectations import LOW_MAX
from metrics.models import EXPECTATION_FIELDS, EXPECTATIONS, EXPERIENCES, ExpectationCounts
from mot.sql import EMPTY, Identifiers, Sql, execute, fetch, sql, value_list

# A row's fingerprint (stored with it, read by no page): its rated answers and their ids' sum.
FINGERPRINT = ("rated", "rated_ids")
STORED = (*EXPECTATION_FIELDS, *FINGERPRINT)
# A rebuild merges every row from the answers instead when more days changed than this (as
# update_counts rebuilds past CHANGED_PAIRS_LIMIT): one range of answers per changed day stops
# paying off against one pass over them.
CHANGED_DAYS_LIMIT = 5_000

NAMES = Identifiers(
    ExpectationCounts._meta.db_table,
    Touchpoint._meta.db_table,
    *(field.column for field in ExpectationCounts._meta.concrete_fields),
)
ROWS = NAMES[ExpectationCounts._meta.db_table]
COLUMNS = NAMES.each("{name}", STORED)
F_COLUMNS = NAMES.each("f.{name}", STORED)
R_COLUMNS = NAMES.each("r.{name}", STORED)
# A stored row (r) and a fresh one (f) of the same touchpoint and day.
SAME_ROW = Sql('r.touchpoint_id = f.touchpoint_id AND r."day" = f."day"')


def _rated() -> Q:
    rated = Q(pk__in=[])
    for expectation in EXPECTATIONS:
        rated |= Q(**{f"{expectation}__isnull": False})
    return rated


def fingerprint() -> dict:
    """The fingerprint of one group of rated answers, named as ``FINGERPRINT``."""
    # The sum as bigint (PostgreSQL sums bigint as numeric): compared with the stored column.
    return {"rated": Count("id"), "rated_ids": Cast(Sum("id"), BigIntegerField())}


def sums() -> dict:
    """The aggregates of one group of rated answers, named as ``STORED`` and in its order."""
    result = {}
    for e in EXPECTATIONS:
        for c in EXPERIENCES:
            mine = Q(experience=c)
            result[f"{e}_{c}_n"] = Count("id", filter=mine & Q(**{f"{e}__isnull": False}))
            result[f"{e}_{c}_sum"] = Sum(e, filter=mine, default=0)
            result[f"{e}_{c}_low"] = Count("id", filter=mine & Q(**{f"{e}__lte": LOW_MAX}))
    for e in EXPECTATIONS:
        result[f"{e}_squares"] = Sum(F(e) * F(e), default=0)
    return result | fingerprint()


def _fresh(answers) -> Sql:
    """A WITH clause naming ``fresh`` (journey_id, touchpoint_id, day, STORED): the rows of
    ``answers`` (a Response queryset), one per touchpoint and day."""
    return sql(
        'WITH q (touchpoint_id, "day", {columns}) AS ({per_day}), '
        'fresh (journey_id, touchpoint_id, "day", {columns}) AS ('
        'SELECT t.journey_id, q.touchpoint_id, q."day", {q_columns} '
        "FROM q JOIN {touchpoints} t ON t.id = q.touchpoint_id) ",
        columns=COLUMNS,
        q_columns=NAMES.each("q.{name}", STORED),
        per_day=per_touchpoint_day(answers.filter(_rated()), **sums()),
        touchpoints=NAMES[Touchpoint._meta.db_table],
    )


def _insert(stamp: Stamp, fresh: Sql, where: Sql = EMPTY) -> Sql:
    return sql(
        '{fresh}INSERT INTO {rows} (workspace_id, journey_id, touchpoint_id, "day", {columns}, '
        'computed_at) SELECT %s, f.journey_id, f.touchpoint_id, f."day", {f_columns}, %s '
        'FROM fresh f {where} ORDER BY f."day"',
        stamp.workspace_id,
        stamp.params[1],
        fresh=fresh,
        rows=ROWS,
        columns=COLUMNS,
        f_columns=F_COLUMNS,
        where=where,
    )


def _merge(stamp: Stamp, fresh: Sql, journeys: Sql) -> Sql:
    """PostgreSQL: ``fresh`` into the stored rows of the journeys in one statement (every part
    of it sees the rows as they were before it)."""
    ws, now = stamp.workspace_id, stamp.params[1]
    return sql(
        "{fresh}, updated AS ("
        "UPDATE {rows} r SET ({columns}) = ({f_columns}), journey_id = f.journey_id, "
        "computed_at = %s FROM fresh f WHERE r.workspace_id = %s AND {same} "
        "AND ({r_columns}, r.journey_id) IS DISTINCT FROM ({f_columns}, f.journey_id) "
        "RETURNING r.id), "
        "inserted AS ("
        'INSERT INTO {rows} (workspace_id, journey_id, touchpoint_id, "day", {columns}, '
        'computed_at) SELECT %s, f.journey_id, f.touchpoint_id, f."day", {f_columns}, %s '
        "FROM fresh f WHERE NOT EXISTS (SELECT 1 FROM {rows} r WHERE r.workspace_id = %s "
        'AND {same}) ORDER BY f."day" RETURNING id) '
        "DELETE FROM {rows} r WHERE r.workspace_id = %s AND {journeys} "
        "AND NOT EXISTS (SELECT 1 FROM fresh f WHERE {same})",
        now,
        ws,
        ws,
        now,
        ws,
        ws,
        fresh=fresh,
        rows=ROWS,
        columns=COLUMNS,
        f_columns=F_COLUMNS,
        r_columns=R_COLUMNS,
        same=SAME_ROW,
        journeys=journeys,
    )


def _changed_days(stamp: Stamp, answers, in_journeys: Sql) -> list[tuple[int, date]]:
    """PostgreSQL: the sorted (touchpoint, day) pairs whose stored row differs from ``answers``
    (a Response queryset) in its fingerprint or journey, has no answers left, or is missing.
    One pass over the rated answers with two aggregates (not the forty of the sums), joined
    with the stored rows (``r``, matching ``in_journeys``) on touchpoint and day."""
    rows = fetch(
        sql(
            'WITH q (touchpoint_id, "day", rated, rated_ids) AS ({per_day}), '
            'fresh AS (SELECT t.journey_id, q.touchpoint_id, q."day", q.rated, q.rated_ids '
            "FROM q JOIN {touchpoints} t ON t.id = q.touchpoint_id), "
            'stored AS (SELECT r.journey_id, r.touchpoint_id, r."day", r.rated, r.rated_ids '
            "FROM {rows} r WHERE r.workspace_id = %s AND {journeys}) "
            'SELECT COALESCE(f.touchpoint_id, s.touchpoint_id), COALESCE(f."day", s."day") '
            'FROM fresh f FULL JOIN stored s ON s.touchpoint_id = f.touchpoint_id AND s."day" = '
            'f."day" WHERE (f.rated, f.rated_ids, f.journey_id) IS DISTINCT FROM '
            "(s.rated, s.rated_ids, s.journey_id)",
            stamp.workspace_id,
            per_day=per_touchpoint_day(answers.filter(_rated()), **fingerprint()),
            touchpoints=NAMES[Touchpoint._meta.db_table],
            rows=ROWS,
            journeys=in_journeys,
        )
    )
    return sorted(rows)


def rebuild_expectations(stamp: Stamp, journeys: list[int] | None) -> None:
    """The rows of the journeys (all when None), computed anew. On PostgreSQL only the days
    whose fingerprint changed are counted again (:func:`_changed_days`; all of them, merged,
    past CHANGED_DAYS_LIMIT). Answers are never edited, only added or deleted, so a day whose
    answers changed keeps both its count and its sum of ids only if as many answers were added
    as deleted, their ids adding up to exactly the same: never with ids given in increasing
    order (each added one is above every id the row counted), but for answers committed out of
    the order of their ids by concurrent transactions."""
    answers = Response.objects.filter(workspace_id=stamp.workspace_id)
    in_journeys = Sql("1 = 1")
    if journeys is not None:
        answers = answers.filter(touchpoint__journey_id__in=journeys)
        in_journeys = sql("r.journey_id IN ({ids})", ids=value_list(journeys))
    if connection.vendor == "postgresql":
        with hash_joins():
            changed = _changed_days(stamp, answers, in_journeys)
            if len(changed) > CHANGED_DAYS_LIMIT:
                execute(_merge(stamp, _fresh(answers), in_journeys))
                return
        rewrite_expectation_days(stamp, changed)
        return
    gone = ExpectationCounts.objects.filter(workspace_id=stamp.workspace_id)
    if journeys is not None:
        gone = gone.filter(journey_id__in=journeys)
    gone.delete()
    execute(_insert(stamp, _fresh(answers)))


def rewrite_expectation_days(stamp: Stamp, pairs: list[tuple[int, date]]) -> None:
    """Replace the rows of the sorted (touchpoint, day) pairs: their answers counted again. The
    old rows go by one range of days per run of a touchpoint's consecutive days (the index on
    touchpoint and day), not a join with the changed pairs, which PostgreSQL planned as a scan
    of every row of the workspace."""
    if not pairs:
        return
    old = Q(pk__in=[])
    for touchpoint_id, first, last in day_runs(pairs):
        old |= Q(touchpoint_id=touchpoint_id, day__gte=first, day__lte=last)
    ExpectationCounts.objects.filter(old, workspace_id=stamp.workspace_id).delete()
    execute(_insert(stamp, _fresh(Response.objects.filter(day_ranges(pairs)))))


# The columns statements filter or join on: the statistics of the forty sums would cost two
# thirds of the tidy's time and serve no plan.
KEYED = ("workspace_id", "journey_id", "touchpoint_id", "day")


def expectation_tidy() -> Sql:
    """``VACUUM (ANALYZE)`` of the table, its KEYED columns' statistics only, for
    :func:`metrics.engine.counts.tidy_counts`."""
    return sql("VACUUM (ANALYZE) {rows} ({keyed})", rows=ROWS, keyed=NAMES.each("{name}", KEYED))
