"""The lanes of a journey map (rows under its stages) and the items in their cells (stage x
lane): add, rename, reorder, remove lanes; add, edit, delete and move items; fold a lane away.

Ordering invariants as for stages and touchpoints (journeys/services/map_edits.py): lane
positions are 0..n-1 per journey and item positions 0..n-1 per cell, under any sequence of calls.
A write that changes lane order locks the journey; a write that changes item order locks the
lane rows it touches in primary-key order (a cell belongs to one lane), so two editors moving
items queue up, and a move between two lanes cannot deadlock with the reverse move.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from journeys import limits
from journeys.models import (
    ITEM_KINDS,
    SINGLE_KINDS,
    ItemStatus,
    Journey,
    Lane,
    LaneFold,
    LaneItem,
    LaneKind,
    Stage,
    Touchpoint,
)
from journeys.ordering import clamp, lift, renumber, snapshot_positions
from journeys.services.fields import clean_choice, clean_text
from mot.models import Membership
from mot.policy import Action, require

# What a journey starts with, and what a journey made before lanes existed shows: the emotion
# curve above the touchpoint cards.
DEFAULT_KINDS = (LaneKind.EMOTION, LaneKind.TOUCHPOINTS)
PERMANENT_KINDS = frozenset(DEFAULT_KINDS)


def default_lanes(journey: Journey) -> list[Lane]:
    """The default lanes, unsaved."""
    return [Lane(journey=journey, kind=kind, position=i) for i, kind in enumerate(DEFAULT_KINDS)]


def _lock_journey(journey_id: int) -> None:
    Journey.objects.select_for_update(no_key=True).filter(pk=journey_id).exists()


def _ordered_lanes(journey: Journey) -> list[Lane]:
    """The journey's lanes in order, locked; the default ones stored first if it has none (a
    journey created before lanes, or by code that bypassed the services)."""
    rows = list(
        Lane.objects.select_for_update(no_key=True).filter(journey_id=journey.pk).order_by("pk")
    )
    if not any(lane.kind == LaneKind.TOUCHPOINTS for lane in rows):
        start = max((lane.position for lane in rows), default=-1) + 1
        kinds = DEFAULT_KINDS if not rows else (LaneKind.TOUCHPOINTS,)
        rows.extend(
            Lane.objects.bulk_create(
                [
                    Lane(journey_id=journey.pk, kind=kind, position=start + i)
                    for i, kind in enumerate(kinds)
                ]
            )
        )
    rows.sort(key=lambda lane: lane.position)
    snapshot_positions(rows)
    return rows


def lanes_ensure(*, journey: Journey) -> list[Lane]:
    """The journey's lanes, the default ones stored if it has none yet."""
    with transaction.atomic():
        _lock_journey(journey.pk)
        rows = _ordered_lanes(journey)
        renumber(Lane, rows)
    return rows


@transaction.atomic
def lane_create(
    *, actor: Membership, journey: Journey, kind: str, name: str = "", position: int | None = None
) -> Lane:
    require(actor, Action.EDIT_MAP, journey)
    kind = clean_choice(kind, field="kind", choices=LaneKind.values)
    name = clean_text(name, field="name", max_length=80, required=False)
    if kind == LaneKind.TOUCHPOINTS:
        raise ValidationError({"kind": _("A journey has exactly one touchpoint lane.")})
    _lock_journey(journey.pk)
    lanes = _ordered_lanes(journey)
    if len(lanes) >= limits.MAX_LANES:
        raise ValidationError(_("A journey holds at most %(n)d lanes.") % {"n": limits.MAX_LANES})
    if kind in SINGLE_KINDS and any(lane.kind == kind for lane in lanes):
        raise ValidationError(
            {"kind": _("This journey already has a “%(kind)s” lane.") % {"kind": kind_label(kind)}}
        )
    lane = Lane.objects.create(
        journey=journey,
        kind=kind,
        name=name,
        position=max((lane.position for lane in lanes), default=-1) + 1,
    )
    lane._original_position = lane.position  # type: ignore[attr-defined]
    lanes.insert(clamp(position, len(lanes)), lane)
    renumber(Lane, lanes)
    return lane


