"""Scoped lookups of journeys, stages and touchpoints for views.

The object of the member's workspace (else 404) if the role may do the action (else 403),
through the one policy in :mod:`mot.policy`."""

from __future__ import annotations

from django.http import HttpRequest

from journeys.models import Journey, Lane, LaneItem, Persona, Stage, Touchpoint
from mot.models import Membership
from mot.policy import Action, get_for


def get_journey_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Journey]:
    return get_for(
        request, workspace_slug, Journey.objects.all(), pk, action, workspace_path="workspace_id"
    )


def get_stage_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Stage]:
    return get_for(
        request,
        workspace_slug,
        Stage.objects.select_related("journey"),
        pk,
        action,
        workspace_path="journey__workspace_id",
        subject=lambda stage: stage.journey,
    )


def get_touchpoint_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Touchpoint]:
    return get_for(
        request,
        workspace_slug,
        Touchpoint.objects.select_related("journey", "stage", "owner__user"),
        pk,
        action,
        workspace_path="journey__workspace_id",
    )


def get_lane_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Lane]:
    return get_for(
        request,
        workspace_slug,
        Lane.objects.select_related("journey"),
        pk,
        action,
        workspace_path="journey__workspace_id",
        subject=lambda lane: lane.journey,
    )


def get_item_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, LaneItem]:
    return get_for(
        request,
        workspace_slug,
        LaneItem.objects.select_related("journey", "lane", "stage", "owner__user"),
        pk,
        action,
        workspace_path="journey__workspace_id",
        subject=lambda item: item.journey,
    )


def get_persona_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Persona]:
    return get_for(
        request, workspace_slug, Persona.objects.all(), pk, action, workspace_path="workspace_id"
    )
