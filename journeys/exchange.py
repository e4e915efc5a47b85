"""Journey maps as JSON: export, and import that either writes the whole map or nothing.

The same document format describes the built-in templates (journeys/blueprints.py), so creating
a journey from a template and importing a file are one code path.

Hostile input is expected: the size is capped before parsing, nesting deeper than the format
allows is refused before ``json`` recurses into it, text with a NUL or a lone surrogate is
refused by the check every request's text goes through (mot.validation), every field is
type-checked strictly (no "3" for 3, no true for 1, no list for a string), and unknown
moment-of-truth stages are named in the error.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from journeys.limits import MAX_STAGES, MAX_TOUCHPOINTS_PER_STAGE
from journeys.models import Channel, Journey, JourneyState, MotStage, Phase, Stage, Touchpoint
from mot.models import Membership
from mot.policy import Action, require
from mot.validation import json_problems

FORMAT = "mot.journey"
VERSION = 1
# The format nests 6 levels deep (document > journey > stages > stage > touchpoints > tp).
MAX_DEPTH = 8


class JourneyImportError(Exception):
    """The file cannot be imported; ``errors`` are human-readable lines naming where and why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


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
    if value != VERSION:
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


class StageDoc(_Strict):
    name: _text(120, required=True)
    touchpoints: list[TouchpointDoc] = Field(
        default_factory=list, max_length=MAX_TOUCHPOINTS_PER_STAGE
    )


class JourneyDoc(_Strict):
    name: _text(120, required=True)
    persona: _text(120) = ""
    description: _text(4000) = ""
    state: Literal[tuple(JourneyState.values)] = JourneyState.CURRENT.value  # type: ignore[valid-type]
    stages: list[StageDoc] = Field(default_factory=list, max_length=MAX_STAGES)


class Document(_Strict):
    format: Literal["mot.journey"]
    version: Annotated[StrictInt, AfterValidator(_supported_version)]
    journey: JourneyDoc


# --- export -----------------------------------------------------------------------------------


def journey_export(*, actor: Membership, journey: Journey) -> dict[str, Any]:
    require(actor, Action.EXPORT, journey)
    stages = list(journey.stages.order_by("position"))
    touchpoints = (
        Touchpoint.objects.filter(journey=journey)
        .select_related("owner__user")
        .order_by("stage__position", "position")
    )
    by_stage: dict[int, list[dict[str, Any]]] = {stage.pk: [] for stage in stages}
    for tp in touchpoints:
        by_stage[tp.stage_id].append(
            {
                "title": tp.title,
                "description": tp.description,
                "channel": tp.channel,
                "mot_stage": tp.mot_stage,
                "phase": tp.phase,
                "owner": tp.owner.user.email if tp.owner_id and tp.owner.user.email else None,
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "journey": {
            "name": journey.name,
            "persona": journey.persona,
            "description": journey.description,
            "state": journey.state,
            "stages": [{"name": s.name, "touchpoints": by_stage[s.pk]} for s in stages],
        },
    }


# --- import -----------------------------------------------------------------------------------


def _nesting_depth(raw: str) -> int:
    """Deepest bracket nesting outside strings, found without building anything."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"  # people count from 1
        elif part in {"str", "int", "bool", "list", "dict"} or str(part).startswith("literal["):
            continue  # pydantic adds the tried type to union locations
        else:
            out += f".{part}" if out else str(part)
    return out or _("file")


def parse_document(data: bytes | str) -> Document:
    """Validate an uploaded file; raise JourneyImportError listing every problem found."""
    limit = settings.JOURNEY_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise JourneyImportError(
            [_("The file is larger than %(limit)d KB.") % {"limit": limit // 1024}]
        )
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JourneyImportError([_("The file is not UTF-8 text.")]) from None
    if _nesting_depth(data) > MAX_DEPTH:
        raise JourneyImportError([_("The file is nested too deeply to be a MOT journey.")])
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise JourneyImportError(
            [_("The file is not valid JSON: %(error)s") % {"error": exc}]
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise JourneyImportError(
            [_('This is not a MOT journey export (expected "format": "%(f)s").') % {"f": FORMAT}]
        )
    # The request's text went through mot.middleware; the file's goes through the same check.
    if bad_text := [f"{_location(path)}: {problem}." for path, problem in json_problems(payload)]:
        raise JourneyImportError(bad_text[:20])
    try:
        return Document.model_validate(payload)
    except PydanticValidationError as exc:
        errors = []
        for error in exc.errors()[:20]:
            errors.append(f"{_location(error['loc'])}: {_message(error)}")
        raise JourneyImportError(errors) from None


def _message(error: Any) -> str:
    """A translated message for a pydantic error (its own texts are English only)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "literal_error":  # name the refused value, e.g. "XMOT", and what is allowed
        return _("%(value)s is not one of %(allowed)s.") % {
            "value": repr(error["input"])[:60],
            "allowed": ctx.get("expected", ""),
        }
    if kind == "missing":
        return _("this field is required.")
    if kind in {"string_type", "string_sub_type"}:
        return _("must be text.")
    if kind == "string_too_short":
        return _("must not be empty.")
    if kind == "string_too_long":
        return _("at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("at most %(n)s items.") % {"n": ctx.get("max_length")}
    if kind in {"list_type", "tuple_type"}:
        return _("must be a list.")
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return _("must be an object.")
    if kind in {"int_type", "int_parsing"}:
        return _("must be a whole number (not true, false, text or a decimal).")
    if kind == "unsupported_version":
        return _("version %(value)s is not supported; this MOT reads version %(version)d.") % {
            "value": repr(error["input"])[:20],
            "version": VERSION,
        }
    return _("invalid value.")


@transaction.atomic
def journey_import(*, actor: Membership, document: Document, name: str | None = None) -> Journey:
    """Create a journey from a validated document. Owners not in this workspace stay unassigned."""
    require(actor, Action.EDIT_MAP, actor.workspace)
    doc = document.journey
    emails = {tp.owner.lower() for stage in doc.stages for tp in stage.touchpoints if tp.owner}
    owners: dict[str, Membership] = {}
    if emails:
        for member in Membership.objects.filter(workspace_id=actor.workspace_id).select_related(
            "user"
        ):
            if member.user.email and member.user.email.lower() in emails:
                owners[member.user.email.lower()] = member
    journey = Journey.objects.create(
        workspace_id=actor.workspace_id,
        name=(name or doc.name)[:120],
        persona=doc.persona,
        description=doc.description,
        state=doc.state,
    )
    stages = Stage.objects.bulk_create(
        [Stage(journey=journey, name=s.name, position=i) for i, s in enumerate(doc.stages)]
    )
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                journey=journey,
                stage=stage,
                position=position,
                title=tp.title,
                description=tp.description,
                channel=tp.channel,
                mot_stage=tp.mot_stage,
                phase=tp.phase,
                owner=owners.get(tp.owner.lower()) if tp.owner else None,
            )
            for stage, stage_doc in zip(stages, doc.stages, strict=True)
            for position, tp in enumerate(stage_doc.touchpoints)
        ]
    )
    return journey
