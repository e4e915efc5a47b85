"""Small helpers shared by the journey views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect


def _map_redirect(ws: str, journey_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("journeys:map", ws=ws, pk=journey_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST, even an empty one (``request.POST or None`` would leave an empty
    POST unbound: no error shown, a 200 instead of a 422)."""
    return request.POST if request.method == "POST" else None
