"""Service recovery, the write side: each day's follow-up figures per touchpoint, journey and
workspace (``RecoveryCounts``), and the recovery effect per journey and workspace
(``RecoveryEffect``).

**Figures** (:func:`recompute_recovery`), by the day a follow-up was opened (in the current time
zone, as pages show days), so a page sums the days of a period and reads "the follow-ups opened in
it": how many were opened; how many had a first response (the first note or status change on the
timeline, stored on the follow-up as ``first_response_at`` by the service that wrote it) and the
seconds from opening to it, summed; how many stand recovered, not recovered and no action needed,
and the seconds from opening to closing of those, summed; how many are active and past their due
day on the day of the computation (overdue). One statement per run computes
the touchpoint and journey rows of its journeys (a ``GROUP BY`` over the follow-ups as the ORM
compiles them, reading each one's stored first response, not its timeline) and, on PostgreSQL,
merges them into the stored ones: only rows whose figures changed are updated (old follow-ups
stand still: most rows keep their values and ``computed_at``), new ones inserted, gone ones
deleted; SQLite replaces the journeys' rows. One more statement rewrites the workspace's days
(the sums of the journey rows). A full run and an incremental one leave the same rows.

**Effect** (:func:`recompute_recovery_effect`): the customers and the return of moment impact
(:func:`metrics.engine.cohorts.impact_answers`: a customer's latest answer at a touchpoint, given
at least 90 days before the computation, and whether the customer was active again within 90
days after it), taken where that answer was pain. Within a journey (or the workspace) each
customer counts once, by their latest such answer there. The recovered group: that answer's
follow-up stands recovered. The other group: its follow-up stands not recovered, or it has none.
Customers whose follow-up is still open or in progress (no outcome yet) or closed as "no action
needed" (nothing to recover) are in neither. The difference of the groups' return rates and its
95% interval: :func:`metrics.compute.impact`, as moment impact, with the workspace's minimum
sample for each group.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from django.db import connection, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback.experience import Experience
from feedback.followups.models import ACTIVE, CLOSED, FollowUp, Status
from feedback.models import Kind, Response
from journeys.models import Touchpoint
from metrics import compute
from metrics.engine.cohorts import IMPACT_CODES, IMPACT_WINDOW_DAYS, _load, impact_answers
from metrics.engine.sql import hash_joins, journey_filter, lock_workspace_metrics
from metrics.models import RECOVERY_FIGURES as FIGURES
from metrics.models import RecoveryCounts, RecoveryEffect, Scope
from mot.models import Workspace
from mot.sql import Identifiers, Sql, compiled, execute, sql

NAMES = Identifiers(
    RecoveryCounts._meta.db_table,
    *(field.column for field in RecoveryCounts._meta.concrete_fields),
)
ROWS = NAMES[RecoveryCounts._meta.db_table]
TP, JOURNEY, WORKSPACE = (s.value for s in (Scope.TOUCHPOINT, Scope.JOURNEY, Scope.WORKSPACE))

# A follow-up's outcome as a number, so that the effect's columns load as numbers.
NONE, RECOVERED, NOT_RECOVERED, NO_ACTION, UNDECIDED = range(5)
OUTCOME_CODES = {
    Status.RECOVERED: RECOVERED,
    Status.NOT_RECOVERED: NOT_RECOVERED,
    Status.NO_ACTION: NO_ACTION,
    Status.OPEN: UNDECIDED,
    Status.IN_PROGRESS: UNDECIDED,
}


def _seconds(expression) -> Func:
    """A timestamp as seconds since 1970 (a float), computed by the database."""
    if connection.vendor == "postgresql":
        template = "date_part('epoch', %(expressions)s)"
    else:  # SQLite keeps UTC text
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
    return Func(expression, template=template, output_field=FloatField())


def _elapsed(start, end) -> Func:
    """Whole seconds from ``start`` to ``end`` (NULL when ``end`` is), as an INTEGER (68 years):
    PostgreSQL sums integers as bigint, bigints as the slower numeric."""
    return Func(
        _seconds(end),
        _seconds(start),
        template="CAST(ROUND(%(expressions)s) AS INTEGER)",
        arg_joiner=" - ",
        output_field=IntegerField(),
    )


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


# The columns of _per_followup, in order.
PER_FOLLOWUP = (
    "f_tp",
    "f_journey",
    "f_day",
    "f_response",
    "f_recovered",
    "f_not_recovered",
    "f_no_action",
    "f_close",
    "f_overdue",
)


def _per_followup(workspace_id: int, journeys: list[int] | None, today: date) -> Sql:
    """SELECT of PER_FOLLOWUP, one row per follow-up of the journeys (all when None): its
    touchpoint, journey, opening day, seconds to first response (NULL: none yet), outcome flags,
    seconds to close (NULL: not closed) and whether it is overdue."""
    # Not a record's follow-up: an anti-join with the workspace's records, which PostgreSQL
    # hashes (a few rows), where a join with the survey answers hashed or probed every answer.
    records = Response.objects.filter(pk=OuterRef("response_id")).exclude(kind=Kind.SURVEY_ANSWER)
    rows = FollowUp.objects.filter(workspace_id=workspace_id).exclude(Exists(records))
    if journeys is not None:
        rows = rows.filter(touchpoint__journey_id__in=journeys)
    closed = Q(status__in=list(CLOSED))
    query = (
        rows.order_by()
        .annotate(
            f_tp=F("touchpoint_id"),
            f_journey=F("touchpoint__journey_id"),
            f_day=TruncDate("created_at"),
            f_response=_elapsed(F("created_at"), F("first_response_at")),
            f_recovered=_flag(Q(status=Status.RECOVERED)),
            f_not_recovered=_flag(Q(status=Status.NOT_RECOVERED)),
            f_no_action=_flag(Q(status=Status.NO_ACTION)),
            f_close=Case(
                When(
                    closed & Q(closed_at__isnull=False),
                    then=_elapsed(F("created_at"), F("closed_at")),
                ),
                default=None,
                output_field=IntegerField(),
            ),
            f_overdue=_flag(Q(status__in=list(ACTIVE), due_on__lt=today)),
        )
        .values(*PER_FOLLOWUP)
    )
    selected = [*query.query.values_select, *query.query.annotation_select]
    if selected != list(PER_FOLLOWUP):
        raise AssertionError(f"the query selects {selected}, not {PER_FOLLOWUP}")
    return compiled(query)


# Each group's figures from the rows of _per_followup (q).
_SUMS = Sql(
    "COUNT(*), COUNT(q.f_response), COALESCE(SUM(q.f_response), 0), SUM(q.f_recovered), "
    "SUM(q.f_not_recovered), SUM(q.f_no_action), COALESCE(SUM(q.f_close), 0), SUM(q.f_overdue)"
)


def _fresh(workspace_id: int, journeys: list[int] | None, today: date) -> Sql:
    """A WITH clause naming ``fresh`` (scope, journey_id, key, day, FIGURES): the touchpoint
    and journey rows of the journeys' follow-ups (all when None). The touchpoints' days (t) are
    grouped once, the journeys' days are their sums."""
    return sql(
        "WITH q ({per_columns}) AS ({per_followup}), "
        't (journey_id, tp, "day", {columns}) AS ('
        "SELECT q.f_journey, q.f_tp, q.f_day, {q_sums} "
        "FROM q GROUP BY q.f_journey, q.f_tp, q.f_day), "
        'fresh (scope, journey_id, "key", "day", {columns}) AS ('
        'SELECT %s, journey_id, CAST(tp AS VARCHAR(40)), "day", {columns} FROM t '
        "UNION ALL "
        'SELECT %s, journey_id, CAST(journey_id AS VARCHAR(40)), "day", {sums} '
        'FROM t d GROUP BY journey_id, "day") ',
        TP,
        JOURNEY,
        per_columns=_plain(PER_FOLLOWUP),
        per_followup=_per_followup(workspace_id, journeys, today),
        columns=COLUMNS,
        q_sums=_SUMS,
        sums=SUMS,
    )


