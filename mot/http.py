"""View helpers every app shares: which answer an htmx request wants, and a form's POST data."""

from __future__ import annotations

from django.http import HttpRequest, QueryDict


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request swaps a fragment; a history restore (back button after htmx's cache was
    evicted) needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST, even an empty one (``request.POST or None`` would leave an empty
    POST unbound: no error shown, a 200 instead of a 422)."""
    return request.POST if request.method == "POST" else None
