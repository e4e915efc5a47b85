"""Logging a record (a complaint, an interview note…) on a touchpoint: policy-checked, stored
through the one ingestion path, so it opens a follow-up under the workspace's rule like an
answer of the same experience and never counts in a metric."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from feedback.models import Source
from feedback.services import AnswerIn, IngestResult, TouchpointRef, responses_ingest
from journeys.models import Touchpoint
from mot.models import Membership
from mot.policy import Action, require


def record_log(
    *,
    actor: Membership,
    touchpoint: Touchpoint,
    submission: str,
    kind: str,
    comment: str,
    day: date,
    experience: str,
    language: str,
    customer: str = "",
) -> IngestResult:
    """Store the record once per ``submission`` (the form's id): a second post of the same form
    is a duplicate and writes nothing."""
    require(actor, Action.LOG_RECORD, touchpoint)
    # Noon of the day in the current time zone: the day reads the same in every page.
    when = timezone.make_aware(datetime.combine(day, time(12)))
    record = AnswerIn(
        touchpoint_id=touchpoint.pk,
        external_id=f"record-{submission}",
        submitted_at=when,
        comment=comment.strip(),
        customer=customer.strip() or None,
        language=language,
        kind=kind,
        noted_experience=experience,
    )
    return responses_ingest(
        workspace_id=actor.workspace_id,
        source=Source.MEMBER,
        answers=[record],
        touchpoints={
            touchpoint.pk: TouchpointRef(
                touchpoint.journey_id, touchpoint.owner_id, touchpoint.mot_stage
            )
        },
    )
