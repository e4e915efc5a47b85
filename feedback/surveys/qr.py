"""A survey link's QR code (segno), as PNG or SVG."""

from __future__ import annotations

import io

import segno

TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def qr_code(url: str, kind: str) -> tuple[bytes, str]:
    """The QR code of ``url``: its bytes and MIME type. Medium error correction (readable with
    a quarter of it smudged), a quiet zone of four modules as the standard asks."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    if kind == "svg":
        code.save(buffer, kind="svg", scale=8, border=4, xmldecl=True, svgns=True)
    else:
        code.save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue(), TYPES[kind]
