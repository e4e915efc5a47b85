"""Redis stopped while customers answer: every answer is stored and thanked, and the metrics
catch up once Redis is back (issue 13, fault 4).

The cache and the broker both point at a Redis of the test's own, which the test stops; before
the fix a survey post answered 500 and stored nothing (the rate limiter read Redis first), and the
API stored the answer but answered 500 (its after-commit enqueue failed).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response, SurveyLink
from feedback.tokens.services import api_token_create
from metrics.models import MomentCounts, Scope
from metrics.services import requeue_stalled_runs
from mot.celery import app as celery_app
from tests.conftest import wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def on_own_redis(own_redis, settings, isolated_metrics_queue):
    """Cache and broker on the test's own Redis, as in production where they share one."""
    # The configured cache (mot/settings.py with REDIS_URL), moved to the test's own Redis.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": own_redis.url}}
    settings.METRICS_COALESCE_SECONDS = 0
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_write_url, conf.broker_read_url
    conf.broker_url = own_redis.url
    conf.broker_write_url = conf.broker_read_url = None

    def fresh_connections() -> None:
        # Celery keeps its producer pools per broker URL; dropping the app's references makes
        # the next publish take (or create) the pool of the URL now configured.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    fresh_connections()
    yield own_redis
    conf.broker_url, conf.broker_write_url, conf.broker_read_url = saved
    fresh_connections()


def test_answers_are_stored_while_redis_is_down_and_metrics_catch_up(
    client, journey, editor, admin, on_own_redis, isolated_metrics_queue
):
    ws = journey.workspace_id
    tp = journey.touchpoints.order_by("pk").first()
    link = SurveyLink.objects.create(touchpoint=tp, created_by=editor)
    _token, raw = api_token_create(actor=admin, name="Zapier")
    survey = reverse("survey", kwargs={"token": link.token})

    on_own_redis.stop()

    for nps in ("10", "9", "3"):
        response = client.post(survey, {"nps": nps})
        assert response.status_code == 302, response.content.decode()[:500]
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert client.get(survey).status_code == 200
    api = client.post(
        "/api/v1/responses",
        json.dumps(
            {
                "touchpoint": tp.pk,
                "external_id": "api-1",
                "submitted_at": timezone.now().isoformat(),
                "nps": 8,
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 200, api.content.decode()[:500]
    assert api.json()["created"] == 1
    assert Response.objects.filter(workspace_id=ws).count() == 4
    assert not MomentCounts.objects.filter(workspace_id=ws).exists()

    # Pages that only read show their data, and say that jobs are paused.
    client.force_login(admin.user, backend="mot.auth.EmailOrUsernameBackend")
    page = client.get(reverse("metrics:overview", kwargs={"ws": "acme"}))
    assert page.status_code == 200
    assert "Background jobs are paused" in page.content.decode()
    assert (
        client.get(reverse("journeys:map", kwargs={"ws": "acme", "pk": journey.pk})).status_code
        == 200
    )
    recompute = client.post(reverse("metrics:recompute", kwargs={"ws": "acme"}))
    assert recompute.status_code == 302
    after = client.get(recompute["Location"]).content.decode()
    assert "metrics will be recomputed as soon as they resume" in after

    on_own_redis.start()
    # Nobody answers after Redis returns: the watchdog (on beat) queues the pending work.
    assert requeue_stalled_runs(now=timezone.now() + timedelta(minutes=5)) == [ws]
    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        queues=[isolated_metrics_queue],
        perform_ping_check=False,
        shutdown_timeout=15,
    ):
        assert wait_for(
            lambda: MomentCounts.objects.filter(
                workspace_id=ws, scope=Scope.WORKSPACE, day=None, answers=4
            ).exists(),
            timeout=60,
        ), "the metrics did not catch up"
