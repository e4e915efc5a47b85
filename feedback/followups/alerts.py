"""Alerts about follow-ups: a new one to its assignee (or, in the workspace's queue, to the
workspace's managers and admins), and each day's digest of overdue ones.

New follow-ups are opened in bulk (:func:`feedback.followups.rules.followups_open`, a chunk of
an import at a time), so their notifications are written the same way: an ``INSERT … SELECT``
of the follow-ups that call opened, never a row through Python, a few queries whatever the
batch. Each recipient's e-mail is then asked for once (mot.notifications.mail batches them).
Follow-ups that surveys and the API open one answer at a time are told of by a task a few
seconds later, shared by a burst (:func:`announce_soon`): the customer's request stays short.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, F, Q, QuerySet, Value, Window
from django.db.models.functions import Cast, Concat, JSONObject, RowNumber
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from feedback.followups.models import ACTIVE, FollowUp, Status
from mot.models import Membership, Workspace
from mot.notifications.mail import mail_soon_on_commit
from mot.notifications.models import Kind, Notification
from mot.notifications.services import Entry, notifications_record, workspace_watchers
from mot.sql import Identifiers, compiled, execute, sql, value_list

logger = logging.getLogger(__name__)

# New follow-ups from surveys and the API are told of by a task this many seconds later.
ANNOUNCE_DELAY_SECONDS = 5
ANNOUNCE_SLACK = timedelta(minutes=5)

NAMES = Identifiers(Notification._meta.db_table, Membership._meta.db_table)
DIGEST_ITEMS = 20  # follow-ups listed in an overdue digest (the count says how many in all)
_MARK_WS, _MARK_PK = "mot-workspace-mark", 987654321  # placeholders the URL is split around


def _detail_link_parts() -> tuple[str, str, str]:
    """The follow-up page's path around its workspace slug and its id."""
    path = reverse("followups:detail", kwargs={"ws": _MARK_WS, "pk": _MARK_PK})
    start, rest = path.split(_MARK_WS)
    middle, end = rest.split(str(_MARK_PK))
    return start, middle, end


def _detail_link(workspace_slug: str) -> tuple[str, str]:
    """The follow-up page's path before and after its id."""
    start, middle, end = _detail_link_parts()
    return f"{start}{workspace_slug}{middle}", end


def new_followups_alert(*, workspace_id: int, opened_at: datetime, due_on: date) -> int:
    """Tell of the follow-ups the workspace opened at ``opened_at``, due on ``due_on`` (one
    call of ``followups_open``): a notification for the assignee of each, or for every manager
    and admin when it went to the queue; their e-mails once the transaction commits. Returns
    the notifications written."""
    # Workspace, status and due date: the follow-ups' index (followup_ws_due) finds the rows
    # without reading the workspace's other open follow-ups.
    return _announce(
        workspace_id=workspace_id,
        opened=FollowUp.objects.filter(
            workspace_id=workspace_id, status=Status.OPEN, due_on=due_on, created_at=opened_at
        ),
    )


def recent_followups_alert(*, workspace_id: int, since: datetime) -> int:
    """:func:`new_followups_alert` for every follow-up still open that the workspace opened
    since ``since``: what the survey and the API opened, one answer at a time. A follow-up
    already told of is skipped (each notification's key is unique), so the periods may
    overlap. Returns the notifications written."""
    return _announce(
        workspace_id=workspace_id,
        opened=FollowUp.objects.filter(
            workspace_id=workspace_id, status=Status.OPEN, created_at__gte=since
        ),
    )


def _announce_key(workspace_id: int) -> str:
    # The database's name too: two installations (or test runs) may share one Redis.
    return f"alerts:announce:{connection.settings_dict['NAME']}:{workspace_id}"


def announce_marker(workspace_id: int) -> tuple[str, int]:
    """The cache key :func:`announce_soon` adds and its lifetime: a caller that adds it in a
    round trip of its own passes the outcome as ``added``."""
    return _announce_key(workspace_id), ANNOUNCE_DELAY_SECONDS + 600


