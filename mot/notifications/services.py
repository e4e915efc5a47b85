"""Recording notifications, reading them, and each member's alert choices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from mot.models import Membership, Role
from mot.notifications.mail import mail_soon_on_commit
from mot.notifications.models import AlertPreferences, Notification
from mot.policy import Action, require

# Who hears about the workspace as a whole: the queue's new follow-ups, every overdue one, a
# moment that drops. Managers work every follow-up; admins may do everything.
WORKSPACE_WATCHERS = (Role.ADMIN, Role.MANAGER)


def workspace_watchers(*, workspace_id: int) -> list[int]:
    return list(
        Membership.objects.filter(workspace_id=workspace_id, role__in=WORKSPACE_WATCHERS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Entry:
    """One notification to record: who, which event, what to say, where it leads."""

    recipient_id: int
    dedupe_key: str
    params: dict
    link: str


def notifications_record(*, workspace_id: int, kind: str, entries: Iterable[Entry]) -> int:
    """Record each entry once (an event recorded again for the same member adds nothing) and
    ask for the e-mails of those that are new; returns how many were new. Two queries."""
    now = timezone.now()
    rows = [
        Notification(
            workspace_id=workspace_id,
            recipient_id=entry.recipient_id,
            kind=kind,
            params=entry.params,
            link=entry.link,
            dedupe_key=entry.dedupe_key,
            created_at=now,
        )
        for entry in entries
    ]
    if not rows:
        return 0
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        new = list(
            Notification.objects.filter(
                recipient_id__in={row.recipient_id for row in rows},
                kind=kind,
                created_at=now,
            ).values_list("recipient_id", flat=True)
        )
        mail_soon_on_commit(recipient_ids=new, kind=kind)
    return len(new)


def notification_read(*, actor: Membership, notification: Notification) -> None:
    require(actor, Action.VIEW, notification)
    Notification.objects.filter(pk=notification.pk, recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_read_all(*, actor: Membership) -> int:
    require(actor, Action.VIEW, actor.workspace)
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences_of(membership: Membership) -> AlertPreferences:
    """The member's choices, or the defaults (not saved) when they never chose."""
    found = AlertPreferences.objects.filter(membership=membership).first()
    return found or AlertPreferences(membership=membership)


def preferences_save(*, actor: Membership, choices: dict[str, bool]) -> AlertPreferences:
    """Save the member's own choices (nobody chooses for someone else)."""
    require(actor, Action.VIEW, actor.workspace)
    fields = {f: bool(choices[f]) for f in preference_fields(actor) if f in choices}
    preferences, _created = AlertPreferences.objects.update_or_create(
        membership=actor, defaults=fields
    )
    return preferences


PREFERENCE_FIELDS = ("email_followup_new", "email_followups_overdue", "email_moment_turn")
# Told to admins only (they manage the webhooks): the choice is offered to them only.
ADMIN_PREFERENCE_FIELDS = ("email_webhook_disabled",)


def preference_fields(membership: Membership) -> tuple[str, ...]:
    """The e-mail choices the member has: the admins' own alerts only for admins."""
    if membership.role == Role.ADMIN:
        return PREFERENCE_FIELDS + ADMIN_PREFERENCE_FIELDS
    return PREFERENCE_FIELDS


def workspace_admins(*, workspace_id: int) -> list[int]:
    return list(
        Membership.objects.filter(workspace_id=workspace_id, role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
