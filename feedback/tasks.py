"""Feedback jobs. Tasks take ids and call plain functions; running one twice is harmless."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone, translation

from feedback.followups import alerts
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
