"""Webhook endpoints in (Typeform, Standard Webhooks) and out, and their delivery logs.

Secrets are kept as they are (an HMAC needs the key itself, unlike an API token, which is
stored hashed); they are shown once, when created or rotated, never on a page afterwards.
"""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journeys.models import Touchpoint
from mot.models import Membership, Workspace


def new_path_token() -> str:
    return secrets.token_urlsafe(18)


def new_typeform_secret() -> str:
    return secrets.token_urlsafe(32)


def new_standard_secret() -> str:
    # Standard Webhooks: "whsec_" and base64 of 24 to 64 random bytes.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class IntakeKind(models.TextChoices):
    TYPEFORM = "typeform", _("Typeform")
    SIGNED = "signed", _("Signed webhook (Standard Webhooks)")


class Intake(models.Model):
    """A URL that receives answers: ``/hooks/<kind>/<token>/``, checked with ``secret``."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="intakes", verbose_name=_("workspace")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IntakeKind.choices)
    name = models.CharField(_("name"), max_length=100)
    token = models.CharField(_("URL token"), max_length=40, unique=True, default=new_path_token)
    secret = models.CharField(_("secret"), max_length=120)
    # Typeform: the touchpoint of every answer, unless ``touchpoint_field`` names a hidden
    # field carrying a touchpoint's code.
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    touchpoint_field = models.CharField(_("touchpoint hidden field"), max_length=100, blank=True)
    # Typeform: field ref (or "hidden:<name>") → what it is (feedback.hooks.typeform.TARGETS).
    mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    # The last body that could not be stored for want of a mapping, to map from.
    sample = models.JSONField(_("last unmapped sample"), null=True, blank=True)
    sample_at = models.DateTimeField(_("sample received at"), null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook intake")
        verbose_name_plural = _("webhook intakes")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IntakeKind.values), name="intake_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}"


class Outcome(models.TextChoices):
    STORED = "stored", _("Stored")
    DUPLICATE = "duplicate", _("Already stored")
    UNMAPPED = "unmapped", _("Refused: does not match the mapping")
    INVALID = "invalid", _("Refused: not valid")
    UNSIGNED = "unsigned", _("Refused: bad or missing signature")
    IGNORED = "ignored", _("Ignored")


class IntakeDelivery(models.Model):
    """One request an intake received (the last ``LOG_KEEP`` per intake are kept)."""

    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("intake")
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    event_id = models.CharField(_("event id"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    status = models.PositiveSmallIntegerField(_("HTTP status"))
    reason = models.TextField(_("reason"), blank=True)
    stored = models.PositiveIntegerField(_("answers stored"), default=0)

    class Meta:
        verbose_name = _("intake delivery")
        verbose_name_plural = _("intake deliveries")
        indexes = [models.Index(fields=["intake", "-id"], name="intakedelivery_recent")]

    def __str__(self) -> str:
        return f"{self.intake_id}: {self.outcome}"


class Event(models.TextChoices):
    ANSWER_STORED = "answer.stored", _("An answer was stored")
    ANSWER_PAIN = "answer.pain", _("A pain answer was stored")
    FOLLOWUP_CHANGED = "followup.changed", _("A follow-up was opened or changed")
    MOMENT_ALERT = "moment.alert", _("A moment's score dropped (moment alert)")
    TEST = "test", _("Test event")


class Endpoint(models.Model):
    """An outgoing webhook: events of the workspace are POSTed to ``url``, signed."""

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("workspace"),
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=120, default=new_standard_secret)
    enabled = models.BooleanField(_("enabled"), default=True)
    failures = models.PositiveIntegerField(_("consecutive failed deliveries"), default=0)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event to one endpoint. ``message_id`` (the ``webhook-id`` header) names the event:
    the same event is delivered once per endpoint, however often it is emitted."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    message_id = models.CharField(_("message id"), max_length=120)
    event = models.CharField(_("event"), max_length=32)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "message_id"], name="delivery_once_per_endpoint"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status"
            ),
        ]
        indexes = [models.Index(fields=["endpoint", "-id"], name="delivery_recent")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
