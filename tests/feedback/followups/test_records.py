"""A record logged without a score opens a follow-up under the workspace's rule like an answer
with the same experience: by the Python test of one answer and by the import's WHERE clause."""

from __future__ import annotations

import pytest

from feedback.followups.models import FollowUp, FollowUpSettings, Trigger
from feedback.followups.rules import followups_open, rule_condition
from feedback.models import Kind, Response, Source
from feedback.services import AnswerIn
from tests.feedback.followups.conftest import WHEN, ingest


def record(tp, external_id, noted, comment="Rude on the phone"):
    return AnswerIn(
        touchpoint_id=tp.pk,
        external_id=external_id,
        submitted_at=WHEN,
        comment=comment,
        kind=Kind.CALL_NOTE,
        noted_experience=noted,
    )


@pytest.mark.parametrize(
    ("trigger", "opened"),
    [(Trigger.PAIN_WITH_TEXT, {"pain"}), (Trigger.ANY_PAIN, {"pain"}), (Trigger.NEVER, set())],
)
def test_a_pain_record_opens_a_follow_up_under_the_rule(workspace, reviews, staff, trigger, opened):
    FollowUpSettings.objects.create(workspace=workspace, trigger=trigger)
    ingest(workspace, *(record(reviews, n, n) for n in ("glory", "neutral", "pain", "unknown")))
    followups = FollowUp.objects.select_related("response")
    assert {f.response.external_id for f in followups} == opened
    assert all(f.assignee_id == staff.pk for f in followups)


def test_an_nps_rule_never_opens_for_a_record(workspace, reviews):
    FollowUpSettings.objects.create(workspace=workspace, trigger=Trigger.NPS_AT_MOST, nps_max=6)
    ingest(workspace, record(reviews, "r1", "pain"))
    assert not FollowUp.objects.exists()


def test_the_import_rule_agrees_on_records(workspace, reviews):
    rule = FollowUpSettings(workspace=workspace, trigger=Trigger.ANY_PAIN)
    rule.save()
    FollowUpSettings.objects.filter(pk=rule.pk).update(trigger=Trigger.NEVER)
    ids = ingest(
        workspace,
        *(record(reviews, n, n) for n in ("glory", "pain", "unknown")),
        source=Source.IMPORT,
    ).created_ids
    assert not FollowUp.objects.exists()
    matched = Response.objects.filter(rule_condition(rule)).values_list("external_id", flat=True)
    assert list(matched) == ["pain"]
    assert followups_open(workspace_id=workspace.pk, response_ids=ids, rule=rule) == 1
