"""The database's check on a response's kind: a survey answer has a score, a record has text,
a noted experience and no score."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from feedback.models import Kind, Response, Source

WHEN = datetime(2026, 5, 4, tzinfo=UTC)


@pytest.fixture
def tp(journey):
    return journey.touchpoints.get(title="Reviews")


def make(tp, **fields):
    base = {"workspace_id": tp.journey.workspace_id, "touchpoint": tp, "source": Source.API}
    return Response.objects.create(external_id="x", submitted_at=WHEN, **base, **fields)


OK = [
    {"nps": 3},
    {"csat": 5, "comment": "Fine"},
    {"kind": Kind.COMPLAINT, "comment": "Late", "noted_experience": "pain"},
    {"kind": Kind.INTERVIEW, "comment": "Notes", "noted_experience": "unknown"},
    {"kind": Kind.SOCIAL_POST, "comment": "Love it", "noted_experience": "glory"},
    {"kind": Kind.CALL_NOTE, "comment": "Asked", "noted_experience": "neutral"},
]
REFUSED = [
    {},  # a survey answer without a score
    {"nps": 3, "noted_experience": "pain"},  # a survey answer's experience is its score's
    {"kind": Kind.COMPLAINT, "noted_experience": "pain"},  # a record without text
    {"kind": Kind.COMPLAINT, "comment": "Late"},  # a record without a noted experience
    {"kind": Kind.COMPLAINT, "comment": "Late", "noted_experience": "pain", "nps": 2},
    {"kind": Kind.COMPLAINT, "comment": "Late", "noted_experience": "pain", "respect": 2},
    {"kind": Kind.COMPLAINT, "comment": "Late", "noted_experience": "angry"},
    {"kind": "rumour", "comment": "Late", "noted_experience": "pain"},
]


@pytest.mark.parametrize("fields", OK)
def test_the_check_takes_answers_and_records(tp, fields):
    stored = make(tp, **fields)
    stored.refresh_from_db()
    expected = fields.get("noted_experience") or ("pain" if fields.get("nps") == 3 else "glory")
    assert stored.experience == expected


@pytest.mark.parametrize("fields", REFUSED)
def test_the_check_refuses_what_the_kind_forbids(tp, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(tp, **fields)


def test_existing_rows_are_survey_answers(tp):
    assert make(tp, nps=9).kind == Kind.SURVEY_ANSWER
