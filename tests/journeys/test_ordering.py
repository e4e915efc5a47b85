"""Ordering: any sequence of creates, moves and deletes keeps positions contiguous and unique.

A hypothesis state machine drives the real services against the database and a plain Python model
(a list of stages, each a list of touchpoint ids) side by side; after every step the stored order
must equal the model's. Each example runs inside its own savepoint, rolled back in ``teardown``, so
every example starts from the same clean database.
"""

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

from journeys.models import Journey, Stage, Touchpoint
from journeys.ordering import clamp
from journeys.services import (
    journey_create,
    stage_create,
    stage_delete,
    stage_move,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_move,
)
from mot.models import Membership

# Out-of-range positions on purpose: negative, 0, just past the end, far past it, and "at the end".
positions = st.one_of(
    st.integers(min_value=-3, max_value=8),
    st.sampled_from([0, 10**9, 2**63]),
)
optional_positions = st.one_of(st.none(), positions)
picks = st.integers(min_value=0, max_value=10**6)  # which existing item, modulo how many exist


def insert_at(position: int | None, length: int) -> int:
    """The model's own reading of a target position (kept apart from journeys.ordering.clamp)."""
    if position is None:
        return length
    return min(max(position, 0), length)


class OrderingMachine(RuleBasedStateMachine):
    actor: Membership  # set by the test before running

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.journey = journey_create(actor=self.actor, name="Property map")
        # A second journey of the same workspace: touchpoints may never move into it.
        other = journey_create(actor=self.actor, name="Other map")
        self.foreign_stage = stage_create(actor=self.actor, journey=other, name="Foreign")
        self.model: list[tuple[int, list[int]]] = []  # [(stage id, [touchpoint ids])]
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------------------

    def _stage_index(self, pick: int) -> int:
        return pick % len(self.model)

    def _all_touchpoints(self) -> list[tuple[int, int]]:
        """(stage index, touchpoint index) of every touchpoint in the model."""
        return [(s, t) for s, (_pk, tps) in enumerate(self.model) for t in range(len(tps))]

    def _fresh_stage(self, index: int) -> Stage:
        # Like a view: every call gets rows freshly loaded from the database.
        return Stage.objects.get(pk=self.model[index][0])

    # --- stages ---------------------------------------------------------------------------

    @initialize(count=st.integers(min_value=0, max_value=3))
    def start_with_some_stages(self, count: int) -> None:
        for _ in range(count):
            self.create_stage(None)

    @rule(position=optional_positions)
    def create_stage(self, position: int | None) -> None:
        self.counter += 1
        stage = stage_create(
            actor=self.actor, journey=self.journey, name=f"S{self.counter}", position=position
        )
        self.model.insert(insert_at(position, len(self.model)), (stage.pk, []))

    @precondition(lambda self: self.model)
    @rule(pick=picks, position=positions)
    def move_stage(self, pick: int, position: int) -> None:
        index = self._stage_index(pick)
        stage_move(actor=self.actor, stage=self._fresh_stage(index), position=position)
        entry = self.model.pop(index)
        self.model.insert(insert_at(position, len(self.model)), entry)

    @precondition(lambda self: self.model)
    @rule(pick=picks)
    def delete_stage(self, pick: int) -> None:
        index = self._stage_index(pick)
        stage_delete(actor=self.actor, stage=self._fresh_stage(index))
        self.model.pop(index)

    # --- touchpoints ----------------------------------------------------------------------

    @precondition(lambda self: self.model)
    @rule(pick=picks, position=optional_positions)
    def create_touchpoint(self, pick: int, position: int | None) -> None:
        index = self._stage_index(pick)
        self.counter += 1
        touchpoint = touchpoint_create(
            actor=self.actor,
            stage=self._fresh_stage(index),
            title=f"T{self.counter}",
            position=position,
        )
        tps = self.model[index][1]
        tps.insert(insert_at(position, len(tps)), touchpoint.pk)

    @precondition(lambda self: any(tps for _pk, tps in self.model))
    @rule(pick=picks, target_pick=picks, position=positions)
    def move_touchpoint(self, pick: int, target_pick: int, position: int) -> None:
        everywhere = self._all_touchpoints()
        s, t = everywhere[pick % len(everywhere)]
        target = self._stage_index(target_pick)
        pk = self.model[s][1][t]
        touchpoint_move(
            actor=self.actor,
            touchpoint=Touchpoint.objects.get(pk=pk),
            stage=self._fresh_stage(target),
            position=position,
        )
        self.model[s][1].pop(t)
        tps = self.model[target][1]
        tps.insert(insert_at(position, len(tps)), pk)

    @precondition(lambda self: any(tps for _pk, tps in self.model))
    @rule(pick=picks)
    def delete_touchpoint(self, pick: int) -> None:
        everywhere = self._all_touchpoints()
        s, t = everywhere[pick % len(everywhere)]
        pk = self.model[s][1].pop(t)
        touchpoint_delete(actor=self.actor, touchpoint=Touchpoint.objects.get(pk=pk))

    @precondition(lambda self: any(tps for _pk, tps in self.model))
    @rule(pick=picks, position=positions)
    def move_touchpoint_to_another_journey_is_refused(self, pick: int, position: int) -> None:
        everywhere = self._all_touchpoints()
        s, t = everywhere[pick % len(everywhere)]
        with pytest.raises(ValidationError):
            touchpoint_move(
                actor=self.actor,
                touchpoint=Touchpoint.objects.get(pk=self.model[s][1][t]),
                stage=self.foreign_stage,
                position=position,
            )

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def order_matches_the_model(self) -> None:
        stages = list(
            Stage.objects.filter(journey=self.journey)
            .order_by("position")
            .values_list("pk", "position")
        )
        assert [pk for pk, _pos in stages] == [pk for pk, _tps in self.model]
        assert [pos for _pk, pos in stages] == list(range(len(stages)))

        rows = list(
            Touchpoint.objects.filter(stage__journey=self.journey)
            .order_by("stage__position", "position")
            .values_list("pk", "stage_id", "position", "journey_id", "stage__journey_id")
        )
        stored: dict[int, list[tuple[int, int]]] = {pk: [] for pk, _tps in self.model}
        for pk, stage_id, position, journey_id, stage_journey_id in rows:
            assert journey_id == stage_journey_id == self.journey.pk
            stored[stage_id].append((pk, position))
        for stage_pk, tps in self.model:
            assert [pk for pk, _pos in stored[stage_pk]] == tps
            assert [pos for _pk, pos in stored[stage_pk]] == list(range(len(tps)))
        # Nothing lost, nothing left over (e.g. touchpoints of a deleted stage), nothing leaked.
        assert Touchpoint.objects.filter(journey=self.journey).count() == len(rows)
        assert self.foreign_stage.touchpoints.count() == 0


@pytest.mark.django_db
def test_any_sequence_of_creates_moves_and_deletes_keeps_order_contiguous(editor):
    OrderingMachine.actor = editor
    run_state_machine_as_test(
        OrderingMachine,
        settings=settings(
            max_examples=80,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # Every example rolled back its own savepoint: nothing it created is left behind.
    assert not Journey.objects.exists()


@pytest.mark.parametrize(
    ("position", "length", "expected"),
    [(None, 3, 3), (0, 3, 0), (-1, 3, 0), (2, 3, 2), (3, 3, 3), (4, 3, 3), (10**12, 0, 0)],
)
def test_clamp_keeps_target_within_the_container(position, length, expected):
    assert clamp(position, length) == expected
