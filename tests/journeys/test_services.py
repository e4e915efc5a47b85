"""Journey services: the role matrix on every write, other workspaces kept out, validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from journeys import limits
from journeys.blueprints import blueprint_document
from journeys.exchange import Document, journey_export, journey_import
from journeys.models import Channel, Journey, JourneyState, MotStage, Stage, Touchpoint
from journeys.services import (
    journey_create,
    journey_create_from_blueprint,
    journey_delete,
    journey_duplicate,
    journey_set_archived,
    journey_update,
    stage_create,
    stage_delete,
    stage_move,
    stage_rename,
    touchpoint_assign_owner,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_move,
    touchpoint_update,
    touchpoints_assign_owner,
)
from mot import services as members
from mot.models import Membership, Role
from tests.expectations import ADMINS, ALL, EXPORTERS, MAP_EDITORS, db_snapshot


@dataclass
class Ctx:
    """Workspace A's map as the editor built it (the ``journey`` fixture) and its staff member."""

    journey: Journey
    research: Stage
    buy: Stage
    reviews: Touchpoint
    staff: Membership


@pytest.fixture
def ctx(journey, staff) -> Ctx:
    research, buy = journey.stages.order_by("position")
    return Ctx(
        journey=journey,
        research=research,
        buy=buy,
        reviews=Touchpoint.objects.get(journey=journey, title="Reviews"),
        staff=staff,
    )


def _tp(ctx: Ctx) -> Touchpoint:
    return Touchpoint.objects.get(pk=ctx.reviews.pk)


@dataclass(frozen=True)
class Op:
    call: Callable[[Membership, Ctx], Any]
    allowed: frozenset[str]
    done: Callable[[Ctx, Any], bool]  # did the allowed call have its effect?
    on_workspace_object: bool = True  # False: acts on the actor's own workspace


