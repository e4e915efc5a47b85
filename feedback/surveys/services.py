"""Survey links: editors create and revoke the public, unguessable link to a touchpoint's survey,
and say how many customers were invited to it (also through the API); the public pages count
its opens and submissions (:func:`count_open`, :func:`count_submission`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedback.models import Response, Source, SurveyBranding, SurveyLink
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


def survey_link_set_invited(*, actor: Membership, link: SurveyLink, invited: int | None) -> None:
    """How many customers were sent the link (None: unknown)."""
    require(actor, Action.MANAGE_SURVEYS, link.touchpoint)
    set_invited(link_id=link.pk, invited=invited)
    link.invited = invited


def set_invited(*, link_id: int, invited: int | None) -> None:
    """The API's way in (its token already names the workspace): no member to check."""
    if invited is not None and invited < 0:
        raise ValueError("invited must be 0 or more")
    SurveyLink.objects.filter(pk=link_id).update(invited=invited)


def count_open(token: str) -> None:
    """One survey page shown: one UPDATE, on the GET only (the POST that stores an answer is the
    busiest request MOT serves, and stays as it was)."""
    SurveyLink.objects.filter(token=token).update(opens=F("opens") + 1)


# A submission is counted once, however often its thank-you page is shown (reloads, the back
# button): remembered this long, longer than anyone stays on the page.
COUNTED_SECONDS = 7 * 24 * 3600


def count_submission(*, token: str, workspace_id: int, touchpoint_id: int, submission: str) -> bool:
    """Count a submission through the link when its thank-you page is first shown, if its answer
    was stored at the link's touchpoint (a made-up id counts nothing). Counted on that GET, not
    in the POST that stored the answer. Returns whether it was counted.

    Remembered in the cache: without one (Redis down) nothing is counted, so the figure can only
    fall short, never count a submission twice."""
    stored = Response.objects.filter(
        workspace_id=workspace_id,
        source=Source.SURVEY_LINK,
        external_id=submission,
        touchpoint_id=touchpoint_id,
    ).exists()
    if not stored:
        return False
    try:
        first = cache.add(f"survey-counted:{token}:{submission}", 1, timeout=COUNTED_SECONDS)
    except Exception:
        return False
    if first:
        SurveyLink.objects.filter(token=token).update(submissions=F("submissions") + 1)
    return bool(first)


def logo_of(*, token: str, digest: str) -> tuple[bytes, str] | None:
    """The logo (bytes, MIME type) of the workspace of the link ``token``, if its hash is
    ``digest``."""
    row = (
        SurveyBranding.objects.filter(
            workspace__journeys__touchpoints__survey_links__token=token[:64],
            logo_hash=digest[:16],
            logo__isnull=False,
        )
        .values_list("logo", "logo_type")
        .first()
    )
    return (bytes(row[0]), row[1]) if row else None


def survey_link_configure(
    *, actor: Membership, link: SurveyLink, config: dict, language: str
) -> SurveyLink:
    """Save what the link's survey asks and says (the editor's form, feedback.surveys.editor),
    and its language ("" for the visitor's browser)."""
    require(actor, Action.MANAGE_SURVEYS, link.touchpoint)
    link.config = config
    link.language = supported(language) or ""
    link.save(update_fields=["config", "language"])
    return link


def branding_set(
    *,
    actor: Membership,
    logo: tuple[bytes, str, str] | None,
    remove_logo: bool,
    accent: str,
) -> SurveyBranding:
    """The workspace's accent colour, and its logo replaced (``logo``: bytes, MIME type,
    hash, checked by the form) or removed; otherwise the logo is kept."""
    workspace = actor.workspace
    require(actor, Action.MANAGE_SURVEYS, workspace)
    with transaction.atomic():
        branding, _created = SurveyBranding.objects.select_for_update().get_or_create(
            workspace=workspace
        )
        branding.accent = accent
        if logo is not None:
            branding.logo, branding.logo_type, branding.logo_hash = logo
        elif remove_logo:
            branding.logo, branding.logo_type, branding.logo_hash = None, "", ""
        branding.save()
    return branding
