"""The Typeform intake: signature, mapping, idempotency, refusals, the delivery log."""

from __future__ import annotations

import json

import pytest

from feedback.hooks.intake import LOG_KEEP, PRUNE_EVERY, typeform_signature
from feedback.hooks.models import Intake, IntakeDelivery, Outcome
from feedback.hooks.typeform import Unmapped, read_answer, sample_fields
from feedback.models import Response, Source
from tests.feedback.hooks.conftest import post_typeform
from tests.feedback.hooks.typeform_payloads import DELIVERY_SURVEY, MAPPING, delivery


def test_a_signed_submission_is_stored_through_the_mapping(client, typeform, touchpoint):
    response = post_typeform(client, typeform, DELIVERY_SURVEY)
    assert response.status_code == 200, response.content
    assert response.json() == {"outcome": "stored", "stored": 1}
    answer = Response.objects.get()
    assert answer.source == Source.TYPEFORM
    assert answer.external_id == DELIVERY_SURVEY["form_response"]["token"]
    assert answer.touchpoint_id == touchpoint.pk
    assert (answer.nps, answer.csat, answer.simplicity, answer.respect) == (3, 2, 4, 4)
    assert answer.comment == "The parcel came two days late <b>and</b> wet."
    assert answer.customer.external_id == "C-1042"
    assert answer.submitted_at.isoformat() == "2026-11-30T10:17:43+00:00"
    log = IntakeDelivery.objects.get()
    assert (log.outcome, log.status, log.event_id) == (
        Outcome.STORED,
        200,
        DELIVERY_SURVEY["event_id"],
    )


def test_the_same_event_twice_is_stored_once(client, typeform):
    assert post_typeform(client, typeform, DELIVERY_SURVEY).json()["outcome"] == "stored"
    again = post_typeform(client, typeform, DELIVERY_SURVEY)
    assert again.status_code == 200
    assert again.json() == {"outcome": "duplicate", "stored": 0}
    # Typeform's retry of the same submission under a new event id: still the same answer.
    retried = post_typeform(client, typeform, delivery(event_id="01HQ-OTHER"))
    assert retried.json()["outcome"] == "duplicate"
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("signature", "secret"),
    [(False, None), ("", None), ("sha256=AAAA", None), (None, "another-secret"), ("sha1=x", None)],
    ids=["missing", "empty", "wrong", "other-secret", "other-scheme"],
)
def test_a_bad_or_missing_signature_is_refused(client, typeform, signature, secret):
    response = post_typeform(client, typeform, DELIVERY_SURVEY, signature=signature, secret=secret)
    assert response.status_code == 401
    assert Response.objects.count() == 0
    assert IntakeDelivery.objects.get().outcome == Outcome.UNSIGNED


def test_a_tampered_body_is_refused(client, typeform):
    raw = json.dumps(DELIVERY_SURVEY).encode()
    signature = typeform_signature(typeform.secret, raw)
    tampered = raw.replace(b'"number": 3', b'"number": 9')
    assert tampered != raw
    response = post_typeform(client, typeform, tampered, signature=signature)
    assert response.status_code == 401
    assert Response.objects.count() == 0


def test_a_rotated_secret_stops_the_old_one(client, admin, typeform):
    from feedback.hooks.services import intake_rotate

    old = typeform.secret
    new = intake_rotate(actor=admin, intake=typeform)
    assert post_typeform(client, typeform, DELIVERY_SURVEY, secret=old).status_code == 401
    assert post_typeform(client, typeform, DELIVERY_SURVEY, secret=new).status_code == 200


def test_without_a_mapping_the_sample_is_kept_and_422_answered(client, typeform):
    Intake.objects.filter(pk=typeform.pk).update(mapping={})
    typeform.refresh_from_db()
    response = post_typeform(client, typeform, DELIVERY_SURVEY)
    assert response.status_code == 422
    assert response.json()["outcome"] == "unmapped"
    assert Response.objects.count() == 0
    typeform.refresh_from_db()
    assert typeform.sample == DELIVERY_SURVEY
    log = IntakeDelivery.objects.get()
    assert log.outcome == Outcome.UNMAPPED
    assert "no field is mapped" in log.reason


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"nps_recommend": 11}, "nps_recommend maps to nps"),
        ({"csat_delivery": 0}, "csat_delivery maps to csat"),
        ({"respect_choice": "Yes"}, "respect_choice maps to respect"),
        ({"nps_recommend": 7.5}, "nps_recommend maps to nps"),
    ],
)
def test_a_value_out_of_range_is_logged_and_refused(client, typeform, answers, reason):
    response = post_typeform(client, typeform, delivery(**answers))
    assert response.status_code == 422
    assert reason in response.json()["reason"]
    assert Response.objects.count() == 0
    assert reason in IntakeDelivery.objects.get().reason


