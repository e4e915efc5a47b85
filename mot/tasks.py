"""Workspace jobs. Tasks take ids and call plain functions; they are safe to run twice."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from mot import services
from mot.notifications import mail


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def send_invitation(invitation_id: int, base_url: str) -> bool:
    """E-mail an invitation's link; a no-op once it is accepted, declined or revoked."""
    return services.invitation_send(invitation_id=invitation_id, base_url=base_url)


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=8,
    ignore_result=True,
)
def mail_notifications(membership_id: int, kind: str) -> int:
    """E-mail a member their pending notifications of one kind, as one message; a no-op when
    none is pending (a rerun, or another run sent them)."""
    return mail.notifications_mail(membership_id=membership_id, kind=kind)


@shared_task(ignore_result=True)
def mail_stalled_notifications() -> int:
    """Beat: queue the alert e-mails whose task never ran."""
    return mail.mail_stalled()
