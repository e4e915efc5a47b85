"""What is on a journey's map: its stages and touchpoints added, edited, deleted, reordered and
moved, and who owns each touchpoint. Every function checks the actor's role through mot.policy.

Ordering invariants (positions 0..n-1, unique per container) hold under any sequence of calls,
also concurrently: a write that changes an order first locks its container rows (the journey for
stages, the stage(s) for touchpoints) in primary-key order, so two editors moving cards in the
same stage queue up instead of interleaving, and cross-stage moves cannot deadlock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import limits
from journeys.models import Channel, Journey, MotStage, Phase, Stage, Touchpoint
from journeys.ordering import clamp, lift, renumber, snapshot_positions
from journeys.services.fields import clean_choice, clean_text
from mot.models import Membership, Workspace
from mot.policy import Action, require


def _check_owner(owner: Membership | None, workspace_id: int) -> None:
    if owner is not None and owner.workspace_id != workspace_id:
        raise ValidationError({"owner": _("The owner must be a member of this workspace.")})


# Container locks are FOR NO KEY UPDATE, not FOR UPDATE: inserting a touchpoint takes a KEY SHARE
# lock on its journey and stage (foreign-key check), which FOR UPDATE would block. With FOR UPDATE,
# adding a card (stage locked, then waiting on the journey) while someone reorders the stages
# (journey locked, then renumbering that stage) deadlocked. The locks still queue order changes.


def _lock_journey(journey: Journey) -> Journey:
    return Journey.objects.select_for_update(no_key=True).get(pk=journey.pk)


def _lock_stages(*stage_ids: int) -> dict[int, Stage]:
    stages = (
        Stage.objects.select_for_update(no_key=True).filter(pk__in=set(stage_ids)).order_by("pk")
    )
    return {stage.pk: stage for stage in stages}


def _ordered_touchpoints(stage_id: int) -> list[Touchpoint]:
    rows = list(Touchpoint.objects.filter(stage_id=stage_id).order_by("position"))
    snapshot_positions(rows)
    return rows


def _ordered_stages(journey_id: int) -> list[Stage]:
    # Renumbering updates stage rows; locking them first in primary-key order (as touchpoint
    # moves do) keeps a stage reorder and a cross-stage card move from locking in opposite orders.
    rows = list(
        Stage.objects.select_for_update(no_key=True).filter(journey_id=journey_id).order_by("pk")
    )
    rows.sort(key=lambda stage: stage.position)
    snapshot_positions(rows)
    return rows


# --- stages -----------------------------------------------------------------------------------


@transaction.atomic
def stage_create(
    *, actor: Membership, journey: Journey, name: str, position: int | None = None
) -> Stage:
    require(actor, Action.EDIT_MAP, journey)
    name = clean_text(name, field="name", max_length=120)
    _lock_journey(journey)
    stages = _ordered_stages(journey.pk)
    if len(stages) >= limits.MAX_STAGES:
        raise ValidationError(_("A journey holds at most %(n)d stages.") % {"n": limits.MAX_STAGES})
    stage = Stage.objects.create(journey=journey, name=name, position=_free_slot(stages))
    stage._original_position = stage.position  # type: ignore[attr-defined]
    stages.insert(clamp(position, len(stages)), stage)
    renumber(Stage, stages)
    return stage


def _free_slot(rows: list) -> int:
    """A free position for a row about to be inserted and renumbered into place."""
    return max((row.position for row in rows), default=-1) + 1


def stage_rename(*, actor: Membership, stage: Stage, name: str) -> Stage:
    require(actor, Action.EDIT_MAP, stage)
    stage.name = clean_text(name, field="name", max_length=120)
    stage.save(update_fields=["name"])
    return stage


@transaction.atomic
def stage_delete(*, actor: Membership, stage: Stage) -> None:
    """Delete a stage with its touchpoints and close the gap it leaves."""
    require(actor, Action.EDIT_MAP, stage)
    _lock_journey(stage.journey)
    # Wait for writers inside the stage (a card being added) before collecting its touchpoints.
    _lock_stages(stage.pk)
    Stage.objects.filter(pk=stage.pk).delete()
    renumber(Stage, _ordered_stages(stage.journey_id))


@transaction.atomic
def stage_move(*, actor: Membership, stage: Stage, position: int) -> Stage:
    require(actor, Action.EDIT_MAP, stage)
    _lock_journey(stage.journey)
    stages = _ordered_stages(stage.journey_id)
    current = next((s for s in stages if s.pk == stage.pk), None)
    if current is None:  # deleted meanwhile
        raise ValidationError(_("This stage no longer exists."))
    stages.remove(current)
    stages.insert(clamp(position, len(stages)), current)
    renumber(Stage, stages)
    stage.position = current.position
    return stage


# --- touchpoints ------------------------------------------------------------------------------


CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def _clean_code(code: str, *, workspace_id: int, exclude_pk: int | None = None) -> str:
    """A touchpoint code, checked free in the workspace (case-insensitively).

    The check runs under a lock on the workspace row, so two editors cannot give two
    touchpoints the same code at the same moment; the caller's transaction holds the lock.
    """
    code = (code or "").strip()
    if not code:
        return ""
    if not CODE_RE.fullmatch(code):
        raise ValidationError(
            {
                "code": _(
                    "Use up to 40 letters, digits, dots, dashes or underscores, "
                    "starting with a letter or digit."
                )
            }
        )
    Workspace.objects.select_for_update().filter(pk=workspace_id).exists()
    clash = (
        Touchpoint.objects.filter(journey__workspace_id=workspace_id, code__iexact=code)
        .exclude(pk=exclude_pk)
        .select_related("journey")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "code": _("“%(code)s” is already the code of “%(title)s” in %(journey)s.")
                % {"code": clash.code, "title": clash.title, "journey": clash.journey.name}
            }
        )
    return code


def _touchpoint_fields(
    *,
    title: str,
    description: str,
    channel: str,
    mot_stage: str,
    phase: str,
) -> dict[str, str]:
    return {
        "title": clean_text(title, field="title", max_length=160),
        "description": clean_text(
            description, field="description", max_length=4000, required=False
        ),
        "channel": clean_choice(channel, field="channel", choices=Channel.values),
        "mot_stage": clean_choice(
            mot_stage, field="mot_stage", choices=MotStage.values, allow_blank=True
        ),
        "phase": clean_choice(phase, field="phase", choices=Phase.values),
    }


@transaction.atomic
def touchpoint_create(
    *,
    actor: Membership,
    stage: Stage,
    title: str,
    description: str = "",
    channel: str = Channel.OTHER,
    mot_stage: str = "",
    phase: str = Phase.USE,
    owner: Membership | None = None,
    position: int | None = None,
    code: str = "",
) -> Touchpoint:
    require(actor, Action.EDIT_MAP, stage)
    fields = _touchpoint_fields(
        title=title, description=description, channel=channel, mot_stage=mot_stage, phase=phase
    )
    _check_owner(owner, stage.journey.workspace_id)
    fields["code"] = _clean_code(code, workspace_id=stage.journey.workspace_id)
    if not _lock_stages(stage.pk):
        raise ValidationError(_("This stage no longer exists."))
    rows = _ordered_touchpoints(stage.pk)
    if len(rows) >= limits.MAX_TOUCHPOINTS_PER_STAGE:
        raise ValidationError(
            _("A stage holds at most %(n)d touchpoints.") % {"n": limits.MAX_TOUCHPOINTS_PER_STAGE}
        )
    touchpoint = Touchpoint.objects.create(
        journey_id=stage.journey_id, stage=stage, position=_free_slot(rows), owner=owner, **fields
    )
    touchpoint._original_position = touchpoint.position  # type: ignore[attr-defined]
    rows.insert(clamp(position, len(rows)), touchpoint)
    renumber(Touchpoint, rows)
    return touchpoint


@transaction.atomic
def touchpoint_update(
    *,
    actor: Membership,
    touchpoint: Touchpoint,
    title: str,
    description: str,
    channel: str,
    mot_stage: str,
    phase: str,
    code: str | None = None,
) -> Touchpoint:
    """Save a touchpoint's fields; ``code=None`` leaves its code as it is."""
    require(actor, Action.EDIT_MAP, touchpoint)
    fields = _touchpoint_fields(
        title=title, description=description, channel=channel, mot_stage=mot_stage, phase=phase
    )
    if code is not None:
        fields["code"] = _clean_code(
            code, workspace_id=touchpoint.journey.workspace_id, exclude_pk=touchpoint.pk
        )
    for key, value in fields.items():
        setattr(touchpoint, key, value)
    touchpoint.save(update_fields=[*fields, "updated_at"])
    return touchpoint


