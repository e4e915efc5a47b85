"""The moment dashboard's reads: stored metric rows summed in SQL, and the few answers it shows.

A fixed number of queries whatever the number of answers or touchpoints:

- the touchpoints in scope (journey, stage, owner), in map order;
- the period's counts per touchpoint: ``SUM`` grouped by touchpoint of the month rows of the
  whole months inside the period and of the touchpoint daily rows of the days around them (the
  all-time rows when the period is "all time"): a year is about 12 + 30 rows per touchpoint, not
  365. KPI tiles, the heatmap, the emotion curve, weakest and forgettable moments and the CSV all
  add these (one row per touchpoint) in Python (metrics/summaries.py);
- the trend and the previous period's total: ``SUM`` of daily rows grouped by day, week or month
  and by period (current or previous): the workspace's or journey's own rows, or, with a channel
  or moment filter, the matching touchpoints' rows. Only the current period's KPIs need the
  per-touchpoint split, so the previous period is read from the few workspace/journey rows;
- retention cohorts, the churn summary, moment impact and the last run: stored rows as they are;
- the pain comments: the one read of answers, a few per moment, each an index scan with LIMIT
  (metrics/read/answers.py).

Daily rows never reach Python, and only the touchpoint and workspace/journey daily rows are read
(the engine may stop storing daily rows of stages and MOT stages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import BooleanField, Case, F, Sum, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from journeys.filters import NO_MOMENT
from journeys.models import Journey, Touchpoint
from metrics import compute
from metrics.models import MomentCounts, MomentImpact, RetentionCohort, Scope
from metrics.read.answers import PainAnswer, latest_pain_answers
from mot.models import person_name

COUNT_FIELDS = compute.COUNT_FIELDS
GRANULARITIES = ("day", "week", "month")
PAIN_PER_MOMENT = 3  # latest pain comments shown per moment
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
    # Only the answers of customers of this segment (case aside), aggregated on demand
    # (metrics.read.segments): the tiles, trend, heatmap, moments and pain comments.
    segment: str = ""

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


def touchpoint_infos(
    *, workspace_id: int, journeys: list[Journey], journey_id: int | None
) -> list[TouchpointInfo]:
    """The touchpoints of the workspace (or of one journey), in map order: journeys as in the
    filter (``journeys``, from :func:`workspace_journeys`), then stage and position."""
    by_id = {j.pk: j for j in journeys}
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
        if jid in by_id:  # a journey created since the filter's list: next time
            name = person_name(*person) if owner else ""
            infos.append(
                TouchpointInfo(pk, title, code, channel, mot, by_id[jid], stage_id, stage, name)
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


# The counts are named in the statement (a fixed text: only values are parameters) and read
# back by name. An absent journey filters nothing: "NULL IS NULL" is folded away when planned.
_PERIOD_COUNTS_SQL = """
SELECT u.tp, SUM(u.answers) AS answers, SUM(u.promoters) AS promoters,
    SUM(u.passives) AS passives, SUM(u.detractors) AS detractors,
    SUM(u.csat_answers) AS csat_answers, SUM(u.csat_top2) AS csat_top2,
    SUM(u.csat_sum) AS csat_sum, SUM(u.ces_answers) AS ces_answers,
    SUM(u.ces_easy) AS ces_easy, SUM(u.ces_sum) AS ces_sum, SUM(u.glory) AS glory,
    SUM(u.neutral) AS neutral, SUM(u.pain) AS pain
FROM (
    SELECT CAST(d."key" AS BIGINT) AS tp, d.answers, d.promoters, d.passives, d.detractors,
        d.csat_answers, d.csat_top2, d.csat_sum, d.ces_answers, d.ces_easy, d.ces_sum,
        d.glory, d.neutral, d.pain
    FROM metrics_momentcounts d
    WHERE d.workspace_id = %(workspace)s AND d.scope = %(scope)s AND d."day" IS NOT NULL
      AND (CAST(%(journey)s AS BIGINT) IS NULL OR d.journey_id = %(journey)s)
      AND ((d."day" >= %(before_first)s AND d."day" <= %(before_last)s)
        OR (d."day" >= %(after_first)s AND d."day" <= %(after_last)s))
    UNION ALL
    SELECT m.touchpoint_id, m.answers, m.promoters, m.passives, m.detractors,
        m.csat_answers, m.csat_top2, m.csat_sum, m.ces_answers, m.ces_easy, m.ces_sum,
        m.glory, m.neutral, m.pain
    FROM metrics_monthcounts m
    WHERE m.workspace_id = %(workspace)s
      AND (CAST(%(journey)s AS BIGINT) IS NULL OR m.journey_id = %(journey)s)
      AND m.month >= %(first_month)s AND m.month <= %(last_month)s
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
    day = connection.ops.adapt_datefield_value
    params = {
        "workspace": workspace_id,
        "scope": Scope.TOUCHPOINT.value,
        "journey": journey_id,
        "before_first": day(before[0]),
        "before_last": day(before[1]),
        "after_first": day(after[0]),
        "after_last": day(after[1]),
        "first_month": day(months[0]),
        "last_month": day(months[1]),
    }
    with connection.cursor() as cursor:
        cursor.execute(_PERIOD_COUNTS_SQL, params)
        names = [column[0] for column in cursor.description[1:]]
        return {
            int(tp): compute.Counts(**dict(zip(names, map(int, values), strict=True)))
            for tp, *values in cursor.fetchall()
        }


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
    touchpoint_ids: Iterable[int],
    period: Period,
    per_moment: int = PAIN_PER_MOMENT,
    segment: str = "",
) -> dict[int, list[PainAnswer]]:
    """The latest pain answers with a comment of each touchpoint in the period, per touchpoint
    id, newest first: one query (:func:`metrics.read.answers.latest_pain_answers`)."""
    bounds = {}
    if not period.all_time:
        until = _start_of(period.end + timedelta(days=1))
        bounds = {"since": _start_of(period.start), "until": until}
    return latest_pain_answers(
        workspace_id=workspace_id,
        touchpoint_ids=list(touchpoint_ids),
        per_touchpoint=per_moment,
        commented=True,
        segment=segment,
        **bounds,
    )


@dataclass(frozen=True)
class ImpactRow:
    touchpoint: TouchpointInfo
    impact: MomentImpact


def impact_rows(
    *, workspace_id: int, filters: DashboardFilter, touchpoints: Iterable[TouchpointInfo]
) -> list[ImpactRow]:
    """Moment impact of the given touchpoints (those matching the filters), at most
    ``MAX_IMPACTS``: trustworthy ones first, the moment that costs most customers (largest
    glory-minus-pain retention difference) on top. One query, sorted and cut by the database."""
    touchpoints = {tp.pk: tp for tp in touchpoints}
    rows = MomentImpact.objects.filter(workspace_id=workspace_id, difference__isnull=False)
    if filters.journey_id is not None:
        rows = rows.filter(touchpoint__journey_id=filters.journey_id)
    if filters.by_touchpoint:
        rows = rows.filter(touchpoint_id__in=list(touchpoints))
    rows = rows.order_by("-enough", "-difference", "touchpoint_id")[:MAX_IMPACTS]
    return [
        ImpactRow(touchpoints[i.touchpoint_id], i) for i in rows if i.touchpoint_id in touchpoints
    ]


def retention_cohorts(*, workspace_id: int) -> list[RetentionCohort]:
    """Every cohort's share of active customers per month since: one query."""
    return list(
        RetentionCohort.objects.filter(workspace_id=workspace_id).order_by("cohort", "offset")
    )
