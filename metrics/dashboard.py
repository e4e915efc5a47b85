"""The moment dashboard's numbers: stored metric rows summed in SQL, derived by metrics.compute.

A fixed number of queries whatever the number of answers or touchpoints:

- the touchpoints in scope (journey, stage, owner), in map order;
- the period's counts per touchpoint: ``SUM`` grouped by touchpoint of the month rows of the
  whole months inside the period and of the touchpoint daily rows of the days around them (the
  all-time rows when the period is "all time"): a year is about 12 + 30 rows per touchpoint, not
  365. KPI tiles, the heatmap, the emotion curve, weakest and forgettable moments and the CSV all
  add these (one row per touchpoint) in Python;
- the trend and the previous period's total: ``SUM`` of daily rows grouped by day, week or month
  and by period (current or previous): the workspace's or journey's own rows, or, with a channel
  or moment filter, the matching touchpoints' rows. Only the current period's KPIs need the
  per-touchpoint split, so the previous period is read from the few workspace/journey rows;
- retention cohorts, the churn summary, moment impact and the last run: stored rows as they are;
- the pain comments: the one read of answers, a few per moment, each an index scan with LIMIT
  (metrics.read.answers).

Daily rows never reach Python, and only the touchpoint and workspace/journey daily rows are read
(the engine may stop storing daily rows of stages and MOT stages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from journeys.models import Journey, MotStage, Touchpoint
from journeys.selectors import NO_MOMENT
from metrics import compute
from metrics.models import (
    MomentCounts,
    MomentImpact,
    MonthCounts,
    RecomputeRun,
    RetentionCohort,
    RetentionSummary,
    Scope,
)
from metrics.read.answers import PainAnswer, latest_pain_answers
from mot.models import Workspace, person_name

COUNT_FIELDS = compute.COUNT_FIELDS
GRANULARITIES = ("day", "week", "month")
PAIN_MOMENTS = 5  # moments whose latest pain comments the page shows
PAIN_PER_MOMENT = 3
MAX_IMPACTS = 15  # moments in the impact chart and its table


# --- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included; both ``None`` for all time."""

    start: date | None = None
    end: date | None = None

    @property
    def all_time(self) -> bool:
        return self.start is None or self.end is None

    @property
    def days(self) -> int | None:
        return None if self.all_time else (self.end - self.start).days + 1

    def previous(self) -> Period | None:
        """The period of equal length just before this one (none before all time)."""
        if self.all_time:
            return None
        try:
            return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        except OverflowError:
            return None

    @classmethod
    def last(cls, days: int, *, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today)


def default_granularity(period: Period) -> str:
    if period.all_time or period.days > 400:
        return "month"
    return "day" if period.days <= 45 else "week"


@dataclass(frozen=True, kw_only=True)
class DashboardFilter:
    period: Period
    journey_id: int | None = None
    channel: str = ""  # a Channel value or ""
    mot_stage: str = ""  # a MotStage value, NO_MOMENT, or "" for any
    granularity: str = ""  # day, week, month; "" picks one for the period

    @property
    def by_touchpoint(self) -> bool:
        """Filters that only the touchpoint rows can answer."""
        return bool(self.channel or self.mot_stage)

    @property
    def bucket(self) -> str:
        if self.granularity in GRANULARITIES:
            return self.granularity
        return default_granularity(self.period)

    def matches(self, tp: Touchpoint) -> bool:
        if self.channel and tp.channel != self.channel:
            return False
        if self.mot_stage == NO_MOMENT:
            return tp.mot_stage == ""
        return not self.mot_stage or tp.mot_stage == self.mot_stage


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MomentRow:
    """One touchpoint over the period."""

    touchpoint: TouchpointInfo
    counts: compute.Counts
    moment: compute.Moment
    min_sample: int

    # NPS and CSAT per touchpoint only for the CSV: derived when asked.
    @cached_property
    def nps(self) -> compute.Nps:
        return compute.nps(self.counts, min_sample=self.min_sample)

    @cached_property
    def csat(self) -> compute.Csat:
        return compute.csat(self.counts, min_sample=self.min_sample)


@dataclass(frozen=True)
class Kpis:
    current: compute.Counts
    previous: compute.Counts | None  # None: all time has no previous period
    nps: compute.Nps
    moment: compute.Moment
    csat: compute.Csat
    nps_change: compute.Change | None
    moment_change: compute.Change | None
    csat_change: compute.Change | None
    csat_mean_previous: float | None

    @property
    def answers_change(self) -> int | None:
        return None if self.previous is None else self.current.answers - self.previous.answers