def touchpoint_delete(*, actor: Membership, touchpoint: Touchpoint) -> None:
    require(actor, Action.EDIT_MAP, touchpoint)
    # As in touchpoint_move: the card may have moved to another stage since ``touchpoint`` was
    # loaded, so its stage is read again and locked, else the wrong stage would be renumbered.
    for _attempt in range(5):
        with transaction.atomic():
            stage_id = (
                Touchpoint.objects.filter(pk=touchpoint.pk)
                .values_list("stage_id", flat=True)
                .first()
            )
            if stage_id is None:  # deleted meanwhile: nothing left to do
                return
            _lock_stages(stage_id)
            deleted, _details = Touchpoint.objects.filter(
                pk=touchpoint.pk, stage_id=stage_id
            ).delete()
            if not deleted:
                continue
            renumber(Touchpoint, _ordered_touchpoints(stage_id))
            return
    raise ValidationError(_("The map changed while deleting; please try again."))


def touchpoint_move(
    *, actor: Membership, touchpoint: Touchpoint, stage: Stage, position: int
) -> Touchpoint:
    """Move a touchpoint to ``position`` (0-based, clamped) in ``stage`` of the same journey."""
    require(actor, Action.EDIT_MAP, touchpoint)
    require(actor, Action.EDIT_MAP, stage)
    if stage.journey_id != touchpoint.journey_id:
        raise ValidationError(_("A touchpoint can only move within its own journey."))
    # The touchpoint's stage is read before its lock is held; if a concurrent move changed it,
    # the locks taken are the wrong ones, so start over (a handful of retries is plenty).
    for _attempt in range(5):
        with transaction.atomic():
            source_id = (
                Touchpoint.objects.filter(pk=touchpoint.pk)
                .values_list("stage_id", flat=True)
                .first()
            )
            if source_id is None:
                raise ValidationError(_("This touchpoint no longer exists."))
            locked = _lock_stages(source_id, stage.pk)
            if stage.pk not in locked:
                raise ValidationError(_("This stage no longer exists."))
            current = Touchpoint.objects.get(pk=touchpoint.pk)
            if current.stage_id != source_id:
                continue
            source = _ordered_touchpoints(source_id)
            moving = next(row for row in source if row.pk == current.pk)
            source.remove(moving)
            if source_id == stage.pk:
                source.insert(clamp(position, len(source)), moving)
                renumber(Touchpoint, source)
            else:
                target = _ordered_touchpoints(stage.pk)
                if len(target) >= limits.MAX_TOUCHPOINTS_PER_STAGE:
                    raise ValidationError(
                        _("A stage holds at most %(n)d touchpoints.")
                        % {"n": limits.MAX_TOUCHPOINTS_PER_STAGE}
                    )
                lift(Touchpoint, [moving.pk])  # out of the way of the source's renumbering
                moving.stage_id = stage.pk
                target.insert(clamp(position, len(target)), moving)
                renumber(Touchpoint, source)
                renumber(Touchpoint, target, also=moving, fields=["stage"])
            touchpoint.stage_id = moving.stage_id
            touchpoint.position = moving.position
            return touchpoint
    raise ValidationError(_("The map changed while moving; please try again."))


def touchpoint_assign_owner(
    *, actor: Membership, touchpoint: Touchpoint, owner: Membership | None
) -> Touchpoint:
    require(actor, Action.ASSIGN_OWNER, touchpoint)
    _check_owner(owner, touchpoint.journey.workspace_id)
    touchpoint.owner = owner
    touchpoint.save(update_fields=["owner", "updated_at"])
    return touchpoint


def touchpoints_assign_owner(
    *, actor: Membership, touchpoints: Iterable[Touchpoint], owner: Membership | None
) -> int:
    """Assign one owner to many touchpoints at once (all must be in the actor's workspace)."""
    touchpoints = list(touchpoints)
    for tp in touchpoints:
        require(actor, Action.ASSIGN_OWNER, tp)
    _check_owner(owner, actor.workspace_id)
    return Touchpoint.objects.filter(pk__in=[tp.pk for tp in touchpoints]).update(
        owner=owner, updated_at=timezone.now()
    )
