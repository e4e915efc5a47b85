"""The one ingestion path: idempotent, workspace-safe, all-or-nothing."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from feedback import services
from feedback.followups.rules import Opening, opening_insert
from feedback.models import Customer, Response, Source
from feedback.services import AnswerIn, AnswersRefused, Problem, responses_ingest
from journeys.services import journey_create, stage_create, touchpoint_create
from mot.sql import sql

WHEN = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


def answer(tp, external_id: str, **fields) -> AnswerIn:
    fields.setdefault("nps", 9)
    return AnswerIn(touchpoint_id=tp.pk, external_id=external_id, submitted_at=WHEN, **fields)


@pytest.fixture
def tp(journey):
    return journey.touchpoints.get(title="Reviews")


def test_answers_are_stored_with_their_customer(workspace, tp):
    result = responses_ingest(
        workspace_id=workspace.pk,
        source=Source.API,
        answers=[
            answer(tp, "a1", customer="c-7", comment="Great reviews", csat=5),
            answer(tp, "a2", customer="c-7", nps=3),
        ],
    )
    assert (result.created, result.duplicates) == (2, 0)
    stored = Response.objects.order_by("external_id")
    assert [(r.external_id, r.nps, r.customer.external_id) for r in stored] == [
        ("a1", 9, "c-7"),
        ("a2", 3, "c-7"),
    ]
    assert Customer.objects.filter(workspace=workspace).count() == 1
    assert sorted(result.created_ids) == sorted(stored.values_list("pk", flat=True))


def test_sending_the_same_answers_again_adds_nothing(workspace, tp):
    batch = [answer(tp, "a1"), answer(tp, "a2")]
    responses_ingest(workspace_id=workspace.pk, source=Source.API, answers=batch)

    again = responses_ingest(workspace_id=workspace.pk, source=Source.API, answers=batch)

    assert (again.created, again.duplicates) == (0, 2)
    assert Response.objects.count() == 2


def test_a_repeat_inside_one_batch_is_stored_once(workspace, tp):
    result = responses_ingest(
        workspace_id=workspace.pk,
        source=Source.API,
        answers=[answer(tp, "a1"), answer(tp, "a1", nps=2)],
    )
    assert (result.created, result.duplicates) == (1, 1)
    assert Response.objects.get().nps == 9  # the first one wins


def test_the_same_external_id_from_another_source_is_another_answer(workspace, tp):
    responses_ingest(workspace_id=workspace.pk, source=Source.API, answers=[answer(tp, "a1")])
    result = responses_ingest(
        workspace_id=workspace.pk, source=Source.IMPORT, answers=[answer(tp, "a1")]
    )
    assert result.created == 1
    assert Response.objects.count() == 2


def test_a_touchpoint_of_another_workspace_is_refused_and_nothing_is_written(
    workspace, tp, outsider
):
    theirs = journey_create(actor=outsider, name="Theirs")
    their_tp = touchpoint_create(
        actor=outsider, stage=stage_create(actor=outsider, journey=theirs, name="S"), title="T"
    )

    with pytest.raises(AnswersRefused) as refused:
        responses_ingest(
            workspace_id=workspace.pk,
            source=Source.API,
            answers=[answer(tp, "ok", customer="c-1"), answer(their_tp, "foreign", nps=None)],
        )

    assert refused.value.problems == [
        Problem(1, "nps", "an answer needs nps or csat"),
        Problem(1, "touchpoint", "unknown touchpoint"),
    ]
    assert isinstance(refused.value, ValidationError)

    assert Response.objects.count() == 0
    assert Customer.objects.count() == 0


def test_an_answer_without_nps_or_csat_is_refused(workspace, tp):
    with pytest.raises(ValidationError):
        responses_ingest(
            workspace_id=workspace.pk, source=Source.API, answers=[answer(tp, "a1", nps=None)]
        )
    assert Response.objects.count() == 0


def test_customers_are_per_workspace(workspace, other_workspace, tp, outsider):
    theirs = journey_create(actor=outsider, name="Theirs")
    their_tp = touchpoint_create(
        actor=outsider, stage=stage_create(actor=outsider, journey=theirs, name="S"), title="T"
    )
    responses_ingest(
        workspace_id=workspace.pk, source=Source.API, answers=[answer(tp, "a", customer="c-1")]
    )
    responses_ingest(
        workspace_id=other_workspace.pk,
        source=Source.API,
        answers=[answer(their_tp, "a", customer="c-1")],
    )
    assert sorted(Customer.objects.values_list("workspace__slug", flat=True)) == ["acme", "globex"]
    assert Response.objects.count() == 2


def test_an_empty_batch_writes_nothing(workspace):
    result = responses_ingest(workspace_id=workspace.pk, source=Source.API, answers=[])
    assert (result.created, result.duplicates) == (0, 0)


def test_one_answer_with_its_follow_up_is_the_batch_statement_for_one(db):
    """A pain answer's statement (a survey POST's) is a template built once; it is the same
    statement, text and values, as the batches' composition makes for one answer."""
    opening = Opening(due_on=date(2026, 1, 5), opened_at=datetime(2026, 1, 2, 9, tzinfo=UTC))
    row = tuple(f"v{i}" for i in range(len(services._COLUMNS)))
    composed = sql(
        services._WITH_FOLLOWUPS,
        answers=services._answers_insert([row]),
        followups=opening_insert(
            workspace_id=3,
            opening=opening,
            candidates=services._candidates({"v4": 7}, sql("a")),
        ),
    )
    assert services._with_followups([row], {"v4": 7}, 3, opening) == composed