@dataclass(frozen=True)
class TrendPoint:
    start: date  # first day of the day, week or month
    counts: compute.Counts
    nps: compute.Nps
    moment: compute.Moment


@dataclass(frozen=True)
class HeatCell:
    row: int  # journey or stage id
    column: str  # MOT stage code, "" for untagged
    counts: compute.Counts
    moment: compute.Moment


@dataclass(frozen=True)
class Heatmap:
    by: str  # "journey" (workspace) or "stage" (one journey): what a row is
    rows: list[tuple[int, str]]  # (id, label) in map order
    columns: list[tuple[str, str]]  # (MOT code, label); "" is "no moment"
    cells: dict[tuple[int, str], HeatCell]

    def cell(self, row: int, column: str) -> HeatCell | None:
        return self.cells.get((row, column))


@dataclass(frozen=True)
class JourneyMoments:
    journey: Journey
    weakest: MomentRow | None
    forgettable: list[MomentRow]


@dataclass(frozen=True)
class PainComments:
    moment: MomentRow
    answers: list[PainAnswer]


@dataclass(frozen=True)
class ImpactRow:
    touchpoint: TouchpointInfo
    impact: MomentImpact


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilter
    min_sample: int
    journey: Journey | None
    moments: list[MomentRow]  # touchpoints in scope matching the filters, map order
    kpis: Kpis
    trend: list[TrendPoint]
    heatmap: Heatmap
    journey_moments: list[JourneyMoments]
    pain: list[PainComments]
    impacts: list[ImpactRow]  # enough first, biggest difference first
    cohorts: list[RetentionCohort]
    retention: RetentionSummary | None
    run: RecomputeRun | None
    weakest: MomentRow | None = field(default=None)  # of the selected journey


# --- queries -----------------------------------------------------------------------------------


def workspace_journeys(*, workspace_id: int) -> list[Journey]:
    """The journeys of the filter and of the page (archived ones too: their answers count in
    the workspace's numbers)."""
    return list(
        Journey.objects.filter(workspace_id=workspace_id)
        .only("pk", "name", "archived", "workspace_id")
        .order_by("archived", "name", "pk")
    )


@dataclass(frozen=True, slots=True)
class TouchpointInfo:
    """What the dashboard shows of a touchpoint: read as plain values (500 model instances with
    their journey, stage and owner cost more than the page's whole SQL)."""

    pk: int
    title: str
    code: str
    channel: str
    mot_stage: str
    journey: Journey
    stage_id: int
    stage_name: str
    owner_name: str  # "" when nobody owns it

    @property
    def journey_id(self) -> int:
        return self.journey.pk


def _touchpoints(
    workspace_id: int, journeys: dict[int, Journey], journey_id: int | None
) -> list[TouchpointInfo]:
    """The touchpoints of the workspace (or of one journey), in map order: journeys as in the
    filter, then stage and position."""
    qs = Touchpoint.objects.filter(journey__workspace_id=workspace_id)
    if journey_id is not None:
        qs = qs.filter(journey_id=journey_id)
    rows = qs.order_by(
        "journey__archived", "journey__name", "journey_id", "stage__position", "position"
    ).values_list(
        "pk",
        "title",
        "code",
        "channel",
        "mot_stage",
        "journey_id",
        "stage_id",
        "stage__name",
        "owner_id",
        "owner__user__first_name",
        "owner__user__last_name",
        "owner__user__email",
        "owner__user__username",
    )
    infos = []
    for pk, title, code, channel, mot, jid, stage_id, stage, owner, *person in rows:
        if jid in journeys:  # a journey created since the filter's list: next time
            name = person_name(*person) if owner else ""
            infos.append(
                TouchpointInfo(pk, title, code, channel, mot, journeys[jid], stage_id, stage, name)
            )
    return infos


def _sums() -> dict[str, Sum]:
    return {name: Sum(name, default=0) for name in COUNT_FIELDS}


def _counts(values: dict) -> compute.Counts:
    return compute.Counts(*(int(values[name]) for name in COUNT_FIELDS))


def _scoped(workspace_id: int, journey_id: int | None, scope: str):
    rows = MomentCounts.objects.filter(workspace_id=workspace_id, scope=scope)
    if journey_id is not None:
        rows = rows.filter(journey_id=journey_id)
    return rows


