"""A follow-up per answer that calls for one, its timeline, and each workspace's rule.

Registered in the feedback app (feedback/models.py imports this module): a follow-up belongs to
one answer, and answers are the feedback app's.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from journeys.models import Journey, MotStage, Touchpoint
from mot.models import Membership, Workspace


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RECOVERED = "recovered", _("Recovered")
    NOT_RECOVERED = "not_recovered", _("Not recovered")
    NO_ACTION = "no_action", _("No action needed")


ACTIVE = frozenset({Status.OPEN, Status.IN_PROGRESS})
CLOSED = frozenset({Status.RECOVERED, Status.NOT_RECOVERED, Status.NO_ACTION})

# Where each status may go. A closed follow-up only goes back to open: reopening is a step of
# its own on the timeline, never a silent edit of the outcome.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.IN_PROGRESS, *CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.OPEN, *CLOSED}),
    **{closed: frozenset({Status.OPEN}) for closed in CLOSED},
}


class RootCause(models.TextChoices):
    """Which of the four expectations failed (product.md), or something else."""

    RESPECT = "respect", _("Respect")
    SOLUTIONS = "solutions", _("Solutions")
    SIMPLICITY = "simplicity", _("Simplicity")
    RESPONSIBILITY = "responsibility", _("Responsibility")
    OTHER = "other", _("Other")


class FollowUp(models.Model):
    # The three foreign keys have no index of their own (db_index=False): each leads one of
    # Meta.indexes (followup_ws_due, followup_touchpoint, followup_assignee), which serves
    # every lookup by it, deletes included; a fourth index each would only slow the insert
    # that a survey answer's follow-up pays.
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="followups",
        verbose_name=_("workspace"),
        db_index=False,
    )
    # One follow-up per answer: the database refuses a second (imports rely on ON CONFLICT).
    response = models.OneToOneField(
        "feedback.Response",
        on_delete=models.CASCADE,
        related_name="followup",
        verbose_name=_("answer"),
    )
    # The answer's touchpoint, kept here so "on touchpoints I own" needs no join through answers.
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        related_name="followups",
        verbose_name=_("touchpoint"),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    assignee = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_followups",
        verbose_name=_("assignee"),
        db_index=False,
    )
    due_on = models.DateField(_("due on"))
    root_cause = models.CharField(
        _("root cause"), max_length=16, choices=RootCause.choices, blank=True
    )
    # Optimistic concurrency: every change names the version it saw and bumps it.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Closed after its due date: an SLA breach for good (an open one past due is one while it
    # lasts). Stored when it closes, so the team queue counts breaches through an index instead
    # of comparing two columns of every follow-up; a database default for raw INSERTs.
    closed_late = models.BooleanField(_("closed late"), default=False, db_default=False)
    # When the first note or status change (RESPONSE_KINDS) came: set once, by the service that
    # writes that event, and never moved. Stored so that the recovery figures read a column
    # instead of looking the first response up in the timeline at every metrics run.
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="followup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(root_cause__in=[*RootCause.values, ""]),
                name="followup_root_cause_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="followup_assignee"),
            models.Index(fields=["touchpoint", "status", "due_on"], name="followup_touchpoint"),
            models.Index(fields=["workspace", "status", "due_on"], name="followup_ws_due"),
            # The team queue: its active rows in their order (overdue first is due date first),
            # its counts per touchpoint and its breaches per assignee, each read from an index.
            models.Index(
                fields=["workspace", "due_on", "id"],
                include=["assignee"],  # PostgreSQL: the counts per assignee read only the index
                condition=Q(status__in=[Status.OPEN, Status.IN_PROGRESS]),
                name="followup_active_due",
            ),
            models.Index(
                fields=["workspace", "touchpoint", "due_on"],
                condition=Q(status__in=[Status.OPEN, Status.IN_PROGRESS]),
                name="followup_active_touchpoint",
            ),
            models.Index(
                fields=["workspace", "due_on", "id"],
                include=["assignee"],
                condition=Q(closed_late=True),
                name="followup_closed_late",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.response_id})"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @property
    def responsible_ids(self) -> set[int]:
        """The members a staff role may act for here (mot.policy): the assignee and the
        touchpoint's owner."""
        return {pk for pk in (self.assignee_id, self.touchpoint.owner_id) if pk is not None}


class EventKind(models.TextChoices):
    NOTE = "note", _("Note")
    STATUS = "status", _("Status changed")
    REOPENED = "reopened", _("Reopened")
    ASSIGNED = "assigned", _("Reassigned")
    ROOT_CAUSE = "root_cause", _("Root cause set")


# The timeline events that answer a follow-up: someone wrote to it or moved it on. Reopening,
# reassigning or setting a root cause alone is no response.
RESPONSE_KINDS = frozenset({EventKind.NOTE, EventKind.STATUS})


class FollowUpEvent(models.Model):
    """One line of a follow-up's timeline: who did what, when."""

    followup = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="events", verbose_name=_("follow-up")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), max_length=5_000, blank=True)
    from_status = models.CharField(_("from"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Status.choices, blank=True)
    root_cause = models.CharField(
        _("root cause"), max_length=16, choices=RootCause.choices, blank=True
    )
    assignee = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up event")
        verbose_name_plural = _("follow-up events")
        indexes = [models.Index(fields=["followup", "created_at"], name="followupevent_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.followup_id})"


class Trigger(models.TextChoices):
    PAIN_WITH_TEXT = "pain_comment_or_contact", _("Pain answers with a comment or a contact")
    ANY_PAIN = "any_pain", _("Every pain answer")
    NPS_AT_MOST = "nps_at_most", _("Answers with an NPS of at most N")
    NEVER = "never", _("None (open follow-ups by hand only)")


class FollowUpSettings(models.Model):
    """A workspace's rule for opening follow-ups and its response target. Absent: the defaults."""

    workspace = models.OneToOneField(
        Workspace,
        on_delete=models.CASCADE,
        related_name="followup_settings",
        verbose_name=_("workspace"),
    )
    trigger = models.CharField(
        _("open a follow-up for"),
        max_length=32,
        choices=Trigger.choices,
        default=Trigger.PAIN_WITH_TEXT,
    )
    nps_max = models.PositiveSmallIntegerField(
        _("N (highest NPS that opens one)"),
        default=6,
        validators=[MaxValueValidator(10)],
    )
    journey = models.ForeignKey(
        Journey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only on this journey"),
    )
    mot_stage = models.CharField(
        _("only on this moment of truth"), max_length=8, choices=MotStage.choices, blank=True
    )
    response_days = models.PositiveSmallIntegerField(
        _("response target (working days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    class Meta:
        verbose_name = _("follow-up settings")
        verbose_name_plural = _("follow-up settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=Trigger.values), name="followupsettings_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(nps_max__lte=10), name="followupsettings_nps_max_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} ({self.workspace_id})"
