"""Which answers open a follow-up, and opening them in bulk.

Every path an answer arrives by (survey link, API, file import, re-import) ends here with the ids
of the answers it stored. Opening is idempotent: the database holds one follow-up per answer and
the insert skips those that exist (ON CONFLICT DO NOTHING), so an answer sent again, or two
requests racing, never open a second one. A batch costs two queries whatever its size: the
candidates (the rule as a WHERE clause) and one insert.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from feedback.experience import Experience
from feedback.followups.models import FollowUp, FollowUpSettings, Trigger
from feedback.models import Response


def settings_of(workspace_id: int) -> FollowUpSettings:
    """The workspace's rule, or the defaults (not saved) when an admin never set one."""
    found = FollowUpSettings.objects.filter(workspace_id=workspace_id).first()
    return found or FollowUpSettings(workspace_id=workspace_id)


def working_days_after(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def rule_condition(rule: FollowUpSettings) -> Q | None:
    """The rule as a filter on answers; None when it opens nothing."""
    pain = Q(experience=Experience.PAIN)
    if rule.trigger == Trigger.NEVER:
        return None
    if rule.trigger == Trigger.PAIN_WITH_TEXT:
        condition = pain & (~Q(comment="") | ~Q(contact=""))
    elif rule.trigger == Trigger.ANY_PAIN:
        condition = pain
    else:
        condition = Q(nps__isnull=False, nps__lte=rule.nps_max)
    if rule.journey_id is not None:
        condition &= Q(touchpoint__journey_id=rule.journey_id)
    if rule.mot_stage:
        condition &= Q(touchpoint__mot_stage=rule.mot_stage)
    return condition


def followups_open(
    *,
    workspace_id: int,
    response_ids: Collection[int],
    rule: FollowUpSettings | None = None,
) -> int:
    """Open a follow-up for each of these answers the rule selects and that has none yet;
    returns how many were opened. ``rule`` lets a caller with many batches load it once."""
    if not response_ids:
        return 0
    rule = rule if rule is not None else settings_of(workspace_id)
    condition = rule_condition(rule)
    if condition is None:
        return 0
    candidates = list(
        Response.objects.filter(condition, workspace_id=workspace_id, pk__in=list(response_ids))
        .filter(followup__isnull=True)
        .values_list("pk", "touchpoint_id", "touchpoint__owner_id")
    )
    if not candidates:
        return 0
    due = working_days_after(timezone.localdate(), rule.response_days)
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                workspace_id=workspace_id,
                response_id=pk,
                touchpoint_id=touchpoint_id,
                assignee_id=owner_id,  # an unowned touchpoint's go to the workspace's queue
                due_on=due,
            )
            for pk, touchpoint_id, owner_id in candidates
        ],
        ignore_conflicts=True,  # a concurrent request opened it already: one is enough
    )
    # The candidates had none a moment ago; one opened meanwhile by a concurrent request is
    # skipped by the insert but still counted here, the only imprecision (of a count, never
    # of the rows).
    return len(candidates)
