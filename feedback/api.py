"""The JSON API (django-ninja), mounted at /api/v1/: send survey answers, read them back.

Authentication is a workspace API token, ``Authorization: Bearer <token>``; nothing else is
accepted (no session cookie, so no CSRF to check). Every answer of a request is validated first and
written in one transaction through :func:`feedback.services.responses_ingest`: one bad item → 422
listing every bad item by index and field, and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import BeforeValidator, ConfigDict, field_validator

from feedback.models import ApiToken, Response, Source
from feedback.services import AnswerIn, AnswersRefused, responses_ingest
from feedback.tokens.services import api_token_authenticate
from feedback.touchpoint_refs import ids_by_code

MAX_BATCH = 1000
MAX_LIST = 500
MAX_ID = 2**63 - 1  # a bigint: larger ids would make the database raise, not answer "unknown"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token)


api = NinjaAPI(
    title="MOT API",
    version="1",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    description=(
        "Send survey answers to a workspace and read them back. Authenticate with "
        "`Authorization: Bearer <token>`; an admin creates tokens on the workspace's API tokens "
        "page. A request's answers are stored all together or not at all."
    ),
)


# --- Schemas ---------------------------------------------------------------------------------


def _iso_string(value: Any) -> Any:
    # Only ISO 8601 strings: pydantic would also take a number as a Unix time.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def _no_nul(value: str | None) -> str | None:
    # JSON can carry both; PostgreSQL stores neither (a NUL or a lone surrogate half).
    if value is not None:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    return value


def _as_utc(value: datetime) -> datetime:
    # A time without an offset is read as UTC; converting here also refuses the few
    # datetimes (year 1 with a positive offset…) that have no UTC equivalent.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


StrictId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
TouchpointCode = Annotated[str, Field(strict=True, min_length=1, max_length=40)]


class AnswerSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(..., strict=True, min_length=1, max_length=200)
    touchpoint: StrictId | TouchpointCode = Field(
        ..., description="The touchpoint's id, or its code (case-insensitive)."
    )
    submitted_at: Annotated[datetime, BeforeValidator(_iso_string)]
    nps: int | None = Field(None, strict=True, ge=0, le=10)
    csat: int | None = Field(None, strict=True, ge=1, le=5)
    respect: int | None = Field(None, strict=True, ge=1, le=5)
    solutions: int | None = Field(None, strict=True, ge=1, le=5)
    simplicity: int | None = Field(None, strict=True, ge=1, le=5)
    responsibility: int | None = Field(None, strict=True, ge=1, le=5)
    comment: str = Field("", strict=True, max_length=10_000)
    language: str = Field("", strict=True, max_length=16)
    customer: str | None = Field(None, strict=True, min_length=1, max_length=200)

    @field_validator("external_id", "comment", "language", "customer")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _no_nul(value)

    @field_validator("submitted_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)


class BatchSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    responses: list[AnswerSchema] = Field(..., min_length=1, max_length=MAX_BATCH)


class IngestOut(Schema):
    created: int
    duplicates: int
    ids: list[int]


class FieldError(Schema):
    index: int | None
    field: str | None
    message: str


class ErrorsOut(Schema):
    errors: list[FieldError]


class ResponseOut(Schema):
    id: int
    external_id: str
    touchpoint: int = Field(..., alias="touchpoint_id")
    customer: str | None = Field(None, alias="customer.external_id")
    source: str
    submitted_at: datetime
    nps: int | None
    csat: int | None
    respect: int | None
    solutions: int | None
    simplicity: int | None
    responsibility: int | None
    comment: str
    language: str


class ResponseListOut(Schema):
    items: list[ResponseOut]
    next_after: int | None = Field(
        None, description="Pass as `after` for the next page; null on the last page."
    )


class ListFilters(Schema):
    touchpoint: int | None = Field(None, ge=1, le=MAX_ID)
    since: datetime | None = None
    limit: int = Field(100, ge=1, le=MAX_LIST)
    after: int | None = Field(None, ge=0, le=MAX_ID)

    @field_validator("since")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)


# --- Errors ----------------------------------------------------------------------------------


class ItemErrors(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(errors)


def _error(index: int | None, field: str | None, message: str) -> dict[str, Any]:
    return {"index": index, "field": field, "message": message}


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        # Body locations read ("body", "payload", ["responses", i,] field…)
        index = None
        if loc[:1] == ["body"]:
            loc = loc[2:]
            if loc[:1] == ["responses"] and len(loc) > 1 and isinstance(loc[1], int):
                index, loc = loc[1], loc[2:]
        else:
            loc = loc[1:]
        field = next((str(p) for p in loc if isinstance(p, str)), None)
        errors.append(_error(index, field, str(error.get("msg", "is not valid"))))
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(ItemErrors)
def _item_errors(request: HttpRequest, exc: ItemErrors) -> HttpResponse:
    return api.create_response(request, {"errors": exc.errors}, status=422)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's limit (DATA_UPLOAD_MAX_MEMORY_SIZE) raises while ninja reads the body.
    return api.create_response(
        request, {"detail": "Request body too large; send at most 1,000 answers."}, status=413
    )


# --- Operations ------------------------------------------------------------------------------


def _ingest(request: HttpRequest, items: list[AnswerSchema], *, batch: bool) -> dict[str, Any]:
    workspace_id = request.auth.workspace_id  # type: ignore[attr-defined]
    by_code = ids_by_code(
        workspace_id, (i.touchpoint for i in items if isinstance(i.touchpoint, str))
    )
    answers = [
        AnswerIn(
            # An unknown code becomes id 0, which the ingestion refuses as an unknown touchpoint.
            touchpoint_id=(
                by_code.get(item.touchpoint.strip().upper(), 0)
                if isinstance(item.touchpoint, str)
                else item.touchpoint
            ),
            **item.model_dump(exclude={"touchpoint"}),
        )
        for item in items
    ]
    try:
        result = responses_ingest(
            workspace_id=workspace_id,
            source=Source.API,
            answers=answers,
        )
    except AnswersRefused as exc:
        raise ItemErrors(
            [_error(p.index if batch else None, p.field, p.message) for p in exc.problems]
        ) from exc
    return {"created": result.created, "duplicates": result.duplicates, "ids": result.created_ids}


@api.post(
    "/responses",
    response={200: IngestOut, 422: ErrorsOut},
    summary="Store one answer",
    tags=["responses"],
)
def response_create(request: HttpRequest, payload: AnswerSchema) -> dict[str, Any]:
    return _ingest(request, [payload], batch=False)


@api.post(
    "/responses/batch",
    response={200: IngestOut, 422: ErrorsOut},
    summary="Store up to 1,000 answers, all or none",
    tags=["responses"],
)
def response_batch(request: HttpRequest, payload: BatchSchema) -> dict[str, Any]:
    return _ingest(request, payload.responses, batch=True)


@api.get(
    "/responses",
    response={200: ResponseListOut, 422: ErrorsOut},
    summary="List answers, oldest id first",
    tags=["responses"],
)
def response_list(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    workspace_id = request.auth.workspace_id  # type: ignore[attr-defined]
    rows = Response.objects.filter(workspace_id=workspace_id).select_related("customer")
    if filters.touchpoint is not None:
        rows = rows.filter(touchpoint_id=filters.touchpoint)
    if filters.since is not None:
        rows = rows.filter(submitted_at__gte=filters.since)
    if filters.after is not None:
        rows = rows.filter(pk__gt=filters.after)
    page = list(rows.order_by("pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"items": page, "next_after": page[-1].pk if more else None}
