"""Personas: workspace objects reused across journeys (create, edit, delete, attach to a
journey), and their pictures.

An uploaded picture is checked by its content, not its name or declared type: Pillow must
recognise it as a JPEG, PNG, GIF or WebP, within a size cap before and a pixel cap while
decoding, and what is stored is a small JPEG re-encoded from the decoded pixels, never the
uploaded bytes (a file that is also a script or an HTML page does not survive that).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from journeys.models import Journey, Persona
from journeys.services.fields import clean_text
from mot.models import Membership
from mot.policy import Action, require

PICTURE_MAX_BYTES = 2 * 1024 * 1024
PICTURE_MAX_PIXELS = 40_000_000  # decoding bombs are refused before their pixels are allocated
PICTURE_SIDE = 256
PICTURE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")


def picture_from_upload(data: bytes) -> bytes:
    """A square-ish JPEG of at most 256 px a side from an uploaded image; ValidationError if
    the bytes are not a picture MOT accepts."""
    if len(data) > PICTURE_MAX_BYTES:
        raise ValidationError(
            {"picture": _("The picture is larger than %(n)d MB.") % {"n": PICTURE_MAX_BYTES >> 20}}
        )
    refused = ValidationError({"picture": _("This file is not a JPEG, PNG, GIF or WebP picture.")})
    try:
        with Image.open(io.BytesIO(data), formats=PICTURE_FORMATS) as image:
            if image.width * image.height > PICTURE_MAX_PIXELS:
                raise ValidationError({"picture": _("The picture has too many pixels.")})
            image.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise refused from None
    return out.getvalue()


def _fields(
    *, name: str, quote: str, goals: str, frustrations: str, segment: str
) -> dict[str, str]:
    return {
        "name": clean_text(name, field="name", max_length=120),
        "quote": clean_text(quote, field="quote", max_length=300, required=False),
        "goals": clean_text(goals, field="goals", max_length=2000, required=False),
        "frustrations": clean_text(
            frustrations, field="frustrations", max_length=2000, required=False
        ),
        "segment": clean_text(segment, field="segment", max_length=120, required=False),
    }


def persona_create(
    *,
    actor: Membership,
    name: str,
    quote: str = "",
    goals: str = "",
    frustrations: str = "",
    segment: str = "",
    picture: bytes | None = None,
) -> Persona:
    require(actor, Action.EDIT_MAP, actor.workspace)
    fields = _fields(
        name=name, quote=quote, goals=goals, frustrations=frustrations, segment=segment
    )
    stored = picture_from_upload(picture) if picture else None
    return Persona.objects.create(workspace_id=actor.workspace_id, picture=stored, **fields)


def persona_update(
    *,
    actor: Membership,
    persona: Persona,
    name: str,
    quote: str = "",
    goals: str = "",
    frustrations: str = "",
    segment: str = "",
    picture: bytes | None = None,
    remove_picture: bool = False,
) -> Persona:
    """Save a persona; ``picture`` replaces the picture, ``remove_picture`` goes back to
    initials, neither keeps it."""
    require(actor, Action.EDIT_MAP, persona)
    fields = _fields(
        name=name, quote=quote, goals=goals, frustrations=frustrations, segment=segment
    )
    if picture:
        fields["picture"] = picture_from_upload(picture)
    elif remove_picture:
        fields["picture"] = None
    for key, value in fields.items():
        setattr(persona, key, value)
    persona.save()
    return persona


def persona_delete(*, actor: Membership, persona: Persona) -> None:
    require(actor, Action.EDIT_MAP, persona)
    persona.delete()


@transaction.atomic
def journey_set_personas(
    *, actor: Membership, journey: Journey, personas: Iterable[Persona]
) -> None:
    """The journey's personas become exactly ``personas`` (all of its workspace)."""
    require(actor, Action.EDIT_MAP, journey)
    personas = list(personas)
    for persona in personas:
        if persona.workspace_id != journey.workspace_id:
            raise ValidationError({"personas": _("Choose personas of this workspace.")})
    journey.personas.set(personas)
