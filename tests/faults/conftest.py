"""The fault suite: real services made to fail (a Celery worker killed with SIGKILL, a Redis of
the test's own stopped and started again), and what MOT must do about it (issue 13)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from tests.conftest import _unavailable, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.faults


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class OwnRedis:
    """A redis-server of the test's own, on a port nobody else uses, that it may stop."""

    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _unavailable("this test needs redis-server on PATH")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.answers, timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None
        assert not self.answers()


@pytest.fixture
def own_redis(require_redis) -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.stop()


# A worker process of its own: MOT's settings from the environment, optionally every metrics run
# slowed down so the test can kill it mid-run.
WORKER = """
import os, sys, time
import django
django.setup()
slow = float(os.environ.get("MOT_TEST_SLOW_RUN", "0"))
if slow:
    from metrics import services
    for name in ("recompute_counts", "update_counts"):
        real = getattr(services.engine, name)
        def slowed(*args, _real=real, **kwargs):
            time.sleep(slow)
            return _real(*args, **kwargs)
        setattr(services.engine, name, slowed)
from mot.celery import app
app.worker_main(["worker", "-Q", sys.argv[1], "-P", "solo", "-c", "1", "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "-l", "WARNING"])
"""


@dataclass
class WorkerProcess:
    queue: str
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def start(self, *, slow_run: float = 0) -> None:
        env = {**self.env, "MOT_TEST_SLOW_RUN": str(slow_run)}
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-c", WORKER, self.queue], cwd=ROOT, env=env
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, as when a machine dies."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


@pytest.fixture
def worker_process(require_postgres, require_redis, settings, isolated_metrics_queue):
    """A real `celery worker` process reading this test's metrics queue and database."""
    db = connection.settings_dict
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mot.settings",
        "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "METRICS_COALESCE_SECONDS": str(settings.METRICS_COALESCE_SECONDS),
        "METRICS_WATCHDOG_SECONDS": str(settings.METRICS_WATCHDOG_SECONDS),
    }
    worker = WorkerProcess(queue=isolated_metrics_queue, env=env)
    yield worker
    worker.stop()
