"""Two editors at once, on PostgreSQL: positions stay contiguous and nothing deadlocks.

Each thread has its own database connection (Django's connections are per thread) and the test
database is really committed to (``transaction=True``), so the row locks in journeys.services are
what keeps the order right. A deadlock would surface as an error in one of the threads.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from journeys.models import Journey, Stage, Touchpoint
from journeys.services import (
    journey_create,
    stage_create,
    stage_delete,
    stage_move,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_move,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 40
POSITIONS = [0, 1, 2, 5, 9, 10**9, -1]


def run_together(*workers: Callable[[random.Random], None], timeout: float = 120) -> None:
    """Start the workers at the same moment, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker: Callable[[random.Random], None], seed: int) -> None:
        try:
            barrier.wait()
            worker(random.Random(seed))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(worker, seed), daemon=True)
        for seed, worker in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (deadlock?)"
    if errors:
        raise errors[0]


def assert_contiguous(journey: Journey) -> None:
    stages = list(journey.stages.order_by("position").values_list("pk", "position"))
    assert [pos for _pk, pos in stages] == list(range(len(stages)))
    for stage_pk, _pos in stages:
        positions = list(
            Touchpoint.objects.filter(stage_id=stage_pk)
            .order_by("position")
            .values_list("position", flat=True)
        )
        assert positions == list(range(len(positions))), positions
    for tp in Touchpoint.objects.filter(journey=journey).select_related("stage"):
        assert tp.stage.journey_id == journey.pk


@pytest.fixture
def board(require_postgres, editor):
    """One journey, two stages with eight touchpoints each."""
    journey = journey_create(actor=editor, name="Busy map")
    stages = [stage_create(actor=editor, journey=journey, name=name) for name in ("Left", "Right")]
    for stage in stages:
        for i in range(8):
            touchpoint_create(actor=editor, stage=stage, title=f"{stage.name} {i}")
    return journey, stages


def test_two_editors_moving_cards_in_the_same_stage_keep_positions_contiguous(editor, board):
    journey, (left, _right) = board
    ids = list(left.touchpoints.values_list("pk", flat=True))

    def mover(rng: random.Random) -> None:
        for _ in range(ROUNDS):
            touchpoint_move(
                actor=editor,
                touchpoint=Touchpoint.objects.get(pk=rng.choice(ids)),
                stage=Stage.objects.get(pk=left.pk),
                position=rng.choice(POSITIONS),
            )

    run_together(mover, mover)
    assert_contiguous(journey)
    assert sorted(left.touchpoints.values_list("pk", flat=True)) == sorted(ids)


def test_moves_across_two_stages_in_opposite_directions_do_not_deadlock(editor, board):
    journey, (left, right) = board
    ids = set(Touchpoint.objects.filter(journey=journey).values_list("pk", flat=True))

    def mover(source: Stage, target: Stage) -> Callable[[random.Random], None]:
        def work(rng: random.Random) -> None:
            for _ in range(ROUNDS):
                candidates = list(source.touchpoints.values_list("pk", flat=True)) or list(ids)
                touchpoint_move(
                    actor=editor,
                    touchpoint=Touchpoint.objects.get(pk=rng.choice(candidates)),
                    stage=Stage.objects.get(pk=target.pk),
                    position=rng.choice(POSITIONS),
                )

        return work

    run_together(mover(left, right), mover(right, left))
    assert_contiguous(journey)
    stored = list(Touchpoint.objects.filter(journey=journey).values_list("pk", flat=True))
    assert sorted(stored) == sorted(ids)  # every touchpoint still there, exactly once


def test_reordering_stages_while_adding_cards_does_not_deadlock(editor, board):
    journey, stages = board
    stage_ids = [stage.pk for stage in stages]

    def reorder(rng: random.Random) -> None:
        for _ in range(ROUNDS):
            stage_move(
                actor=editor,
                stage=Stage.objects.get(pk=rng.choice(stage_ids)),
                position=rng.choice(POSITIONS),
            )

    def add_cards(rng: random.Random) -> None:
        for i in range(ROUNDS):
            touchpoint_create(
                actor=editor,
                stage=Stage.objects.get(pk=rng.choice(stage_ids)),
                title=f"New {i}",
                position=rng.choice(POSITIONS),
            )

    run_together(reorder, add_cards)
    assert_contiguous(journey)
    assert Touchpoint.objects.filter(journey=journey).count() == 16 + ROUNDS


