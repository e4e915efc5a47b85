"""Hypothesis against the intakes: whatever a signed (or unsigned) body holds, the answer is
200, 401, 413 or 422, never a 500, and an answer is stored whole or not at all (the count of
answers moves by what the reply says was stored, and a refusal writes no answer)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from feedback.models import Response
from tests.feedback.hooks.conftest import post_typeform
from tests.feedback.hooks.typeform_payloads import DELIVERY_SURVEY

FUZZ = hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=40)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)
REFS = [a["field"]["ref"] for a in DELIVERY_SURVEY["form_response"]["answers"]]


@st.composite
def typeform_bodies(draw):
    """Typeform's shape with any of its parts replaced by anything."""
    body = copy.deepcopy(DELIVERY_SURVEY)
    response = body["form_response"]
    response["token"] = draw(st.one_of(text, json_values))
    for answer in response["answers"]:
        if draw(st.booleans()):
            answer[answer["type"]] = draw(json_values)
        if draw(st.integers(0, 9)) == 0:
            answer["type"] = draw(text)
    for key in ("submitted_at", "hidden", "answers", "definition"):
        if draw(st.integers(0, 5)) == 0:
            response[key] = draw(json_values)
    if draw(st.integers(0, 7)) == 0:
        body["form_response"] = draw(json_values)
    return body


def _sent_once(client, reply) -> int:
    assert reply.status_code in (200, 401, 413, 422), reply.content
    data = reply.json()
    if reply.status_code != 200:
        assert data.get("stored", 0) == 0
    return data.get("stored", 0)


@FUZZ
@given(body=typeform_bodies())
def test_typeform_fuzz_never_500_nor_half_written(client, typeform, body):
    before = Response.objects.count()
    stored = _sent_once(client, post_typeform(client, typeform, body))
    assert Response.objects.count() - before == stored


@FUZZ
@given(raw=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_typeform_fuzz_raw_bodies(client, typeform, raw):
    before = Response.objects.count()
    stored = _sent_once(client, post_typeform(client, typeform, raw))
    assert Response.objects.count() - before == stored


answer_keys = st.sampled_from(
    [
        "external_id",
        "touchpoint",
        "submitted_at",
        "nps",
        "csat",
        "respect",
        "comment",
        "customer",
        "language",
        "contact",
        "customer_attributes",
        "responses",
        "extra",
    ]
)


@FUZZ
@given(
    body=st.one_of(
        st.dictionaries(answer_keys, json_values, max_size=8),
        st.fixed_dictionaries(
            {
                "external_id": st.one_of(text, json_values),
                "touchpoint": st.one_of(st.integers(-5, 10**6), text),
                "submitted_at": st.one_of(st.just("2026-12-01T09:00:00Z"), json_values),
                "nps": st.one_of(st.integers(-2, 12), json_values),
            }
        ),
        json_values,
    ),
    headers=st.sampled_from(["good", "none", "bad"]),
)
def test_signed_fuzz_never_500_nor_half_written(client, signed, touchpoint, body, headers):
    raw = json.dumps(body).encode()
    when = datetime.now(tz=UTC)
    sent = {}
    if headers != "none":
        signature = Webhook(signed.secret).sign("m-fuzz", when, raw)
        sent = {
            "HTTP_WEBHOOK_ID": f"m-{hash(raw)}",
            "HTTP_WEBHOOK_TIMESTAMP": str(int(when.timestamp())),
            "HTTP_WEBHOOK_SIGNATURE": signature if headers == "bad" else "",
        }
        if headers == "good":
            sent["HTTP_WEBHOOK_SIGNATURE"] = Webhook(signed.secret).sign(
                sent["HTTP_WEBHOOK_ID"], when, raw
            )
    before = Response.objects.count()
    reply = client.post(
        f"/hooks/signed/{signed.token}/", raw, content_type="application/json", **sent
    )
    stored = _sent_once(client, reply)
    assert Response.objects.count() - before == stored
    if headers != "good":
        assert reply.status_code in (401, 422)