def announce_soon(*, workspace_id: int, added: bool | None = None) -> bool:
    """Have the follow-ups a request just opened told of by a task a few seconds later,
    which a burst of answers shares (a cache key with ``add`` marks it queued): a survey
    answer pays one Redis round trip (shared with its metrics request, see
    feedback/services.py), not the alert's queries. ``added``: whether the caller's own add of
    :func:`announce_marker` succeeded. Returns whether a task was enqueued. With the broker
    away the beat sweep (:func:`announce_missed`) tells of them."""
    from feedback.tasks import followups_announce

    key, timeout = announce_marker(workspace_id)
    if added is None:
        added = cache.add(key, 1, timeout=timeout)
    if not added:
        return False
    # Requests that opened follow-ups a little before this one may commit after it.
    since = timezone.now() - ANNOUNCE_SLACK
    try:
        followups_announce.apply_async(
            (workspace_id, since.isoformat()), countdown=ANNOUNCE_DELAY_SECONDS
        )
    except BrokerError as exc:
        cache.delete(key)
        logger.warning("New follow-ups of workspace %s not announced yet: %s", workspace_id, exc)
        return False
    return True


def announce_now(*, workspace_id: int, since: datetime) -> int:
    """The task's work: from now on new follow-ups queue another task, then this one tells."""
    cache.delete(_announce_key(workspace_id))
    return recent_followups_alert(workspace_id=workspace_id, since=since)


