"""The moment dashboard's numbers: stored metric rows summed in SQL, derived by metrics.compute.

A fixed number of queries whatever the number of answers or touchpoints:

- the touchpoints in scope (journey, stage, owner), in map order;
- the period's counts per touchpoint: ``SUM`` of the touchpoint daily rows grouped by touchpoint,
  the current and the previous period of equal length in the same pass (the all-time rows when
  the period is "all time"). KPI tiles, the heatmap, the emotion curve, weakest and forgettable
  moments and the CSV all add these (at most one row per touchpoint) in Python;
- the trend: ``SUM`` of daily rows grouped by day, week or month: the workspace's or journey's
  own rows, or, with a channel or moment filter, the matching touchpoints' rows;
- retention cohorts, the churn summary, moment impact and the last run: stored rows as they are;
- the pain comments: the one read of answers, a few per moment, each an index scan with LIMIT.

Daily rows never reach Python, and only the touchpoint and workspace/journey daily rows are read
(the engine may stop storing daily rows of stages and MOT stages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Response
from journeys.models import Journey, MotStage, Touchpoint
from journeys.selectors import NO_MOMENT
from metrics import compute
from metrics.models import (
    MomentCounts,
    MomentImpact,
    RecomputeRun,
    RetentionCohort,
    RetentionSummary,
    Scope,
)
from mot.models import Workspace

COUNT_FIELDS = tuple(f.name for f in fields(compute.Counts))
GRANULARITIES = ("day", "week", "month")
PAIN_MOMENTS = 5  # moments whose latest pain comments the page shows
PAIN_PER_MOMENT = 3


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

    touchpoint: Touchpoint
    counts: compute.Counts
    moment: compute.Moment
    nps: compute.Nps
    csat: compute.Csat


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
    answers: list[Response]


@dataclass(frozen=True)
class ImpactRow:
    touchpoint: Touchpoint
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
    """The journeys of the filter (archived ones too: their answers count in the workspace)."""
    return list(
        Journey.objects.filter(workspace_id=workspace_id)
        .only("pk", "name", "archived", "workspace_id")
        .order_by("archived", "name", "pk")
    )


def _touchpoints(workspace_id: int, journey_id: int | None) -> list[Touchpoint]:
    qs = Touchpoint.objects.filter(journey__workspace_id=workspace_id)
    if journey_id is not None:
        qs = qs.filter(journey_id=journey_id)
    return list(
        qs.select_related("journey", "stage", "owner__user")
        .only(
            "pk",
            "title",
            "code",
            "channel",
            "mot_stage",
            "phase",
            "position",
            "journey__name",
            "journey__archived",
            "journey__workspace_id",
            "stage__name",
            "stage__position",
            "owner__user__first_name",
            "owner__user__last_name",
            "owner__user__email",
            "owner__user__username",
        )
        .order_by("journey__archived", "journey__name", "journey_id", "stage__position", "position")
    )


def _sums(prefix: str = "", condition: Q | None = None) -> dict[str, Sum]:
    return {f"{prefix}{name}": Sum(name, filter=condition, default=0) for name in COUNT_FIELDS}


def _counts(values: dict, prefix: str = "") -> compute.Counts:
    return compute.Counts(*(int(values[f"{prefix}{name}"]) for name in COUNT_FIELDS))


def _scoped(workspace_id: int, journey_id: int | None, scope: str):
    rows = MomentCounts.objects.filter(workspace_id=workspace_id, scope=scope)
    if journey_id is not None:
        rows = rows.filter(journey_id=journey_id)
    return rows


def period_counts(
    *, workspace_id: int, journey_id: int | None, period: Period
) -> dict[int, tuple[compute.Counts, compute.Counts | None]]:
    """Per touchpoint id: its counts over the period and over the previous period of equal
    length (``None`` for all time). One query; a touchpoint without answers is absent."""
    rows = _scoped(workspace_id, journey_id, Scope.TOUCHPOINT).order_by()
    previous = period.previous()
    if previous is None:
        values = rows.filter(day__isnull=True).values("key", *COUNT_FIELDS)
        return {int(v["key"]): (_counts(v), None) for v in values}
    now = Q(day__gte=period.start)
    values = (
        rows.filter(day__gte=previous.start, day__lte=period.end)
        .values("key")
        .annotate(**_sums("c_", now), **_sums("p_", ~now))
    )
    return {int(v["key"]): (_counts(v, "c_"), _counts(v, "p_")) for v in values}


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
) -> list[tuple[date, compute.Counts]]:
    """Counts per day, week (from Monday) or month of the period, oldest first: the workspace's
    or journey's daily rows, or the given touchpoints' when ``touchpoint_ids`` is not None."""
    if touchpoint_ids is not None:
        rows = _scoped(workspace_id, journey_id, Scope.TOUCHPOINT).filter(
            key__in=[str(pk) for pk in touchpoint_ids]
        )
    elif journey_id is not None:
        rows = _scoped(workspace_id, journey_id, Scope.JOURNEY).filter(key=str(journey_id))
    else:
        rows = _scoped(workspace_id, None, Scope.WORKSPACE).filter(key="")
    if period.all_time:
        rows = rows.filter(day__isnull=False)
    else:
        rows = rows.filter(day__gte=period.start, day__lte=period.end)
    values = (
        rows.order_by()
        .annotate(bucket=_BUCKETS[bucket]())
        .values("bucket")
        .annotate(**_sums())
        .order_by("bucket")
    )
    return [(_as_date(v["bucket"]), _counts(v)) for v in values]


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def pain_comments(
    *, moments: list[MomentRow], period: Period, per_moment: int = PAIN_PER_MOMENT
) -> dict[int, list[Response]]:
    """The latest pain answers with a comment of each moment, per touchpoint id, newest first.

    Two queries: each moment's latest ids come from correlated subqueries, each a backward scan
    of the ``(touchpoint, submitted_at)`` index stopped by its LIMIT; then those answers by id.
    """
    if not moments:
        return {}
    latest = Response.objects.filter(
        touchpoint_id=OuterRef("pk"), experience=Experience.PAIN
    ).exclude(comment="")
    if not period.all_time:
        latest = latest.filter(
            submitted_at__gte=_start_of(period.start),
            submitted_at__lt=_start_of(period.end + timedelta(days=1)),
        )
    latest = latest.order_by("-submitted_at").values("pk")
    picks = (
        Touchpoint.objects.filter(pk__in=[m.touchpoint.pk for m in moments])
        .annotate(**{f"c{i}": Subquery(latest[i : i + 1]) for i in range(per_moment)})
        .values_list(*(f"c{i}" for i in range(per_moment)))
    )
    ids = [pk for row in picks for pk in row if pk is not None]
    found: dict[int, list[Response]] = {}
    if not ids:
        return found
    answers = (
        Response.objects.filter(pk__in=ids)
        .only("pk", "touchpoint_id", "submitted_at", "nps", "csat", "comment", "language")
        .order_by("-submitted_at", "-pk")
    )
    for answer in answers:
        found.setdefault(answer.touchpoint_id, []).append(answer)
    return found


# --- assembling ----------------------------------------------------------------------------


def moment_rows(
    touchpoints: list[Touchpoint],
    counts: dict[int, tuple[compute.Counts, compute.Counts | None]],
    filters: DashboardFilter,
    *,
    min_sample: int,
) -> tuple[list[MomentRow], compute.Counts, compute.Counts | None]:
    """The matching touchpoints with their period numbers (map order), and the period totals."""
    rows: list[MomentRow] = []
    current, previous = compute.Counts(), compute.Counts()
    empty = compute.Counts()
    for tp in touchpoints:
        if not filters.matches(tp):
            continue
        now, before = counts.get(tp.pk, (empty, None))
        current += now
        previous += before or empty
        rows.append(
            MomentRow(
                touchpoint=tp,
                counts=now,
                moment=compute.moment(now, min_sample=min_sample),
                nps=compute.nps(now, min_sample=min_sample),
                csat=compute.csat(now, min_sample=min_sample),
            )
        )
    return rows, current, (previous if filters.period.previous() else None)


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
        rows.setdefault(key, tp.stage.name if by_stage else tp.journey.name)
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


def impact_rows(impacts: Iterable[MomentImpact], moments: list[MomentRow]) -> list[ImpactRow]:
    """Moment impact of the matching touchpoints: trustworthy ones first, the moment that costs
    most customers (largest glory-minus-pain retention difference) on top."""
    touchpoints = {m.touchpoint.pk: m.touchpoint for m in moments}
    rows = [
        ImpactRow(touchpoints[i.touchpoint_id], i)
        for i in impacts
        if i.touchpoint_id in touchpoints and i.difference is not None
    ]
    return sorted(rows, key=lambda r: (not r.impact.enough, -r.impact.difference))


def dashboard(
    *, workspace: Workspace, journey: Journey | None, filters: DashboardFilter
) -> Dashboard:
    """Everything the dashboard page shows, for the workspace or one of its journeys."""
    min_sample = workspace.min_sample
    journey_id = journey.pk if journey else None
    touchpoints = _touchpoints(workspace.pk, journey_id)
    counts = period_counts(workspace_id=workspace.pk, journey_id=journey_id, period=filters.period)
    moments, current, previous = moment_rows(touchpoints, counts, filters, min_sample=min_sample)
    trend = trend_counts(
        workspace_id=workspace.pk,
        journey_id=journey_id,
        period=filters.period,
        bucket=filters.bucket,
        touchpoint_ids=[m.touchpoint.pk for m in moments] if filters.by_touchpoint else None,
    )
    painful = most_painful(moments)
    comments = pain_comments(moments=painful, period=filters.period)
    impacts = MomentImpact.objects.filter(workspace_id=workspace.pk)
    if journey_id is not None:
        impacts = impacts.filter(touchpoint__journey_id=journey_id)
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
        impacts=impact_rows(impacts, moments),
        cohorts=list(
            RetentionCohort.objects.filter(workspace_id=workspace.pk).order_by("cohort", "offset")
        ),
        retention=RetentionSummary.objects.filter(workspace_id=workspace.pk).first(),
        run=RecomputeRun.objects.filter(workspace_id=workspace.pk).first(),
        weakest=per_journey[0].weakest if journey is not None and per_journey else None,
    )


def metric_rows(
    *, workspace: Workspace, journey: Journey | None, filters: DashboardFilter
) -> list[MomentRow]:
    """The per-touchpoint numbers of the CSV export: the page's touchpoints, same filter."""
    journey_id = journey.pk if journey else None
    counts = period_counts(workspace_id=workspace.pk, journey_id=journey_id, period=filters.period)
    touchpoints = _touchpoints(workspace.pk, journey_id)
    return moment_rows(touchpoints, counts, filters, min_sample=workspace.min_sample)[0]
