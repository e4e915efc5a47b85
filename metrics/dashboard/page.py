"""The dashboard page's content, assembled: its reads (metrics/read/dashboard.py) put through its
calculations (metrics/summaries.py). A fixed number of queries whatever the data's size."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from journeys.models import Journey
from metrics.dashboard.expectations import ExpectationPanel, coverages, expectation_panel
from metrics.expectations import Coverage
from metrics.models import RecomputeRun, RetentionCohort, RetentionSummary
from metrics.read.answers import PainAnswer
from metrics.read.dashboard import (
    DashboardFilter,
    ImpactRow,
    impact_rows,
    pain_comments,
    period_counts,
    retention_cohorts,
    touchpoint_infos,
    trend_counts,
)
from metrics.read.expectations import expectation_sums
from metrics.read.overview import last_run, retention_summary
from metrics.read.recovery import recovery_by_touchpoint, recovery_effect
from metrics.read.segments import segment_period_counts, segment_trend_counts
from metrics.summaries import (
    Heatmap,
    Kpis,
    MomentRow,
    RecoveryPanel,
    TrendPoint,
    WeakMoments,
    heatmap,
    kpis,
    moment_rows,
    most_painful,
    recovery_panel,
    trend_points,
    weak_moments,
)
from metrics.themes.read import Theme, top_themes
from mot.models import Workspace


@dataclass(frozen=True)
class PainComments:
    moment: MomentRow
    answers: list[PainAnswer]


@dataclass(frozen=True)
class Dashboard:
    filters: DashboardFilter
    min_sample: int
    journey: Journey | None
    moments: list[MomentRow]  # touchpoints in scope matching the filters, map order
    kpis: Kpis
    trend: list[TrendPoint]
    heatmap: Heatmap
    journey_moments: list[WeakMoments]
    pain: list[PainComments]
    impacts: list[ImpactRow]  # enough first, biggest difference first
    cohorts: list[RetentionCohort]
    retention: RetentionSummary | None
    run: RecomputeRun | None
    recovery: RecoveryPanel
    expectations: ExpectationPanel
    coverage: dict[int, Coverage[int]]  # per journey id: its blind spots and coverage
    weakest: MomentRow | None = field(default=None)  # of the selected journey
    # The top comment themes of each journey's weakest moment, by touchpoint id.
    weakest_themes: dict[int, list[Theme]] = field(default_factory=dict)


def _counts(workspace_id: int, journey_id: int | None, filters: DashboardFilter):
    """Per touchpoint, its counts in the period: the stored rows, or the segment's answers."""
    if filters.segment:
        return segment_period_counts(
            workspace_id=workspace_id,
            journey_id=journey_id,
            period=filters.period,
            segment=filters.segment,
        )
    return period_counts(workspace_id=workspace_id, journey_id=journey_id, period=filters.period)


def _trend(filters: DashboardFilter):
    """The trend's reader: the stored rows, or the segment's answers."""
    if filters.segment:
        return partial(segment_trend_counts, segment=filters.segment)
    return trend_counts


def dashboard(
    *,
    workspace: Workspace,
    journeys: list[Journey],
    journey: Journey | None,
    filters: DashboardFilter,
) -> Dashboard:
    """Everything the dashboard page shows, for the workspace or one of its journeys;
    ``journeys`` are the workspace's (``workspace_journeys``, which the filter reads too)."""
    min_sample = workspace.min_sample
    journey_id = journey.pk if journey else None
    touchpoints = touchpoint_infos(
        workspace_id=workspace.pk, journeys=journeys, journey_id=journey_id
    )
    counts = _counts(workspace.pk, journey_id, filters)
    moments, current = moment_rows(touchpoints, counts, filters, min_sample=min_sample)
    trend, previous = _trend(filters)(
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
    comments = pain_comments(
        workspace_id=workspace.pk,
        touchpoint_ids=[m.touchpoint.pk for m in painful],
        period=filters.period,
        segment=filters.segment,
    )
    per_journey = weak_moments(moments)
    period = filters.period
    sums = expectation_sums(workspace_id=workspace.pk, period=period, journey_id=journey_id)
    recovery = recovery_by_touchpoint(
        workspace_id=workspace.pk, journey_id=journey_id, start=period.start, end=period.end
    )
    return Dashboard(
        filters=filters,
        min_sample=min_sample,
        journey=journey,
        moments=moments,
        kpis=kpis(current, previous, min_sample=min_sample),
        trend=trend_points(trend, min_sample=min_sample),
        heatmap=heatmap(moments, by_stage=journey is not None, min_sample=min_sample),
        journey_moments=per_journey,
        pain=[PainComments(m, comments.get(m.touchpoint.pk, [])) for m in painful],
        impacts=impact_rows(
            workspace_id=workspace.pk,
            filters=filters,
            touchpoints=[m.touchpoint for m in moments],
        ),
        cohorts=retention_cohorts(workspace_id=workspace.pk),
        retention=retention_summary(workspace_id=workspace.pk),
        run=last_run(workspace_id=workspace.pk),
        recovery=recovery_panel(
            [m.touchpoint for m in moments],
            recovery,
            recovery_effect(workspace_id=workspace.pk, journey_id=journey_id),
        ),
        expectations=expectation_panel(moments, sums, min_sample=min_sample),
        coverage=coverages(moments),
        weakest=per_journey[0].weakest if journey is not None and per_journey else None,
        weakest_themes=top_themes(
            workspace_id=workspace.pk,
            touchpoint_ids=[jm.weakest.touchpoint.pk for jm in per_journey if jm.weakest],
            period=period,
        ),
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
    counts = _counts(workspace.pk, journey_id, filters)
    touchpoints = touchpoint_infos(
        workspace_id=workspace.pk, journeys=journeys, journey_id=journey_id
    )
    return moment_rows(touchpoints, counts, filters, min_sample=workspace.min_sample)[0]