def announce_missed(*, now: datetime | None = None) -> int:
    """Beat: tell of the follow-ups of the last hour that no task told of (the broker was
    away, or the task was lost with its worker). Returns the notifications written."""
    since = (now or timezone.now()) - timedelta(hours=1)
    workspaces = (
        FollowUp.objects.filter(status=Status.OPEN, created_at__gte=since)
        .order_by()
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    return sum(recent_followups_alert(workspace_id=ws, since=since) for ws in workspaces)


def _announce(*, workspace_id: int, opened: QuerySet[FollowUp]) -> int:
    assignees = set(opened.order_by().values_list("assignee_id", flat=True).distinct())
    if not assignees:
        return 0
    start, middle, end = _detail_link_parts()
    as_text = Cast("pk", CharField())

    def rows(queue: bool):
        return (
            opened.filter(assignee__isnull=queue)
            .order_by()
            .values(
                n_ws=F("workspace_id"),
                n_to=F("assignee_id"),
                n_kind=Value(Kind.FOLLOWUP_NEW.value),
                n_params=JSONObject(
                    touchpoint=F("touchpoint__title"),
                    journey=F("touchpoint__journey__name"),
                    due_on=F("due_on"),
                    queue=Value(queue),
                ),
                n_link=Concat(
                    Value(start),
                    F("workspace__slug"),
                    Value(middle),
                    as_text,
                    Value(end),
                    output_field=CharField(),
                ),
                n_key=Concat(Value("followup-new:"), as_text, output_field=CharField()),
                n_at=F("created_at"),
                n_pending=Value(True),
            )
        )

    columns = sql(
        "workspace_id, recipient_id, kind, params, link, dedupe_key, created_at, mail_pending"
    )
    written = 0
    recipients = {pk for pk in assignees if pk is not None}
    if recipients:
        # (WHERE true: SQLite would otherwise read ON CONFLICT as a join's ON.)
        written += execute(
            sql(
                """
                INSERT INTO {notification} ({columns})
                SELECT c.n_ws, c.n_to, c.n_kind, c.n_params, c.n_link, c.n_key, c.n_at, c.n_pending
                FROM ({candidates}) c
                WHERE true
                ON CONFLICT (recipient_id, dedupe_key) DO NOTHING
                """,
                notification=NAMES[Notification._meta.db_table],
                columns=columns,
                candidates=compiled(rows(queue=False)),
            )
        )
    if None in assignees:
        watchers = workspace_watchers(workspace_id=workspace_id)
        if watchers:
            written += execute(
                sql(
                    """
                    INSERT INTO {notification} ({columns})
                    SELECT c.n_ws, m.id, c.n_kind, c.n_params, c.n_link, c.n_key, c.n_at,
                        c.n_pending
                    FROM ({candidates}) c CROSS JOIN {membership} m
                    WHERE m.id IN ({watchers})
                    ON CONFLICT (recipient_id, dedupe_key) DO NOTHING
                    """,
                    notification=NAMES[Notification._meta.db_table],
                    membership=NAMES[Membership._meta.db_table],
                    columns=columns,
                    candidates=compiled(rows(queue=True)),
                    watchers=value_list(watchers),
                )
            )
            recipients |= set(watchers)
    mail_soon_on_commit(recipient_ids=recipients, kind=Kind.FOLLOWUP_NEW)
    return written


def overdue_digest(*, workspace_id: int, today: date) -> int:
    """The day's digest of overdue follow-ups: to each assignee their own, to each manager
    and admin the workspace's. Once a day per member (its key is the day): running it again
    records and sends nothing. Returns the notifications written."""
    overdue = FollowUp.objects.filter(
        workspace_id=workspace_id, status__in=ACTIVE, due_on__lt=today
    ).order_by()
    fields = {"tp_title": F("touchpoint__title"), "journey_name": F("touchpoint__journey__name")}
    order = [F("due_on").asc(), F("pk").asc()]
    per_assignee = list(
        overdue.filter(assignee__isnull=False)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("assignee_id")], order_by=order),
            total=Window(Count("pk"), partition_by=[F("assignee_id")]),
        )
        .filter(rank__lte=DIGEST_ITEMS)
        .values("pk", "assignee_id", "due_on", "total", **fields)
    )
    workspace_total = overdue.count()
    if not workspace_total:
        return 0
    workspace_items = list(overdue.order_by(*order).values("pk", "due_on", **fields)[:DIGEST_ITEMS])
    slug = Workspace.objects.filter(pk=workspace_id).values_list("slug", flat=True).get()
    before, after = _detail_link(slug)
    list_url = reverse("followups:list", kwargs={"ws": slug})

    def item(row: dict) -> dict:
        return {
            "touchpoint": row["tp_title"],
            "journey": row["journey_name"],
            "due_on": row["due_on"].isoformat(),
            "link": f"{before}{row['pk']}{after}",
        }

    key, day = f"overdue:{today.isoformat()}", today.isoformat()
    watchers = set(workspace_watchers(workspace_id=workspace_id))
    entries = [
        Entry(
            recipient_id=pk,
            dedupe_key=key,
            params={
                "count": workspace_total,
                "day": day,
                "workspace_wide": True,
                "items": [item(row) for row in workspace_items],
            },
            link=f"{list_url}?scope=queue&overdue=on&status=active",
        )
        for pk in sorted(watchers)
    ]
    mine: dict[int, list[dict]] = {}
    totals: dict[int, int] = {}
    for row in per_assignee:
        if row["assignee_id"] in watchers:
            continue  # the workspace's digest covers theirs
        mine.setdefault(row["assignee_id"], []).append(item(row))
        totals[row["assignee_id"]] = row["total"]
    entries += [
        Entry(
            recipient_id=pk,
            dedupe_key=key,
            params={"count": totals[pk], "day": day, "items": items},
            link=f"{list_url}?overdue=on",
        )
        for pk, items in sorted(mine.items())
    ]
    return notifications_record(
        workspace_id=workspace_id, kind=Kind.FOLLOWUPS_OVERDUE, entries=entries
    )


def overdue_digests(*, today: date) -> int:
    """Every workspace's digest of the day (the beat task)."""
    workspaces = (
        FollowUp.objects.filter(Q(status__in=ACTIVE), due_on__lt=today)
        .order_by()
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    return sum(overdue_digest(workspace_id=pk, today=today) for pk in list(workspaces))
