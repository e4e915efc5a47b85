"""With Redis away, the cache degrades to "nothing stored" instead of failing the request."""

from __future__ import annotations

import contextlib
import logging
import warnings

import pytest
import redis.connection

from mot import cache as tolerant
from mot.cache import TolerantRedisCache
from tests.redis_trips import round_trips


@contextlib.contextmanager
def _commands(redis_client):
    """The names of the Redis commands sent inside the block."""
    calls = []
    real = redis_client.__class__.execute_command

    def counting(self, *args, **kwargs):
        calls.append(args[0])
        return real(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redis_client.__class__, "execute_command", counting)
        yield calls


@pytest.fixture
def unreachable():
    # Port 1 on loopback: connection refused at once.
    return TolerantRedisCache(
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    )


def test_reads_find_nothing_and_writes_are_dropped(unreachable, caplog, monkeypatch):
    monkeypatch.setattr(TolerantRedisCache, "_last_warning", 0.0)
    monkeypatch.setattr(tolerant.time, "monotonic", lambda: 1000.0)
    with caplog.at_level(logging.WARNING, logger="mot.cache"):
        assert unreachable.add("k", 1) is False
        assert unreachable.get("k", "default") == "default"
        unreachable.set("k", 1)
        assert unreachable.delete("k") is False
        assert unreachable.get_many(["k"]) == {}
        assert unreachable.has_key("k") is False
        assert unreachable.touch("k") is False
        unreachable.delete_many(["k"])
        assert unreachable.clear() is False
        # What django-ratelimit expects of a missing key: it then fails open.
        with pytest.raises(ValueError, match="not found"):
            unreachable.incr("k")
        assert tolerant.count(unreachable, "k", 60) is None  # the survey limiter fails open
        assert tolerant.get_many_and_add(unreachable, ["k"], "m", 1, 60) == ({}, False)
    # One warning while Redis stays away, not one per call.
    warnings = [r for r in caplog.records if r.name == "mot.cache"]
    assert len(warnings) == 1
    assert "Redis cache unavailable" in warnings[0].getMessage()


def test_the_settings_use_it_with_short_timeouts(settings):
    from mot import settings as mot_settings

    assert mot_settings.RATELIMIT_FAIL_OPEN is True
    if mot_settings.REDIS_URL:
        default = mot_settings.CACHES["default"]
        assert default["BACKEND"] == "mot.cache.TolerantRedisCache"
        assert default["OPTIONS"]["socket_connect_timeout"] <= 2


def test_incr_counts_an_existing_key_in_one_round_trip_and_never_creates_one(
    require_redis, redis_client
):
    cache = TolerantRedisCache(require_redis, {"KEY_PREFIX": "mot-test-incr"})
    cache.delete_many(["seen", "unseen"])
    assert cache.add("seen", 1, timeout=60)
    with _commands(redis_client) as calls:
        assert cache.incr("seen") == 2
        assert cache.incr("seen", 3) == 5
        with pytest.raises(ValueError, match="not found"):
            cache.incr("unseen")
    assert calls == ["EVAL", "EVAL", "EVAL"]
    assert cache.get("seen") == 5
    assert cache.get("unseen") is None  # a missing key stays missing
    assert 0 < redis_client.ttl(cache.make_key("seen")) <= 60  # the limiter's window kept
    cache.delete_many(["seen", "unseen"])


def test_count_creates_and_increments_a_counter_in_one_round_trip(require_redis, redis_client):
    cache = TolerantRedisCache(require_redis, {"KEY_PREFIX": "mot-test-count"})
    cache.delete("posts")
    with round_trips() as sent:
        assert [tolerant.count(cache, "posts", 65) for _ in range(3)] == [1, 2, 3]
    assert sent == [["EVAL"], ["EVAL"], ["EVAL"]]
    assert cache.get("posts") == 3  # an int Django's cache reads back
    # The window is set by the first count, not pushed back by the next ones.
    assert 60 < redis_client.ttl(cache.make_key("posts")) <= 65
    cache.delete("posts")