def test_the_touchpoint_can_come_from_a_hidden_field(client, typeform, journey, touchpoint):
    other = journey.stages.order_by("position").last().touchpoints.first()
    other.code = "CHECKOUT"
    other.save(update_fields=["code"])
    Intake.objects.filter(pk=typeform.pk).update(touchpoint=None, touchpoint_field="touchpoint")
    typeform.refresh_from_db()
    body = delivery()
    body["form_response"]["hidden"]["touchpoint"] = "checkout"
    assert post_typeform(client, typeform, body).status_code == 200
    assert Response.objects.get().touchpoint_id == other.pk
    body = delivery(token="t-unknown")
    body["form_response"]["hidden"]["touchpoint"] = "NOPE"
    response = post_typeform(client, typeform, body)
    assert response.status_code == 422
    assert "touchpoint code" in response.json()["reason"]


def test_another_workspaces_touchpoint_code_is_not_found(
    client, typeform, outsider, other_workspace
):
    from journeys.services import journey_create, stage_create, touchpoint_create

    j = journey_create(actor=outsider, name="Theirs")
    stage = stage_create(actor=outsider, journey=j, name="S")
    touchpoint_create(actor=outsider, stage=stage, title="Theirs", code="THEIRS")
    Intake.objects.filter(pk=typeform.pk).update(touchpoint=None, touchpoint_field="touchpoint")
    typeform.refresh_from_db()
    body = delivery()
    body["form_response"]["hidden"]["touchpoint"] = "THEIRS"
    assert post_typeform(client, typeform, body).status_code == 422
    assert Response.objects.count() == 0


def test_not_json_or_not_typeform_is_422_without_writing(client, typeform):
    assert post_typeform(client, typeform, b"{not json").status_code == 422
    assert post_typeform(client, typeform, [1, 2]).status_code == 422
    assert post_typeform(client, typeform, {"event_type": "form_response"}).status_code == 422
    assert Response.objects.count() == 0
    typeform.refresh_from_db()
    assert typeform.sample is None  # nothing of Typeform's shape to map from


def test_an_unknown_intake_is_404_and_get_is_405(client, typeform):
    assert (
        client.post("/hooks/typeform/nope/", b"{}", content_type="application/json").status_code
        == 404
    )
    assert (
        client.post(
            f"/hooks/signed/{typeform.token}/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get(f"/hooks/typeform/{typeform.token}/").status_code == 405


def test_a_body_over_the_cap_is_refused_before_it_is_read(client, typeform, settings):
    settings.WEBHOOKS_MAX_BODY_BYTES = 4096
    body = delivery(comment_long="x" * 5000)
    response = post_typeform(client, typeform, body)
    assert response.status_code == 413
    assert Response.objects.count() == 0


def test_the_log_keeps_the_last_deliveries(client, typeform):
    for i in range(LOG_KEEP + 2 * PRUNE_EVERY + 3):
        post_typeform(client, typeform, delivery(token=f"t{i}", nps_recommend=i % 11))
    kept = IntakeDelivery.objects.filter(intake=typeform).count()
    assert LOG_KEEP <= kept < LOG_KEEP + PRUNE_EVERY
    newest = IntakeDelivery.objects.filter(intake=typeform).order_by("-pk")[:LOG_KEEP]
    assert [d.outcome for d in newest] == [Outcome.STORED] * LOG_KEEP
    assert Response.objects.count() == LOG_KEEP + 2 * PRUNE_EVERY + 3


def test_sample_fields_list_questions_and_hidden_fields():
    fields = {f.key: f for f in sample_fields(DELIVERY_SURVEY)}
    assert fields["nps_recommend"].type == "opinion_scale"
    assert fields["nps_recommend"].value == "3"
    assert fields["csat_delivery"].type == "rating"
    assert fields["respect_choice"].value == "4"
    assert fields["comment_long"].type == "long_text"
    assert fields["first_name"].type == "short_text"
    assert fields["hidden:customer_id"].value == "C-1042"
    assert fields["hidden:customer_id"].type == "hidden"


def test_read_answer_needs_nps_or_csat():
    with pytest.raises(Unmapped, match="NPS or CSAT"):
        read_answer(DELIVERY_SURVEY, mapping={"comment_long": "comment"}, touchpoint_id=1)
    answer = read_answer(DELIVERY_SURVEY, mapping=MAPPING, touchpoint_id=1)
    assert (answer.nps, answer.csat, answer.customer) == (3, 2, "C-1042")
