"""Request helpers every app shares: the client's address, which answer an htmx request
wants, and a form's POST data."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, QueryDict


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` reverse proxies the
    address the outermost of them saw.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``, so with
    N trusted proxies the client is the N-th entry from the right; anything left of it is
    whatever the client chose to send and is never trusted. A header shorter than N (a request
    that did not come through every proxy) or an entry that is not an address falls back to
    REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request swaps a fragment; a history restore (back button after htmx's cache was
    evicted) needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST, even an empty one (``request.POST or None`` would leave an empty
    POST unbound: no error shown, a 200 instead of a 422)."""
    return request.POST if request.method == "POST" else None


def carried_query(query: QueryDict, keys: Iterable[str], *, max_length: int) -> str:
    """The filters of a request that a page carries into its links and forms: only the ``keys``
    it understands, non-empty, each cut to ``max_length`` characters (no cursor, nothing else
    the visitor sent)."""
    kept = QueryDict(mutable=True)
    for key in keys:
        value = query.get(key, "")
        if value:
            kept[key] = value[:max_length]
    return kept.urlencode()
