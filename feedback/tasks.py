"""Feedback jobs. Tasks take ids and call plain functions; running one twice is harmless."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone, translation

from feedback.followups import alerts
from feedback.hooks import events, outgoing
from feedback.imports import jobs


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, ignore_result=True
)
def run_import(job_id: int, language: str | None = None) -> None:
    """Dry-run or import an uploaded file (feedback.imports.jobs.import_run), in the language of
    whoever started it: the rejected rows' reasons and the outcome are stored as text for them
    to read (a worker's own language is the default one; None for a task queued without it)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        jobs.import_run(job_id)


@shared_task(ignore_result=True)
def followups_overdue_digests() -> int:
    """Beat, daily: each member's digest of overdue follow-ups (once a day whatever reruns)."""
    return alerts.overdue_digests(today=timezone.localdate())


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def followups_announce(workspace_id: int, since: str) -> int:
    """Tell of the follow-ups surveys and the API opened (alerts.announce_soon)."""
    return alerts.announce_now(workspace_id=workspace_id, since=datetime.fromisoformat(since))


@shared_task(ignore_result=True)
def followups_announce_missed() -> int:
    """Beat: tell of recent follow-ups whose announcing task never ran."""
    return alerts.announce_missed()


# --- Webhooks (feedback.hooks) ----------------------------------------------------------------


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def webhooks_answer(response_id: int) -> int:
    """The events of one stored answer (answer.stored, answer.pain, the follow-up it opened)."""
    return outgoing.emit_answer(response_id)


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def webhooks_followup(followup_id: int, version: int) -> int:
    return outgoing.emit_followup(followup_id, version)


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def webhooks_moment(workspace_id: int, touchpoint_id: int, turns: int) -> int:
    return outgoing.emit_moment(workspace_id, touchpoint_id, turns)


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt of one delivery; the next attempt is queued with its backoff."""
    wait = outgoing.deliver(delivery_id)
    if wait is not None:
        webhook_deliver.apply_async((delivery_id,), countdown=wait)


@shared_task(ignore_result=True)
def webhooks_refresh_events() -> int:
    """Beat, every minute: rewrite the cached listened events (feedback.hooks.events)."""
    return events.refresh_all()


@shared_task(ignore_result=True)
def webhooks_prune_deliveries() -> int:
    """Beat, daily: forget finished deliveries older than WEBHOOKS_KEEP_DAYS."""
    return outgoing.deliveries_prune()