COLUMNS = NAMES.each("{name}", FIGURES)
F_COLUMNS = NAMES.each("f.{name}", FIGURES)
# PostgreSQL sums bigints as numeric: cast back, so the merge compares integers with the stored
# columns, not every stored value turned numeric.
SUMS = NAMES.each("CAST(SUM(d.{name}) AS BIGINT)", FIGURES)
# A stored row (r) and a fresh one (f) of the same scope, key and day.
SAME_ROW = Sql('r.scope = f.scope AND r."key" = f."key" AND r."day" = f."day"')


def _merge(workspace_id: int, journeys: list[int] | None, fresh: Sql, now) -> Sql:
    """PostgreSQL: the rows of ``fresh`` into the stored ones in one statement: a row whose
    figures changed is updated, a new one inserted, one no longer computed deleted; the others
    (most: old follow-ups stand still) keep their values and ``computed_at``. Far fewer writes
    than replacing every row, and next to no replaced row versions for VACUUM to clear. (Every
    part of the statement sees the rows as they were before it.)"""
    return sql(
        "{fresh}, updated AS ("
        "UPDATE {rows} r SET ({columns}) = ({f_columns}), computed_at = %s FROM fresh f "
        "WHERE r.workspace_id = %s AND {same} AND ({r_columns}) IS DISTINCT FROM ({f_columns}) "
        "RETURNING r.id), "
        "inserted AS ("
        'INSERT INTO {rows} (workspace_id, journey_id, scope, "key", "day", {columns}, '
        'computed_at) SELECT %s, f.journey_id, f.scope, f."key", f."day", {f_columns}, %s '
        "FROM fresh f WHERE NOT EXISTS (SELECT 1 FROM {rows} r WHERE r.workspace_id = %s "
        'AND {same}) ORDER BY f."day" RETURNING id) '
        "DELETE FROM {rows} r WHERE r.workspace_id = %s AND r.scope IN (%s, %s) AND {journeys} "
        "AND NOT EXISTS (SELECT 1 FROM fresh f WHERE {same})",
        now,
        workspace_id,
        workspace_id,
        now,
        workspace_id,
        workspace_id,
        TP,
        JOURNEY,
        fresh=fresh,
        rows=ROWS,
        columns=COLUMNS,
        f_columns=F_COLUMNS,
        r_columns=NAMES.each("r.{name}", FIGURES),
        same=SAME_ROW,
        journeys=journey_filter(journeys, Sql("r.journey_id")),
    )


