"""Stages reordered the way the map's stage bar does it (static/js/map.js): a drag posts the
index the stage was dropped at, Alt+Left/Right posts its index plus or minus one (and nothing at
either end). Any sequence of those requests, through the real view and service, keeps the stage
positions contiguous (0..n-1) and in the order the user made."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.models import Stage
from journeys.services import journey_create, stage_create
from mot.models import Membership

HX = {"HX-Request": "true"}

drags = st.tuples(st.just("drag"), st.integers(0, 10**6), st.integers(0, 10**6))
keys = st.tuples(st.just("key"), st.integers(0, 10**6), st.sampled_from([-1, 1]))


def _stored(journey_id: int) -> list[tuple[int, int]]:
    return list(
        Stage.objects.filter(journey_id=journey_id)
        .order_by("position")
        .values_list("pk", "position")
    )


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(count=st.integers(1, 6), moves=st.lists(st.one_of(drags, keys), max_size=12))
def test_any_sequence_of_drags_and_key_moves_keeps_stage_positions_contiguous(
    editor: Membership, count: int, moves: list[tuple[str, int, int]]
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor.user)
    client.get(reverse("journeys:list", kwargs={"ws": "acme"}))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    with transaction.atomic():
        journey = journey_create(actor=editor, name="Reorder")
        model = [stage_create(actor=editor, journey=journey, name=f"S{n}").pk for n in range(count)]
        for kind, pick, amount in moves:
            index = pick % len(model)
            # A drop lands on one of the places the bar has; an arrow at either end sends nothing.
            target = amount % len(model) if kind == "drag" else index + amount
            if not 0 <= target < len(model):
                continue
            stage_pk = model.pop(index)
            model.insert(target, stage_pk)
            response = client.post(
                reverse("journeys:stage_move", kwargs={"ws": "acme", "pk": stage_pk}),
                {"position": target, "focus": "stage-grip" if kind == "key" else ""},
                headers=HX | {"X-CSRFToken": token},
            )
            assert response.status_code == 200
            stored = _stored(journey.pk)
            assert [pk for pk, _position in stored] == model
            assert [position for _pk, position in stored] == list(range(len(model)))
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_stage_move_without_the_csrf_token_is_refused(editor, journey):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor.user)
    stage = journey.stages.order_by("position").first()
    response = client.post(
        reverse("journeys:stage_move", kwargs={"ws": "acme", "pk": stage.pk}),
        {"position": 1},
        headers=HX,
    )
    assert response.status_code == 403
    assert journey.stages.order_by("position").first() == stage
