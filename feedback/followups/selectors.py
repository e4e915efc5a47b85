"""Reads for the follow-up pages: my follow-ups, the team queue and its counts, a follow-up's
timeline, its customer's answers and activities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from feedback.followups.models import ACTIVE, CLOSED, TRANSITIONS, FollowUp, FollowUpEvent, Status
from feedback.models import Activity, Response
from journeys.models import Touchpoint
from mot.models import Membership, person_name

CUSTOMER_ANSWERS = 20  # the customer's latest other answers shown on a follow-up
CUSTOMER_ACTIVITIES = 20  # and their latest activities (purchases, returns…)
TEAM_TOUCHPOINTS = 50  # touchpoints listed with their counts on the team queue


@dataclass(frozen=True)
class ListFilters:
    status: str = "active"  # active, open, in_progress, closed, all
    overdue: bool = False
    scope: str = "mine"  # mine (assigned to me or on my touchpoints) or queue (unassigned)


def _overdue(today: date) -> Q:
    return Q(status__in=ACTIVE, due_on__lt=today)


def _breach(today: date) -> Q:
    """Missed its response target: still open past its due date, or closed after it."""
    return _overdue(today) | Q(closed_late=True)


def _with_status(rows: QuerySet[FollowUp], status: str) -> QuerySet[FollowUp]:
    if status == "active":
        return rows.filter(status__in=ACTIVE)
    if status == "closed":
        return rows.filter(status__in=CLOSED)
    if status != "all":
        return rows.filter(status=status)
    return rows


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 6x, on 500 rows
class Row:
    """A list row: the follow-up with what the row shows of its answer, touchpoint, journey and
    assignee, read as plain values (model instances of six tables cost more than the rest of
    the page). The policy takes it like a follow-up: ``workspace_id`` and ``responsible_ids``."""

    pk: int
    workspace_id: int
    status: str
    due_on: date
    version: int
    assignee_id: int | None
    assignee_name: str
    title: str
    owner_id: int | None
    journey: str
    nps: int | None
    csat: int | None
    comment: str
    is_overdue: bool
    # Set by the view through the policy.
    can_act: bool = False
    can_reassign: bool = False
    next_statuses: list = field(default_factory=list)

    @property
    def responsible_ids(self) -> set[int]:
        return {pk for pk in (self.assignee_id, self.owner_id) if pk is not None}

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @classmethod
    def of(cls, followup: FollowUp, *, today: date | None = None) -> Row:
        """The row of a follow-up read alone (drawn again after a change)."""
        today = today or timezone.localdate()
        answer, touchpoint, assignee = followup.response, followup.touchpoint, followup.assignee
        return cls(
            followup.pk, followup.workspace_id, followup.status, followup.due_on,
            followup.version, followup.assignee_id,
            assignee.display_name if assignee is not None else "",
            touchpoint.title, touchpoint.owner_id, touchpoint.journey.name,
            answer.nps, answer.csat, answer.comment,
            followup.status in ACTIVE and followup.due_on < today,
        )  # fmt: skip


_ROW_FIELDS = (
    "pk",
    "workspace_id",
    "status",
    "due_on",
    "version",
    "assignee_id",
    "assignee__user__first_name",
    "assignee__user__last_name",
    "assignee__user__email",
    "assignee__user__username",
    "touchpoint__title",
    "touchpoint__owner_id",
    "touchpoint__journey__name",
    "response__nps",
    "response__csat",
    "response__comment",
    "is_overdue",
)


def _rows(rows: QuerySet[FollowUp], today: date, limit: int, status: str) -> list[Row]:
    """Up to ``limit`` rows, overdue first, then by due date. One query."""
    rows = rows.annotate(
        is_overdue=Case(When(_overdue(today), then=1), default=0, output_field=IntegerField())
    )
    # Among open and in-progress follow-ups the overdue ones are those due first: the plain
    # order by due date is the same, and an index (followup_active_due) reads it in order.
    active_only = status in ("active", Status.OPEN, Status.IN_PROGRESS)
    order = ("due_on", "pk") if active_only else ("-is_overdue", "due_on", "pk")
    return _made(rows.order_by(*order).values_list(*_ROW_FIELDS)[:limit])


def _breach_rows(rows: QuerySet[FollowUp], today: date, limit: int) -> list[Row]:
    """The SLA breaches among ``rows``, overdue first, then by due date. One query.

    Where the database takes a LIMIT in each part of a UNION (PostgreSQL), the overdue and
    the closed-late ones are read apart, each in order from its partial index and only as far
    as the page goes; reading every breach to sort them took 130 ms at 50,000 breaches.
    """
    if not connection.features.supports_slicing_ordering_in_compound:
        return _rows(rows.filter(_breach(today)), today, limit, "all")
    overdue = rows.filter(_overdue(today)).annotate(is_overdue=Value(1))
    late = rows.filter(closed_late=True).annotate(is_overdue=Value(0))
    parts = [
        part.order_by("due_on", "pk").values_list(*_ROW_FIELDS)[:limit] for part in (overdue, late)
    ]
    return _made(parts[0].union(parts[1], all=True).order_by("-is_overdue", "due_on", "pk")[:limit])


def _made(found) -> list[Row]:
    return [
        Row(pk, ws, status, due, version, assignee,
            person_name(first, last, email, username) if assignee is not None else "",
            title, owner, journey, nps, csat, comment, bool(overdue))
        for (pk, ws, status, due, version, assignee, first, last, email, username, title, owner,
             journey, nps, csat, comment, overdue) in found
    ]  # fmt: skip


def followups_for_list(*, membership: Membership, filters: ListFilters, limit: int) -> list[Row]:
    """Overdue first, then by due date: what to do next is at the top. One query."""
    today = timezone.localdate()
    rows = FollowUp.objects.filter(workspace_id=membership.workspace_id)
    if filters.scope == "queue":
        rows = rows.filter(assignee__isnull=True)
    else:
        rows = rows.filter(Q(assignee=membership) | Q(touchpoint__owner=membership))
    rows = _with_status(rows, filters.status)
    if filters.overdue:
        rows = rows.filter(_overdue(today))
    return _rows(rows, today, limit, filters.status)


def next_statuses(status: str) -> list[Status]:
    """Where a follow-up may go from ``status``, moving on first: going back to open is offered
    last, so the default choice moves the work forward."""
    allowed = TRANSITIONS[status]
    return sorted(
        (Status(s) for s in Status.values if s in allowed), key=lambda s: s == Status.OPEN
    )


# --- the team queue --------------------------------------------------------------------------

UNASSIGNED = "none"  # the owner filter's value for the workspace's queue


@dataclass(frozen=True)
class TeamFilters:
    status: str = "active"  # as ListFilters
    overdue: bool = False
    breach: bool = False  # open past due, or closed after it
    owner: str = ""  # "" everyone, UNASSIGNED the workspace's queue, else a membership id
    touchpoint: int | None = None

    @property
    def active(self) -> bool:
        return self != TeamFilters()


def team_followups(*, workspace_id: int, filters: TeamFilters, limit: int) -> list[Row]:
    """Every follow-up of the workspace the filters keep, overdue first. One query."""
    today = timezone.localdate()
    rows = _with_status(FollowUp.objects.filter(workspace_id=workspace_id), filters.status)
    if filters.owner == UNASSIGNED:
        rows = rows.filter(assignee__isnull=True)
    elif filters.owner:
        rows = rows.filter(assignee_id=int(filters.owner))
    if filters.touchpoint is not None:
        rows = rows.filter(touchpoint_id=filters.touchpoint)
    if filters.overdue:
        rows = rows.filter(_overdue(today))
    if filters.breach:
        return _breach_rows(rows, today, limit)
    return _rows(rows, today, limit, filters.status)


@dataclass(frozen=True)
class QueueCounts:
    active: int
    overdue: int
    breaches: int


def owner_counts(*, workspace_id: int) -> dict[int | None, QueueCounts]:
    """Per assignee (None: the workspace's queue): active follow-ups, overdue ones, and SLA
    breaches (open past due or closed after it, any time). One query; owners with none of
    these are absent.

    The active and the closed-late follow-ups are counted apart and put together with UNION
    ALL: each half is an index-only read of its partial index (followup_active_due carries the
    assignee, and so does followup_closed_late), where one pass over both sets read every
    row of them from the table."""
    today = timezone.localdate()
    rows = FollowUp.objects.filter(workspace_id=workspace_id).values("assignee_id").order_by()
    active = rows.filter(status__in=ACTIVE).annotate(
        active=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)), late=Value(0)
    )
    late = rows.filter(closed_late=True).annotate(
        active=Value(0), overdue=Value(0), late=Count("pk")
    )
    counts: dict[int | None, QueueCounts] = {}
    for assignee, n_active, n_overdue, n_late in active.union(late, all=True).values_list(
        "assignee_id", "active", "overdue", "late"
    ):
        seen = counts.get(assignee, QueueCounts(0, 0, 0))
        counts[assignee] = QueueCounts(
            seen.active + n_active, seen.overdue + n_overdue, seen.breaches + n_overdue + n_late
        )
    return counts


@dataclass(frozen=True)
class TouchpointCount:
    touchpoint_id: int
    title: str
    journey: str
    active: int
    overdue: int


def touchpoint_counts(*, workspace_id: int) -> list[TouchpointCount]:
    """The touchpoints with the most active follow-ups (up to TEAM_TOUCHPOINTS), with how many
    are overdue. One query."""
    today = timezone.localdate()
    # Counted per touchpoint by correlated subqueries: each an index-only read of
    # followup_active_touchpoint, where grouping the joined rows sorted all 20,000 active
    # follow-ups of the bench by title and journey.
    active = FollowUp.objects.filter(
        workspace_id=workspace_id, status__in=ACTIVE, touchpoint_id=OuterRef("pk")
    ).order_by()

    def counted(rows: QuerySet[FollowUp]) -> Subquery:
        return Subquery(
            rows.values("touchpoint_id").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )

    rows = (
        Touchpoint.objects.filter(journey__workspace_id=workspace_id)
        .filter(Exists(active))
        .annotate(active=counted(active), overdue=counted(active.filter(due_on__lt=today)))
        .order_by("-active", "title", "pk")
        .values_list("pk", "title", "journey__name", "active", "overdue")[:TEAM_TOUCHPOINTS]
    )
    return [TouchpointCount(pk, title, journey, active, overdue or 0)
            for pk, title, journey, active, overdue in rows]  # fmt: skip


def followup_timeline(*, followup: FollowUp) -> list[FollowUpEvent]:
    return list(
        followup.events.select_related("actor__user", "assignee__user").order_by("created_at", "pk")
    )


def customer_other_answers(*, followup: FollowUp) -> list[Response]:
    """The same customer's other answers, newest first (none for an anonymous answer)."""
    response = followup.response
    if response.customer_id is None:
        return []
    return list(
        Response.objects.filter(
            workspace_id=followup.workspace_id, customer_id=response.customer_id
        )
        .exclude(pk=response.pk)
        .select_related("touchpoint")
        .order_by("-submitted_at", "-pk")[:CUSTOMER_ANSWERS]
    )


def customer_activities(*, followup: FollowUp) -> list[Activity]:
    """The customer's latest activities (purchases, returns…), newest first: did they come
    back after the follow-up? None for an anonymous answer."""
    customer_id = followup.response.customer_id
    if customer_id is None:
        return []
    return list(
        Activity.objects.filter(
            workspace_id=followup.workspace_id, customer_id=customer_id
        ).order_by("-occurred_at", "-pk")[:CUSTOMER_ACTIVITIES]
    )
