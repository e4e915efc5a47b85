"""Reads of the journey domain, each a fixed number of queries whatever the data's size: the
journeys list, the owners page and my touchpoints (the map's board: journeys/map/selectors.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from journeys.compare import OpportunityRow, Side, StageRow, TouchpointRow
from journeys.filters import NO_MOMENT, OwnerFilters
from journeys.map.cards import MomentLabels
from journeys.models import Journey, LaneItem, LaneKind, Stage, Touchpoint
from metrics.expectations import EXPECTATION_LABELS, Diagnosis, Rating
from metrics.read.answers import PainAnswer, latest_pain_answers
from metrics.read.expectations import recent_diagnoses
from metrics.read.followups import touchpoint_followup_counts
from metrics.read.moments import (
    TouchpointNumbers,
    Trend,
    touchpoint_numbers,
    touchpoint_trends,
)
from mot.models import Membership


def journey_list(
    *, membership: Membership, search: str = "", state: str = "", archived: bool = False
) -> QuerySet[Journey]:
    qs = Journey.objects.filter(workspace_id=membership.workspace_id, archived=archived)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(persona__icontains=search))
    if state:
        qs = qs.filter(state=state)
    # One correlated count per relation: joining both and counting distinct would build
    # (stages times touchpoints) rows per journey before grouping: 28,800 for a 12-stage map
    # of 2,400 touchpoints.
    return qs.annotate(
        stage_count=_count_of(Stage), touchpoint_count=_count_of(Touchpoint)
    ).order_by("name", "pk")


def _count_of(model: type[Stage] | type[Touchpoint]) -> Coalesce:
    counts = (
        model.objects.filter(journey=OuterRef("pk"))
        .order_by()
        .values("journey")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


# --- owners -----------------------------------------------------------------------------------


def owner_journeys(*, membership: Membership) -> QuerySet[Journey]:
    """The journeys whose touchpoints the owners page lists: the workspace's non-archived ones."""
    return (
        Journey.objects.filter(workspace_id=membership.workspace_id, archived=False)
        .only("pk", "name")
        .order_by("name", "pk")
    )


def owner_touchpoints(*, membership: Membership, filters: OwnerFilters) -> QuerySet[Touchpoint]:
    """Touchpoints of the workspace's non-archived journeys, by journey, stage and position."""
    qs = Touchpoint.objects.filter(
        journey__workspace_id=membership.workspace_id, journey__archived=False
    )
    if filters.journey_id is not None:
        qs = qs.filter(journey_id=filters.journey_id)
    if filters.mot_stage == NO_MOMENT:
        qs = qs.filter(mot_stage="")
    elif filters.mot_stage:
        qs = qs.filter(mot_stage=filters.mot_stage)
    if filters.unassigned:
        qs = qs.filter(owner__isnull=True)
    elif filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    return qs.select_related("journey", "stage", "owner__user").order_by(
        "journey__name", "journey_id", "stage__position", "position"
    )


@dataclass(frozen=True)
class OwnerCounts:
    total: int
    unassigned: int


def owner_counts(*, membership: Membership) -> OwnerCounts:
    """How many touchpoints the owners page covers and how many have nobody: one query."""
    counts = Touchpoint.objects.filter(
        journey__workspace_id=membership.workspace_id, journey__archived=False
    ).aggregate(total=Count("pk"), unassigned=Count("pk", filter=Q(owner__isnull=True)))
    return OwnerCounts(total=counts["total"], unassigned=counts["unassigned"])


def my_touchpoints(*, membership: Membership) -> QuerySet[Touchpoint]:
    """The member's own touchpoints in non-archived journeys, by journey, stage and position."""
    return (
        Touchpoint.objects.filter(
            owner=membership,
            journey__workspace_id=membership.workspace_id,
            journey__archived=False,
        )
        .select_related("journey", "stage")
        .order_by("journey__name", "journey_id", "stage__position", "position")
    )


# --- my touchpoints with their numbers ------------------------------------------------------------


