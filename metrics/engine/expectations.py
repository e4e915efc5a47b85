"""The expectation sums, the write side: each touchpoint's ``ExpectationCounts`` row per day,
from its answers rating at least one of the four expectations.

Written with the moment counts, in the same transaction and under the same lock
(metrics/engine/counts.py calls these): a rebuild of journeys (:func:`rebuild_expectations`)
deletes their rows and inserts them again from one ``GROUP BY touchpoint, day`` of their rated
answers with conditional counts and sums, as the ORM compiles them; after new answers
(:func:`rewrite_expectation_days`) only the (touchpoint, day) pairs whose number of answers
changed (the counts' CHANGED table) are deleted and counted again from the answers of those
days. Answers are never edited, so both leave the same rows (tests/metrics/test_expectations.py).
What the sums mean and what is derived from them: metrics/expectations.py.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q, Sum

from feedback.models import Response
from journeys.models import Touchpoint
from metrics.engine.sql import CHANGED_TABLE, Stamp, day_ranges, per_touchpoint_day
from metrics.expectations import LOW_MAX
from metrics.models import EXPECTATION_FIELDS, EXPECTATIONS, EXPERIENCES, ExpectationCounts
from mot.sql import Identifiers, Sql, execute, sql, value_list

NAMES = Identifiers(
    ExpectationCounts._meta.db_table,
    CHANGED_TABLE,
    Touchpoint._meta.db_table,
    *(field.column for field in ExpectationCounts._meta.concrete_fields),
)
ROWS = NAMES[ExpectationCounts._meta.db_table]
COLUMNS = NAMES.each("{name}", EXPECTATION_FIELDS)
Q_COLUMNS = NAMES.each("q.{name}", EXPECTATION_FIELDS)


def _rated() -> Q:
    rated = Q(pk__in=[])
    for expectation in EXPECTATIONS:
        rated |= Q(**{f"{expectation}__isnull": False})
    return rated


def sums() -> dict:
    """The aggregates of one group of answers, named as ``EXPECTATION_FIELDS``."""
    result = {}
    for e in EXPECTATIONS:
        for c in EXPERIENCES:
            mine = Q(experience=c)
            result[f"{e}_{c}_n"] = Count("id", filter=mine & Q(**{f"{e}__isnull": False}))
            result[f"{e}_{c}_sum"] = Sum(e, filter=mine, default=0)
            result[f"{e}_{c}_low"] = Count("id", filter=mine & Q(**{f"{e}__lte": LOW_MAX}))
    for e in EXPECTATIONS:
        result[f"{e}_squares"] = Sum(F(e) * F(e), default=0)
    return result


def _insert(stamp: Stamp, answers) -> int:
    """INSERT of the rows of ``answers`` (a Response queryset), one per touchpoint and day."""
    per_day = per_touchpoint_day(answers.filter(_rated()), **sums())
    return execute(
        sql(
            'INSERT INTO {rows} (workspace_id, journey_id, touchpoint_id, "day", {columns}, '
            'computed_at) SELECT %s, t.journey_id, q.touchpoint_id, q."day", {q_columns}, %s '
            "FROM ({per_day}) q JOIN {touchpoints} t ON t.id = q.touchpoint_id",
            stamp.workspace_id,
            stamp.params[1],
            rows=ROWS,
            columns=COLUMNS,
            q_columns=Q_COLUMNS,
            per_day=per_day,
            touchpoints=NAMES[Touchpoint._meta.db_table],
        )
    )


def rebuild_expectations(stamp: Stamp, journeys: list[int] | None) -> int:
    """Replace the rows of the journeys (all when None). Returns the rows written."""
    where = Sql("1 = 1")
    if journeys is not None:
        where = sql("journey_id IN ({ids})", ids=value_list(journeys))
    execute(
        sql(
            "DELETE FROM {rows} WHERE workspace_id = %s AND {where}",
            stamp.workspace_id,
            rows=ROWS,
            where=where,
        )
    )
    answers = Response.objects.filter(workspace_id=stamp.workspace_id)
    if journeys is not None:
        answers = answers.filter(touchpoint__journey_id__in=journeys)
    return _insert(stamp, answers)


def rewrite_expectation_days(stamp: Stamp, pairs: list[tuple[int, date]]) -> int:
    """Replace the rows of the (touchpoint, day) pairs in the CHANGED table (``pairs`` are the
    same, sorted): their answers counted again. Returns the rows written."""
    execute(
        sql(
            "DELETE FROM {rows} WHERE workspace_id = %s AND EXISTS (SELECT 1 FROM {changed} c "
            'WHERE c.touchpoint_id = {rows}.touchpoint_id AND c."day" = {rows}."day")',
            stamp.workspace_id,
            rows=ROWS,
            changed=NAMES[CHANGED_TABLE],
        )
    )
    if not pairs:
        return 0
    return _insert(stamp, Response.objects.filter(day_ranges(pairs)))
