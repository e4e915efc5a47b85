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
    _last_warning = 0.0

    def _unavailable(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        # One line per half minute, not one per request, while Redis is down.
        if now - TolerantRedisCache._last_warning >= _WARN_EVERY_SECONDS:
            TolerantRedisCache._last_warning = now
            logger.warning("Redis cache unavailable, %s skipped: %s", operation, exc)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("add", exc)
            return False

    def get(self, key, default=None, version=None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            self._unavailable("get", exc)
            return default

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
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as exc:
            self._unavailable("get_many", exc)
            return {}

    def get_many_and_add(
        self, keys, add_key, value, timeout=DEFAULT_TIMEOUT, version=None
    ) -> tuple[dict, bool]:
        """See :func:`get_many_and_add`: Django's ``get_many`` and ``add``, pipelined. Redis
        away: nothing found and nothing added, as each would say alone."""
        wanted = {self.make_and_validate_key(key, version=version): key for key in keys}
        marker = self.make_and_validate_key(add_key, version=version)
        serializer = self._cache._serializer
        try:
            pipe = self._cache.get_client(marker, write=True).pipeline(transaction=False)
            if wanted:
                pipe.mget(list(wanted))
            pipe.set(marker, serializer.dumps(value), ex=self.get_backend_timeout(timeout), nx=True)
            *values, added = pipe.execute()
        except UNAVAILABLE as exc:
            self._unavailable("get_many_and_add", exc)
            return {}, False
        found = values[0] if values else []
        return (
            {
                wanted[k]: serializer.loads(v)
                for k, v in zip(wanted, found, strict=True)
                if v is not None
            },
            bool(added),
        )

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
            return self._cache.get_client(key, write=True).eval(_COUNT, 1, key, int(timeout))
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
