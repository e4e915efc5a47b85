"""A real Celery worker consuming the real Redis: the invitation e-mail goes through the broker.

The rest of the suite runs tasks eagerly when REDIS_URL is unset; this test only means something
with REDIS_URL set, where settings point Celery's broker and result backend at Redis and turn eager
mode off. The worker runs in a thread of this process (``start_worker``), so its e-mail lands in
the same ``django.core.mail.outbox`` and it reads the same test database — hence
``transaction=True``: the worker's own connection must see committed rows.
"""

from __future__ import annotations

import io
import re

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import AsyncResult
from celery.signals import after_task_publish
from django.core.cache import cache
from django.db import transaction

from mot import services
from mot.celery import app as celery_app
from mot.models import Invitation
from mot.services import invitation_for_token
from mot.tasks import send_invitation
from tests.conftest import wait_for

pytestmark = pytest.mark.redis

BASE_URL = "http://mot.example.test/"


def worker(*queues: str):
    """A real worker in a thread of this process, reading only these queues."""
    return start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        queues=list(queues),
        perform_ping_check=False,
        shutdown_timeout=15,
    )


@pytest.fixture
def published():
    """Ids and routing keys of the task messages sent to the broker during the test."""
    sent: list[tuple[str, str]] = []

    def record(sender=None, headers=None, routing_key=None, **kwargs):
        if sender == send_invitation.name:
            sent.append((headers["id"], routing_key))

    after_task_publish.connect(record, weak=False)
    yield sent
    after_task_publish.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_invitation_email_is_sent_by_a_worker_through_redis(
    admin, mailoutbox, redis_client, isolated_queue, published
):
    with worker(isolated_queue):
        with transaction.atomic():
            services.member_invite(
                actor=admin, email="New.Person@Example.com", role="staff", base_url=BASE_URL
            )
            # Dispatched on commit, not before: the worker must never look for a missing row.
            assert published == []

        assert len(published) == 1, "the invitation was not published to the broker"
        task_id, routing_key = published[0]
        assert routing_key == isolated_queue

        result = AsyncResult(task_id, app=celery_app)
        assert result.get(timeout=30) is True  # the Redis result backend has the worker's answer
        assert result.state == "SUCCESS"
        assert wait_for(lambda: len(mailoutbox) == 1, timeout=5)

    assert redis_client.llen(isolated_queue) == 0, "the message is still on the queue"
    result.forget()

    email = mailoutbox[0]
    assert email.to == ["new.person@example.com"]
    assert "Acme" in email.subject
    match = re.search(re.escape(BASE_URL.rstrip("/")) + r"(/invitations/[^/\s]+/)", email.body)
    assert match, f"no invitation link in:\n{email.body}"
    invitation = Invitation.objects.get(email="new.person@example.com")
    assert invitation_for_token(match.group(1).split("/")[2]) == invitation


