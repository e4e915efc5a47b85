"""Reading Typeform's webhook body (``form_response``) through an intake's mapping.

Typeform sends ``{"event_id", "event_type": "form_response", "form_response": {...}}`` where
``form_response`` has the submission's ``token``, ``landed_at``, ``submitted_at``, the
``hidden`` fields, the form's ``definition.fields`` (id, ref, type, title) and ``answers``, each
naming its field (``field.ref``) and carrying its value under its own type: opinion scales,
ratings, NPS and number fields answer ``{"type": "number", "number": 7}``, short and long text
``{"type": "text", "text": "…"}``, a multiple choice ``{"type": "choice", "choice":
{"label": "…"}}``. The mapping says which field ref (or ``hidden:<name>``) is which of MOT's
answer values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback.customers import profile_of, profile_problems
from feedback.services import AnswerIn

# What a field may be mapped to, and the range of each score (None: text).
TARGETS: dict[str, tuple[Any, tuple[int, int] | None]] = {
    "nps": (gettext_lazy("NPS (0-10)"), (0, 10)),
    "csat": (gettext_lazy("CSAT (1-5)"), (1, 5)),
    "respect": (gettext_lazy("Respect (1-5)"), (1, 5)),
    "solutions": (gettext_lazy("Solutions (1-5)"), (1, 5)),
    "simplicity": (gettext_lazy("Simplicity (1-5)"), (1, 5)),
    "responsibility": (gettext_lazy("Responsibility (1-5)"), (1, 5)),
    "comment": (gettext_lazy("Comment"), None),
    "customer": (gettext_lazy("Customer id"), None),
    "customer_email": (gettext_lazy("Customer's e-mail"), None),
    "customer_name": (gettext_lazy("Customer's name"), None),
    "segment": (gettext_lazy("Segment"), None),
    "country": (gettext_lazy("Country (two-letter code)"), None),
    "plan": (gettext_lazy("Plan"), None),
}
# The targets that say something of the customer, and the attribute each sets.
PROFILE_TARGETS = {
    "customer_email": "email",
    "customer_name": "name",
    "segment": "segment",
    "country": "country",
    "plan": "plan",
}
HIDDEN = "hidden:"  # a mapping key naming a hidden field rather than a question's ref
MAX_COMMENT = 10_000
MAX_ID = 200


class Unmapped(ValueError):
    """The body cannot be read as an answer; the message says why (it is logged)."""


@dataclass(frozen=True)
class SampleField:
    key: str  # the mapping key: the field's ref, or "hidden:<name>"
    title: str
    type: str
    value: str


def _text(value: Any, limit: int = 200) -> str:
    return str(value)[:limit] if value is not None else ""


def form_response(body: Any) -> dict:
    if not isinstance(body, dict):
        raise Unmapped(_("the body is not a JSON object"))
    response = body.get("form_response")
    if not isinstance(response, dict):
        raise Unmapped(_("the body has no form_response object"))
    return response


def event_id(body: Any) -> str:
    value = body.get("event_id") if isinstance(body, dict) else None
    return value[:200] if isinstance(value, str) else ""


def _answers(response: dict) -> list[dict]:
    answers = response.get("answers", [])
    if not isinstance(answers, list):
        raise Unmapped(_("form_response.answers is not a list"))
    return [a for a in answers if isinstance(a, dict) and isinstance(a.get("field"), dict)]


def _hidden(response: dict) -> dict:
    hidden = response.get("hidden") or {}
    if not isinstance(hidden, dict):
        raise Unmapped(_("form_response.hidden is not an object"))
    return hidden


def answer_value(answer: dict) -> Any:
    """An answer's value, by its type (None for types MOT has no use for)."""
    kind = answer.get("type")
    if kind == "choice":
        choice = answer.get("choice")
        return choice.get("label") if isinstance(choice, dict) else None
    if kind in {"number", "text", "email", "boolean", "phone_number", "date", "url"}:
        return answer.get(kind)
    return None


