"""Request helpers every app shares: the client's address, which answer an htmx request
wants, and a form's POST data."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address

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
    forwarded = _forwarded_client(request)
    if forwarded is None:
        return request.META.get("REMOTE_ADDR", "") or ""
    return str(forwarded)


def _forwarded_client(request: HttpRequest) -> IPv4Address | IPv6Address | None:
    """The address the outermost trusted proxy saw (see :func:`client_ip`), or None: no
    trusted proxies, or no usable address in the header."""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return None
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return None
    try:
        return ipaddress.ip_address(forwarded[-count])
    except ValueError:
        return None


def rate_limit_client(request: HttpRequest) -> str:
    """The client as django-ratelimit keys it (its private ``_get_ip``, whose
    ``RATELIMIT_IP_META_KEY`` is :func:`client_ip`): the address masked to
    ``RATELIMIT_IPV4_MASK`` or ``RATELIMIT_IPV6_MASK`` bits (32 and 64 by default). Worked out
    here for the survey POST, which counts every answer: ``_get_ip`` imports ``client_ip`` by
    its dotted name on each call and parses the address again. A REMOTE_ADDR that is no
    address raises ValueError, as there."""
    address = _forwarded_client(request)
    if address is None:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "") or "")
    if address.version == 6:
        mask, network = getattr(settings, "RATELIMIT_IPV6_MASK", 64), ipaddress.IPv6Network
    else:
        mask, network = getattr(settings, "RATELIMIT_IPV4_MASK", 32), ipaddress.IPv4Network
    if mask == address.max_prefixlen:
        return str(address)
    return str(network((int(address), mask), strict=False).network_address)


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
