"""Which answers open a follow-up, with what assignee and due date, and never twice."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from feedback.followups.models import FollowUp, FollowUpSettings, Trigger
from feedback.followups.rules import followups_open, working_days_after
from feedback.models import Response, Source
from journeys.models import MotStage
from journeys.services import journey_create, stage_create, touchpoint_create
from tests.feedback.followups.conftest import answer, followups_of, ingest


def test_default_rule_opens_for_pain_answers_with_a_comment_or_a_contact(workspace, reviews):
    result = ingest(
        workspace,
        answer(reviews, "pain-comment", nps=3, comment="Slow"),
        answer(reviews, "pain-contact", csat=1, contact="ana@example.com"),
        answer(reviews, "pain-silent", nps=0),
        answer(reviews, "neutral-comment", nps=7, comment="Fine"),
        answer(reviews, "glory-contact", nps=10, contact="+351 912 345 678"),
    )

    assert result.followups == 2
    assert followups_of("pain-comment", "pain-contact", "pain-silent", "neutral-comment",
                        "glory-contact") == ["pain-comment", "pain-contact"]  # fmt: skip


def _rule(workspace, **fields) -> FollowUpSettings:
    return FollowUpSettings.objects.create(workspace=workspace, **fields)


def test_any_pain_rule_opens_for_silent_pain_answers_too(workspace, reviews):
    _rule(workspace, trigger=Trigger.ANY_PAIN)

    ingest(workspace, answer(reviews, "silent", nps=0), answer(reviews, "glory", nps=9))

    assert followups_of("silent", "glory") == ["silent"]


def test_nps_rule_opens_for_answers_at_or_under_n(workspace, reviews):
    _rule(workspace, trigger=Trigger.NPS_AT_MOST, nps_max=7)

    ingest(
        workspace,
        answer(reviews, "seven", nps=7),
        answer(reviews, "eight", nps=8),
        answer(reviews, "csat-only", csat=1),
    )

    assert followups_of("seven", "eight", "csat-only") == ["seven"]


def test_journey_and_moment_rules_open_only_there(workspace, editor, reviews, checkout):
    other = journey_create(actor=editor, name="Support")
    elsewhere = touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=other, name="Call"), title="Call"
    )
    rule = _rule(workspace, trigger=Trigger.ANY_PAIN, journey=reviews.journey)
    ingest(workspace, answer(reviews, "here"), answer(elsewhere, "there"))
    assert followups_of("here", "there") == ["here"]

    rule.journey, rule.mot_stage = None, MotStage.ZMOT  # Reviews is the map's ZMOT
    rule.save()
    ingest(workspace, answer(reviews, "zmot"), answer(checkout, "no-moment"))
    assert followups_of("zmot", "no-moment") == ["zmot"]


def test_a_rule_of_none_opens_nothing(workspace, reviews):
    _rule(workspace, trigger=Trigger.NEVER)

    assert ingest(workspace, answer(reviews, "a", comment="Bad")).followups == 0
    assert not FollowUp.objects.exists()


def test_owner_gets_the_follow_up_and_an_unowned_touchpoint_goes_to_the_queue(
    workspace, staff, reviews, checkout
):
    ingest(
        workspace, answer(reviews, "owned", comment="x"), answer(checkout, "unowned", comment="y")
    )

    owned = FollowUp.objects.get(response__external_id="owned")
    unowned = FollowUp.objects.get(response__external_id="unowned")
    assert (owned.assignee_id, owned.touchpoint_id, owned.status) == (staff.pk, reviews.pk, "open")
    assert unowned.assignee_id is None


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 12, 4), 2, date(2026, 12, 8)),  # Friday + 2 working days = Tuesday
        (date(2026, 12, 5), 1, date(2026, 12, 7)),  # Saturday + 1 = Monday
        (date(2026, 12, 7), 5, date(2026, 12, 14)),  # Monday + 5 = next Monday
    ],
)
def test_due_date_counts_working_days(start, days, due):
    assert working_days_after(start, days) == due


def test_due_date_follows_the_workspaces_response_target(workspace, reviews):
    _rule(workspace, response_days=5)

    ingest(workspace, answer(reviews, "a", comment="x"))

    expected = working_days_after(timezone.localdate(), 5)
    assert FollowUp.objects.get().due_on == expected


def test_an_answer_sent_again_opens_no_second_follow_up(workspace, reviews):
    first = ingest(workspace, answer(reviews, "a", comment="x"))
    again = ingest(workspace, answer(reviews, "a", comment="x"))
    # Even asked directly, the stored answer keeps its one follow-up.
    direct = followups_open(workspace_id=workspace.pk, response_ids=first.created_ids)

    assert (first.followups, again.followups, direct) == (1, 0, 0)
    assert FollowUp.objects.count() == 1


def test_opening_costs_a_few_queries_whatever_the_batch(
    workspace, reviews, django_assert_num_queries
):
    rule = FollowUpSettings(workspace=workspace)
    for size in (3, 60):
        ids = ingest(
            workspace,
            *[answer(reviews, f"{size}-{i}", comment="x") for i in range(size)],
            source=Source.IMPORT,
        ).created_ids
        FollowUp.objects.filter(response_id__in=ids).delete()
        # INSERT … SELECT of the follow-ups; their assignees; INSERT … SELECT of the
        # notifications (feedback/followups/alerts.py)
        with django_assert_num_queries(3):
            assert followups_open(workspace_id=workspace.pk, response_ids=ids, rule=rule) == size


def test_another_workspaces_answers_never_open_here(workspace, outsider, reviews):
    ids = ingest(workspace, answer(reviews, "a", comment="x")).created_ids
    FollowUp.objects.all().delete()

    assert followups_open(workspace_id=outsider.workspace_id, response_ids=ids) == 0
    assert Response.objects.count() == 1
    assert not FollowUp.objects.exists()
