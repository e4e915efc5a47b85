"""Survey links: editors create and revoke the public, unguessable link to a touchpoint's survey."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from feedback.models import SurveyLink
from mot.language import supported
from mot.policy import Action, require

if TYPE_CHECKING:
    from journeys.models import Touchpoint
    from mot.models import Membership


def survey_link_create(
    *, actor: Membership, touchpoint: Touchpoint, language: str | None = None
) -> SurveyLink:
    """A new link; its survey is shown in ``language`` ("" for the visitor's browser), by
    default the workspace's default language."""
    require(actor, Action.MANAGE_SURVEYS, touchpoint)
    if language is None:
        language = actor.workspace.default_language
    with transaction.atomic():
        return SurveyLink.objects.create(
            touchpoint=touchpoint, created_by=actor, language=supported(language) or ""
        )


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
