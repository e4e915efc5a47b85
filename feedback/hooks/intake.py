"""Receiving answers at an intake: check the signature, read the body, store the answers
through the one ingestion service, log the outcome.

Nothing is written for a refused delivery but its log line (and, for a Typeform body that does
not fit the mapping, the body itself as the sample to map from). The same event twice is stored
once: a Typeform answer's id is its ``form_response.token``, a signed one's its own
``external_id``, and a signed delivery whose ``webhook-id`` was stored before is answered as a
duplicate without reading it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from feedback.api.schemas import AnswerSchema, BatchSchema, answers_in
from feedback.hooks import events
from feedback.hooks.models import Intake, IntakeDelivery, IntakeKind, Outcome
from feedback.hooks.selectors import Receiving, receiving
from feedback.hooks.typeform import Unmapped, event_id, form_response, read_answer
from feedback.models import Source
from feedback.services import AnswerIn, AnswersRefused, responses_ingest
from feedback.touchpoint_refs import ids_by_code
from mot.sql import Identifiers, Sql, Template, execute, fetch, sql

LOG_KEEP = 100  # log lines kept per intake (shown on its page)
PRUNE_EVERY = 10  # lines written between prunings: a busy intake keeps 100 to 109
SIGNATURE_PREFIX = "sha256="
# Customer attributes (e-mail, segment…) are not stored by MOT yet: a signed body may carry
# them under this key, which is dropped rather than refused.
IGNORED_KEYS = ("customer_attributes",)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]


def typeform_signature(secret: str, body: bytes) -> str:
    """``Typeform-Signature``: base64 of the body's HMAC-SHA256 under the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return SIGNATURE_PREFIX + base64.b64encode(digest).decode()


def _log(
    intake: Intake, outcome: str, status: int, reason: str = "", *, event: str = "", stored: int = 0
) -> Reply:
    # Written by hand, prepared once per connection: one line a delivery, on the intake's
    # busiest path, where the ORM's create cost more than the INSERT itself.
    ((line,),) = fetch(
        _LOG_LINE(
            intake.pk,
            connection.ops.adapt_datetimefield_value(timezone.now()),
            event,
            Outcome(outcome).value,
            status,
            reason[:2000],
            stored,
        ),
        prepared=True,
    )
    if line % PRUNE_EVERY == 0:  # one statement less on most deliveries
        _prune(intake.pk)
    body: dict[str, Any] = {"outcome": outcome}
    if reason:
        body["reason"] = reason
    if stored or outcome in (Outcome.STORED, Outcome.DUPLICATE):
        body["stored"] = stored
    return Reply(status, body)


_LOG_COLUMNS = ("intake_id", "received_at", "event_id", "outcome", "status", "reason", "stored")
_NAMES = Identifiers(IntakeDelivery._meta.db_table, "id", *_LOG_COLUMNS)


def _log_names() -> dict[str, Sql]:
    return {
        "table": _NAMES[IntakeDelivery._meta.db_table],
        "pk": _NAMES["id"],
        "columns": _NAMES.each("{name}", _LOG_COLUMNS),
        **{name: _NAMES[name] for name in ("intake_id", "event_id", "outcome")},
    }


_LOG_LINE = Template(
    "INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {pk}",
    _log_names,
)
_DELIVERED = Template(
    "SELECT EXISTS (SELECT 1 FROM {table} WHERE {intake_id} = %s AND {event_id} = %s"
    " AND {outcome} IN (%s, %s))",
    _log_names,
)


def _delivered(intake_id: int, message_id: str) -> bool:
    """Whether the intake's log has this message stored (or answered as a duplicate) already:
    one prepared statement a signed delivery."""
    statement = _DELIVERED(intake_id, message_id, Outcome.STORED.value, Outcome.DUPLICATE.value)
    return bool(fetch(statement, prepared=True)[0][0])


def _prune(intake_id: int) -> None:
    """Keep the intake's last LOG_KEEP lines: one DELETE below the LOG_KEEP-th newest id."""
    table, pk, fk = (_NAMES[n] for n in (IntakeDelivery._meta.db_table, "id", "intake_id"))
    execute(
        sql(
            "DELETE FROM {table} WHERE {fk} = %s AND {pk} < ("
            "SELECT {pk} FROM {table} WHERE {fk} = %s ORDER BY {pk} DESC LIMIT 1 OFFSET %s)",
            intake_id,
            intake_id,
            LOG_KEEP - 1,
            table=table,
            pk=pk,
            fk=fk,
        )
    )


