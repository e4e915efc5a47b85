"""The Redis cache, tolerant of Redis being away.

What MOT keeps in the cache can be lost without losing data: survey rate-limit counts, the
marker that a metrics run is queued, a run's progress and heartbeat. So when Redis does not
answer, a read finds nothing and a write is dropped, with a warning in the log, instead of an
error that would refuse a customer's survey answer (the rate limiter then fails open, see
``RATELIMIT_FAIL_OPEN``). Connections time out after a second or two, so a Redis that is down
costs each request little.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("mot.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_WARN_EVERY_SECONDS = 30.0
# INCRBY only if the key exists (a missing key stays missing, as Django's incr requires).
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


# One more on a counter; its expiry set by its first count only (a fixed window).
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return n
"""


def count(cache, key: str, timeout: int) -> int | None:
    """Add one to the counter ``key``, created for ``timeout`` seconds by its first count, and
    return its value; None when the cache does not answer. One round trip on Redis
    (:meth:`TolerantRedisCache.count`), ``add`` then ``incr`` on other caches."""
    # Through the method, not isinstance: ``django.core.cache.cache`` (what views pass) is a
    # proxy to the backend, never an instance of it, and would miss the one round trip.
    counter = getattr(cache, "count", None)
    if counter is not None:
        return counter(key, timeout)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two, or the cache is away
        return None


def get_many_and_add(
    cache, keys: list[str], add_key: str, value, timeout: int
) -> tuple[dict, bool]:
    """``cache.get_many(keys)`` and ``cache.add(add_key, value, timeout)``, in one round trip
    on Redis (:meth:`TolerantRedisCache.get_many_and_add`, a pipeline), one after the other on
    other caches. For the work that follows a stored survey answer, which reads whether its
    metrics are already noted and marks its follow-ups' announcement queued."""
    both = getattr(cache, "get_many_and_add", None)
    if both is not None:
        return both(keys, add_key, value, timeout)
    return cache.get_many(keys), cache.add(add_key, value, timeout)


