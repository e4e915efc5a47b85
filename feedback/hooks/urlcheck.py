"""Where outgoing webhooks may go: not into MOT's own network (SSRF).

A URL is checked when an endpoint is saved and again at every delivery, since what a name
resolves to can change: every address the host resolves to must be public (not loopback,
link-local, private, multicast, reserved or unspecified), unless the operator allows private
networks (``WEBHOOKS_ALLOW_PRIVATE``). The delivery then connects to the address that was
checked, not to a second lookup of the name, so a name that changes between the check and the
connection (DNS rebinding) still cannot reach an internal address. Redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

USER_AGENT = "MOT-Webhooks/1"
MAX_READ = 4096  # bytes of the receiver's answer read (the status is what counts)


class UnsafeUrl(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]  # the checked IP addresses, tried in turn by the connection


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str) -> Target:
    """The URL's target with a checked address; :class:`UnsafeUrl` saying why when refused."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl(_("This is not a valid URL.")) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeUrl(_("Use an http:// or https:// URL with a host name."))
    if parts.username or parts.password:
        raise UnsafeUrl(_("Put no user name or password in the URL."))
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeUrl(_("The host name does not resolve.")) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not addresses:
        raise UnsafeUrl(_("The host name does not resolve."))
    if not settings.WEBHOOKS_ALLOW_PRIVATE and any(_forbidden(a) for a in addresses):
        raise UnsafeUrl(
            _(
                "The host resolves to a private, loopback, link-local or reserved address; "
                "webhooks go to public addresses only."
            )
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    unique = tuple(dict.fromkeys(str(a) for a in addresses))
    return Target(parts.scheme, parts.hostname, port, path, unique)


def _connect(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first checked address that answers (never to a new lookup)."""
    error: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error


class _Pinned(http.client.HTTPConnection):
    addresses: tuple[str, ...] = ()

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedTls(http.client.HTTPSConnection):
    addresses: tuple[str, ...] = ()

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST the body to the checked address; the answer's status (redirects not followed)."""
    if target.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedTls(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = _Pinned(target.host, target.port, timeout=timeout)
    connection.addresses = target.addresses  # type: ignore[attr-defined]
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
        )
        response = connection.getresponse()
        response.read(MAX_READ)
        return response.status
    finally:
        connection.close()
