"""Counting what a block of code writes to Redis, round trip by round trip."""

from __future__ import annotations

import contextlib

import pytest
import redis.connection

# What a new connection sends once before its first command: not the code's round trips.
_HANDSHAKE = {"HELLO", "CLIENT", "SELECT", "AUTH"}


@contextlib.contextmanager
def round_trips():
    """What is written to Redis inside the block, one entry a round trip: the names of the
    commands sent together, whether through redis-py's client or a connection held directly
    (mot.cache's kept connection). A new connection's handshake is left out."""
    sent: list[list[str]] = []
    real = redis.connection.AbstractConnection.send_packed_command

    def sending(self, command, check_health=True):
        chunks = [command] if isinstance(command, bytes | str) else command
        payload = b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)
        # RESP: each command is "*<n>\r\n$<len>\r\n<NAME>\r\n…"
        parts = payload.split(b"\r\n")
        names = [parts[i + 2].decode() for i, part in enumerate(parts) if part.startswith(b"*")]
        if not set(names) <= _HANDSHAKE:
            sent.append(names)
        return real(self, command, check_health)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redis.connection.AbstractConnection, "send_packed_command", sending)
        yield sent