@dataclass(frozen=True)
class OwnedTouchpoint:
    touchpoint: Touchpoint
    numbers: TouchpointNumbers | None  # None: no answers yet
    trend: Trend | None  # None: no answers in the last two periods
    pains: list[PainAnswer]
    followups: int = 0  # open or in progress
    # The four expectations over the last 90 days (metrics/expectations.py); None: not read.
    diagnosis: Diagnosis | None = None

    @property
    def weakest_expectation(self) -> Rating | None:
        """What to train the team on: the expectation most often rated low, with enough data."""
        return self.diagnosis.weakest if self.diagnosis else None

    @property
    def weakest_label(self) -> str:
        weakest = self.weakest_expectation
        return str(EXPECTATION_LABELS[weakest.expectation]) if weakest else ""

    @property
    def score_text(self) -> str | None:
        """The moment score as the map shows it (+14), when it has enough answers."""
        m = self.numbers.moment if self.numbers else None
        if m is None or not m.enough or m.score is None:
            return None
        return MomentLabels.signed(m.score)

    @property
    def nps_text(self) -> str | None:
        n = self.numbers
        return MomentLabels.signed(n.nps) if n and n.nps_enough and n.nps is not None else None

    @property
    def change_text(self) -> str | None:
        change = self.trend.change if self.trend else None
        return None if change is None else MomentLabels.signed(change)


def my_touchpoints_overview(*, membership: Membership, today: date) -> list[OwnedTouchpoint]:
    """The member's touchpoints (as :func:`my_touchpoints`), each with its all-time numbers, its
    trend, its latest pain answers, its active follow-ups and its expectations of the last 90 days:
    six queries, whatever the number of touchpoints."""
    touchpoints = list(my_touchpoints(membership=membership))
    ids = [tp.pk for tp in touchpoints]
    workspace = membership.workspace
    numbers = touchpoint_numbers(
        workspace_id=workspace.pk, touchpoint_ids=ids, min_sample=workspace.min_sample
    )
    trends = touchpoint_trends(
        workspace_id=workspace.pk, touchpoint_ids=ids, today=today, min_sample=workspace.min_sample
    )
    pains = latest_pain_answers(workspace_id=workspace.pk, touchpoint_ids=ids)
    followups = touchpoint_followup_counts(touchpoint_ids=ids)
    diagnoses = recent_diagnoses(
        workspace_id=workspace.pk, touchpoint_ids=ids, min_sample=workspace.min_sample, today=today
    )
    return [
        OwnedTouchpoint(
            tp,
            numbers.get(tp.pk),
            trends.get(tp.pk),
            pains.get(tp.pk, []),
            followups.get(tp.pk, 0),
            diagnoses.get(tp.pk),
        )
        for tp in touchpoints
    ]


# --- a journey as the comparison reads it ------------------------------------------------


def journey_side(*, journey_id: int) -> Side:
    """A journey's stages and touchpoints in map order as journeys.compare takes them: two
    queries whatever the map's size."""
    stages = [
        StageRow(*row)
        for row in Stage.objects.filter(journey_id=journey_id)
        .order_by("position")
        .values_list("pk", "name", "position", "copied_from_id")
    ]
    touchpoints = [
        TouchpointRow(*row)
        for row in Touchpoint.objects.filter(journey_id=journey_id)
        .order_by("stage__position", "position")
        .values_list(
            "pk",
            "stage_id",
            "position",
            "title",
            "mot_stage",
            "channel",
            "phase",
            "owner_id",
            "description",
            "code",
            "copied_from_id",
        )
    ]
    return Side(stages=stages, touchpoints=touchpoints)


def journey_opportunities(*, journey_id: int) -> list[OpportunityRow]:
    """The opportunity items of a journey in map order (lane, stage, position): one query."""
    return [
        OpportunityRow(*row)
        for row in LaneItem.objects.filter(journey_id=journey_id, lane__kind=LaneKind.OPPORTUNITIES)
        .order_by("lane__position", "stage__position", "position")
        .values_list("pk", "text", "status", "owner_id", "touchpoint_id")
    ]


def journey_counterpart(*, journey: Journey) -> tuple[Journey, Journey] | None:
    """(current, future) for a journey's comparison: the journey it was copied from, else its
    latest copy; None when it has neither. One query."""
    if journey.copied_from_id:
        source = Journey.objects.filter(
            pk=journey.copied_from_id, workspace_id=journey.workspace_id
        ).first()
        return (source, journey) if source else None
    copy = Journey.objects.filter(copied_from=journey, workspace_id=journey.workspace_id)
    latest = copy.order_by("-pk").first()
    return (journey, latest) if latest else None