class TolerantRedisCache(RedisCache):
    """Django's Redis cache, tolerant of Redis being away; and the reads and counts that every
    answer pays (``get``, ``get_many``, ``count``, ``get_many_and_add``) sent on a kept
    connection.

    redis-py's client spends about 90 µs of CPU a command on this machine around a round trip
    whose own cost is 10–30 µs (its pool, retry wrapper, events, observability hooks); a
    survey answer pays it twice. :meth:`_send` writes the commands on one connection of this
    backend's own, made from the same pool settings (Django makes a backend per thread, so it
    is never shared), and reads the replies itself. Writes other than those stay Django's.
    """

    _last_warning = 0.0
    _hot = None  # (process id, connection): a forked worker makes its own

    def _unavailable(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        # One line per half minute, not one per request, while Redis is down.
        if now - TolerantRedisCache._last_warning >= _WARN_EVERY_SECONDS:
            TolerantRedisCache._last_warning = now
            logger.warning("Redis cache unavailable, %s skipped: %s", operation, exc)

    def validate_key(self, key) -> None:
        """Nothing to warn of. Django's check warns of keys memcached would refuse (longer than
        250 characters, with spaces or control characters), which Redis stores as they are;
        and it read every key character by character, on each command (a survey answer makes
        four keys)."""

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("add", exc)
            return False

    def get(self, key, default=None, version=None) -> Any:
        """Django's ``get``, on the kept connection (a webhook delivery's events check)."""
        key = self.make_and_validate_key(key, version=version)
        try:
            (value,) = self._send(("GET", key))
        except UNAVAILABLE as exc:
            self._unavailable("get", exc)
            return default
        return default if value is None else self._cache._serializer.loads(value)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("set", exc)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("touch", exc)
            return False

    def delete(self, key, version=None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            self._unavailable("delete", exc)
            return False

    def get_many(self, keys, version=None) -> dict:
        """Django's ``get_many``, on the kept connection (a survey answer's metrics check)."""
        wanted = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not wanted:
            return {}
        try:
            (found,) = self._send(("MGET", *wanted))
        except UNAVAILABLE as exc:
            self._unavailable("get_many", exc)
            return {}
        return self._loaded(wanted, found)

    def _send(self, *commands: tuple) -> list:
        """The replies to ``commands``, written in one round trip on this backend's kept
        connection (a Redis error reply raises). A connection that broke since its last use
        (Redis restarted, an idle timeout) is made again once; a failure after that propagates
        (UNAVAILABLE)."""
        try:
            return self._exchange(commands)
        except UNAVAILABLE:
            return self._exchange(commands)

    def _exchange(self, commands: tuple[tuple, ...]) -> list:
        pid = os.getpid()
        if self._hot is None or self._hot[0] != pid:
            pool = self._cache.get_client(write=True).connection_pool
            self._hot = (pid, pool.connection_class(**pool.connection_kwargs))
        connection = self._hot[1]
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _command in commands]
        except BaseException:
            # Dropped (made again on next use): a reply half read would be the next command's.
            connection.disconnect()
            raise

    def get_many_and_add(
        self, keys, add_key, value, timeout=DEFAULT_TIMEOUT, version=None
    ) -> tuple[dict, bool]:
        """See :func:`get_many_and_add`: Django's ``get_many`` and ``add``, pipelined. Redis
        away: nothing found and nothing added, as each would say alone."""
        wanted = {self.make_and_validate_key(key, version=version): key for key in keys}
        marker = self.make_and_validate_key(add_key, version=version)
        serializer = self._cache._serializer
        seconds = self.get_backend_timeout(timeout)
        add = (
            "SET",
            marker,
            serializer.dumps(value),
            *(() if seconds is None else ("EX", seconds)),
        )
        try:
            *values, added = self._send(*([("MGET", *wanted)] if wanted else []), (*add, "NX"))
        except UNAVAILABLE as exc:
            self._unavailable("get_many_and_add", exc)
            return {}, False
        return self._loaded(wanted, values[0] if values else []), bool(added)

    def _loaded(self, wanted: dict, found: list) -> dict:
        """MGET's replies for the ``wanted`` keys (made key: caller's key), loaded, by the
        caller's keys, those found only."""
        loads = self._cache._serializer.loads
        return {wanted[k]: loads(v) for k, v in zip(wanted, found, strict=True) if v is not None}

    def has_key(self, key, version=None) -> bool:
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as exc:
            self._unavailable("has_key", exc)
            return False

    def incr(self, key, delta=1, version=None) -> int:
        """Django's ``incr`` in one round trip instead of two (``EXISTS``, then ``INCRBY``):
        the survey rate limiter counts every public post with it."""
        key = self.make_and_validate_key(key, version=version)
        try:
            client = self._cache.get_client(key, write=True)
            value = client.eval(_INCR_IF_EXISTS, 1, key, delta)
        except UNAVAILABLE as exc:
            self._unavailable("incr", exc)
            # What a missing key raises: callers (django-ratelimit) already handle it.
            raise ValueError(f"Key {key!r} not found (cache unavailable)") from exc
        if value is None:
            raise ValueError(f"Key {key!r} not found.")
        return value

    def count(self, key, timeout: int, version=None) -> int | None:
        """See :func:`count`: the survey rate limiter counts every public post with it, in one
        round trip where django-ratelimit's ``add`` then ``incr`` took two."""
        key = self.make_and_validate_key(key, version=version)
        try:
            return self._send(("EVAL", _COUNT, 1, key, int(timeout)))[0]
        except UNAVAILABLE as exc:
            self._unavailable("count", exc)
            return None

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None) -> list:
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("set_many", exc)
            return list(data)

    def delete_many(self, keys, version=None) -> None:
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as exc:
            self._unavailable("delete_many", exc)

    def clear(self) -> bool:
        try:
            return super().clear()
        except UNAVAILABLE as exc:
            self._unavailable("clear", exc)
            return False