def _replace(workspace_id: int, journeys: list[int] | None, fresh: Sql, now) -> None:
    """SQLite (no data-modifying WITH): the journeys' rows deleted and ``fresh`` inserted."""
    gone = RecoveryCounts.objects.filter(workspace_id=workspace_id, scope__in=[TP, JOURNEY])
    if journeys is not None:
        gone = gone.filter(journey_id__in=journeys)
    gone.delete()
    execute(
        sql(
            '{fresh} INSERT INTO {rows} (workspace_id, journey_id, scope, "key", "day", '
            '{columns}, computed_at) SELECT %s, f.journey_id, f.scope, f."key", f."day", '
            '{f_columns}, %s FROM fresh f ORDER BY f."day"',
            workspace_id,
            now,
            fresh=fresh,
            rows=ROWS,
            columns=COLUMNS,
            f_columns=F_COLUMNS,
        )
    )


def recompute_recovery(
    workspace_id: int, *, journey_ids: list[int] | None = None, today: date | None = None
) -> None:
    """Recompute the recovery rows of the journeys (all when None) and the workspace's, in one
    transaction. ``today`` (the computation's day) decides what is overdue."""
    today = today or timezone.localdate()
    journeys = None if journey_ids is None else sorted(set(journey_ids))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fresh = _fresh(workspace_id, journeys, today)
    with transaction.atomic():
        lock_workspace_metrics(workspace_id)
        if connection.vendor == "postgresql":
            with hash_joins():
                execute(_merge(workspace_id, journeys, fresh, now))
        else:
            _replace(workspace_id, journeys, fresh, now)
        # The workspace's days (a few hundred rows): the sums of its journeys' rows, anew.
        RecoveryCounts.objects.filter(workspace_id=workspace_id, scope=WORKSPACE).delete()
        execute(
            sql(
                'INSERT INTO {rows} (workspace_id, journey_id, scope, "key", "day", {columns}, '
                "computed_at) SELECT %s, NULL, %s, '', d.\"day\", {sums}, %s FROM {rows} d "
                'WHERE d.workspace_id = %s AND d.scope = %s GROUP BY d."day" ORDER BY d."day"',
                workspace_id,
                WORKSPACE,
                now,
                workspace_id,
                JOURNEY,
                rows=ROWS,
                columns=COLUMNS,
                sums=SUMS,
            )
        )


