"""Working a follow-up: status changes, notes, reassignment, and the workspace's rule.

Each change names the version of the follow-up its author saw. The row is locked and the
version compared: a change made meanwhile by someone else raises ``FollowUpConflict`` instead of
being overwritten, and the author sees the follow-up as it is now.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.followups.models import (
    CLOSED,
    RESPONSE_KINDS,
    TRANSITIONS,
    EventKind,
    FollowUp,
    FollowUpEvent,
    FollowUpSettings,
    Status,
)
from feedback.hooks import events
from metrics.services import metrics_request_on_commit
from mot.models import Membership, Workspace
from mot.policy import Action, require


class FollowUpConflict(ValidationError):
    """Someone changed the follow-up after the author loaded it; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this follow-up while you were looking at it. Nothing was "
                "saved: here it is as it is now; check it and try again."
            ),
            code="conflict",
        )


def _locked(followup: FollowUp, version: int) -> FollowUp:
    locked = FollowUp.objects.select_for_update().select_related("touchpoint").get(pk=followup.pk)
    if locked.version != version:
        raise FollowUpConflict
    return locked


def _recount(followup: FollowUp) -> None:
    """Ask for the recovery figures of the follow-up's journey to be recomputed once the change
    has committed: a first response or an outcome changes them (as new answers do their
    counts)."""
    metrics_request_on_commit(
        workspace_id=followup.workspace_id, journey_ids=[followup.touchpoint.journey_id]
    )


def _saved(locked: FollowUp, followup: FollowUp, fields: list[str]) -> FollowUp:
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])
    # Each version reached is one followup.changed event for the workspace's webhooks.
    events.followup_changed(
        workspace_id=locked.workspace_id, followup_id=locked.pk, version=locked.version
    )
    for name in [*fields, "version", "updated_at"]:
        setattr(followup, name, getattr(locked, name))
    return followup


def followup_set_status(
    *,
    actor: Membership,
    followup: FollowUp,
    status: str,
    version: int,
    root_cause: str | None = None,
) -> FollowUp:
    """Move the follow-up to ``status`` (a step TRANSITIONS allows); a closed one only goes
    back to open, recorded as reopened. ``root_cause`` (when given) is set with it."""
    require(actor, Action.ACT_ON_TOUCHPOINT, followup)
    with transaction.atomic():
        locked = _locked(followup, version)
        fields: list[str] = []
        previous = locked.status
        if status != previous:
            if status not in TRANSITIONS.get(previous, ()):
                raise ValidationError(
                    {
                        "status": _("A follow-up that is “%(from)s” cannot become “%(to)s”.")
                        % {
                            "from": Status(previous).label,
                            "to": Status(status).label if status in Status.values else status,
                        }
                    },
                    code="transition",
                )
            locked.status = status
            locked.closed_at = timezone.now() if status in CLOSED else None
            locked.closed_late = status in CLOSED and timezone.localdate() > locked.due_on
            fields += ["status", "closed_at", "closed_late"]
            event = FollowUpEvent.objects.create(
                followup=locked,
                kind=EventKind.REOPENED if previous in CLOSED else EventKind.STATUS,
                actor=actor,
                from_status=previous,
                to_status=status,
            )
            # The row is locked: a note written meanwhile waits, then finds it set.
            if event.kind in RESPONSE_KINDS and locked.first_response_at is None:
                locked.first_response_at = event.created_at
                fields.append("first_response_at")
        if root_cause is not None and root_cause != locked.root_cause:
            locked.root_cause = root_cause
            fields.append("root_cause")
            FollowUpEvent.objects.create(
                followup=locked, kind=EventKind.ROOT_CAUSE, actor=actor, root_cause=root_cause
            )
        if not fields:
            return followup
        if "status" in fields:
            _recount(locked)
        return _saved(locked, followup, fields)


def followup_add_note(*, actor: Membership, followup: FollowUp, note: str) -> FollowUpEvent:
    """Add a note to the timeline. Notes only add, so they need no version: two notes written
    at once both stay."""
    require(actor, Action.ACT_ON_TOUCHPOINT, followup)
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Write a note first.")}, code="required")
    with transaction.atomic():
        event = FollowUpEvent.objects.create(
            followup=followup, kind=EventKind.NOTE, actor=actor, note=note
        )
        # Unlocked (notes take no version), so set only where still unset, in the statement
        # itself: of two first notes at once, the one that commits first stays (its time may be a
        # moment after the other's).
        first = FollowUp.objects.filter(pk=followup.pk, first_response_at__isnull=True).update(
            first_response_at=event.created_at
        )
        if first:
            followup.first_response_at = event.created_at
        _recount(followup)
        return event


def followup_reassign(
    *, actor: Membership, followup: FollowUp, assignee: Membership | None, version: int
) -> FollowUp:
    """Give the follow-up to another member of the workspace, or (None) to its queue."""
    require(actor, Action.REASSIGN_FOLLOWUP, followup)
    if assignee is not None and assignee.workspace_id != followup.workspace_id:
        raise ValidationError({"assignee": _("Choose a member of this workspace.")})
    with transaction.atomic():
        locked = _locked(followup, version)
        new_id = assignee.pk if assignee is not None else None
        if locked.assignee_id == new_id:
            return followup
        locked.assignee_id = new_id
        FollowUpEvent.objects.create(
            followup=locked, kind=EventKind.ASSIGNED, actor=actor, assignee_id=new_id
        )
        followup = _saved(locked, followup, ["assignee"])
        followup.assignee = assignee
        return followup


SETTINGS_FIELDS = ("trigger", "nps_max", "journey", "mot_stage", "response_days")


def followup_settings_update(
    *, actor: Membership, workspace: Workspace, values: dict
) -> FollowUpSettings:
    """Save the workspace's rule and response target. Answers already stored keep the
    follow-ups they have (and get none they lacked): a rule applies from now on."""
    require(actor, Action.CONFIGURE_FOLLOWUPS, workspace)
    journey = values.get("journey")
    if journey is not None and journey.workspace_id != workspace.pk:
        raise ValidationError({"journey": _("Choose a journey of this workspace.")})
    with transaction.atomic():
        rule, _created = FollowUpSettings.objects.select_for_update().get_or_create(
            workspace=workspace
        )
        for name in SETTINGS_FIELDS:
            if name in values:
                setattr(rule, name, values[name])
        rule.full_clean()
        rule.save()
    return rule