OPS: dict[str, Op] = {
    "journey_create": Op(
        lambda a, c: journey_create(actor=a, name="New map"),
        MAP_EDITORS,
        lambda c, r: r.workspace_id == c.journey.workspace_id and r.name == "New map",
        on_workspace_object=False,
    ),
    "journey_update": Op(
        lambda a, c: journey_update(actor=a, journey=c.journey, name="Renamed", persona="P"),
        MAP_EDITORS,
        lambda c, r: Journey.objects.filter(pk=c.journey.pk, name="Renamed", persona="P").exists(),
    ),
    "journey_set_archived": Op(
        lambda a, c: journey_set_archived(actor=a, journey=c.journey, archived=True),
        MAP_EDITORS,
        lambda c, r: Journey.objects.get(pk=c.journey.pk).archived,
    ),
    "journey_delete": Op(
        lambda a, c: journey_delete(actor=a, journey=c.journey),
        MAP_EDITORS,
        lambda c, r: not Journey.objects.filter(pk=c.journey.pk).exists(),
    ),
    "journey_duplicate": Op(
        lambda a, c: journey_duplicate(actor=a, journey=c.journey),
        MAP_EDITORS,
        lambda c, r: r.name == "Online shop (future state)" and r.touchpoints.count() == 3,
    ),
    "journey_create_from_blueprint": Op(
        lambda a, c: journey_create_from_blueprint(actor=a, key="restaurant"),
        MAP_EDITORS,
        lambda c, r: r.name == "Restaurant" and r.workspace_id == c.journey.workspace_id,
        on_workspace_object=False,
    ),
    "stage_create": Op(
        lambda a, c: stage_create(actor=a, journey=c.journey, name="New stage", position=0),
        MAP_EDITORS,
        lambda c, r: c.journey.stages.get(position=0).name == "New stage",
    ),
    "stage_rename": Op(
        lambda a, c: stage_rename(actor=a, stage=c.research, name="Look around"),
        MAP_EDITORS,
        lambda c, r: Stage.objects.get(pk=c.research.pk).name == "Look around",
    ),
    "stage_delete": Op(
        lambda a, c: stage_delete(actor=a, stage=c.research),
        MAP_EDITORS,
        lambda c, r: list(c.journey.stages.values_list("name", "position")) == [("Buy", 0)],
    ),
    "stage_move": Op(
        lambda a, c: stage_move(actor=a, stage=c.research, position=1),
        MAP_EDITORS,
        lambda c, r: (
            list(c.journey.stages.order_by("position").values_list("name", flat=True))
            == ["Buy", "Research"]
        ),
    ),
    "touchpoint_create": Op(
        lambda a, c: touchpoint_create(actor=a, stage=c.research, title="Forum", position=0),
        MAP_EDITORS,
        lambda c, r: c.research.touchpoints.get(position=0).title == "Forum",
    ),
    "touchpoint_update": Op(
        lambda a, c: touchpoint_update(
            actor=a,
            touchpoint=c.reviews,
            title="Star ratings",
            description="",
            channel=Channel.WEBSITE,
            mot_stage=MotStage.ZMOT,
            phase="purchase",
        ),
        MAP_EDITORS,
        lambda c, r: _tp(c).title == "Star ratings" and _tp(c).channel == Channel.WEBSITE,
    ),
    "touchpoint_delete": Op(
        lambda a, c: touchpoint_delete(actor=a, touchpoint=c.reviews),
        MAP_EDITORS,
        lambda c, r: not Touchpoint.objects.filter(pk=c.reviews.pk).exists(),
    ),
    "touchpoint_move": Op(
        lambda a, c: touchpoint_move(actor=a, touchpoint=c.reviews, stage=c.buy, position=0),
        MAP_EDITORS,
        lambda c, r: (_tp(c).stage_id, _tp(c).position) == (c.buy.pk, 0),
    ),
    "touchpoint_assign_owner": Op(
        lambda a, c: touchpoint_assign_owner(actor=a, touchpoint=c.reviews, owner=c.staff),
        ALL,
        lambda c, r: _tp(c).owner_id == c.staff.pk,
    ),
    "touchpoints_assign_owner": Op(
        lambda a, c: touchpoints_assign_owner(
            actor=a, touchpoints=Touchpoint.objects.filter(journey=c.journey), owner=c.staff
        ),
        ALL,
        lambda c, r: r == 3 and c.staff.owned_touchpoints.count() == 3,
    ),
    "journey_export": Op(
        lambda a, c: journey_export(actor=a, journey=c.journey),
        EXPORTERS,
        lambda c, r: r["journey"]["name"] == "Online shop" and len(r["journey"]["stages"]) == 2,
    ),
    "journey_import": Op(
        lambda a, c: journey_import(
            actor=a,
            document=Document.model_validate(blueprint_document("online_shop")),
            name="Imported",
        ),
        MAP_EDITORS,
        lambda c, r: r.name == "Imported" and r.workspace_id == c.journey.workspace_id,
        on_workspace_object=False,
    ),
    "member_invite": Op(
        lambda a, c: members.member_invite(
            actor=a, email="newcomer@example.test", role=Role.STAFF, base_url="http://testserver"
        ),
        ADMINS,
        lambda c, r: r.email == "newcomer@example.test" and r.role == Role.STAFF,
        on_workspace_object=False,
    ),
    "member_change_role": Op(
        lambda a, c: members.member_change_role(actor=a, member=c.staff, role=Role.MANAGER),
        ADMINS,
        lambda c, r: Membership.objects.get(pk=c.staff.pk).role == Role.MANAGER,
    ),
    "member_remove": Op(
        lambda a, c: members.member_remove(actor=a, member=c.staff),
        ADMINS,
        lambda c, r: not Membership.objects.filter(pk=c.staff.pk).exists(),
    ),
}

MATRIX = [
    pytest.param(name, role, role in op.allowed, id=f"{name}-{role}")
    for name, op in OPS.items()
    for role in Role
]


