"""The API's request and response bodies (its forms): strict types, so a number is never read
as a date nor a string as a score, nor true as 1, and a request that does not fit is refused
whole. Text with a NUL or a lone surrogate never gets here: mot.middleware refuses it for every
endpoint, with the API's error format under /api/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from feedback.customers import MAX_ATTRIBUTES, Profile, profile_of, profile_problems
from feedback.experience import NotedExperience
from feedback.followups.contact import clean_contact
from feedback.models import Kind
from feedback.services import AnswerIn
from feedback.touchpoint_refs import ids_by_code
from mot.validation import MAX_ID, day_problem

MAX_BATCH = 1000
MAX_LIST = 500


def _iso_string(value: Any) -> Any:
    # Only ISO 8601 strings: pydantic would also take a number as a Unix time.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
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


KindName = Literal[tuple(Kind.values)]
NotedName = Literal[tuple(NotedExperience.values)]
StrictId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
TouchpointCode = Annotated[str, Field(strict=True, min_length=1, max_length=40)]


class CustomerProfileSchema(Schema):
    """What the answer says of its customer. Empty values leave stored ones as they are; the
    latest non-empty value of each wins."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field("", strict=True, max_length=254)
    name: str = Field("", strict=True, max_length=200)
    segment: str = Field("", strict=True, max_length=100)
    country: str = Field(
        "", strict=True, max_length=2, description="An ISO 3166 two-letter code such as PT."
    )
    plan: str = Field("", strict=True, max_length=100)
    attributes: dict[str, Annotated[str, Field(strict=True)]] = Field(
        default_factory=dict,
        description=f"Free attributes: at most {MAX_ATTRIBUTES} names, text values.",
    )

    @model_validator(mode="after")
    def _checked(self) -> CustomerProfileSchema:
        problems = profile_problems(**self.model_dump())
        if problems:
            field, reason = problems[0]
            raise PydanticCustomError(
                "customer", "{field}: {reason}", {"field": field, "reason": reason}
            )
        return self

    def profile(self) -> Profile | None:
        return profile_of(**self.model_dump())


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
    ces: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=7,
        description="Customer Effort Score: 'The company made it easy to handle my issue',"
        " 1 (strongly disagree) to 7 (strongly agree).",
    )
    comment: str = Field("", strict=True, max_length=10_000)
    language: str = Field("", strict=True, max_length=16)
    customer: str | None = Field(None, strict=True, min_length=1, max_length=200)
    contact: str = Field(
        "",
        strict=True,
        max_length=200,
        description="An e-mail address or phone number the customer agreed to be contacted at.",
    )
    customer_profile: CustomerProfileSchema | None = Field(
        None,
        description="The customer's e-mail, name, segment, country, plan and free attributes"
        " (needs customer).",
    )
    kind: KindName = Field(
        Kind.SURVEY_ANSWER.value,
        description="A survey answer (needs nps or csat) or a record without a score"
        " (complaint, interview, social_post, call_note: needs a comment, takes no score).",
    )
    experience: NotedName | None = Field(
        None,
        description="A record's experience as the person who logged it judged it (default"
        " unknown). A survey answer's comes from its score.",
    )

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        return clean_contact(value)

    @field_validator("submitted_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @model_validator(mode="after")
    def _profile_has_customer(self) -> AnswerSchema:
        if self.customer_profile is not None and not self.customer:
            raise PydanticCustomError("customer", "customer_profile needs customer")
        return self


def answers_in(workspace_id: int, items: list[AnswerSchema]) -> list[AnswerIn]:
    """The items as the ingestion takes them, touchpoint codes looked up in the workspace."""
    by_code = ids_by_code(
        workspace_id, (i.touchpoint for i in items if isinstance(i.touchpoint, str))
    )
    return [
        AnswerIn(
            # An unknown code becomes id 0, which the ingestion refuses as an unknown touchpoint.
            touchpoint_id=(
                by_code.get(item.touchpoint.strip().upper(), 0)
                if isinstance(item.touchpoint, str)
                else item.touchpoint
            ),
            noted_experience=item.experience or "",
            profile=item.customer_profile.profile() if item.customer_profile else None,
            **item.model_dump(exclude={"touchpoint", "experience", "customer_profile"}),
        )
        for item in items
    ]


class BatchSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    responses: list[AnswerSchema] = Field(..., min_length=1, max_length=MAX_BATCH)


class IngestOut(Schema):
    created: int
    duplicates: int
    ids: list[int]
    followups: int = Field(0, description="Follow-ups the stored answers opened.")


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
    kind: str
    experience: str
    submitted_at: datetime
    nps: int | None
    csat: int | None
    respect: int | None
    solutions: int | None
    simplicity: int | None
    responsibility: int | None
    ces: int | None
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
        if value is None:
            return None
        value = _as_utc(value)
        # The one range of every date filter (mot.validation), so ``since`` means what a
        # date filter of the pages would.
        if problem := day_problem(value.date(), field="since"):
            raise PydanticCustomError("day_out_of_range", problem)
        return value


class InvitedIn(Schema):
    model_config = ConfigDict(extra="forbid")

    invited: int | None = Field(
        ...,
        strict=True,
        ge=0,
        le=2_000_000_000,
        description="How many customers were sent the link; null when unknown.",
    )


class SurveyLinkOut(Schema):
    token: str
    touchpoint: int = Field(..., alias="touchpoint_id")
    opens: int = Field(..., description="Survey pages shown.")
    submissions: int = Field(..., description="Answers stored through the link.")
    invited: int | None
    response_rate: float | None = Field(
        None, description="Submissions ÷ invited in %, while the number invited is known."
    )