def test_count_through_djangos_cache_proxy_is_one_round_trip(require_redis, redis_client, settings):
    # What the survey view passes: django.core.cache.cache, a proxy to the backend, not one.
    settings.CACHES = {
        "default": {
            "BACKEND": "mot.cache.TolerantRedisCache",
            "LOCATION": require_redis,
            "KEY_PREFIX": "mot-test-proxy",
        }
    }
    from django.core.cache import cache

    cache.delete("posts")
    with round_trips() as sent:
        assert [tolerant.count(cache, "posts", 65) for _ in range(2)] == [1, 2]
    assert sent == [["EVAL"], ["EVAL"]]
    cache.delete("posts")


def test_count_on_another_cache_adds_then_increments():
    from django.core.cache.backends.locmem import LocMemCache

    cache = LocMemCache("count-test", {})
    assert [tolerant.count(cache, "posts", 60) for _ in range(3)] == [1, 2, 3]


def test_get_many_and_add_reads_and_adds_in_one_round_trip(require_redis, redis_client):
    """What follows a stored survey answer: whether its metrics are noted, and the marker of
    its follow-ups' announcement, in one pipeline."""
    cache = TolerantRedisCache(require_redis, {"KEY_PREFIX": "mot-test-both"})
    cache.delete_many(["noted", "absent", "marker"])
    cache.set("noted", ["*"], timeout=60)
    with round_trips() as sent:
        first = tolerant.get_many_and_add(cache, ["noted", "absent"], "marker", 1, 90)
        second = tolerant.get_many_and_add(cache, ["noted"], "marker", 2, 90)
        only_added = tolerant.get_many_and_add(cache, [], "marker", 3, 90)
    assert first == ({"noted": ["*"]}, True)
    assert second == ({"noted": ["*"]}, False)  # added once: the value stays the first's
    assert only_added == ({}, False)
    assert sent == [["MGET", "SET"], ["MGET", "SET"], ["SET"]]  # one round trip each
    assert cache.get("marker") == 1
    assert 80 < redis_client.ttl(cache.make_key("marker")) <= 90
    cache.delete_many(["noted", "marker"])


def test_get_many_and_add_on_another_cache_reads_then_adds():
    from django.core.cache.backends.locmem import LocMemCache

    cache = LocMemCache("both-test", {})
    cache.set("noted", [1])
    assert tolerant.get_many_and_add(cache, ["noted"], "marker", 1, 60) == ({"noted": [1]}, True)
    assert tolerant.get_many_and_add(cache, ["noted"], "marker", 1, 60) == ({"noted": [1]}, False)


def test_the_kept_connection_is_made_again_after_redis_dropped_it(require_redis, redis_client):
    """A restarted Redis (or an idle timeout) leaves the backend's kept connection dead: the
    next count reconnects once instead of failing open."""
    cache = TolerantRedisCache(require_redis, {"KEY_PREFIX": "mot-test-kept"})
    cache.delete("posts")
    assert tolerant.count(cache, "posts", 60) == 1
    _pid, kept = cache._hot
    redis_client.client_kill_filter(
        laddr=f"{kept._sock.getsockname()[0]}:{kept._sock.getsockname()[1]}"
    )
    assert tolerant.count(cache, "posts", 60) == 2
    assert cache._hot[1]._sock is not None
    cache.delete("posts")


def test_a_redis_error_reply_is_raised_and_the_connection_not_reused(require_redis):
    cache = TolerantRedisCache(require_redis, {"KEY_PREFIX": "mot-test-error"})
    cache.set("text", "not a number")
    with pytest.raises(redis.exceptions.ResponseError):
        cache._send(("INCR", cache.make_key("text")))
    assert cache._hot[1]._sock is None  # dropped: a half-read reply is never the next's
    assert tolerant.count(cache, "posts", 60) == 1  # and made again for the next command
    cache.delete_many(["text", "posts"])


def test_keys_are_not_checked_for_memcached(unreachable):
    """Redis takes any key: no memcached portability warning (nor the scan behind it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        key = unreachable.make_and_validate_key("a key with spaces\n" + "x" * 300)
    assert key.endswith("x" * 300)
