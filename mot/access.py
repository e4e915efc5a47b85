"""Scoped lookups of members and invitations for views.

The object of the member's workspace (else 404) if the role may do the action (else 403),
through the one policy in :mod:`mot.policy`.
"""

from __future__ import annotations

from django.http import HttpRequest

from mot.models import Invitation, Membership
from mot.notifications.models import Notification
from mot.policy import Action, get_for


def get_member_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Membership]:
    return get_for(
        request,
        workspace_slug,
        Membership.objects.select_related("user"),
        pk,
        action,
        workspace_path="workspace_id",
    )


def get_invitation_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Invitation]:
    return get_for(
        request,
        workspace_slug,
        Invitation.objects.filter(accepted_at__isnull=True),
        pk,
        action,
        workspace_path="workspace_id",
    )


def get_notification_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Notification]:
    """One of the signed-in member's own notifications (another member's answers 404 too)."""
    return get_for(
        request,
        workspace_slug,
        Notification.objects.filter(recipient__user=request.user),
        pk,
        action,
        workspace_path="workspace_id",
    )
