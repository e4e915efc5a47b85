from __future__ import annotations

import pytest
from celery.signals import before_task_publish

from metrics.tasks import recompute_metrics
from mot.celery import app as celery_app


@pytest.fixture
def queued():
    """Tasks are published to the configured broker (in-memory without REDIS_URL, Redis in CI)
    instead of running at once, so the test counts how many recomputes were enqueued."""
    conf = celery_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    sent: list = []

    def record(sender=None, body=None, **kwargs):
        if sender == recompute_metrics.name:
            sent.append(tuple(body[0]))

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)
    conf.task_always_eager = saved
