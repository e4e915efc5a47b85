"""Survey links: editors create and revoke the public, unguessable link to a touchpoint's survey."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from feedback.models import SurveyLink
from mot.policy import Action, get_membership, require

if TYPE_CHECKING:
    from django.http import HttpRequest

    from journeys.models import Touchpoint
    from mot.models import Membership


def get_survey_link_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, SurveyLink]:
    """Like mot.policy's helpers: another workspace's link is not found (404), a role 403."""
    membership = get_membership(request, workspace_slug)
    try:
        link = SurveyLink.objects.select_related("touchpoint__journey").get(
            pk=pk, touchpoint__stage__journey__workspace_id=membership.workspace_id
        )
    except SurveyLink.DoesNotExist:
        raise Http404 from None
    require(membership, action, link.touchpoint)
    return membership, link


def survey_link_create(*, actor: Membership, touchpoint: Touchpoint) -> SurveyLink:
    require(actor, Action.MANAGE_SURVEYS, touchpoint)
    with transaction.atomic():
        return SurveyLink.objects.create(touchpoint=touchpoint, created_by=actor)


def survey_link_revoke(*, actor: Membership, link: SurveyLink) -> SurveyLink:
    """Revoke a link; revoking it again keeps the first revocation date."""
    require(actor, Action.MANAGE_SURVEYS, link.touchpoint)
    with transaction.atomic():
        locked = SurveyLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    link.revoked_at = locked.revoked_at
    return link
