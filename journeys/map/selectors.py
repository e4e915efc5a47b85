"""The map's board read from the database: stages in order, each with its cards, and the
journey's outline. Each function is a fixed number of queries whatever the map's size."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db import connection
from django.db.models import Count

from journeys.filters import NO_FILTER, MapFilter
from journeys.map.cards import Card, Neighbours, card_rows, journey_cards
from journeys.models import Journey, Stage, Touchpoint
from mot.sql import Identifiers, Template, fetch


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

    @cached_property  # read by the moments, the diagnoses, the curve and its summary
    def order(self) -> list[int]:
        return [pk for pk, _stage, _title in self.touchpoints]


@dataclass(frozen=True)
class Board:
    columns: list[MapStage]
    outline: Outline


_STAGE_COLUMNS = ("id", "journey_id", "name", "position", "copied_from_id")
_STAGE_NAMES = Identifiers(Stage._meta.db_table, *_STAGE_COLUMNS)
_JOURNEY_STAGES = Template(
    "SELECT {columns} FROM {stages} WHERE {journey} = %s ORDER BY {position}",
    _STAGE_NAMES.parts(
        columns=_STAGE_COLUMNS,
        stages=Stage._meta.db_table,
        journey="journey_id",
        position="position",
    ),
)


def journey_stages(journey_id: int) -> list[Stage]:
    """A journey's stages in order: one statement built once per process and prepared."""
    alias = connection.alias
    rows = fetch(_JOURNEY_STAGES(journey_id), prepared=True)
    return [Stage.from_db(alias, _STAGE_COLUMNS, row) for row in rows]


def journey_map(*, journey: Journey, filters: MapFilter = NO_FILTER) -> Board:
    """Stages in order, each with its shown cards in order, and the journey's outline.

    Two queries whatever the map's size or the filters (stages, every card with its owner): the
    filter is applied to the cards read, which also give each stage's size and the outline.
    """
    stages = journey_stages(journey.pk)
    every: dict[int, list[Card]] = {stage.pk: [] for stage in stages}
    for card in journey_cards(journey.pk):
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
    siblings = journey_stages(stage.journey_id)
    cards = card_rows(Touchpoint.objects.filter(stage=stage).order_by("position"))
    return _column(siblings, stage.pk, _shown(cards, filters), len(cards))


def stage_neighbours(*, stage_id: int, journey_id: int) -> tuple[Stage | None, Stage | None]:
    """The stages before and after a stage: one query."""
    column = _column(journey_stages(journey_id), stage_id, [], 0)
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