def whole_months(period: Period) -> tuple[date, date] | None:
    """The first days of the first and last calendar months wholly inside the period (None when
    no month is): their counts come from the month rows, the other days' from daily rows."""
    end_month = period.end.replace(day=1)
    try:
        first = period.start if period.start.day == 1 else _next_month(period.start)
        whole_end = _next_month(period.end) - timedelta(days=1) == period.end
    except OverflowError:  # December of the year 9999: no month after it
        return None
    last = end_month if whole_end else (end_month - timedelta(days=1)).replace(day=1)
    return (first, last) if first <= last else None


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


_DAYS_AND_MONTHS = """
SELECT u.tp, {sums} FROM (
    SELECT CAST(d."key" AS BIGINT) AS tp, {daily} FROM {days} d
    WHERE d.workspace_id = %s AND d.scope = %s AND d."day" IS NOT NULL {journey_d}
      AND ((d."day" >= %s AND d."day" <= %s) OR (d."day" >= %s AND d."day" <= %s))
    UNION ALL
    SELECT m.touchpoint_id, {monthly} FROM {months} m
    WHERE m.workspace_id = %s {journey_m} AND m.month >= %s AND m.month <= %s
) u GROUP BY u.tp
"""


def period_counts(
    *, workspace_id: int, journey_id: int | None, period: Period
) -> dict[int, compute.Counts]:
    """Per touchpoint id, its counts over the period, in one query: the month rows of the whole
    months inside the period and the daily rows of the days around them, summed per touchpoint
    (the all-time rows for all time). A touchpoint without answers is absent.

    Written out as SQL: compiling the same query through the ORM took longer than running it.
    """
    if period.all_time:
        rows = _scoped(workspace_id, journey_id, Scope.TOUCHPOINT).order_by()
        values = rows.filter(day__isnull=True).values_list("key", *COUNT_FIELDS)
        return {int(key): compute.Counts(*counts) for key, *counts in values}
    # Two inclusive ranges of days and one of months; (date.max, date.min) is empty, which
    # keeps it one query whatever the period.
    none = (date.max, date.min)
    months = whole_months(period)
    if months is None:
        before, after, months = (period.start, period.end), none, none
    else:
        first, last = months
        before = (period.start, first - timedelta(days=1)) if period.start < first else none
        after_last = _next_month(last) if last < period.end.replace(day=1) else None
        after = (after_last, period.end) if after_last else none
    sql = _DAYS_AND_MONTHS.format(
        sums=", ".join(f"SUM(u.{name})" for name in COUNT_FIELDS),
        daily=", ".join(f"d.{name}" for name in COUNT_FIELDS),
        monthly=", ".join(f"m.{name}" for name in COUNT_FIELDS),
        days=MomentCounts._meta.db_table,
        months=MonthCounts._meta.db_table,
        journey_d="" if journey_id is None else "AND d.journey_id = %s",
        journey_m="" if journey_id is None else "AND m.journey_id = %s",
    )
    day = connection.ops.adapt_datefield_value
    journey = [] if journey_id is None else [journey_id]
    params = [
        workspace_id,
        Scope.TOUCHPOINT.value,
        *journey,
        *map(day, before),
        *map(day, after),
        workspace_id,
        *journey,
        *map(day, months),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(tp): compute.Counts(*map(int, values)) for tp, *values in cursor.fetchall()}


_BUCKETS = {
    "day": lambda: F("day"),
    "week": lambda: TruncWeek("day"),
    "month": lambda: TruncMonth("day"),
}


