"""The generic signed intake (Standard Webhooks): MOT's own answer JSON, signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from feedback.hooks.models import IntakeDelivery, Outcome
from feedback.models import Response, Source


def answer(tp, **extra) -> dict:
    return {
        "external_id": "sub-1",
        "touchpoint": tp.pk,
        "submitted_at": "2026-12-01T09:00:00Z",
        "nps": 9,
        "comment": "Quick and friendly",
        **extra,
    }


def send(client, intake, body, *, msg_id="msg_1", when=None, secret=None, headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    when = when or datetime.now(tz=UTC)
    signature = Webhook(secret or intake.secret).sign(msg_id, when, raw)
    sent = {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }
    if headers is not None:
        sent = headers
    return client.post(
        f"/hooks/signed/{intake.token}/", raw, content_type="application/json", **sent
    )


def test_a_signed_answer_is_stored(client, signed, touchpoint):
    response = send(client, signed, answer(touchpoint))
    assert response.status_code == 200, response.content
    assert response.json() == {"outcome": "stored", "stored": 1}
    stored = Response.objects.get()
    assert (stored.source, stored.external_id, stored.nps) == (Source.WEBHOOK, "sub-1", 9)
    assert IntakeDelivery.objects.get().event_id == "msg_1"


def test_a_batch_and_a_touchpoint_code_are_read_as_the_api_reads_them(client, signed, touchpoint):
    body = {
        "responses": [
            answer(touchpoint, external_id="a"),
            answer(touchpoint, external_id="b", touchpoint="delivery", csat=2, nps=None),
        ]
    }
    response = send(client, signed, body)
    assert response.json() == {"outcome": "stored", "stored": 2}
    assert set(Response.objects.values_list("touchpoint_id", flat=True)) == {touchpoint.pk}


def test_customer_attributes_are_ignored_for_now(client, signed, touchpoint):
    body = answer(touchpoint, customer="C-9", customer_attributes={"segment": "gold"})
    assert send(client, signed, body).status_code == 200
    assert Response.objects.get().customer.external_id == "C-9"


def test_same_webhook_id_or_same_submission_is_stored_once(client, signed, touchpoint):
    assert send(client, signed, answer(touchpoint)).json()["outcome"] == "stored"
    again = send(client, signed, answer(touchpoint))
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    other_message = send(client, signed, answer(touchpoint), msg_id="msg_2")
    assert other_message.json() == {"outcome": "duplicate", "stored": 0}
    assert Response.objects.count() == 1


@pytest.mark.parametrize("case", ["missing", "wrong", "other-secret", "no-id", "garbage-time"])
def test_a_bad_or_missing_signature_is_401(client, signed, touchpoint, whsec, case):
    now = str(int(datetime.now(tz=UTC).timestamp()))
    headers = {
        "missing": {"HTTP_WEBHOOK_ID": "m", "HTTP_WEBHOOK_TIMESTAMP": now},
        "wrong": {
            "HTTP_WEBHOOK_ID": "m",
            "HTTP_WEBHOOK_TIMESTAMP": now,
            "HTTP_WEBHOOK_SIGNATURE": "v1,AAAA",
        },
        "no-id": {"HTTP_WEBHOOK_TIMESTAMP": now, "HTTP_WEBHOOK_SIGNATURE": "v1,AAAA"},
        "garbage-time": {
            "HTTP_WEBHOOK_ID": "m",
            "HTTP_WEBHOOK_TIMESTAMP": "nan",
            "HTTP_WEBHOOK_SIGNATURE": "v1,AAAA",
        },
    }.get(case)
    secret = whsec if case == "other-secret" else None
    response = send(client, signed, answer(touchpoint), headers=headers, secret=secret)
    assert response.status_code == 401
    assert Response.objects.count() == 0
    assert IntakeDelivery.objects.get().outcome == Outcome.UNSIGNED


def test_a_replay_older_than_five_minutes_is_refused(client, signed, touchpoint):
    old = datetime.now(tz=UTC) - timedelta(minutes=5, seconds=5)
    response = send(client, signed, answer(touchpoint), when=old)
    assert response.status_code == 401
    assert "too old" in response.json()["reason"]
    assert Response.objects.count() == 0
    recent = datetime.now(tz=UTC) - timedelta(minutes=4)
    assert send(client, signed, answer(touchpoint), when=recent).status_code == 200


def test_a_tampered_body_is_refused(client, signed, touchpoint):
    raw = json.dumps(answer(touchpoint)).encode()
    when = datetime.now(tz=UTC)
    signature = Webhook(signed.secret).sign("m1", when, raw)
    headers = {
        "HTTP_WEBHOOK_ID": "m1",
        "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }
    tampered = raw.replace(b'"nps": 9', b'"nps": 0')
    response = send(client, signed, tampered, headers=headers)
    assert response.status_code == 401
    assert Response.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"external_id": "x"},
        {"external_id": "x", "touchpoint": 1, "submitted_at": "2026-01-01", "nps": 11},
        {"responses": []},
        [1, 2, 3],
        b"not json",
    ],
)
def test_a_body_that_is_not_an_answer_is_422_without_writing(client, signed, body):
    response = send(client, signed, body)
    assert response.status_code == 422
    assert Response.objects.count() == 0
    assert IntakeDelivery.objects.get().outcome == Outcome.INVALID


def test_an_unknown_or_foreign_touchpoint_is_422(client, signed, touchpoint):
    response = send(client, signed, answer(touchpoint, touchpoint=999_999))
    assert response.status_code == 422
    assert "unknown touchpoint" in response.json()["reason"]
    assert Response.objects.count() == 0
