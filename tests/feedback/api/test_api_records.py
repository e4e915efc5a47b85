"""Records without a score through the API: the kind field, its checks (422 naming the field),
idempotence and the schema."""

from __future__ import annotations

import pytest

from feedback.followups.models import FollowUp
from feedback.models import Kind, Response
from tests.feedback.api.test_api import API, get, post
from tests.feedback.api.test_api import token as token
from tests.feedback.api.test_api import touchpoints as touchpoints


def record(tp, external_id="r1", **extra):
    data = {
        "external_id": external_id,
        "touchpoint": tp,
        "submitted_at": "2026-03-01T10:00:00Z",
        "kind": "complaint",
        "comment": "The parcel came two weeks late",
    }
    data.update(extra)
    return data


def test_a_complaint_is_stored_without_a_score(client, token, touchpoints):
    response = post(client, "/responses", record(touchpoints[0], experience="pain"), token)
    assert response.status_code == 200, response.content
    stored = Response.objects.get()
    assert (stored.kind, stored.nps, stored.csat) == (Kind.COMPLAINT, None, None)
    assert (stored.noted_experience, stored.experience) == ("pain", "pain")
    listed = get(client, "/responses", token).json()["items"][0]
    assert (listed["kind"], listed["experience"]) == ("complaint", "pain")


def test_a_record_without_experience_is_unknown(client, token, touchpoints):
    assert post(client, "/responses", record(touchpoints[0]), token).status_code == 200
    assert Response.objects.get().experience == "unknown"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"comment": ""}, "comment"),
        ({"comment": "   "}, "comment"),
        ({"nps": 3}, "nps"),
        ({"respect": 2}, "respect"),
        ({"kind": "survey_answer", "comment": "no score"}, "nps"),
        ({"kind": "survey_answer", "nps": 3, "experience": "pain"}, "experience"),
    ],
)
def test_a_record_without_text_or_an_answer_without_score_is_422(
    client, token, touchpoints, body, field
):
    response = post(client, "/responses", record(touchpoints[0], **body), token)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Response.objects.exists()


def test_an_unknown_kind_is_422(client, token, touchpoints):
    response = post(client, "/responses", record(touchpoints[0], kind="rumour"), token)
    assert response.status_code == 422
    assert not Response.objects.exists()


def test_a_batch_names_the_record_at_fault(client, token, touchpoints):
    body = {"responses": [record(touchpoints[0]), record(touchpoints[1], "r2", comment="")]}
    response = post(client, "/responses/batch", body, token)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 1, "field": "comment", "message": "a record needs its text"}
    ]
    assert not Response.objects.exists()


def test_a_record_sent_twice_is_stored_once(client, token, touchpoints):
    body = {"responses": [record(touchpoints[0], experience="pain")] * 2}
    assert post(client, "/responses/batch", body, token).json()["created"] == 1
    again = post(client, "/responses", record(touchpoints[0], experience="pain"), token)
    assert again.json() == {"created": 0, "duplicates": 1, "ids": [], "followups": 0}
    assert Response.objects.count() == 1
    # The default rule (pain with text) opened one follow-up for the pain complaint.
    assert FollowUp.objects.count() == 1


def test_schema_describes_kind_and_experience(client, db):
    schema = client.get(API + "/openapi.json").json()
    props = schema["components"]["schemas"]["AnswerSchema"]["properties"]
    assert props["kind"]["enum"] == list(Kind.values)
    assert props["kind"]["default"] == "survey_answer"
    assert "unknown" in str(props["experience"])
    assert {"kind", "experience"} <= set(
        schema["components"]["schemas"]["ResponseOut"]["properties"]
    )
