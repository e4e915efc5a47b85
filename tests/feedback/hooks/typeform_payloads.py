"""Typeform webhook bodies in the shape its documentation gives (Webhooks → Example payload;
Responses → JSON response explanation): ``event_id``, ``event_type`` "form_response", and
``form_response`` with ``form_id``, ``token``, ``landed_at``, ``submitted_at``, ``hidden``,
``definition.fields`` (id, ref, type, title, properties) and ``answers``. Opinion scales,
ratings and number fields answer as ``number``; short and long text as ``text``; a multiple
choice as ``choice.label``."""

from __future__ import annotations

import copy

DELIVERY_SURVEY = {
    "event_id": "01HQ7ZQ3V2KX9TFR6YB4N8M0DE",
    "event_type": "form_response",
    "form_response": {
        "form_id": "lT4Z3j",
        "token": "a3a12ec67a1365927098a606107fac15",
        "landed_at": "2026-11-30T10:15:01Z",
        "submitted_at": "2026-11-30T10:17:43Z",
        "hidden": {"customer_id": "C-1042", "touchpoint": "DELIVERY", "utm_source": "email"},
        "calculated": {"score": 0},
        "definition": {
            "id": "lT4Z3j",
            "title": "How was your delivery?",
            "fields": [
                {
                    "id": "Ai2r7hkjPn9X",
                    "ref": "nps_recommend",
                    "type": "opinion_scale",
                    "title": "How likely are you to recommend us to a friend?",
                    "properties": {"steps": 11, "start_at_one": False},
                },
                {
                    "id": "Bx1TyU4p0Q2c",
                    "ref": "csat_delivery",
                    "type": "rating",
                    "title": "How satisfied are you with the delivery?",
                    "properties": {"steps": 5, "shape": "star"},
                },
                {
                    "id": "Cm8WqZ1r2S3d",
                    "ref": "ease",
                    "type": "number",
                    "title": "How easy was it to track your parcel (1-5)?",
                    "properties": {},
                },
                {
                    "id": "Dn5VbX6t7Y8e",
                    "ref": "respect_choice",
                    "type": "multiple_choice",
                    "title": "Did the courier treat you with respect?",
                    "properties": {},
                    "choices": [{"id": "k1", "label": "4"}, {"id": "k2", "label": "5"}],
                },
                {
                    "id": "Eo4UcW9h0Z1f",
                    "ref": "comment_long",
                    "type": "long_text",
                    "title": "Anything we should do better?",
                    "properties": {},
                },
                {
                    "id": "Fp3TdV8g1A2g",
                    "ref": "first_name",
                    "type": "short_text",
                    "title": "Your first name",
                    "properties": {},
                },
            ],
        },
        "answers": [
            {
                "type": "number",
                "number": 3,
                "field": {"id": "Ai2r7hkjPn9X", "type": "opinion_scale", "ref": "nps_recommend"},
            },
            {
                "type": "number",
                "number": 2,
                "field": {"id": "Bx1TyU4p0Q2c", "type": "rating", "ref": "csat_delivery"},
            },
            {
                "type": "number",
                "number": 4,
                "field": {"id": "Cm8WqZ1r2S3d", "type": "number", "ref": "ease"},
            },
            {
                "type": "choice",
                "choice": {"id": "k1", "label": "4"},
                "field": {"id": "Dn5VbX6t7Y8e", "type": "multiple_choice", "ref": "respect_choice"},
            },
            {
                "type": "text",
                "text": "The parcel came two days late <b>and</b> wet.",
                "field": {"id": "Eo4UcW9h0Z1f", "type": "long_text", "ref": "comment_long"},
            },
            {
                "type": "text",
                "text": "Ana",
                "field": {"id": "Fp3TdV8g1A2g", "type": "short_text", "ref": "first_name"},
            },
        ],
    },
}

MAPPING = {
    "nps_recommend": "nps",
    "csat_delivery": "csat",
    "ease": "simplicity",
    "respect_choice": "respect",
    "comment_long": "comment",
    "hidden:customer_id": "customer",
}


def delivery(*, token: str | None = None, event_id: str | None = None, **answers) -> dict:
    """The delivery survey's body, with another submission token/event id or answer values
    (by ref: ``nps_recommend=9``)."""
    body = copy.deepcopy(DELIVERY_SURVEY)
    if token is not None:
        body["form_response"]["token"] = token
    if event_id is not None:
        body["event_id"] = event_id
    for answer in body["form_response"]["answers"]:
        ref = answer["field"]["ref"]
        if ref in answers:
            value = answers[ref]
            answer[answer["type"]] = {"label": str(value)} if answer["type"] == "choice" else value
    return body