@pytest.mark.parametrize(("name", "role", "allowed"), MATRIX)
def test_role_matrix_on_every_journey_service(personas, ctx, name, role, allowed):
    op = OPS[name]
    actor = personas[role]
    if allowed:
        result = op.call(actor, ctx)
        assert op.done(ctx, result)
    else:
        before = db_snapshot()
        with pytest.raises(PermissionDenied):
            op.call(actor, ctx)
        assert db_snapshot() == before


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=name) for name, op in OPS.items() if op.on_workspace_object]
)
def test_outsider_acting_on_another_workspace_gets_not_found(outsider, ctx, name):
    before = db_snapshot()
    with pytest.raises(Http404):
        OPS[name].call(outsider, ctx)
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=name) for name, op in OPS.items() if not op.on_workspace_object]
)
def test_workspace_level_services_write_only_into_the_actors_workspace(outsider, ctx, name):
    result = OPS[name].call(outsider, ctx)
    created = result[0] if isinstance(result, tuple) else result
    assert created.workspace_id == outsider.workspace_id
    assert (
        not Journey.objects.filter(workspace=ctx.journey.workspace)
        .exclude(pk=ctx.journey.pk)
        .exists()
    )


def test_staff_cannot_edit_map(staff, ctx):
    with pytest.raises(PermissionDenied):
        stage_rename(actor=staff, stage=ctx.research, name="Mine now")
    assert Stage.objects.get(pk=ctx.research.pk).name == "Research"


def test_manager_can_assign_owner_but_cannot_move_touchpoint(manager, ctx):
    touchpoint_assign_owner(actor=manager, touchpoint=ctx.reviews, owner=manager)
    with pytest.raises(PermissionDenied):
        touchpoint_move(actor=manager, touchpoint=ctx.reviews, stage=ctx.buy, position=0)
    assert _tp(ctx).owner == manager
    assert _tp(ctx).stage_id == ctx.research.pk


# --- cross-workspace objects mixed into a call ---------------------------------------------


@pytest.fixture
def outsider_map(outsider):
    journey = journey_create(actor=outsider, name="Globex map")
    stage = stage_create(actor=outsider, journey=journey, name="Only stage")
    touchpoint = touchpoint_create(actor=outsider, stage=stage, title="Globex touchpoint")
    return journey, stage, touchpoint


def test_owner_from_another_workspace_is_refused(editor, ctx, outsider):
    with pytest.raises(ValidationError):
        touchpoint_assign_owner(actor=editor, touchpoint=ctx.reviews, owner=outsider)
    with pytest.raises(ValidationError):
        touchpoints_assign_owner(actor=editor, touchpoints=[ctx.reviews], owner=outsider)
    with pytest.raises(ValidationError):
        touchpoint_create(actor=editor, stage=ctx.research, title="X", owner=outsider)
    assert _tp(ctx).owner_id is None
    assert ctx.research.touchpoints.count() == 1


def test_bulk_owner_assignment_refuses_a_foreign_touchpoint_in_the_batch(
    outsider, outsider_map, ctx
):
    own = outsider_map[2]
    before = db_snapshot()
    with pytest.raises(Http404):
        touchpoints_assign_owner(actor=outsider, touchpoints=[own, ctx.reviews], owner=outsider)
    assert db_snapshot() == before


def test_touchpoint_cannot_move_into_another_workspaces_stage(outsider, outsider_map, ctx):
    before = db_snapshot()
    with pytest.raises(Http404):
        touchpoint_move(actor=outsider, touchpoint=outsider_map[2], stage=ctx.buy, position=0)
    assert db_snapshot() == before


def test_touchpoint_cannot_move_to_another_journey(editor, ctx):
    other = journey_create(actor=editor, name="Other map")
    target = stage_create(actor=editor, journey=other, name="Elsewhere")
    before = db_snapshot()
    with pytest.raises(ValidationError):
        touchpoint_move(actor=editor, touchpoint=ctx.reviews, stage=target, position=0)
    assert db_snapshot() == before


# --- validation and behaviour ------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 121},
        {"name": "ok", "persona": "p" * 121},
        {"name": "ok", "description": "d" * 4001},
        {"name": "ok", "state": "past"},
    ],
)
def test_journey_create_refuses_invalid_fields(editor, kwargs):
    with pytest.raises(ValidationError):
        journey_create(actor=editor, **kwargs)
    assert not Journey.objects.exists()


def test_journey_create_strips_whitespace(editor):
    journey = journey_create(actor=editor, name="  Shop  ", persona=" Buyer ")
    assert (journey.name, journey.persona, journey.state) == ("Shop", "Buyer", "current")


