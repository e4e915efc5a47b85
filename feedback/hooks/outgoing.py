"""Sending events to a workspace's endpoints: one delivery per event and endpoint, signed per
Standard Webhooks, retried with exponential backoff, the endpoint disabled (and its admins told)
after ``WEBHOOKS_DISABLE_AFTER`` deliveries in a row failed every attempt.

Tasks pass ids only and every step is idempotent: an event's ``message_id`` is unique per
endpoint (emitting it again adds nothing) and a delivery no longer pending is not sent again.
A worker killed mid-send may send a delivery twice; receivers tell by its ``webhook-id``, as
the specification expects.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from feedback.experience import Experience
from feedback.followups.models import FollowUp
from feedback.hooks import events
from feedback.hooks.models import Delivery, DeliveryStatus, Endpoint, Event
from feedback.hooks.urlcheck import UnsafeUrl, check_url, post
from feedback.models import Response
from journeys.models import Touchpoint
from mot.notifications.models import Kind
from mot.notifications.services import Entry, notifications_record, workspace_admins

logger = logging.getLogger(__name__)


def backoff_seconds(attempts: int) -> int:
    """How long to wait after the ``attempts``-th failed attempt: doubling from the base."""
    return settings.WEBHOOKS_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def _envelope(event: str, data: dict) -> dict:
    return {"type": event, "timestamp": timezone.now().isoformat(), "data": data}


def emit(*, workspace_id: int, event: str, message_id: str, data: dict) -> list[int]:
    """Create the event's deliveries to the workspace's enabled endpoints that listen to it
    (once each, however often emitted) and queue them; returns the new deliveries' ids."""
    endpoints = [
        e.pk
        for e in Endpoint.objects.filter(workspace_id=workspace_id, enabled=True).only("events")
        if event in (e.events or ()) or event == Event.TEST
    ]
    if not endpoints:
        return []
    payload = json.loads(json.dumps(_envelope(event, data), cls=DjangoJSONEncoder))
    Delivery.objects.bulk_create(
        [
            Delivery(endpoint_id=pk, message_id=message_id, event=event, payload=payload)
            for pk in endpoints
        ],
        ignore_conflicts=True,
    )
    ids = list(
        Delivery.objects.filter(
            endpoint_id__in=endpoints,
            message_id=message_id,
            status=DeliveryStatus.PENDING,
            attempts=0,
        ).values_list("pk", flat=True)
    )
    from feedback.tasks import webhook_deliver

    transaction.on_commit(lambda: [webhook_deliver.delay(pk) for pk in ids], robust=True)
    return ids


ANSWER_FIELDS = (
    "id",
    "external_id",
    "touchpoint_id",
    "source",
    "submitted_at",
    "nps",
    "csat",
    "respect",
    "solutions",
    "simplicity",
    "responsibility",
    "comment",
    "language",
    "experience",
    "kind",  # a survey answer, or a record without a score (a complaint, a call note…)
)


def emit_answer(response_id: int) -> int:
    """answer.stored, answer.pain for a pain answer, and followup.changed for the follow-up
    the answer opened; returns the deliveries created."""
    row = Response.objects.filter(pk=response_id).values(*ANSWER_FIELDS, "workspace_id").first()
    if row is None:
        return 0
    workspace_id = row.pop("workspace_id")
    data = {**row, "touchpoint": row.pop("touchpoint_id")}
    created = emit(
        workspace_id=workspace_id,
        event=Event.ANSWER_STORED,
        message_id=f"answer.stored.{response_id}",
        data=data,
    )
    if row["experience"] == Experience.PAIN:
        created += emit(
            workspace_id=workspace_id,
            event=Event.ANSWER_PAIN,
            message_id=f"answer.pain.{response_id}",
            data=data,
        )
    followup = FollowUp.objects.filter(response_id=response_id).values("pk", "version").first()
    if followup:
        created += [emit_followup(followup["pk"], followup["version"])]
    return len([c for c in created if c])


def emit_followup(followup_id: int, version: int) -> int:
    row = (
        FollowUp.objects.filter(pk=followup_id)
        .values(
            "pk",
            "workspace_id",
            "response_id",
            "touchpoint_id",
            "status",
            "assignee_id",
            "due_on",
            "root_cause",
            "version",
            "created_at",
            "closed_at",
        )
        .first()
    )
    if row is None:
        return 0
    workspace_id = row.pop("workspace_id")
    data = {"id": row.pop("pk"), **row, "touchpoint": row.pop("touchpoint_id")}
    data["response"] = data.pop("response_id")
    data["assignee"] = data.pop("assignee_id")
    return len(
        emit(
            workspace_id=workspace_id,
            event=Event.FOLLOWUP_CHANGED,
            # One event per version the follow-up reached (a task run twice adds nothing).
            message_id=f"followup.{followup_id}.{version}",
            data=data,
        )
    )


