"""Managing a workspace's webhooks (admins only, through the one policy): intakes with their
secret and Typeform mapping, outgoing endpoints with their URL, events and secret.

A secret is returned by the call that creates or rotates it, for the page to show once.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from feedback.hooks import events, outgoing
from feedback.hooks.models import (
    Delivery,
    Endpoint,
    Event,
    Intake,
    IntakeKind,
    new_standard_secret,
    new_typeform_secret,
)
from feedback.hooks.typeform import HIDDEN, TARGETS
from feedback.hooks.urlcheck import UnsafeUrl, check_url
from journeys.models import Touchpoint
from mot.models import Membership
from mot.policy import Action, require

SUBSCRIBABLE = [e for e in Event.values if e != Event.TEST]
MAX_INTAKES = 50  # per workspace, of each kind together
MAX_ENDPOINTS = 20


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give it a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("A name has at most 100 characters.")})
    return name


def _secret_for(kind: str) -> str:
    return new_typeform_secret() if kind == IntakeKind.TYPEFORM else new_standard_secret()


def _own_touchpoint(actor: Membership, touchpoint: Touchpoint | None) -> None:
    if touchpoint is not None and touchpoint.journey.workspace_id != actor.workspace_id:
        raise ValidationError({"touchpoint": _("Choose a touchpoint of this workspace.")})


def intake_create(
    *, actor: Membership, kind: str, name: str, touchpoint: Touchpoint | None = None
) -> tuple[Intake, str]:
    require(actor, Action.MANAGE_WEBHOOKS, actor.workspace)
    if kind not in IntakeKind.values:
        raise ValidationError({"kind": _("Choose Typeform or a signed webhook.")})
    _own_touchpoint(actor, touchpoint)
    if Intake.objects.filter(workspace_id=actor.workspace_id).count() >= MAX_INTAKES:
        raise ValidationError(_("A workspace has at most %(n)d intakes.") % {"n": MAX_INTAKES})
    secret = _secret_for(kind)
    intake = Intake.objects.create(
        workspace_id=actor.workspace_id,
        kind=kind,
        name=_name(name),
        secret=secret,
        touchpoint=touchpoint,
        created_by=actor,
    )
    return intake, secret


def intake_rotate(*, actor: Membership, intake: Intake) -> str:
    """A new secret; the old one stops working at once."""
    require(actor, Action.MANAGE_WEBHOOKS, intake)
    secret = _secret_for(intake.kind)
    Intake.objects.filter(pk=intake.pk).update(secret=secret)
    intake.secret = secret
    return secret


def intake_delete(*, actor: Membership, intake: Intake) -> None:
    require(actor, Action.MANAGE_WEBHOOKS, intake)
    intake.delete()


def intake_mapping_save(
    *,
    actor: Membership,
    intake: Intake,
    mapping: dict[str, str],
    touchpoint: Touchpoint | None,
    touchpoint_field: str,
) -> Intake:
    """Which Typeform field is which answer value, and where the touchpoint comes from (one
    fixed touchpoint, or a hidden field carrying a touchpoint code)."""
    require(actor, Action.MANAGE_WEBHOOKS, intake)
    _own_touchpoint(actor, touchpoint)
    mapping = {str(k)[:100]: v for k, v in mapping.items() if v}
    unknown = sorted(v for v in mapping.values() if v not in TARGETS)
    if unknown:
        raise ValidationError(_("Unknown answer value: %(v)s") % {"v": ", ".join(unknown)})
    targets = list(mapping.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ValidationError(
            _("Map each answer value to one field only: %(v)s") % {"v": ", ".join(twice)}
        )
    if not {"nps", "csat"} & set(targets):
        raise ValidationError(_("Map a field to NPS or to CSAT: an answer needs one of them."))
    touchpoint_field = (touchpoint_field or "").strip()[:100]
    if not touchpoint and not touchpoint_field:
        raise ValidationError(
            {"touchpoint": _("Choose a touchpoint, or a hidden field that carries its code.")}
        )
    if f"{HIDDEN}{touchpoint_field}" in mapping:
        raise ValidationError(
            {"touchpoint_field": _("This hidden field is already mapped to an answer value.")}
        )
    intake.mapping = mapping
    intake.touchpoint = touchpoint
    intake.touchpoint_field = touchpoint_field
    intake.save(update_fields=["mapping", "touchpoint", "touchpoint_field"])
    return intake


def _checked(url: str) -> str:
    url = (url or "").strip()
    try:
        check_url(url)
    except UnsafeUrl as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


def _events(chosen: list[str]) -> list[str]:
    chosen = sorted(set(chosen or ()))
    if not chosen or any(e not in SUBSCRIBABLE for e in chosen):
        raise ValidationError({"events": _("Choose at least one event.")})
    return chosen


def endpoint_create(
    *, actor: Membership, name: str, url: str, events_chosen: list[str]
) -> tuple[Endpoint, str]:
    require(actor, Action.MANAGE_WEBHOOKS, actor.workspace)
    if Endpoint.objects.filter(workspace_id=actor.workspace_id).count() >= MAX_ENDPOINTS:
        raise ValidationError(
            _("A workspace has at most %(n)d webhook endpoints.") % {"n": MAX_ENDPOINTS}
        )
    fields = {"name": _name(name), "url": _checked(url), "events": _events(events_chosen)}
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            workspace_id=actor.workspace_id, created_by=actor, **fields
        )
        transaction.on_commit(lambda: events.refresh(actor.workspace_id))
    return endpoint, endpoint.secret


def endpoint_update(
    *,
    actor: Membership,
    endpoint: Endpoint,
    name: str,
    url: str,
    events_chosen: list[str],
    enabled: bool,
) -> Endpoint:
    """Change an endpoint; enabling it again starts its count of failures afresh."""
    require(actor, Action.MANAGE_WEBHOOKS, endpoint)
    endpoint.name = _name(name)
    endpoint.url = _checked(url)
    endpoint.events = _events(events_chosen)
    if enabled and not endpoint.enabled:
        endpoint.failures, endpoint.disabled_reason = 0, ""
    endpoint.enabled = enabled
    with transaction.atomic():
        endpoint.save()
        transaction.on_commit(lambda: events.refresh(endpoint.workspace_id))
    return endpoint


def endpoint_rotate(*, actor: Membership, endpoint: Endpoint) -> str:
    require(actor, Action.MANAGE_WEBHOOKS, endpoint)
    secret = new_standard_secret()
    Endpoint.objects.filter(pk=endpoint.pk).update(secret=secret)
    endpoint.secret = secret
    return secret


def endpoint_delete(*, actor: Membership, endpoint: Endpoint) -> None:
    require(actor, Action.MANAGE_WEBHOOKS, endpoint)
    workspace_id = endpoint.workspace_id
    with transaction.atomic():
        endpoint.delete()
        transaction.on_commit(lambda: events.refresh(workspace_id))


def endpoint_test(*, actor: Membership, endpoint: Endpoint) -> Delivery:
    require(actor, Action.MANAGE_WEBHOOKS, endpoint)
    if not endpoint.enabled:
        raise ValidationError(_("Enable the endpoint before sending it a test event."))
    return outgoing.send_test(endpoint)
