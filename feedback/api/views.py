"""The API's operations on the ``NinjaAPI`` instance that ``urls`` mounts: token auth, the error
answers (every bad item listed by index and field, 422), storing and listing answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from feedback.api.schemas import (
    AnswerSchema,
    BatchSchema,
    ErrorsOut,
    IngestOut,
    InvitedIn,
    ListFilters,
    ResponseListOut,
    SurveyLinkOut,
    answers_in,
)
from feedback.hooks import events
from feedback.hooks.openapi import intake_paths
from feedback.models import ApiToken, Response, Source, SurveyLink
from feedback.services import AnswersRefused, responses_ingest
from feedback.surveys.services import set_invited
from feedback.tokens.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token)


class MotAPI(NinjaAPI):
    """The API, whose OpenAPI document also describes the webhook intakes (feedback/hooks),
    which are views of their own, so that integrators and schemathesis read one document."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        document = super().get_openapi_schema(**kwargs)
        document["paths"].update(
            intake_paths(
                answer_ref="#/components/schemas/AnswerSchema",
                batch_ref="#/components/schemas/BatchSchema",
            )
        )
        return document


api = MotAPI(
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
    answers = answers_in(workspace_id, items)
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
    events.answers_stored(workspace_id=workspace_id, ids=result.created_ids)
    return {
        "created": result.created,
        "duplicates": result.duplicates,
        "ids": result.created_ids,
        "followups": result.followups,
    }


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


@api.put(
    "/survey-links/{token}/invited",
    response={200: SurveyLinkOut, 404: ErrorsOut, 422: ErrorsOut},
    summary="Set how many customers a survey link was sent to",
    tags=["survey links"],
)
def survey_link_invited(request: HttpRequest, token: str, payload: InvitedIn):
    """The link is named by its token (the end of its public URL, /s/<token>/); its response
    rate is the answers stored through it ÷ the number invited."""
    workspace_id = request.auth.workspace_id  # type: ignore[attr-defined]
    link = SurveyLink.objects.filter(
        token=token[:64], touchpoint__journey__workspace_id=workspace_id
    ).first()
    if link is None:
        return 404, {"errors": [_error(None, "token", "No survey link with this token.")]}
    set_invited(link_id=link.pk, invited=payload.invited)
    link.invited = payload.invited
    return 200, link