def test_deleting_stages_while_cards_are_added_leaves_no_orphans(editor, board):
    journey, _stages = board
    for name in ("A", "B", "C", "D"):
        stage_create(actor=editor, journey=journey, name=name, position=0)
    doomed = list(journey.stages.filter(name__in=["A", "B", "C", "D"]).values_list("pk", flat=True))
    created: list[int] = []

    def delete_stages(rng: random.Random) -> None:
        for pk in doomed:
            stage_delete(actor=editor, stage=Stage.objects.get(pk=pk))

    def add_cards(rng: random.Random) -> None:
        for i in range(ROUNDS):
            try:
                stage = Stage.objects.get(pk=rng.choice(doomed))
                created.append(touchpoint_create(actor=editor, stage=stage, title=f"Late {i}").pk)
            except (Stage.DoesNotExist, ValidationError):
                continue  # the stage went first: refused cleanly

    run_together(delete_stages, add_cards)
    assert_contiguous(journey)
    assert not Stage.objects.filter(pk__in=doomed).exists()
    assert not Touchpoint.objects.filter(stage_id__in=doomed).exists()
    assert list(journey.stages.order_by("position").values_list("name", flat=True)) == [
        "Left",
        "Right",
    ]


def test_deleting_cards_while_they_move_between_stages_leaves_no_gap(editor, board):
    journey, (left, right) = board
    ids = list(Touchpoint.objects.filter(journey=journey).values_list("pk", flat=True))
    doomed = ids[::2]
    survivors = set(ids) - set(doomed)

    def move(rng: random.Random) -> None:
        for _ in range(ROUNDS):
            pk = rng.choice(ids)
            try:
                # Loaded here, maybe stale by the time it is deleted by the other thread.
                touchpoint = Touchpoint.objects.get(pk=pk)
                touchpoint_move(
                    actor=editor,
                    touchpoint=touchpoint,
                    stage=Stage.objects.get(pk=rng.choice([left.pk, right.pk])),
                    position=rng.choice(POSITIONS),
                )
            except (Touchpoint.DoesNotExist, ValidationError):
                continue

    def delete(rng: random.Random) -> None:
        stale = list(Touchpoint.objects.filter(pk__in=doomed))  # loaded once, then moved around
        rng.shuffle(stale)
        for touchpoint in stale:
            touchpoint_delete(actor=editor, touchpoint=touchpoint)

    run_together(move, delete)
    assert_contiguous(journey)
    stored = set(Touchpoint.objects.filter(journey=journey).values_list("pk", flat=True))
    assert stored == survivors


def test_reordering_stages_while_moving_cards_between_them_does_not_deadlock(editor, board):
    journey, (left, right) = board
    third = stage_create(actor=editor, journey=journey, name="Third")
    stage_ids = [left.pk, right.pk, third.pk]
    ids = list(Touchpoint.objects.filter(journey=journey).values_list("pk", flat=True))

    def reorder(rng: random.Random) -> None:
        for _ in range(ROUNDS):
            stage_move(
                actor=editor,
                stage=Stage.objects.get(pk=rng.choice(stage_ids)),
                position=rng.choice(POSITIONS),
            )

    def move_cards(rng: random.Random) -> None:
        for _ in range(ROUNDS):
            touchpoint_move(
                actor=editor,
                touchpoint=Touchpoint.objects.get(pk=rng.choice(ids)),
                stage=Stage.objects.get(pk=rng.choice(stage_ids)),
                position=rng.choice(POSITIONS),
            )

    run_together(reorder, move_cards)
    assert_contiguous(journey)
    stored = list(Touchpoint.objects.filter(journey=journey).values_list("pk", flat=True))
    assert sorted(stored) == sorted(ids)