def emit_moment(workspace_id: int, touchpoint_id: int, turns: int) -> int:
    tp = (
        Touchpoint.objects.filter(pk=touchpoint_id, journey__workspace_id=workspace_id)
        .values("pk", "title", "code", "mot_stage", "journey_id", "journey__name")
        .first()
    )
    if tp is None:
        return 0
    data = {
        "touchpoint": tp["pk"],
        "title": tp["title"],
        "code": tp["code"],
        "moment": tp["mot_stage"],
        "journey": tp["journey_id"],
        "journey_name": tp["journey__name"],
        "turn": turns,
    }
    return len(
        emit(
            workspace_id=workspace_id,
            event=Event.MOMENT_ALERT,
            message_id=f"moment.{touchpoint_id}.{turns}",
            data=data,
        )
    )


def send_test(endpoint: Endpoint) -> Delivery:
    """A test event to this endpoint only (even one that is disabled is not: it is skipped)."""
    message_id = f"test.{uuid.uuid4().hex}"
    payload = json.loads(
        json.dumps(
            _envelope(Event.TEST, {"endpoint": endpoint.pk, "message": "MOT test event"}),
            cls=DjangoJSONEncoder,
        )
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint, message_id=message_id, event=Event.TEST, payload=payload
    )
    from feedback.tasks import webhook_deliver

    transaction.on_commit(lambda: webhook_deliver.delay(delivery.pk), robust=True)
    return delivery


def signed_headers(secret: str, message_id: str, body: bytes, when: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
    }


def _attempt(delivery: Delivery) -> tuple[int | None, str]:
    """One POST: the answer's status, or None and why it could not be sent."""
    try:
        target = check_url(delivery.endpoint.url)  # again: DNS may have changed since saved
    except UnsafeUrl as exc:
        return None, str(exc)
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = signed_headers(
        delivery.endpoint.secret, delivery.message_id, body, datetime.now(tz=UTC)
    )
    try:
        return post(target, body, headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS), ""
    except (OSError, ValueError) as exc:  # refused, reset, timed out, TLS, bad status line
        return None, f"{type(exc).__name__}: {exc}"[:300]


def deliver(delivery_id: int) -> int | None:
    """Send one delivery once; the seconds to wait before the next attempt, or None when it
    is finished (delivered, given up, or not pending any more)."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.enabled:
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, error=_("the endpoint is disabled"), finished_at=now
        )
        return None
    status, error = _attempt(delivery)
    attempts = delivery.attempts + 1
    if status is not None and 200 <= status < 300:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            response_status=status,
            error="",
            finished_at=timezone.now(),
        )
        Endpoint.objects.filter(pk=endpoint.pk, failures__gt=0).update(failures=0)
        return None
    error = error or _("the receiver answered %(status)s") % {"status": status}
    if attempts < settings.WEBHOOKS_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts, response_status=status, error=error
        )
        return backoff_seconds(attempts)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=attempts,
        response_status=status,
        error=error,
        finished_at=timezone.now(),
    )
    _count_failure(endpoint)
    return None


def _count_failure(endpoint: Endpoint) -> None:
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(failures=F("failures") + 1)
        disabled = Endpoint.objects.filter(
            pk=endpoint.pk, enabled=True, failures__gte=settings.WEBHOOKS_DISABLE_AFTER
        ).update(
            enabled=False,
            disabled_reason=_("Disabled after %(n)d deliveries in a row failed.")
            % {"n": settings.WEBHOOKS_DISABLE_AFTER},
        )
    if disabled:
        events.refresh(endpoint.workspace_id)
        _tell_admins(endpoint)


def _tell_admins(endpoint: Endpoint) -> None:
    """Notify the workspace's admins that the endpoint was disabled: in MOT's notifications
    (always) and by e-mail (unless an admin chose not to), in each admin's language, through
    the one alert path (mot.notifications). A mail server that is away is retried by that
    path: the endpoint stays disabled either way."""
    slug = Endpoint.objects.filter(pk=endpoint.pk).values_list("workspace__slug", flat=True)[0]
    link = reverse("webhooks:endpoint", kwargs={"ws": slug, "pk": endpoint.pk})
    # Once per disabling: an endpoint enabled again and disabled later is told of again.
    disabled_at = timezone.now().isoformat(timespec="seconds")
    notifications_record(
        workspace_id=endpoint.workspace_id,
        kind=Kind.WEBHOOK_DISABLED,
        entries=[
            Entry(
                recipient_id=admin,
                dedupe_key=f"webhook_disabled:{endpoint.pk}:{disabled_at}",
                params={
                    "name": endpoint.name,
                    "url": endpoint.url,
                    "n": settings.WEBHOOKS_DISABLE_AFTER,
                },
                link=link,
            )
            for admin in workspace_admins(workspace_id=endpoint.workspace_id)
        ],
    )


def deliveries_prune(*, now: datetime | None = None) -> int:
    """Delete finished deliveries older than ``WEBHOOKS_KEEP_DAYS`` (they carry answers'
    comments); returns how many. A pending one is kept whatever its age."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
    deleted, _by_model = (
        Delivery.objects.filter(created_at__lt=cutoff)
        .exclude(status=DeliveryStatus.PENDING)
        .delete()
    )
    return deleted
