from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from celery.signals import before_task_publish

from feedback.followups.models import RESPONSE_KINDS, EventKind, FollowUp, FollowUpEvent, Status
from feedback.models import Response, Source
from metrics.tasks import recompute_metrics
from mot.celery import app as celery_app

H = 3600


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


# --- follow-ups with known times (tests/metrics/test_recovery*.py) -----------------------------


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=UTC)


def _answer(tp, external_id: str, when: datetime, customer=None, nps: int = 1) -> Response:
    return Response.objects.create(
        workspace_id=tp.journey.workspace_id,
        touchpoint=tp,
        source=Source.API,
        external_id=external_id,
        submitted_at=when,
        nps=nps,
        comment="Slow",
        customer=customer,
    )


def make_followup(
    tp, name: str, opened: datetime, status: str, *, closed=None, due=None, events=()
):
    """A follow-up opened at ``opened``, standing at ``status``, with timeline ``events``
    (kind, at). Timestamps are set after saving: the models stamp them on creation."""
    answer = _answer(tp, name, opened)
    followup = FollowUp.objects.create(
        workspace_id=tp.journey.workspace_id,
        response=answer,
        touchpoint=tp,
        status=status,
        due_on=due or (opened + timedelta(days=2)).date(),
        closed_at=closed,
    )
    for kind, when in events:
        event = FollowUpEvent.objects.create(followup=followup, kind=kind)
        FollowUpEvent.objects.filter(pk=event.pk).update(created_at=when)
    # What the services store when they write the first note or status change.
    first = min((when for kind, when in events if kind in RESPONSE_KINDS), default=None)
    FollowUp.objects.filter(pk=followup.pk).update(created_at=opened, first_response_at=first)
    followup.first_response_at = first
    return followup


@pytest.fixture
def worked(journey):
    """Five follow-ups, by hand (hours after opening):

    A Reviews,  opened May 4 10:00: reassigned at 1 h (no response), note at 2 h, recovered at 24 h
    B Reviews,  opened May 4 14:00: in progress at 4 h, not recovered at 48 h
    C Reviews,  opened May 5 09:00: untouched, due May 7: overdue on May 20
    D Checkout, opened May 5 09:00: note at 6 h, no action needed at 24 h
    E Checkout, opened May 6 09:00: in progress at 10 h, due June 30: active, not overdue
    """
    tp = {t.title: t for t in journey.touchpoints.all()}
    reviews, checkout = tp["Reviews"], tp["Checkout"]
    make_followup(
        reviews, "A", at(4, 10), Status.RECOVERED, closed=at(5, 10),
        events=[(EventKind.ASSIGNED, at(4, 11)), (EventKind.NOTE, at(4, 12)),
                (EventKind.STATUS, at(5, 10)), (EventKind.ROOT_CAUSE, at(5, 10))],
    )  # fmt: skip
    make_followup(
        reviews, "B", at(4, 14), Status.NOT_RECOVERED, closed=at(6, 14),
        events=[(EventKind.STATUS, at(4, 18)), (EventKind.STATUS, at(6, 14))],
    )  # fmt: skip
    make_followup(reviews, "C", at(5, 9), Status.OPEN, due=date(2026, 5, 7))
    make_followup(
        checkout, "D", at(5, 9), Status.NO_ACTION, closed=at(6, 9),
        events=[(EventKind.NOTE, at(5, 15)), (EventKind.STATUS, at(6, 9))],
    )  # fmt: skip
    make_followup(
        checkout, "E", at(6, 9), Status.IN_PROGRESS, due=date(2026, 6, 30),
        events=[(EventKind.STATUS, at(6, 19))],
    )  # fmt: skip
    return reviews, checkout
