"""Workspace jobs. Tasks take ids and call plain functions; they are safe to run twice."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from mot import services


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_invitation(membership_id: int, base_url: str) -> bool:
    """E-mail the invitation for a membership; a no-op if the member has signed in since."""
    return services.invitation_send(membership_id=membership_id, base_url=base_url)
