"""Reads for the follow-up pages: my follow-ups, a follow-up's timeline, its customer's answers."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, When
from django.utils import timezone

from feedback.followups.models import ACTIVE, CLOSED, FollowUp, FollowUpEvent
from feedback.models import Response
from mot.models import Membership

CUSTOMER_ANSWERS = 20  # the customer's latest other answers shown on a follow-up


@dataclass(frozen=True)
class ListFilters:
    status: str = "active"  # active, open, in_progress, closed, all
    overdue: bool = False
    scope: str = "mine"  # mine (assigned to me or on my touchpoints) or queue (unassigned)


def followups_for_list(*, membership: Membership, filters: ListFilters) -> QuerySet[FollowUp]:
    """Overdue first, then by due date: what to do next is at the top. One query."""
    today = timezone.localdate()
    rows = FollowUp.objects.filter(workspace_id=membership.workspace_id)
    if filters.scope == "queue":
        rows = rows.filter(assignee__isnull=True)
    else:
        rows = rows.filter(Q(assignee=membership) | Q(touchpoint__owner=membership))
    if filters.status == "active":
        rows = rows.filter(status__in=ACTIVE)
    elif filters.status == "closed":
        rows = rows.filter(status__in=CLOSED)
    elif filters.status != "all":
        rows = rows.filter(status=filters.status)
    overdue = Q(status__in=ACTIVE, due_on__lt=today)
    if filters.overdue:
        rows = rows.filter(overdue)
    return (
        rows.select_related("response", "touchpoint__journey", "assignee__user")
        .annotate(is_overdue=Case(When(overdue, then=1), default=0, output_field=IntegerField()))
        .order_by("-is_overdue", "due_on", "pk")
    )


def followup_timeline(*, followup: FollowUp) -> list[FollowUpEvent]:
    return list(
        followup.events.select_related("actor__user", "assignee__user").order_by("created_at", "pk")
    )


def customer_other_answers(*, followup: FollowUp) -> list[Response]:
    """The same customer's other answers, newest first (none for an anonymous answer)."""
    response = followup.response
    if response.customer_id is None:
        return []
    return list(
        Response.objects.filter(
            workspace_id=followup.workspace_id, customer_id=response.customer_id
        )
        .exclude(pk=response.pk)
        .select_related("touchpoint")
        .order_by("-submitted_at", "-pk")[:CUSTOMER_ANSWERS]
    )
