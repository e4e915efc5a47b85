"""Reads of the journey domain, each a fixed number of queries whatever the map's size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from journeys.filters import NO_FILTER, NO_MOMENT, MapFilter, OwnerFilters
from journeys.map.cards import Card, MomentLabels, Neighbours, card_rows
from journeys.models import Journey, Stage, Touchpoint
from metrics.read.answers import PainAnswer, latest_pain_answers
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


@dataclass
class MapStage:
    stage: Stage
    cards: list[Card]
    previous: Stage | None = None
    next: Stage | None = None
    total: int = 0  # touchpoints in the stage, shown or not

    @property
    def neighbours(self) -> Neighbours:
        return Neighbours(
            total=self.total,
            previous_stage=self.previous.pk if self.previous else None,
            next_stage=self.next.pk if self.next else None,
        )


def _column(siblings: list[Stage], stage_id: int, cards: list[Card], total: int) -> MapStage:
    """A stage among its journey's stages (in order), with the neighbours its controls need."""
    index = next(i for i, s in enumerate(siblings) if s.pk == stage_id)
    return MapStage(
        stage=siblings[index],
        cards=cards,
        previous=siblings[index - 1] if index > 0 else None,
        next=siblings[index + 1] if index + 1 < len(siblings) else None,
        total=total,
    )


@dataclass(frozen=True)
class Outline:
    """Every stage and touchpoint of a journey in map order, filters aside: what the emotion
    curve draws and what decides ties for the weakest moment."""

    stages: list[tuple[int, str]]  # (stage id, name), in order
    touchpoints: list[tuple[int, int, str]]  # (touchpoint id, stage id, title), in map order

    @property
    def order(self) -> list[int]:
        return [pk for pk, _stage, _title in self.touchpoints]


@dataclass(frozen=True)
class Board:
    columns: list[MapStage]
    outline: Outline


def journey_map(*, journey: Journey, filters: MapFilter = NO_FILTER) -> Board:
    """Stages in order, each with its shown cards in order, and the journey's outline.

    Two queries whatever the map's size or the filters (stages, every card with its owner): the
    filter is applied to the cards read, which also give each stage's size and the outline.
    """
    stages = list(Stage.objects.filter(journey=journey).order_by("position"))
    every: dict[int, list[Card]] = {stage.pk: [] for stage in stages}
    for card in card_rows(Touchpoint.objects.filter(journey=journey).order_by("position")):
        every[card.stage_id].append(card)
    outline = Outline(
        stages=[(stage.pk, stage.name) for stage in stages],
        touchpoints=[(c.pk, c.stage_id, c.title) for stage in stages for c in every[stage.pk]],
    )
    columns = [
        _column(stages, stage.pk, _shown(every[stage.pk], filters), len(every[stage.pk]))
        for stage in stages
    ]
    return Board(columns=columns, outline=outline)


def _shown(cards: list[Card], filters: MapFilter) -> list[Card]:
    return [card for card in cards if filters.matches(card)] if filters.active else cards


def journey_outline(*, journey_id: int) -> Outline:
    """The journey's stages and touchpoints in map order: one query (empty stages included)."""
    rows = (
        Stage.objects.filter(journey_id=journey_id)
        .order_by("position", "touchpoints__position")
        .values_list("pk", "name", "touchpoints__pk", "touchpoints__title")
    )
    stages: list[tuple[int, str]] = []
    touchpoints: list[tuple[int, int, str]] = []
    for stage_id, name, tp_id, title in rows:
        if not stages or stages[-1][0] != stage_id:
            stages.append((stage_id, name))
        if tp_id is not None:
            touchpoints.append((tp_id, stage_id, title))
    return Outline(stages=stages, touchpoints=touchpoints)


def stage_column(*, stage: Stage, filters: MapFilter = NO_FILTER) -> MapStage:
    """One stage as the board shows it: two queries (the journey's stages, the stage's cards)."""
    siblings = list(Stage.objects.filter(journey_id=stage.journey_id).order_by("position"))
    cards = card_rows(Touchpoint.objects.filter(stage=stage).order_by("position"))
    return _column(siblings, stage.pk, _shown(cards, filters), len(cards))


def stage_neighbours(*, stage_id: int, journey_id: int) -> tuple[Stage | None, Stage | None]:
    """The stages before and after a stage: one query."""
    siblings = list(Stage.objects.filter(journey_id=journey_id).order_by("position"))
    column = _column(siblings, stage_id, [], 0)
    return column.previous, column.next


def stage_or_none(*, stage_id: int) -> Stage | None:
    return Stage.objects.select_related("journey").filter(pk=stage_id).first()


def map_card(*, touchpoint: Touchpoint) -> tuple[Card, Neighbours]:
    """One card with what its controls need: two queries (the card, its journey's stages with
    their sizes)."""
    (card,) = card_rows(Touchpoint.objects.filter(pk=touchpoint.pk))
    siblings = list(
        Stage.objects.filter(journey_id=touchpoint.journey_id)
        .annotate(size=Count("touchpoints"))
        .order_by("position")
    )
    size = next(s.size for s in siblings if s.pk == card.stage_id)
    return card, _column(siblings, card.stage_id, [card], size).neighbours


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
    trend and its latest pain answers: four queries, whatever the number of touchpoints."""
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
    return [
        OwnedTouchpoint(tp, numbers.get(tp.pk), trends.get(tp.pk), pains.get(tp.pk, []))
        for tp in touchpoints
    ]