def sample_fields(body: Any) -> list[SampleField]:
    """The fields of a received body, to map from: each question (its ref, title, type and
    the value it carried) and each hidden field."""
    response = form_response(body)
    definition = response.get("definition")
    titles: dict[str, tuple[str, str]] = {}
    if isinstance(definition, dict) and isinstance(definition.get("fields"), list):
        for f in definition["fields"]:
            if isinstance(f, dict) and isinstance(f.get("ref"), str):
                titles[f["ref"]] = (_text(f.get("title")), _text(f.get("type"), 40))
    fields = []
    for answer in _answers(response):
        ref = answer["field"].get("ref")
        if not isinstance(ref, str) or not ref:
            continue
        title, kind = titles.get(ref, ("", _text(answer["field"].get("type"), 40)))
        fields.append(SampleField(ref[:100], title, kind, _text(answer_value(answer))))
    for name, value in _hidden(response).items():
        fields.append(SampleField(f"{HIDDEN}{name}"[:100], name, "hidden", _text(value)))
    return fields


def _score(target: str, value: Any, key: str) -> int:
    low, high = TARGETS[target][1]  # type: ignore[misc]
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())  # a choice labelled "4"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        message = _("%(field)s maps to %(target)s but carries %(value)s, not %(low)d-%(high)d")
        shown = _text(value, 40) or _("nothing")
        raise Unmapped(
            message % {"field": key, "target": target, "value": shown, "low": low, "high": high}
        )
    return value


def _when(response: dict) -> datetime:
    raw = response.get("submitted_at")
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        raise Unmapped(_("form_response.submitted_at is not an ISO 8601 date-time")) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _token(response: dict) -> str:
    token = response.get("token")
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_ID:
        raise Unmapped(_("form_response.token is missing"))
    return token.strip()


def read_answer(
    body: Any,
    *,
    mapping: dict[str, str],
    touchpoint_id: int | None,
    touchpoint_field: str = "",
    resolve_code: Callable[[str], int | None] = lambda code: None,
) -> AnswerIn:
    """The answer the body carries, read through ``mapping``; ``resolve_code`` finds a
    touchpoint of the workspace by code (for a touchpoint taken from a hidden field). Raises
    :class:`Unmapped` saying why when it does not fit."""
    response = form_response(body)
    if not mapping:
        raise Unmapped(_("no field is mapped yet"))
    values: dict[str, Any] = {}
    for answer in _answers(response):
        ref = answer["field"].get("ref")
        if isinstance(ref, str) and ref in mapping:
            values[ref] = answer_value(answer)
    hidden = _hidden(response)
    for name, value in hidden.items():
        if f"{HIDDEN}{name}" in mapping:
            values[f"{HIDDEN}{name}"] = value
    fields: dict[str, Any] = {}
    about: dict[str, str] = {}  # what the body says of the customer
    for key, target in mapping.items():
        if target not in TARGETS or key not in values or values[key] in (None, ""):
            continue
        value = values[key]
        if TARGETS[target][1] is not None:
            fields[target] = _score(target, value, key)
        elif target == "comment":
            fields[target] = _text(value, MAX_COMMENT)
        elif target in PROFILE_TARGETS:
            about[PROFILE_TARGETS[target]] = _text(value, 1_000).strip()
        else:
            fields[target] = _text(value, MAX_ID).strip() or None
    if fields.get("nps") is None and fields.get("csat") is None:
        raise Unmapped(_("the body carries no mapped NPS or CSAT answer"))
    if touchpoint_field:
        code = hidden.get(touchpoint_field)
        found = resolve_code(code.strip()) if isinstance(code, str) and code.strip() else None
        if found is None:
            raise Unmapped(
                _("hidden field %(name)s does not name a touchpoint code of this workspace")
                % {"name": touchpoint_field}
            )
        touchpoint_id = found
    if touchpoint_id is None:
        raise Unmapped(_("the intake has no touchpoint"))
    if about and fields.get("customer"):
        problems = profile_problems(**about)
        if problems:
            field, reason = problems[0]
            raise Unmapped(_("customer %(field)s %(reason)s") % {"field": field, "reason": reason})
        fields["profile"] = profile_of(**about)
    return AnswerIn(
        touchpoint_id=touchpoint_id,
        external_id=_token(response),
        submitted_at=_when(response),
        **fields,
    )
