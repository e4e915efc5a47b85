"""Answers and follow-ups for the follow-up tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback.followups.models import FollowUp
from feedback.models import Response, Source
from feedback.services import AnswerIn, responses_ingest

WHEN = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


def answer(tp, external_id: str, **fields) -> AnswerIn:
    if "nps" not in fields and "csat" not in fields:
        fields["nps"] = 2
    return AnswerIn(touchpoint_id=tp.pk, external_id=external_id, submitted_at=WHEN, **fields)


def ingest(workspace, *answers: AnswerIn, source: str = Source.API):
    return responses_ingest(workspace_id=workspace.pk, source=source, answers=list(answers))


@pytest.fixture
def reviews(journey, staff):
    """The journey's "Reviews" touchpoint, owned by the staff persona."""
    tp = journey.touchpoints.get(title="Reviews")
    tp.owner = staff
    tp.save()
    return tp


@pytest.fixture
def checkout(journey):
    """An unowned touchpoint: its follow-ups go to the workspace's queue."""
    return journey.touchpoints.get(title="Checkout")


@pytest.fixture
def followup(workspace, reviews) -> FollowUp:
    """An open follow-up of a pain answer on the staff persona's touchpoint."""
    ingest(workspace, answer(reviews, "pain-1", comment="Nobody answered", customer="c-1"))
    return FollowUp.objects.get(response__external_id="pain-1")


def followups_of(*external_ids: str) -> list[str]:
    return sorted(
        FollowUp.objects.filter(response__external_id__in=external_ids).values_list(
            "response__external_id", flat=True
        )
    )


__all__ = ["Response", "answer", "followups_of", "ingest"]
