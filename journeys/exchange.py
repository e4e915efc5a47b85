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

import base64
import binascii
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from journeys.exchange_format import (
    FORMAT,
    VERSION,
    Document,
    JourneyDoc,
    LaneDoc,
    PersonaDoc,
)
from journeys.limits import MAX_ITEMS_PER_CELL
from journeys.models import Journey, Lane, LaneItem, LaneKind, Persona, Stage, Touchpoint
from mot.models import Membership
from mot.policy import Action, require
from mot.validation import json_problems

# The format nests 7 levels deep (document > journey > stages > stage > items > item > the
# touchpoint an opportunity links to).
MAX_DEPTH = 8


class JourneyImportError(Exception):
    """The file cannot be imported; ``errors`` are human-readable lines naming where and why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


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
    stage_index = {stage.pk: i for i, stage in enumerate(stages)}
    # Where each touchpoint is in the file: how an opportunity names the one it creates.
    refs: dict[int, dict[str, int]] = {}
    for tp in touchpoints:
        refs[tp.pk] = {"stage": stage_index[tp.stage_id], "position": len(by_stage[tp.stage_id])}
        by_stage[tp.stage_id].append(
            {
                "title": tp.title,
                "description": tp.description,
                "channel": tp.channel,
                "mot_stage": tp.mot_stage,
                "phase": tp.phase,
                "owner": _email(tp.owner),
            }
        )
    lanes = list(Lane.objects.filter(journey=journey).order_by("position"))
    if not lanes:  # a journey made before lanes: what its map shows
        from journeys.services.lanes import default_lanes

        lanes = default_lanes(journey)
    lane_index = {lane.pk: i for i, lane in enumerate(lanes)}
    items: dict[int, list[dict[str, Any]]] = {stage.pk: [] for stage in stages}
    for item in (
        LaneItem.objects.filter(journey=journey)
        .select_related("owner__user", "lane")
        .order_by("lane__position", "position")
    ):
        row = {
            "lane": lane_index[item.lane_id],
            "text": item.text,
            "status": item.status,
            "owner": _email(item.owner),
        }
        if item.touchpoint_id in refs and item.lane.kind == LaneKind.OPPORTUNITIES:
            row["touchpoint"] = refs[item.touchpoint_id]
        items[item.stage_id].append(row)
    return {
        "format": FORMAT,
        "version": VERSION,
        "journey": {
            "name": journey.name,
            "persona": journey.persona,
            "description": journey.description,
            "state": journey.state,
            "lanes": [{"kind": lane.kind, "name": lane.name} for lane in lanes],
            "stages": [
                {"name": s.name, "touchpoints": by_stage[s.pk], "items": items[s.pk]}
                for s in stages
            ],
            "personas": [
                {
                    "name": p.name,
                    "quote": p.quote,
                    "goals": p.goals,
                    "frustrations": p.frustrations,
                    "segment": p.segment,
                    "picture": base64.b64encode(bytes(p.picture)).decode() if p.picture else None,
                }
                for p in journey.personas.order_by("name", "pk")
            ],
        },
    }


def _email(owner: Membership | None) -> str | None:
    return owner.user.email if owner is not None and owner.user.email else None


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
            # A check across fields names where inside the journey it failed ("at").
            at = tuple((error.get("ctx") or {}).get("at", ()))
            errors.append(f"{_location((*error['loc'], *at))}: {_message(error)}")
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
        return _(
            "version %(value)s is not supported; this MOT reads versions 1 to %(version)d."
        ) % {
            "value": repr(error["input"])[:20],
            "version": VERSION,
        }
    if kind == "lanes_missing":
        return _("stage items need the journey's lanes.")
    if kind == "one_touchpoint_lane":
        return _("the lanes must include exactly one touchpoint lane.")
    if kind == "single_lane":
        return _("at most one lane of kind %(kind)s.") % {"kind": ctx.get("kind")}
    if kind == "item_lane":
        return _("item lane %(lane)s is not a lane that holds items.") % {"lane": ctx.get("lane")}
    if kind == "link_not_opportunity":
        return _("only an opportunity can link to the touchpoint it creates.")
    if kind == "link_missing":
        return _(
            "links to the touchpoint at stage %(stage)s, position %(position)s (counted from 0), "
            "which this file does not have."
        ) % {"stage": ctx.get("stage"), "position": ctx.get("position")}
    if kind in {"greater_than_equal", "less_than"}:
        return _("number out of range.")
    return _("invalid value.")


@transaction.atomic
def journey_import(*, actor: Membership, document: Document, name: str | None = None) -> Journey:
    """Create a journey from a validated document. Owners not in this workspace stay unassigned;
    a persona is the workspace's persona of the same name if there is one, else a new one."""
    require(actor, Action.EDIT_MAP, actor.workspace)
    doc = document.journey
    owners = _owners(actor, doc)
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
    created = Touchpoint.objects.bulk_create(
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
    # Each new touchpoint by where the file has it, for the opportunities' links (the document
    # checked that each names one of the file's touchpoints).
    touchpoint_at = iter(created)
    new_touchpoints = [[next(touchpoint_at) for _tp in s.touchpoints] for s in doc.stages]
    lane_docs = doc.lanes if doc.lanes is not None else [LaneDoc(kind=k) for k in _DEFAULT]
    # The emotion curve is always on a map: a file without it gets it on top (items name
    # their lane by index, hence the shift).
    shift = 0
    if all(lane.kind != LaneKind.EMOTION for lane in lane_docs):
        lane_docs, shift = [LaneDoc(kind=LaneKind.EMOTION.value), *lane_docs], 1
    lanes = Lane.objects.bulk_create(
        [
            Lane(journey=journey, kind=lane.kind, name=lane.name, position=i)
            for i, lane in enumerate(lane_docs)
        ]
    )
    rows = []
    for stage, stage_doc in zip(stages, doc.stages, strict=True):
        cells: dict[int, int] = {}  # lane index -> next position in this stage's cell
        for item in stage_doc.items:
            position = cells[item.lane] = cells.get(item.lane, -1) + 1
            lane_index = item.lane + shift
            if position >= MAX_ITEMS_PER_CELL:
                raise JourneyImportError(
                    [_("A cell holds at most %(n)d items.") % {"n": MAX_ITEMS_PER_CELL}]
                )
            rows.append(
                LaneItem(
                    journey=journey,
                    lane=lanes[lane_index],
                    stage=stage,
                    position=position,
                    text=item.text,
                    status=item.status,
                    owner=owners.get(item.owner.lower()) if item.owner else None,
                    touchpoint=new_touchpoints[item.touchpoint.stage][item.touchpoint.position]
                    if item.touchpoint is not None
                    else None,
                )
            )
    LaneItem.objects.bulk_create(rows, batch_size=500)
    if doc.personas:
        journey.personas.set(_personas(actor, doc.personas))
    return journey


_DEFAULT = (LaneKind.EMOTION.value, LaneKind.TOUCHPOINTS.value)


def _owners(actor: Membership, doc: JourneyDoc) -> dict[str, Membership]:
    """The members named as owners in the document, by lower-cased e-mail: one query."""
    emails = {tp.owner.lower() for stage in doc.stages for tp in stage.touchpoints if tp.owner}
    emails |= {item.owner.lower() for stage in doc.stages for item in stage.items if item.owner}
    owners: dict[str, Membership] = {}
    if emails:
        for member in Membership.objects.filter(workspace_id=actor.workspace_id).select_related(
            "user"
        ):
            if member.user.email and member.user.email.lower() in emails:
                owners[member.user.email.lower()] = member
    return owners


def _personas(actor: Membership, docs: list[PersonaDoc]) -> list[Persona]:
    from journeys.services.personas import picture_from_upload

    existing = {p.name.lower(): p for p in Persona.objects.filter(workspace_id=actor.workspace_id)}
    found = []
    for doc in docs:
        persona = existing.get(doc.name.lower())
        if persona is None:
            picture = None
            if doc.picture:
                try:
                    # Checked and re-encoded like an upload: a file is as hostile as a form.
                    picture = picture_from_upload(base64.b64decode(doc.picture, validate=True))
                except (binascii.Error, ValidationError):
                    raise JourneyImportError(
                        [_("Persona “%(name)s”: the picture is not valid.") % {"name": doc.name}]
                    ) from None
            persona = existing[doc.name.lower()] = Persona.objects.create(
                workspace_id=actor.workspace_id,
                name=doc.name,
                quote=doc.quote,
                goals=doc.goals,
                frustrations=doc.frustrations,
                segment=doc.segment,
                picture=picture,
            )
        found.append(persona)
    return found
