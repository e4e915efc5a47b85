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
def send_invitation(invitation_id: int, base_url: str) -> bool:
    """E-mail an invitation's link; a no-op once it is accepted, declined or revoked."""
    return services.invitation_send(invitation_id=invitation_id, base_url=base_url)
