"""Whether background jobs can be queued right now."""

from __future__ import annotations

import redis

from mot.celery import app


def jobs_available() -> bool:
    """True in the embedded mode (tasks run in-process) and when the broker answers a ping
    within half a second; False while Redis is away, so pages can say jobs are paused instead
    of pretending work is under way."""
    if app.conf.task_always_eager:
        return True
    url = app.conf.broker_write_url or app.conf.broker_url
    if not url or not url.startswith(("redis://", "rediss://")):
        return True  # a broker we cannot probe cheaply: assume it is there
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()