def kind_label(kind: str) -> str:
    return str(LaneKind(kind).label)


def lane_rename(*, actor: Membership, lane: Lane, name: str) -> Lane:
    """A blank name gives the lane back its kind's label."""
    require(actor, Action.EDIT_MAP, lane)
    lane.name = clean_text(name, field="name", max_length=80, required=False)
    lane.save(update_fields=["name"])
    return lane


@transaction.atomic
def lane_move(*, actor: Membership, lane: Lane, position: int) -> Lane:
    require(actor, Action.EDIT_MAP, lane)
    _lock_journey(lane.journey_id)
    lanes = _ordered_lanes(lane.journey)
    current = next((row for row in lanes if row.pk == lane.pk), None)
    if current is None:
        raise ValidationError(_("This lane no longer exists."))
    lanes.remove(current)
    lanes.insert(clamp(position, len(lanes)), current)
    renumber(Lane, lanes)
    lane.position = current.position
    return lane


@transaction.atomic
def lane_delete(*, actor: Membership, lane: Lane) -> None:
    """Remove a lane with its items and close the gap. The touchpoint lane and the emotion
    curve are always there (a member folds them away instead): the map's card and curve
    updates swap them in place."""
    require(actor, Action.EDIT_MAP, lane)
    if lane.kind in PERMANENT_KINDS:
        raise ValidationError(
            _("The “%(name)s” lane is always there; collapse it instead.") % {"name": lane.label}
        )
    _lock_journey(lane.journey_id)
    Lane.objects.filter(pk=lane.pk).delete()
    renumber(Lane, _ordered_lanes(lane.journey))


def lane_set_folded(*, actor: Membership, lane: Lane, folded: bool) -> None:
    """Collapse or expand a lane for this member only (every role may: it changes no map)."""
    require(actor, Action.VIEW, lane)
    if folded:
        LaneFold.objects.get_or_create(lane=lane, membership=actor)
    else:
        LaneFold.objects.filter(lane=lane, membership=actor).delete()


# --- items ------------------------------------------------------------------------------------


def _check_cell(lane: Lane, stage: Stage) -> None:
    if lane.kind not in ITEM_KINDS:
        raise ValidationError(_("This lane does not hold items."))
    if stage.journey_id != lane.journey_id:
        raise ValidationError(_("An item can only move within its own journey."))


def _check_owner(owner: Membership | None, workspace_id: int) -> None:
    if owner is not None and owner.workspace_id != workspace_id:
        raise ValidationError({"owner": _("The owner must be a member of this workspace.")})


def _lock_lanes(*lane_ids: int) -> dict[int, Lane]:
    rows = Lane.objects.select_for_update(no_key=True).filter(pk__in=set(lane_ids)).order_by("pk")
    return {lane.pk: lane for lane in rows}


def _cell(lane_id: int, stage_id: int) -> list[LaneItem]:
    rows = list(LaneItem.objects.filter(lane_id=lane_id, stage_id=stage_id).order_by("position"))
    snapshot_positions(rows)
    return rows


def _full(rows: list[LaneItem]) -> None:
    if len(rows) >= limits.MAX_ITEMS_PER_CELL:
        raise ValidationError(
            _("A cell holds at most %(n)d items.") % {"n": limits.MAX_ITEMS_PER_CELL}
        )


@transaction.atomic
def item_create(
    *,
    actor: Membership,
    lane: Lane,
    stage: Stage,
    text: str,
    status: str = ItemStatus.IDEA,
    owner: Membership | None = None,
    position: int | None = None,
) -> LaneItem:
    require(actor, Action.EDIT_MAP, lane)
    require(actor, Action.EDIT_MAP, stage)
    _check_cell(lane, stage)
    text = clean_text(text, field="text", max_length=1000)
    status = clean_choice(status or ItemStatus.IDEA, field="status", choices=ItemStatus.values)
    _check_owner(owner, lane.journey.workspace_id)
    if not _lock_lanes(lane.pk):
        raise ValidationError(_("This lane no longer exists."))
    rows = _cell(lane.pk, stage.pk)
    _full(rows)
    item = LaneItem.objects.create(
        journey_id=lane.journey_id,
        lane=lane,
        stage=stage,
        position=max((row.position for row in rows), default=-1) + 1,
        text=text,
        status=status,
        owner=owner,
    )
    item._original_position = item.position  # type: ignore[attr-defined]
    rows.insert(clamp(position, len(rows)), item)
    renumber(LaneItem, rows)
    return item


