"""Scoped lookups of survey links, import jobs and follow-ups for views.

The object of the member's workspace (else 404) if the role may do the action (else 403),
through the one policy in :mod:`mot.policy`."""

from __future__ import annotations

from django.http import HttpRequest

from feedback.models import Customer, FollowUp, ImportJob, SurveyLink
from mot.models import Membership
from mot.policy import Action, get_for


def get_survey_link_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, SurveyLink]:
    return get_for(
        request,
        workspace_slug,
        SurveyLink.objects.select_related("touchpoint__journey"),
        pk,
        action,
        workspace_path="touchpoint__journey__workspace_id",
        subject=lambda link: link.touchpoint,
    )


def get_import_job_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, ImportJob]:
    return get_for(
        request,
        workspace_slug,
        ImportJob.objects.select_related("created_by__user"),
        pk,
        action,
        workspace_path="workspace_id",
    )


def get_followup_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, FollowUp]:
    return get_for(
        request,
        workspace_slug,
        FollowUp.objects.select_related(
            "response__customer",
            "touchpoint__journey",
            "touchpoint__owner__user",
            "assignee__user",
        ),
        pk,
        action,
        workspace_path="workspace_id",
    )


def get_customer_for(
    request: HttpRequest, workspace_slug: str, pk: int, action: Action
) -> tuple[Membership, Customer]:
    return get_for(
        request, workspace_slug, Customer.objects.all(), pk, action, workspace_path="workspace_id"
    )