def _store(found: Receiving, source: str, answers: list[AnswerIn], event: str) -> Reply:
    intake, tp = found.intake, found.touchpoint
    # The intake's own touchpoint came with it: no lookup when every answer is for it.
    known = (
        {intake.touchpoint_id: tp}
        if tp and all(a.touchpoint_id == intake.touchpoint_id for a in answers)
        else None
    )
    # The answers and their log line commit together: one commit (a WAL flush) a delivery, not
    # two, and never an answer stored without its line.
    with transaction.atomic():
        try:
            result = responses_ingest(
                workspace_id=intake.workspace_id,
                source=source,
                answers=answers,
                rule=found.rule,
                touchpoints=known,
            )
        except AnswersRefused as exc:  # refused before writing anything
            reason = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
            return _log(intake, Outcome.INVALID, 422, reason, event=event)
        events.answers_stored(
            workspace_id=intake.workspace_id,
            ids=result.created_ids,
            has_webhooks=found.has_webhooks,  # read with the intake: no cache read without
        )
        outcome = Outcome.STORED if result.created else Outcome.DUPLICATE
        return _log(intake, outcome, 200, event=event, stored=result.created)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def receive_typeform(found: Receiving, body: bytes, signature: str | None) -> Reply:
    intake = found.intake
    expected = typeform_signature(intake.secret, body)
    if not signature or not hmac.compare_digest(expected.encode(), signature.encode()):
        return _log(intake, Outcome.UNSIGNED, 401, _("bad or missing Typeform-Signature"))
    document = _json(body)
    event = event_id(document)
    if isinstance(document, dict) and document.get("event_type", "form_response") != (
        "form_response"
    ):
        return _log(intake, Outcome.IGNORED, 200, _("not a form_response event"), event=event)
    codes: dict[str, int | None] = {}

    def resolve(code: str) -> int | None:
        if code not in codes:
            codes[code] = ids_by_code(intake.workspace_id, [code]).get(code.upper())
        return codes[code]

    try:
        answer = read_answer(
            document,
            mapping=intake.mapping,
            touchpoint_id=intake.touchpoint_id,
            touchpoint_field=intake.touchpoint_field,
            resolve_code=resolve,
        )
    except Unmapped as exc:
        _keep_sample(intake, document)
        return _log(intake, Outcome.UNMAPPED, 422, str(exc), event=event)
    return _store(found, Source.TYPEFORM, [answer], event)


JSON_SAFE_INT = 2**53  # beyond, JSON numbers lose precision (and SQLite's JSON refuses some)


def _storable(value: Any) -> Any:
    """The body as a JSON column stores it: numbers too large (or NaN, Infinity, which
    Python's reader accepts) become text and null, so a hostile sample cannot fail the write."""
    if isinstance(value, dict):
        return {str(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > JSON_SAFE_INT:
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _keep_sample(intake: Intake, document: Any) -> None:
    try:
        form_response(document)
    except Unmapped:
        return  # not Typeform's shape at all: nothing to map from
    intake.sample, intake.sample_at = _storable(document), timezone.now()
    Intake.objects.filter(pk=intake.pk).update(sample=intake.sample, sample_at=intake.sample_at)


def _signed_answers(intake: Intake, document: Any) -> list[AnswerIn]:
    """MOT's own answer JSON (one answer, or ``{"responses": [...]}``) as the API reads it."""
    if not isinstance(document, dict):
        raise ValueError(_("the body is not a JSON object"))
    document = {k: v for k, v in document.items() if k not in IGNORED_KEYS}
    schema: type[BaseModel] = BatchSchema if "responses" in document else AnswerSchema
    if schema is BatchSchema and isinstance(document.get("responses"), list):
        document["responses"] = [
            {k: v for k, v in item.items() if k not in IGNORED_KEYS}
            if isinstance(item, dict)
            else item
            for item in document["responses"]
        ]
    try:
        parsed = schema.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValueError(f"{where}: {first.get('msg', '')}") from None
    items = parsed.responses if isinstance(parsed, BatchSchema) else [parsed]
    return answers_in(intake.workspace_id, items)


def receive_signed(found: Receiving, body: bytes, headers: dict[str, str]) -> Reply:
    intake = found.intake
    headers = {k.lower(): v for k, v in headers.items()}
    message_id = (headers.get("webhook-id") or "")[:200]
    try:
        document = Webhook(intake.secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError as exc:
        return _log(intake, Outcome.UNSIGNED, 401, str(exc), event=message_id)
    if _delivered(intake.pk, message_id):
        return _log(intake, Outcome.DUPLICATE, 200, event=message_id)
    document = _json(body)
    try:
        answers = _signed_answers(intake, document)
    except ValueError as exc:
        return _log(intake, Outcome.INVALID, 422, str(exc), event=message_id)
    return _store(found, Source.WEBHOOK, answers, message_id)


def intake_for(kind: str, token: str) -> Receiving | None:
    if kind not in IntakeKind.values or not token or len(token) > 40:
        return None
    return receiving(kind, token)