def item_update(
    *,
    actor: Membership,
    item: LaneItem,
    text: str,
    status: str = ItemStatus.IDEA,
    owner: Membership | None = None,
    touchpoint: Touchpoint | None = None,
) -> LaneItem:
    """Save an item's text and, for an opportunity, its status, owner and the touchpoint it
    creates (one of the item's own journey)."""
    require(actor, Action.EDIT_MAP, item)
    item.text = clean_text(text, field="text", max_length=1000)
    item.status = clean_choice(status or ItemStatus.IDEA, field="status", choices=ItemStatus.values)
    _check_owner(owner, item.journey.workspace_id)
    if touchpoint is not None and touchpoint.journey_id != item.journey_id:
        raise ValidationError({"touchpoint": _("Choose a touchpoint of this journey.")})
    item.owner = owner
    item.touchpoint = touchpoint
    item.save(update_fields=["text", "status", "owner", "touchpoint", "updated_at"])
    return item


def _where(item_id: int) -> tuple[int, int] | None:
    return (
        LaneItem.objects.filter(pk=item_id).values_list("lane_id", "stage_id").first()  # type: ignore[return-value]
    )


def item_delete(*, actor: Membership, item: LaneItem) -> None:
    require(actor, Action.EDIT_MAP, item)
    # The item may have moved since it was loaded: its cell is read again under the lock.
    for _attempt in range(5):
        with transaction.atomic():
            where = _where(item.pk)
            if where is None:
                return
            _lock_lanes(where[0])
            if LaneItem.objects.filter(pk=item.pk, lane_id=where[0], stage_id=where[1]).delete()[0]:
                renumber(LaneItem, _cell(*where))
                return
    raise ValidationError(_("The map changed while deleting; please try again."))


def item_move(
    *, actor: Membership, item: LaneItem, lane: Lane, stage: Stage, position: int
) -> LaneItem:
    """Move an item to ``position`` (0-based, clamped) in the cell (``lane``, ``stage``)."""
    require(actor, Action.EDIT_MAP, item)
    require(actor, Action.EDIT_MAP, lane)
    require(actor, Action.EDIT_MAP, stage)
    _check_cell(lane, stage)
    if lane.journey_id != item.journey_id:
        raise ValidationError(_("An item can only move within its own journey."))
    for _attempt in range(5):
        with transaction.atomic():
            where = _where(item.pk)
            if where is None:
                raise ValidationError(_("This item no longer exists."))
            locked = _lock_lanes(where[0], lane.pk)
            if lane.pk not in locked:
                raise ValidationError(_("This lane no longer exists."))
            if _where(item.pk) != where:
                continue
            if not Stage.objects.filter(pk=stage.pk).exists():
                raise ValidationError(_("This stage no longer exists."))
            source = _cell(*where)
            moving = next(row for row in source if row.pk == item.pk)
            source.remove(moving)
            if where == (lane.pk, stage.pk):
                source.insert(clamp(position, len(source)), moving)
                renumber(LaneItem, source)
            else:
                target = _cell(lane.pk, stage.pk)
                _full(target)
                lift(LaneItem, [moving.pk])  # out of the way of the source's renumbering
                moving.lane_id, moving.stage_id = lane.pk, stage.pk
                target.insert(clamp(position, len(target)), moving)
                renumber(LaneItem, source)
                renumber(LaneItem, target, also=moving, fields=["lane", "stage"])
            item.lane_id, item.stage_id, item.position = lane.pk, stage.pk, moving.position
            return item
    raise ValidationError(_("The map changed while moving; please try again."))
