"""In-app notifications and each member's choice of alert e-mails.

Registered in the mot app (mot/models.py imports this module). Models of other apps are named
by string only: the core imports no app.

A notification stores what happened as parameters (a touchpoint's title, a count, a date), never
as finished text: it is worded in the reader's language when shown (:mod:`mot.notifications.texts`).
Its ``dedupe_key`` names the event; the database holds one notification per member and event,
so an alert recorded again (a job run twice, an answer sent again) adds nothing, and
``mail_pending`` is cleared when its e-mail is sent, so none is mailed twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FOLLOWUP_NEW = "followup_new", _("New follow-up")
    FOLLOWUPS_OVERDUE = "followups_overdue", _("Overdue follow-ups")
    MOMENT_TURN = "moment_turn", _("A moment dropped")
    WEBHOOK_DISABLED = "webhook_disabled", _("A webhook endpoint was disabled")


class Notification(models.Model):
    workspace = models.ForeignKey(
        "mot.Workspace", on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace")
    )
    recipient = models.ForeignKey(
        "mot.Membership",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("event"), max_length=120)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Waiting for its e-mail (sent, or dropped by the member's choice, by mot.notifications.mail).
    mail_pending = models.BooleanField(_("e-mail pending"), default=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_event"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_list"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["recipient", "kind", "created_at"],
                condition=Q(mail_pending=True),
                name="notification_mail_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.dedupe_key})"


class AlertPreferences(models.Model):
    """Which alert e-mails a member receives. No row: every e-mail (the defaults below).

    In-app notifications are always recorded: they are the member's list of what happened,
    read at their own pace; only the e-mails, which interrupt, are chosen.
    """

    membership = models.OneToOneField(
        "mot.Membership",
        on_delete=models.CASCADE,
        related_name="alert_preferences",
        verbose_name=_("member"),
    )
    email_followup_new = models.BooleanField(
        _("E-mail me when a follow-up is assigned to me or to the queue I work"), default=True
    )
    email_followups_overdue = models.BooleanField(
        _("E-mail me a daily digest of overdue follow-ups"), default=True
    )
    email_moment_turn = models.BooleanField(
        _("E-mail me when a moment's score drops beyond its margin of error"), default=True
    )
    email_webhook_disabled = models.BooleanField(
        _("E-mail me when a webhook endpoint is disabled after failing deliveries"),
        default=True,
    )

    class Meta:
        verbose_name = _("alert preferences")
        verbose_name_plural = _("alert preferences")

    def __str__(self) -> str:
        return f"alerts of {self.membership_id}"

    def wants_email(self, kind: str) -> bool:
        return bool(getattr(self, f"email_{kind}"))
