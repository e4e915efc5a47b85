"""Lanes and their items: any sequence of lane adds, moves and removals, item adds, moves
(within a cell, across stages, across lanes) and deletes, and stage deletions keeps every
position contiguous and unique, checked against a plain Python model after every step (as
tests/journeys/test_ordering.py does for stages and touchpoints)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from journeys.models import ITEM_KINDS, Journey, Lane, LaneItem, LaneKind, Stage
from journeys.services import journey_create, stage_create, stage_delete
from journeys.services.lanes import (
    item_create,
    item_delete,
    item_move,
    lane_create,
    lane_delete,
    lane_move,
    lanes_ensure,
)
from mot.models import Membership
from tests.journeys.test_ordering import insert_at, optional_positions, picks, positions

ITEM_LANE_KINDS = sorted(ITEM_KINDS)


class LanesMachine(RuleBasedStateMachine):
    actor: Membership

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.journey = journey_create(actor=self.actor, name="Lanes map")
        other = journey_create(actor=self.actor, name="Other map")
        self.foreign_stage = stage_create(actor=self.actor, journey=other, name="Foreign")
        self.lanes: list[int] = [lane.pk for lane in lanes_ensure(journey=self.journey)]
        self.kinds: dict[int, str] = dict(
            Lane.objects.filter(journey=self.journey).values_list("pk", "kind")
        )
        self.stages: list[int] = []
        self.cells: dict[tuple[int, int], list[int]] = {}  # (lane, stage) -> item ids
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    def _item_lanes(self) -> list[int]:
        return [pk for pk in self.lanes if self.kinds[pk] in ITEM_KINDS]

    def _items(self) -> list[tuple[tuple[int, int], int]]:
        return [(cell, i) for cell, items in self.cells.items() for i in range(len(items))]

    @initialize(count=st.integers(min_value=1, max_value=3))
    def start(self, count: int) -> None:
        for _ in range(count):
            self.counter += 1
            stage = stage_create(actor=self.actor, journey=self.journey, name=f"S{self.counter}")
            self.stages.append(stage.pk)

    @rule(kind=st.sampled_from([*ITEM_LANE_KINDS, LaneKind.METRICS]), position=optional_positions)
    def add_lane(self, kind: str, position: int | None) -> None:
        if kind == LaneKind.METRICS and LaneKind.METRICS in self.kinds.values():
            # At most one metrics lane a journey.
            with pytest.raises(ValidationError):
                lane_create(actor=self.actor, journey=self.journey, kind=kind)
            return
        if len(self.lanes) >= 20:
            return
        lane = lane_create(actor=self.actor, journey=self.journey, kind=kind, position=position)
        self.kinds[lane.pk] = kind
        self.lanes.insert(insert_at(position, len(self.lanes)), lane.pk)

    @rule(pick=picks, position=positions)
    def move_lane(self, pick: int, position: int) -> None:
        index = pick % len(self.lanes)
        lane_move(actor=self.actor, lane=Lane.objects.get(pk=self.lanes[index]), position=position)
        pk = self.lanes.pop(index)
        self.lanes.insert(insert_at(position, len(self.lanes)), pk)

    @rule(pick=picks)
    def remove_lane(self, pick: int) -> None:
        pk = self.lanes[pick % len(self.lanes)]
        lane = Lane.objects.get(pk=pk)
        if lane.kind in {LaneKind.TOUCHPOINTS, LaneKind.EMOTION}:  # always on a map
            with pytest.raises(ValidationError):
                lane_delete(actor=self.actor, lane=lane)
            return
        lane_delete(actor=self.actor, lane=lane)
        self.lanes.remove(pk)
        del self.kinds[pk]
        self.cells = {cell: items for cell, items in self.cells.items() if cell[0] != pk}

    @precondition(lambda self: len(self.stages) > 1)
    @rule(pick=picks)
    def delete_stage(self, pick: int) -> None:
        pk = self.stages.pop(pick % len(self.stages))
        stage_delete(actor=self.actor, stage=Stage.objects.get(pk=pk))
        self.cells = {cell: items for cell, items in self.cells.items() if cell[1] != pk}

    @precondition(lambda self: self._item_lanes())
    @rule(lane_pick=picks, stage_pick=picks, position=optional_positions)
    def add_item(self, lane_pick: int, stage_pick: int, position: int | None) -> None:
        lanes = self._item_lanes()
        cell = (lanes[lane_pick % len(lanes)], self.stages[stage_pick % len(self.stages)])
        self.counter += 1
        item = item_create(
            actor=self.actor,
            lane=Lane.objects.get(pk=cell[0]),
            stage=Stage.objects.get(pk=cell[1]),
            text=f"I{self.counter}",
            position=position,
        )
        items = self.cells.setdefault(cell, [])
        items.insert(insert_at(position, len(items)), item.pk)

    @precondition(lambda self: self._items())
    @rule(pick=picks, lane_pick=picks, stage_pick=picks, position=positions)
    def move_item(self, pick: int, lane_pick: int, stage_pick: int, position: int) -> None:
        everywhere = self._items()
        cell, index = everywhere[pick % len(everywhere)]
        lanes = self._item_lanes()
        target = (lanes[lane_pick % len(lanes)], self.stages[stage_pick % len(self.stages)])
        pk = self.cells[cell][index]
        item_move(
            actor=self.actor,
            item=LaneItem.objects.get(pk=pk),
            lane=Lane.objects.get(pk=target[0]),
            stage=Stage.objects.get(pk=target[1]),
            position=position,
        )
        self.cells[cell].pop(index)
        items = self.cells.setdefault(target, [])
        items.insert(insert_at(position, len(items)), pk)

    @precondition(lambda self: self._items())
    @rule(pick=picks, position=positions)
    def moves_out_of_the_journey_or_into_the_touchpoint_lane_are_refused(
        self, pick: int, position: int
    ) -> None:
        everywhere = self._items()
        cell, index = everywhere[pick % len(everywhere)]
        item = LaneItem.objects.get(pk=self.cells[cell][index])
        touchpoints = next(pk for pk in self.lanes if self.kinds[pk] == LaneKind.TOUCHPOINTS)
        with pytest.raises(ValidationError):
            item_move(
                actor=self.actor,
                item=item,
                lane=Lane.objects.get(pk=cell[0]),
                stage=self.foreign_stage,
                position=position,
            )
        with pytest.raises(ValidationError):
            item_move(
                actor=self.actor,
                item=item,
                lane=Lane.objects.get(pk=touchpoints),
                stage=Stage.objects.get(pk=cell[1]),
                position=position,
            )

    @precondition(lambda self: self._items())
    @rule(pick=picks)
    def delete_item(self, pick: int) -> None:
        everywhere = self._items()
        cell, index = everywhere[pick % len(everywhere)]
        pk = self.cells[cell].pop(index)
        item_delete(actor=self.actor, item=LaneItem.objects.get(pk=pk))

    @invariant()
    def order_matches_the_model(self) -> None:
        lanes = list(
            Lane.objects.filter(journey=self.journey)
            .order_by("position")
            .values_list("pk", "position")
        )
        assert [pk for pk, _pos in lanes] == self.lanes
        assert [pos for _pk, pos in lanes] == list(range(len(lanes)))
        stored: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for pk, lane, stage, position, journey_id in (
            LaneItem.objects.filter(lane__journey=self.journey)
            .order_by("position")
            .values_list("pk", "lane_id", "stage_id", "position", "journey_id")
        ):
            assert journey_id == self.journey.pk
            stored.setdefault((lane, stage), []).append((pk, position))
        expected = {cell: items for cell, items in self.cells.items() if items}
        assert set(stored) == set(expected)
        for cell, items in expected.items():
            assert [pk for pk, _pos in stored[cell]] == items
            assert [pos for _pk, pos in stored[cell]] == list(range(len(items)))
        assert not LaneItem.objects.filter(stage=self.foreign_stage).exists()


@pytest.mark.django_db
def test_any_sequence_of_lane_and_item_edits_keeps_positions_contiguous(editor):
    LanesMachine.actor = editor
    run_state_machine_as_test(
        LanesMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert not Journey.objects.exists()
