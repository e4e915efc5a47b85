"""Reading stored metric rows for pages: a fixed number of queries, whatever the data's size."""

from __future__ import annotations

from dataclasses import dataclass

from journeys.models import Journey, Touchpoint
from metrics import compute
from metrics.models import MomentCounts, RecomputeRun, RecoveryEffect, RetentionSummary, Scope
from metrics.read.recovery import Recovery, recovery_by_journey, recovery_effects


def moment_of(row: MomentCounts) -> compute.Moment:
    return compute.Moment(
        glory_share=row.glory_share,
        neutral_share=row.neutral_share,
        pain_share=row.pain_share,
        score=row.moment_score,
        n=row.glory + row.neutral + row.pain,
        enough=row.enough,
    )


@dataclass(frozen=True)
class JourneySummary:
    journey: Journey
    row: MomentCounts | None
    weakest: Touchpoint | None
    weakest_row: MomentCounts | None
    forgettable: list[Touchpoint]
    recovery: Recovery  # its follow-ups, all time
    recovery_effect: RecoveryEffect | None


@dataclass(frozen=True)
class Overview:
    workspace_row: MomentCounts | None
    journeys: list[JourneySummary]
    run: RecomputeRun | None
    retention: RetentionSummary | None
    recovery: Recovery  # the workspace's follow-ups, all time
    recovery_effect: RecoveryEffect | None


def metrics_overview(*, workspace_id: int) -> Overview:
    """The workspace's all-time numbers and each active journey's, with its weakest and
    forgettable moments (product.md), and their follow-ups' recovery, from the stored rows:
    seven queries."""
    rows = list(
        MomentCounts.objects.filter(
            workspace_id=workspace_id,
            day__isnull=True,
            scope__in=[Scope.WORKSPACE, Scope.JOURNEY, Scope.TOUCHPOINT],
        )
    )
    journeys = list(
        Journey.objects.filter(workspace_id=workspace_id, archived=False).order_by("name")
    )
    touchpoints = {
        tp.pk: tp
        for tp in Touchpoint.objects.filter(journey__in=journeys).order_by(
            "journey_id", "stage__position", "position"
        )
    }
    workspace_row = next((r for r in rows if r.scope == Scope.WORKSPACE), None)
    by_journey = {r.journey_id: r for r in rows if r.scope == Scope.JOURNEY}
    moments: dict[int, dict[int, compute.Moment]] = {}
    touchpoint_rows: dict[int, MomentCounts] = {}
    for row in rows:
        if row.scope == Scope.TOUCHPOINT and int(row.key) in touchpoints:
            touchpoint_rows[int(row.key)] = row
    for pk, tp in touchpoints.items():  # map order, so ties go to the earlier moment
        if pk in touchpoint_rows:
            moments.setdefault(tp.journey_id, {})[pk] = moment_of(touchpoint_rows[pk])
    recovery, journey_recovery = recovery_by_journey(workspace_id=workspace_id)
    effects = recovery_effects(workspace_id=workspace_id)
    summaries = []
    for journey in journeys:
        own = moments.get(journey.pk, {})
        weakest = compute.weakest(own)
        summaries.append(
            JourneySummary(
                journey=journey,
                row=by_journey.get(journey.pk),
                weakest=touchpoints.get(weakest) if weakest else None,
                weakest_row=touchpoint_rows.get(weakest) if weakest else None,
                forgettable=[touchpoints[pk] for pk in compute.forgettable(own)],
                recovery=journey_recovery.get(journey.pk, Recovery()),
                recovery_effect=effects.get(journey.pk),
            )
        )
    return Overview(
        workspace_row=workspace_row,
        journeys=summaries,
        run=last_run(workspace_id=workspace_id),
        retention=retention_summary(workspace_id=workspace_id),
        recovery=recovery,
        recovery_effect=effects.get(None),
    )


def last_run(*, workspace_id: int) -> RecomputeRun | None:
    """The workspace's recompute run: its progress while it runs, when the numbers were
    computed once it is done (the overview and the dashboard show it)."""
    return RecomputeRun.objects.filter(workspace_id=workspace_id).first()


def retention_summary(*, workspace_id: int) -> RetentionSummary | None:
    """The workspace's churn summary, as the last run stored it."""
    return RetentionSummary.objects.filter(workspace_id=workspace_id).first()
