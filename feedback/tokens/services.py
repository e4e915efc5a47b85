"""Workspace API tokens: created by admins, stored as a SHA-256 only, shown once, revocable."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import ApiToken, hash_token
from mot.models import Membership
from mot.policy import Action, require

TOKEN_PREFIX = "mot_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 12  # "mot_" and 8 characters: enough to tell tokens apart, useless to guess one
MAX_TOKEN_LENGTH = 200  # a real token is 47 characters; longer input is not worth hashing
LAST_USED_PRECISION = timedelta(minutes=1)  # one write a minute per token, not one per request


def api_token_create(*, actor: Membership, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor's workspace: the row and the raw token (never stored)."""
    require(actor, Action.MANAGE_TOKENS, actor.workspace)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("A name has at most 100 characters.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            workspace_id=actor.workspace_id,
            name=name,
            prefix=raw[:PREFIX_LENGTH],
            token_hash=hash_token(raw),
            created_by=actor,
        )
    return token, raw


def api_token_revoke(*, actor: Membership, token: ApiToken) -> ApiToken:
    require(actor, Action.MANAGE_TOKENS, token)
    with transaction.atomic():
        # Revoking twice keeps the first time: the moment the token stopped working.
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    token.refresh_from_db()
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token with this value (its workspace loaded), or None."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(TOKEN_PREFIX):
        return None
    try:
        token = ApiToken.objects.select_related("workspace").get(
            token_hash=hash_token(raw), revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of(*, membership: Membership):
    return ApiToken.objects.filter(workspace_id=membership.workspace_id).order_by(
        "revoked_at", "-created_at", "-pk"
    )