@pytest.mark.django_db(transaction=True)
def test_a_file_import_runs_on_a_worker_through_redis(
    client,
    editor,
    journey,
    redis_client,
    isolated_queue,
    isolated_metrics_queue,
    settings,
    tmp_path,
):
    """Upload through the page, start the import, and a real worker stores the answers while
    the page's status partial reports progress and then the outcome; the import then asks for
    one metrics recompute, which the worker runs from the metrics queue: the rows appear."""
    from metrics.models import MomentCounts, Scope
    from metrics.services import _pending_key
    from metrics.themes.models import ThemeRun

    settings.METRICS_COALESCE_SECONDS = 0
    cache.delete(_pending_key(journey.workspace_id))  # a stale request of an earlier run
    from feedback.models import ImportJob, ImportStatus, Response
    from feedback.tasks import run_import
    from tests.conftest import login

    settings.MEDIA_ROOT = tmp_path
    # Like every unrouted task it goes to the default queue, which the fixture made this test's.
    assert celery_app.amqp.router.route({}, run_import.name)["queue"].name == isolated_queue
    tp = journey.touchpoints.order_by("pk").first()
    lines = ["id,touchpoint,date,nps,comment"] + [
        f"w{i},{tp.pk},2026-03-01 10:{i % 60:02d}:00,{i % 11},answer {i}" for i in range(500)
    ]
    upload = io.BytesIO("\n".join(lines).encode())
    upload.name = "answers.csv"
    login(client, editor)
    response = client.post("/w/acme/imports/upload/", {"file": upload, "target": "responses"})
    assert response.status_code == 302, response.content.decode()[:1000]
    job = ImportJob.objects.get()
    mapping = {k: str(v) for k, v in job.mapping["columns"].items()}
    response = client.post(
        f"/w/acme/imports/{job.pk}/",
        {
            **mapping,
            "date_order": "ymd",
            "timezone": "UTC",
            "mode": "all_or_nothing",
            "action": "import",
        },
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED  # not run in the request: a worker takes it
    assert (
        'hx-trigger="every 1s"' in client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()
    )

    with worker(isolated_queue, isolated_metrics_queue):
        assert wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE, timeout=60
        ), ImportJob.objects.get(pk=job.pk).status
        assert wait_for(
            lambda: MomentCounts.objects.filter(scope=Scope.WORKSPACE, day=None).exists(),
            timeout=60,
        ), "the import's metrics recompute did not run"
        # The run queues the comment themes' job after it, on the same queue: it runs too.
        assert wait_for(
            lambda: ThemeRun.objects.filter(
                workspace_id=journey.workspace_id, finished_at__isnull=False
            ).exists(),
            timeout=60,
        ), "the themes job the recompute queued did not run"
    job.refresh_from_db()
    assert (job.created_count, job.rejected_count, job.written) == (500, 0, True)
    assert Response.objects.filter(touchpoint=tp).count() == 500
    status = client.get(f"/w/acme/imports/{job.pk}/status/").content.decode()
    assert "every 1s" not in status
    assert 'data-count="created">500<' in status
    touchpoint_row = MomentCounts.objects.get(scope=Scope.TOUCHPOINT, key=str(tp.pk), day=None)
    assert touchpoint_row.answers == 500
    # NPS is i % 11 for i < 500: 9 and 10 come up 90 times, 0 to 6 come up 320 times
    assert (touchpoint_row.promoters, touchpoint_row.detractors) == (90, 320)
    assert redis_client.llen(isolated_metrics_queue) == 0


@pytest.mark.django_db(transaction=True)
def test_new_follow_ups_reach_their_owner_as_one_email_through_a_worker(
    staff, journey, mailoutbox, redis_client, isolated_queue, settings
):
    """Answers opening follow-ups on the staff member's touchpoint, in two requests a moment
    apart: one announcing task is published (the second request finds it queued), the worker
    runs it and publishes one e-mail task, and sends one e-mail listing all three."""
    from datetime import UTC, datetime

    from celery.signals import before_task_publish

    from feedback.services import AnswerIn, responses_ingest
    from feedback.tasks import followups_announce
    from mot.notifications.models import Notification
    from mot.tasks import mail_notifications

    settings.ALERTS_DIGEST_SECONDS = 2
    tp = journey.touchpoints.get(title="Reviews")
    tp.owner = staff
    tp.save()
    sent: list[tuple] = []

    def record(sender=None, body=None, routing_key=None, **kwargs):
        if sender in (mail_notifications.name, followups_announce.name):
            sent.append((sender, body[0][0], routing_key))

    def ingest(*ids: str) -> None:
        when = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
        answers = [
            AnswerIn(touchpoint_id=tp.pk, external_id=i, submitted_at=when, nps=1, comment="Slow")
            for i in ids
        ]
        responses_ingest(workspace_id=journey.workspace_id, source="api", answers=answers)

    before_task_publish.connect(record, weak=False)
    try:
        with worker(isolated_queue):
            ingest("a1", "a2")
            ingest("a3")
            assert sent == [(followups_announce.name, journey.workspace_id, isolated_queue)]
            assert wait_for(lambda: len(mailoutbox) == 1, timeout=30)
            assert sent[1:] == [(mail_notifications.name, staff.pk, isolated_queue)]
            assert wait_for(
                lambda: not Notification.objects.filter(mail_pending=True).exists(), timeout=5
            )
    finally:
        before_task_publish.disconnect(record)

    [email] = mailoutbox
    assert email.to == [staff.user.email]
    assert email.subject == "3 new follow-ups in Acme"
    assert email.body.count("New follow-up for you: Reviews") == 3
    assert Notification.objects.filter(recipient=staff, emailed_at__isnull=False).count() == 3
    assert redis_client.llen(isolated_queue) == 0
