"""The journey file format (``mot.journey``): what a valid document is, as pydantic models.

Every field is type-checked strictly (no "3" for 3, no true for 1, no list for a string); the
checks across fields (lanes and the items that name them) raise errors journeys/exchange.py
translates. The built-in templates (journeys/blueprints.py) are documents of this format too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from journeys.limits import MAX_ITEMS_PER_CELL, MAX_LANES, MAX_STAGES, MAX_TOUCHPOINTS_PER_STAGE
from journeys.models import (
    ITEM_KINDS,
    SINGLE_KINDS,
    Channel,
    ItemStatus,
    JourneyState,
    LaneKind,
    MotStage,
    Phase,
)

FORMAT = "mot.journey"
# Version 2 adds lanes, their items and personas; a version 1 file still loads (its journey gets
# the default lanes and no personas).
VERSION = 2
SUPPORTED_VERSIONS = (1, 2)


def _text(max_length: int, *, required: bool = False) -> Any:
    # NUL and lone surrogates are refused before validation, by mot.validation's one text check
    # (parse_document): PostgreSQL cannot store them.
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1 if required else 0, max_length=max_length
        ),
    ]


def _supported_version(value: int) -> int:
    if value not in SUPPORTED_VERSIONS:
        raise PydanticCustomError("unsupported_version", "unsupported version")
    return value


class _Strict(BaseModel):
    # strict: no "3" for 3 and no true for 1 (bool is an int to Python, and to Literal[1]).
    model_config = ConfigDict(strict=True, extra="ignore")


class TouchpointDoc(_Strict):
    title: _text(160, required=True)
    description: _text(4000) = ""
    channel: Literal[tuple(Channel.values)] = Channel.OTHER.value  # type: ignore[valid-type]
    mot_stage: Literal[(*MotStage.values, "")] = ""  # type: ignore[valid-type]
    phase: Literal[tuple(Phase.values)] = Phase.USE.value  # type: ignore[valid-type]
    owner: _text(254) | None = None  # the owner's e-mail; matched among the target's members


class TouchpointRef(_Strict):
    """A touchpoint of the same file, by where it is: the index of its stage in the journey's
    stages and its index among that stage's touchpoints, both from 0 (as an item's lane)."""

    stage: Annotated[StrictInt, Field(ge=0, lt=MAX_STAGES)]
    position: Annotated[StrictInt, Field(ge=0, lt=MAX_TOUCHPOINTS_PER_STAGE)]


class ItemDoc(_Strict):
    lane: Annotated[StrictInt, Field(ge=0, lt=MAX_LANES)]  # index into the journey's lanes
    text: _text(1000, required=True)
    status: Literal[tuple(ItemStatus.values)] = ItemStatus.IDEA.value  # type: ignore[valid-type]
    owner: _text(254) | None = None  # as a touchpoint's owner
    # Opportunities only: the touchpoint it creates (journeys.models.LaneItem.touchpoint). Absent
    # from files made before the link travelled with them: those load unlinked.
    touchpoint: TouchpointRef | None = None


class StageDoc(_Strict):
    name: _text(120, required=True)
    touchpoints: list[TouchpointDoc] = Field(
        default_factory=list, max_length=MAX_TOUCHPOINTS_PER_STAGE
    )
    items: list[ItemDoc] = Field(default_factory=list, max_length=MAX_ITEMS_PER_CELL * MAX_LANES)


class LaneDoc(_Strict):
    kind: Literal[tuple(LaneKind.values)]  # type: ignore[valid-type]
    name: _text(80) = ""


# A persona's picture as base64 of the stored JPEG (at most 256 px a side, well under this).
PICTURE_MAX_CHARS = 400_000


class PersonaDoc(_Strict):
    name: _text(120, required=True)
    quote: _text(300) = ""
    goals: _text(2000) = ""
    frustrations: _text(2000) = ""
    segment: _text(120) = ""
    picture: Annotated[str, StringConstraints(max_length=PICTURE_MAX_CHARS)] | None = None


class JourneyDoc(_Strict):
    name: _text(120, required=True)
    persona: _text(120) = ""
    description: _text(4000) = ""
    state: Literal[tuple(JourneyState.values)] = JourneyState.CURRENT.value  # type: ignore[valid-type]
    stages: list[StageDoc] = Field(default_factory=list, max_length=MAX_STAGES)
    lanes: list[LaneDoc] | None = Field(default=None, max_length=MAX_LANES)  # None: the defaults
    personas: list[PersonaDoc] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _lanes_fit(self) -> JourneyDoc:
        if self.lanes is None:
            if any(stage.items for stage in self.stages):
                raise PydanticCustomError("lanes_missing", "items need lanes")
            return self
        kinds = [lane.kind for lane in self.lanes]
        if kinds.count(LaneKind.TOUCHPOINTS.value) != 1:
            raise PydanticCustomError("one_touchpoint_lane", "one touchpoint lane")
        for kind in SINGLE_KINDS:
            if kinds.count(kind.value) > 1:
                raise PydanticCustomError("single_lane", "single lane", {"kind": kind.value})
        for stage in self.stages:
            for item in stage.items:
                if item.lane >= len(kinds) or kinds[item.lane] not in ITEM_KINDS:
                    raise PydanticCustomError("item_lane", "item lane", {"lane": item.lane})
        self._links_fit(kinds)
        return self

    def _links_fit(self, kinds: list[str]) -> None:
        """An opportunity's link names a touchpoint of this file; no other item has one. The
        error's ``at`` is where, inside the journey (exchange.parse_document names it)."""
        for s, stage in enumerate(self.stages):
            for i, item in enumerate(stage.items):
                ref = item.touchpoint
                if ref is None:
                    continue
                at = ("stages", s, "items", i, "touchpoint")
                if kinds[item.lane] != LaneKind.OPPORTUNITIES.value:
                    raise PydanticCustomError(
                        "link_not_opportunity", "link on a non-opportunity", {"at": at}
                    )
                if ref.stage >= len(self.stages) or ref.position >= len(
                    self.stages[ref.stage].touchpoints
                ):
                    raise PydanticCustomError(
                        "link_missing",
                        "no such touchpoint",
                        {"at": at, "stage": ref.stage, "position": ref.position},
                    )


class Document(_Strict):
    format: Literal["mot.journey"]
    version: Annotated[StrictInt, AfterValidator(_supported_version)]
    journey: JourneyDoc
