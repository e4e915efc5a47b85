"""The JSON API and the webhook intakes checked against their OpenAPI document by schemathesis.

Schemathesis reads /api/v1/openapi.json (the API's operations and, from
feedback/hooks/openapi.py, the two intakes), generates requests from it with hypothesis, sends
them to the app in-process (WSGI) and checks each answer: never a server error, a status code
and a body the document lists, the content type it names. Intake requests mostly go to a real
intake and are really signed (a Typeform HMAC, or Standard Webhooks headers) so that the
generated bodies reach the mapping and the answer schema, not only the signature check; API
requests carry a real token.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from standardwebhooks.webhooks import Webhook

from feedback.hooks.intake import typeform_signature
from feedback.tokens.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema():
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # As Django's test client does: the app runs inside the test's transaction, whose
    # connection a finished request must not close.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def senders(settings, admin, typeform, signed, touchpoint):
    # The in-process client asks for "localhost".
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    _token, raw = api_token_create(actor=admin, name="schemathesis")
    return {"api": raw, "typeform": typeform, "signed": signed, "touchpoint": touchpoint.pk}


def _signed_request(case, senders, kind: str, chance: random.Random) -> dict[str, str]:
    """Point the case at the real intake (most of the time) and sign its body as sent."""
    intake = senders[kind]
    if chance.random() < 0.85:
        case.path_parameters = {"token": intake.token}
    body = case.body
    if kind == "signed" and isinstance(body, dict) and chance.random() < 0.5:
        # Generated answers name no touchpoint of the workspace, and JSON Schema's integers
        # include 3.0: half the bodies are made storable, so deliveries reach the store too.
        items = body["responses"] if isinstance(body.get("responses"), list) else [body]
        for item in (i for i in items if isinstance(i, dict)):
            for name, value in list(item.items()):
                if isinstance(value, float) and value.is_integer():
                    item[name] = int(value)
            item["touchpoint"] = senders["touchpoint"]
            if item.get("nps") is None and item.get("csat") is None:
                item["nps"] = 7
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    case.body = raw
    if chance.random() < 0.1:  # the signature left as generated: refused
        return {}
    if kind == "typeform":
        return {"Typeform-Signature": typeform_signature(intake.secret, raw)}
    message = f"msg-{chance.getrandbits(48)}"
    when = datetime.now(UTC)
    return {
        "webhook-id": message,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(intake.secret).sign(message, when, raw),
    }


def _check(case, senders) -> None:
    chance = random.Random(repr(case.body))
    path = case.operation.path
    if path.startswith("/hooks/typeform/"):
        headers = _signed_request(case, senders, "typeform", chance)
    elif path.startswith("/hooks/signed/"):
        headers = _signed_request(case, senders, "signed", chance)
    else:
        headers = {"Authorization": f"Bearer {senders['api']}"}
    case.call_and_validate(headers=headers, excluded_checks=SCHEMA_LOOSER_THAN_RULES)


# JSON Schema cannot say all the API's rules, so these two checks would fail on purpose: a
# number like 10.0 is an "integer" to JSON Schema but not to the API's strict types (tests/
# test_json_numbers.py), a date filter is bounded (mot.validation.DayField), a Typeform body of
# another event type is answered "ignored". Every other check runs: no server error, status
# codes, content types, response bodies and headers as documented.
SCHEMA_LOOSER_THAN_RULES = [positive_data_acceptance, negative_data_rejection]


# schemathesis' own pytest plugin (schema.parametrize with a fixture) does not run on pytest 9:
# each operation's strategy is drawn from by hypothesis here instead, one operation at a time.
OPERATIONS = [
    "POST /api/v1/responses",
    "POST /api/v1/responses/batch",
    "GET /api/v1/responses",
    "PUT /api/v1/survey-links/{token}/invited",
    "POST /hooks/typeform/{token}/",
    "POST /hooks/signed/{token}/",
]


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_answer_is_one_the_document_lists(api_schema, senders, label):
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label

    @given(case=operation.as_strategy())
    @hsettings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case):
        _check(case, senders)

    check()
    if label.startswith("POST /hooks/"):
        # Generated bodies went past the signature to the mapping and the answer schema.
        from feedback.hooks.models import IntakeDelivery, Outcome

        kind = "typeform" if "typeform" in label else "signed"
        outcomes = set(
            IntakeDelivery.objects.filter(intake=senders[kind]).values_list("outcome", flat=True)
        )
        assert Outcome.UNSIGNED in outcomes, outcomes
        assert outcomes - {Outcome.UNSIGNED}, outcomes
        if kind == "signed":
            assert Outcome.STORED in outcomes, outcomes


def test_every_operation_of_the_document_is_checked(api_schema):
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


def test_the_document_describes_the_intakes(client):
    document = client.get("/api/v1/openapi.json").json()
    typeform = document["paths"]["/hooks/typeform/{token}/"]["post"]
    signed = document["paths"]["/hooks/signed/{token}/"]["post"]
    assert {p["name"] for p in typeform["parameters"]} == {"token", "Typeform-Signature"}
    assert {p["name"] for p in signed["parameters"]} == {
        "token",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
    for operation in (typeform, signed):
        assert set(operation["responses"]) == {"200", "401", "404", "413", "422"}
    refs = signed["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    for ref in refs:  # the API's own answer schemas, present in the document
        assert ref["$ref"].rsplit("/", 1)[1] in document["components"]["schemas"]