@pytest.mark.parametrize(
    "field",
    [{"channel": "pigeon"}, {"mot_stage": "XMOT"}, {"phase": "later"}, {"title": ""}],
)
def test_touchpoint_create_refuses_invalid_choices(editor, ctx, field):
    kwargs = {"title": "Forum", **field}
    with pytest.raises(ValidationError):
        touchpoint_create(actor=editor, stage=ctx.research, **kwargs)
    assert ctx.research.touchpoints.count() == 1


def test_journey_duplicate_copies_the_map_in_order_as_a_future_state(editor, ctx, staff):
    touchpoint_assign_owner(actor=editor, touchpoint=ctx.reviews, owner=staff)
    copy = journey_duplicate(actor=editor, journey=ctx.journey)

    def layout(journey):
        return [
            (tp.stage.name, tp.stage.position, tp.position, tp.title, tp.mot_stage, tp.owner_id)
            for tp in Touchpoint.objects.filter(journey=journey).select_related("stage")
        ]

    assert copy.state == JourneyState.FUTURE
    assert copy.pk != ctx.journey.pk
    assert layout(copy) == layout(ctx.journey)
    assert all(
        tp.stage.journey_id == copy.pk
        for tp in Touchpoint.objects.filter(journey=copy).select_related("stage")
    )


def test_stage_delete_removes_its_touchpoints_and_closes_the_gap(editor, ctx):
    middle = stage_create(actor=editor, journey=ctx.journey, name="Middle", position=1)
    touchpoint_create(actor=editor, stage=middle, title="In the middle")
    stage_delete(actor=editor, stage=middle)
    assert list(ctx.journey.stages.values_list("name", "position")) == [
        ("Research", 0),
        ("Buy", 1),
    ]
    assert not Touchpoint.objects.filter(title="In the middle").exists()


def test_journey_holds_at_most_max_stages(editor, ctx, monkeypatch):
    monkeypatch.setattr(limits, "MAX_STAGES", 3)
    stage_create(actor=editor, journey=ctx.journey, name="Third")
    with pytest.raises(ValidationError):
        stage_create(actor=editor, journey=ctx.journey, name="Fourth")
    assert ctx.journey.stages.count() == 3


def test_stage_holds_at_most_max_touchpoints_on_create_and_move(editor, ctx, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TOUCHPOINTS_PER_STAGE", 2)
    with pytest.raises(ValidationError):
        touchpoint_create(actor=editor, stage=ctx.buy, title="Third")
    with pytest.raises(ValidationError):
        touchpoint_move(actor=editor, touchpoint=ctx.reviews, stage=ctx.buy, position=0)
    assert ctx.buy.touchpoints.count() == 2
    assert _tp(ctx).stage_id == ctx.research.pk


def test_touchpoint_moved_elsewhere_meanwhile_is_deleted_from_where_it_is_now(editor, ctx):
    """A page loaded before someone moved the card still deletes it cleanly (no gap left)."""
    stale = Touchpoint.objects.get(pk=ctx.reviews.pk)
    touchpoint_move(
        actor=editor,
        touchpoint=Touchpoint.objects.get(pk=ctx.reviews.pk),
        stage=ctx.buy,
        position=0,
    )
    touchpoint_delete(actor=editor, touchpoint=stale)
    assert list(ctx.buy.touchpoints.order_by("position").values_list("title", "position")) == [
        ("Product page", 0),
        ("Checkout", 1),
    ]
    assert not ctx.research.touchpoints.exists()


def test_stage_moved_after_deletion_is_refused(editor, ctx):
    stale = Stage.objects.get(pk=ctx.research.pk)
    stage_delete(actor=editor, stage=ctx.research)
    with pytest.raises(ValidationError):
        stage_move(actor=editor, stage=stale, position=1)


def test_unknown_blueprint_is_refused(editor):
    with pytest.raises(ValidationError):
        journey_create_from_blueprint(actor=editor, key="spaceship")
    assert not Journey.objects.exists()


def test_owner_removal_by_assigning_none(editor, staff, ctx):
    touchpoint_assign_owner(actor=staff, touchpoint=ctx.reviews, owner=staff)
    touchpoint_assign_owner(actor=staff, touchpoint=_tp(ctx), owner=None)
    assert _tp(ctx).owner is None
