"""Small helpers shared by the journey views."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect


def map_redirect(ws: str, journey_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("journeys:map", ws=ws, pk=journey_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response
