"""The follow-up rule is written twice — as a WHERE clause for imports (``rule_condition``) and
as a test of one answer in Python for surveys and the API (``rule_selects``) — and both must
select exactly the same answers, for every rule and every kind of answer."""

from __future__ import annotations

import itertools

from feedback.followups.models import FollowUpSettings, Trigger
from feedback.followups.rules import AnswerFacts, rule_condition, rule_selects
from feedback.models import Response, Source
from journeys.models import MotStage
from journeys.services import journey_create, stage_create, touchpoint_create
from tests.feedback.followups.conftest import answer, ingest

NPS = [None, *range(11)]
CSAT = [None, *range(1, 6)]


def test_the_python_rule_selects_what_the_sql_rule_selects(workspace, editor, journey, reviews):
    other = journey_create(actor=editor, name="Support")
    elsewhere = touchpoint_create(
        actor=editor,
        stage=stage_create(actor=editor, journey=other, name="Call"),
        title="Hotline",
        mot_stage=MotStage.SMOT,
    )
    touchpoints = [*journey.touchpoints.all(), elsewhere]
    batch = [
        answer(
            tp,
            f"{tp.pk}-{nps}-{csat}-{comment}-{contact}",
            nps=nps,
            csat=csat,
            comment=comment,
            contact=contact,
        )
        for tp in touchpoints
        for nps, csat in itertools.product(NPS, CSAT)
        if (nps, csat) != (None, None)
        for comment in ("", "Slow")
        for contact in ("", "ana@example.com")
    ]
    ingest(workspace, *batch, source=Source.IMPORT)
    held = {
        r.pk: AnswerFacts(
            nps=r.nps,
            csat=r.csat,
            comment=r.comment,
            contact=r.contact,
            journey_id=r.touchpoint.journey_id,
            mot_stage=r.touchpoint.mot_stage,
        )
        for r in Response.objects.select_related("touchpoint")
    }
    assert len(held) == len(batch) == 4 * 71 * 4

    rules = [
        FollowUpSettings(
            workspace=workspace,
            trigger=trigger,
            nps_max=nps_max,
            journey_id=journey_id,
            mot_stage=stage,
        )
        for trigger in Trigger.values
        for nps_max in (0, 6, 10)
        for journey_id in (None, journey.pk, other.pk)
        for stage in ("", MotStage.ZMOT, MotStage.SMOT)
    ]
    for rule in rules:
        condition = rule_condition(rule)
        in_sql = (
            set()
            if condition is None
            else set(Response.objects.filter(condition).values_list("pk", flat=True))
        )
        in_python = {pk for pk, a in held.items() if rule_selects(rule, a)}
        assert in_python == in_sql, rule.__dict__