def _plain(names: tuple[str, ...]) -> Sql:
    """Column aliases of the statement's own (fixed in this module, never from input)."""
    return Identifiers(*names).each("{name}", names)


# --- the recovery effect -----------------------------------------------------------------------


def _outcomes(workspace_id: int) -> pd.Series:
    """The outcome code of each answer's follow-up, by answer id. A record's follow-up is among
    them (no join with the answers to leave it out, which cost a pass over every answer): the
    effect looks up the outcomes of impact_answers' answers only, which are survey answers."""
    code = Case(
        *(When(status=s, then=Value(c)) for s, c in OUTCOME_CODES.items()),
        default=Value(NONE),
        output_field=IntegerField(),
    )
    frame = _load(
        FollowUp.objects.filter(workspace_id=workspace_id)
        .annotate(code=code)
        .values_list("response_id", "code"),
        {"answer": "int8", "outcome": "int8"},
    )
    return pd.Series(frame["outcome"].to_numpy(), index=frame["answer"].to_numpy())


def effect_groups(latest: pd.DataFrame, outcomes: pd.Series) -> pd.DataFrame:
    """The customers of the effect, one row per scope and customer: ``journey_id`` (-1 for the
    workspace), ``outcome``, ``retained``. ``latest`` is impact_answers' frame with the answer's
    ``journey_id``."""
    pain = latest[latest["experience"] == IMPACT_CODES[Experience.PAIN]]
    pain = pain.assign(outcome=pain["pk"].map(outcomes).fillna(NONE).astype("int64")).sort_values(
        ["submitted_at", "pk"]
    )
    per_journey = pain.drop_duplicates(["journey_id", "customer"], keep="last")
    per_workspace = pain.drop_duplicates(["customer"], keep="last").assign(journey_id=-1)
    units = pd.concat([per_journey, per_workspace], ignore_index=True)
    return units[units["outcome"].isin([RECOVERED, NOT_RECOVERED, NONE])][
        ["journey_id", "customer", "outcome", "retained"]
    ]


def recompute_recovery_effect(
    workspace_id: int,
    *,
    activity: tuple[pd.DataFrame, str] | None = None,
    answers: tuple[pd.DataFrame, str] | None = None,
) -> int:
    """Rewrite the workspace's recovery-effect rows (:func:`impact_answers`, or ``answers`` when
    the caller has them already). Returns the number of rows."""
    latest, basis = answers or impact_answers(workspace_id, activity=activity)
    now = timezone.now()
    rows: list[RecoveryEffect] = []
    if not latest.empty:
        journey_of = dict(
            Touchpoint.objects.filter(journey__workspace_id=workspace_id).values_list(
                "pk", "journey_id"
            )
        )
        latest = latest.assign(journey_id=latest["touchpoint_id"].map(journey_of))
        latest = latest[latest["journey_id"].notna()].astype({"journey_id": "int64"})
        units = effect_groups(latest, _outcomes(workspace_id))
        min_sample = Workspace.objects.values_list("min_sample", flat=True).get(pk=workspace_id)
        units = units.assign(
            recovered=units["outcome"] == RECOVERED,
            unrecovered=units["outcome"] == NOT_RECOVERED,
            back=units["retained"].astype(bool),
        )
        for journey_id, group in units.groupby("journey_id", sort=True):
            recovered, other = group[group["recovered"]], group[~group["recovered"]]
            result = compute.impact(
                len(recovered),
                int(recovered["back"].sum()),
                len(other),
                int(other["back"].sum()),
                min_sample=min_sample,
            )
            rows.append(
                RecoveryEffect(
                    workspace_id=workspace_id,
                    journey_id=None if journey_id == -1 else int(journey_id),
                    basis=basis,
                    window_days=IMPACT_WINDOW_DAYS,
                    recovered_n=result.glory_n,
                    recovered_returned=result.glory_retained,
                    other_n=result.pain_n,
                    other_returned=result.pain_retained,
                    not_recovered_n=int(group["unrecovered"].sum()),
                    difference=result.difference,
                    low=result.low,
                    high=result.high,
                    enough=result.enough,
                    computed_at=now,
                )
            )
    with transaction.atomic():
        RecoveryEffect.objects.filter(workspace_id=workspace_id).delete()
        RecoveryEffect.objects.bulk_create(rows)
    return len(rows)