def trend_counts(
    *,
    workspace_id: int,
    journey_id: int | None,
    period: Period,
    bucket: str,
    touchpoint_ids: Iterable[int] | None = None,
) -> tuple[list[tuple[date, compute.Counts]], compute.Counts | None]:
    """Counts per day, week (from Monday) or month of the period, oldest first, and the total
    of the previous period of equal length (``None`` for all time), in one query grouped by
    bucket and period: the workspace's or journey's daily rows, or the given touchpoints' when
    ``touchpoint_ids`` is not None (a channel or moment filter)."""
    if touchpoint_ids is not None:
        rows = _scoped(workspace_id, journey_id, Scope.TOUCHPOINT).filter(
            key__in=[str(pk) for pk in touchpoint_ids]
        )
    elif journey_id is not None:
        rows = _scoped(workspace_id, journey_id, Scope.JOURNEY).filter(key=str(journey_id))
    else:
        rows = _scoped(workspace_id, None, Scope.WORKSPACE).filter(key="")
    previous = period.previous()
    if period.all_time:
        rows = rows.filter(day__isnull=False).annotate(current=Value(True))
    else:
        rows = rows.filter(day__gte=(previous or period).start, day__lte=period.end).annotate(
            current=Case(
                When(day__gte=period.start, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    values = (
        rows.order_by()
        .annotate(bucket=_BUCKETS[bucket]())
        .values("bucket", "current")
        .annotate(**_sums())
        .order_by("bucket")
    )
    trend, before = [], compute.Counts()
    for v in values:
        if v["current"]:
            trend.append((_as_date(v["bucket"]), _counts(v)))
        else:
            before += _counts(v)
    return trend, (before if previous is not None else None)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def pain_comments(
    *,
    workspace_id: int,
    moments: list[MomentRow],
    period: Period,
    per_moment: int = PAIN_PER_MOMENT,
) -> dict[int, list[PainAnswer]]:
    """The latest pain answers with a comment of each moment in the period, per touchpoint id,
    newest first: one query (:func:`metrics.read.answers.latest_pain_answers`)."""
    bounds = {}
    if not period.all_time:
        until = _start_of(period.end + timedelta(days=1))
        bounds = {"since": _start_of(period.start), "until": until}
    return latest_pain_answers(
        workspace_id=workspace_id,
        touchpoint_ids=[m.touchpoint.pk for m in moments],
        per_touchpoint=per_moment,
        commented=True,
        **bounds,
    )


# --- assembling ----------------------------------------------------------------------------


def moment_rows(
    touchpoints: list[TouchpointInfo],
    counts: dict[int, compute.Counts],
    filters: DashboardFilter,
    *,
    min_sample: int,
) -> tuple[list[MomentRow], compute.Counts]:
    """The matching touchpoints with their period numbers (map order), and their total."""
    rows: list[MomentRow] = []
    total = compute.Counts()
    empty = compute.Counts()
    for tp in touchpoints:
        if not filters.matches(tp):
            continue
        now = counts.get(tp.pk, empty)
        total += now
        rows.append(
            MomentRow(
                touchpoint=tp,
                counts=now,
                moment=compute.moment(now, min_sample=min_sample),
                min_sample=min_sample,
            )
        )
    return rows, total


def kpis(current: compute.Counts, previous: compute.Counts | None, *, min_sample: int) -> Kpis:
    changes = (None, None, None)
    mean_before = None
    if previous is not None:
        changes = tuple(
            change(current, previous, min_sample=min_sample)
            for change in (compute.nps_change, compute.moment_change, compute.csat_change)
        )
        mean_before = compute.csat(previous, min_sample=min_sample).mean
    return Kpis(
        current=current,
        previous=previous,
        nps=compute.nps(current, min_sample=min_sample),
        moment=compute.moment(current, min_sample=min_sample),
        csat=compute.csat(current, min_sample=min_sample),
        nps_change=changes[0],
        moment_change=changes[1],
        csat_change=changes[2],
        csat_mean_previous=mean_before,
    )


MOT_COLUMNS = [*MotStage.choices, ("", None)]  # None: labelled by the caller ("no moment")


def heatmap(moments: list[MomentRow], *, by_stage: bool, min_sample: int) -> Heatmap:
    """Moment score per (stage or journey) x MOT stage, summed from the touchpoints."""
    rows: dict[int, str] = {}
    sums: dict[tuple[int, str], compute.Counts] = {}
    for m in moments:
        tp = m.touchpoint
        key = tp.stage_id if by_stage else tp.journey_id
        rows.setdefault(key, tp.stage_name if by_stage else tp.journey.name)
        cell = (key, tp.mot_stage)
        sums[cell] = sums.get(cell, compute.Counts()) + m.counts
    cells = {
        key: HeatCell(key[0], key[1], c, compute.moment(c, min_sample=min_sample))
        for key, c in sums.items()
        if c.answers
    }
    columns = [(code, str(label) if label else "") for code, label in MOT_COLUMNS]
    return Heatmap("stage" if by_stage else "journey", list(rows.items()), columns, cells)


def journey_moments(moments: list[MomentRow]) -> list[JourneyMoments]:
    """Each journey's weakest and forgettable moments (compute.weakest, compute.forgettable),
    in map order so a tie goes to the earlier touchpoint."""
    by_journey: dict[int, dict[int, MomentRow]] = {}
    for m in moments:
        by_journey.setdefault(m.touchpoint.journey_id, {})[m.touchpoint.pk] = m
    result = []
    for rows in by_journey.values():
        scores = {pk: m.moment for pk, m in rows.items()}
        weakest = compute.weakest(scores)
        result.append(
            JourneyMoments(
                journey=next(iter(rows.values())).touchpoint.journey,
                weakest=rows[weakest] if weakest is not None else None,
                forgettable=[rows[pk] for pk in compute.forgettable(scores)],
            )
        )
    return result


def most_painful(moments: list[MomentRow], limit: int = PAIN_MOMENTS) -> list[MomentRow]:
    """The moments with the most pain answers in the period (map order breaks ties)."""
    painful = [m for m in moments if m.counts.pain]
    return sorted(painful, key=lambda m: -m.counts.pain)[:limit]


def impact_rows(
    *, workspace_id: int, filters: DashboardFilter, moments: list[MomentRow]
) -> list[ImpactRow]:
    """Moment impact of the matching touchpoints, at most ``MAX_IMPACTS``: trustworthy ones
    first, the moment that costs most customers (largest glory-minus-pain retention
    difference) on top. One query, sorted and cut by the database."""
    touchpoints = {m.touchpoint.pk: m.touchpoint for m in moments}
    rows = MomentImpact.objects.filter(workspace_id=workspace_id, difference__isnull=False)
    if filters.journey_id is not None:
        rows = rows.filter(touchpoint__journey_id=filters.journey_id)
    if filters.by_touchpoint:
        rows = rows.filter(touchpoint_id__in=list(touchpoints))
    rows = rows.order_by("-enough", "-difference", "touchpoint_id")[:MAX_IMPACTS]
    return [
        ImpactRow(touchpoints[i.touchpoint_id], i) for i in rows if i.touchpoint_id in touchpoints
    ]


def dashboard(
    *,
    workspace: Workspace,
    journeys: list[Journey],
    journey: Journey | None,
    filters: DashboardFilter,
) -> Dashboard:
    """Everything the dashboard page shows, for the workspace or one of its journeys;
    ``journeys`` are the workspace's (:func:`workspace_journeys`, which the filter reads too)."""
    min_sample = workspace.min_sample
    journey_id = journey.pk if journey else None
    touchpoints = _touchpoints(workspace.pk, {j.pk: j for j in journeys}, journey_id)
    counts = period_counts(workspace_id=workspace.pk, journey_id=journey_id, period=filters.period)
    moments, current = moment_rows(touchpoints, counts, filters, min_sample=min_sample)
    trend, previous = trend_counts(
        workspace_id=workspace.pk,
        journey_id=journey_id,
        period=filters.period,
        bucket=filters.bucket,
        # A channel or moment filter that every touchpoint passes reads the few scope rows.
        touchpoint_ids=[m.touchpoint.pk for m in moments]
        if filters.by_touchpoint and len(moments) < len(touchpoints)
        else None,
    )
    painful = most_painful(moments)
    comments = pain_comments(workspace_id=workspace.pk, moments=painful, period=filters.period)
    per_journey = journey_moments(moments)
    return Dashboard(
        filters=filters,
        min_sample=min_sample,
        journey=journey,
        moments=moments,
        kpis=kpis(current, previous, min_sample=min_sample),
        trend=[
            TrendPoint(
                start,
                c,
                compute.nps(c, min_sample=min_sample),
                compute.moment(c, min_sample=min_sample),
            )
            for start, c in trend
        ],
        heatmap=heatmap(moments, by_stage=journey is not None, min_sample=min_sample),
        journey_moments=per_journey,
        pain=[PainComments(m, comments.get(m.touchpoint.pk, [])) for m in painful],
        impacts=impact_rows(workspace_id=workspace.pk, filters=filters, moments=moments),
        cohorts=list(
            RetentionCohort.objects.filter(workspace_id=workspace.pk).order_by("cohort", "offset")
        ),
        retention=RetentionSummary.objects.filter(workspace_id=workspace.pk).first(),
        run=RecomputeRun.objects.filter(workspace_id=workspace.pk).first(),
        weakest=per_journey[0].weakest if journey is not None and per_journey else None,
    )


def metric_rows(
    *,
    workspace: Workspace,
    journeys: list[Journey],
    journey: Journey | None,
    filters: DashboardFilter,
) -> list[MomentRow]:
    """The per-touchpoint numbers of the CSV export: the page's touchpoints, same filter."""
    journey_id = journey.pk if journey else None
    counts = period_counts(workspace_id=workspace.pk, journey_id=journey_id, period=filters.period)
    touchpoints = _touchpoints(workspace.pk, {j.pk: j for j in journeys}, journey_id)
    return moment_rows(touchpoints, counts, filters, min_sample=workspace.min_sample)[0]
