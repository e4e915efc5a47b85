"""The intakes in the API's OpenAPI document (/api/v1/openapi.json, shown at /api/v1/docs).

The intakes are plain Django views, not API operations (their signature is checked on the raw
body, before anything parses it), so django-ninja cannot describe them: their paths are written
here and added to the API's document, with what a sender may send and every answer it may get.
tests/feedback/hooks/test_schemathesis.py checks the intakes (and the API) against this
document with schemathesis: whatever is sent, the answer is one the document lists.
"""

from __future__ import annotations

from typing import Any

from feedback.hooks.models import Outcome

_REPLY = {
    "type": "object",
    "description": "What the intake did with the delivery (its log line says the same).",
    "properties": {
        "outcome": {"type": "string", "enum": list(Outcome.values)},
        "reason": {"type": "string", "description": "Why it was refused."},
        "stored": {"type": "integer", "minimum": 0, "description": "Answers stored."},
    },
    "required": ["outcome"],
}

_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The intake's token, from its page (Webhooks).",
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 40},
}

# Typeform's webhook body, as far as MOT reads it; Typeform sends more, which is ignored.
_TYPEFORM_BODY = {
    "type": "object",
    "properties": {
        "event_id": {"type": "string"},
        "event_type": {"type": "string", "example": "form_response"},
        "form_response": {
            "type": "object",
            "properties": {
                "token": {"type": "string", "description": "The submission: stored once."},
                "submitted_at": {"type": "string", "format": "date-time"},
                "hidden": {"type": "object", "additionalProperties": {"type": "string"}},
                "answers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "field": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "string"},
                                    "ref": {"type": "string"},
                                    "type": {"type": "string"},
                                },
                            },
                            "number": {"type": "number"},
                            "text": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


def _responses(*, stored: str) -> dict[str, Any]:
    def json(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": _REPLY}},
        }

    return {
        "200": json(stored),
        "401": json("Bad or missing signature: nothing stored."),
        "404": {"description": "No intake has this token.", "content": {"text/html": {}}},
        "413": json("The body is over WEBHOOKS_MAX_BODY_BYTES: not read."),
        "422": {
            "description": (
                "The body does not fit (the mapping, MOT's answer schema, or text with a NUL "
                "byte): logged with its reason, nothing stored."
            ),
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _REPLY,
                            {
                                "type": "object",
                                "properties": {"errors": {"type": "array"}},
                                "required": ["errors"],
                            },
                        ]
                    }
                }
            },
        },
    }


def intake_paths(*, answer_ref: str, batch_ref: str) -> dict[str, Any]:
    """The two intakes' path items; ``answer_ref`` and ``batch_ref`` are the document's
    references to the API's own answer and batch schemas (the signed intake reads the same)."""
    return {
        "/hooks/typeform/{token}/": {
            "post": {
                "operationId": "intake_typeform",
                "summary": "Receive a Typeform response (webhook)",
                "description": (
                    "Point a Typeform webhook here with the intake's secret. Each submission "
                    "is stored once (its `form_response.token`), mapped to NPS, CSAT, the four "
                    "expectations, comment and customer by the intake's mapping."
                ),
                "tags": ["intakes"],
                "security": [],
                "parameters": [
                    _TOKEN,
                    {
                        "name": "Typeform-Signature",
                        "in": "header",
                        "required": True,
                        "description": "`sha256=` and the base64 HMAC-SHA256 of the raw body.",
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _TYPEFORM_BODY}},
                },
                "responses": _responses(
                    stored="Stored, a duplicate (stored before), or ignored (not a response)."
                ),
            }
        },
        "/hooks/signed/{token}/": {
            "post": {
                "operationId": "intake_signed",
                "summary": "Receive answers signed per Standard Webhooks",
                "description": (
                    'MOT\'s answer JSON (one answer, or `{"responses": [...]}`) signed with the '
                    "intake's secret per the Standard Webhooks specification; a timestamp more "
                    "than 5 minutes off is refused, and the same `webhook-id` is stored once."
                ),
                "tags": ["intakes"],
                "security": [],
                "parameters": [
                    _TOKEN,
                    *(
                        {"name": name, "in": "header", "required": True, "schema": schema}
                        for name, schema in (
                            ("webhook-id", {"type": "string"}),
                            ("webhook-timestamp", {"type": "string", "pattern": "^[0-9]+$"}),
                            ("webhook-signature", {"type": "string"}),
                        )
                    ),
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"oneOf": [{"$ref": answer_ref}, {"$ref": batch_ref}]}
                        }
                    },
                },
                "responses": _responses(stored="Stored, or a duplicate (stored before)."),
            }
        },
    }
