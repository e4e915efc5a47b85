"""Builders shared by the lane and persona tests."""

from __future__ import annotations

import io

from PIL import Image

from journeys.models import Journey, Lane, LaneItem, LaneKind, Stage


def png(width: int = 40, height: int = 30, color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def lane_of(journey: Journey, kind: str) -> Lane:
    return Lane.objects.get(journey=journey, kind=kind)


def cell_texts(journey: Journey) -> list[tuple[int, str, int, int, str, str]]:
    """Every item as (lane position, lane kind, stage position, position, text, status)."""
    return list(
        LaneItem.objects.filter(journey=journey)
        .order_by("lane__position", "stage__position", "position")
        .values_list(
            "lane__position", "lane__kind", "stage__position", "position", "text", "status"
        )
    )


def lane_layout(journey: Journey) -> list[tuple[str, str]]:
    return list(
        Lane.objects.filter(journey=journey).order_by("position").values_list("kind", "name")
    )


def first_stage(journey: Journey) -> Stage:
    return Stage.objects.filter(journey=journey).order_by("position").first()


TOUCHPOINTS = LaneKind.TOUCHPOINTS
