"""Alert e-mails: one task per member and kind of alert, batching what arrived meanwhile.

Recording a notification asks for its e-mail once the transaction commits
(:func:`mail_soon_on_commit`). The first request for a member and kind enqueues a task delayed
by ``ALERTS_DIGEST_SECONDS`` (a cache key with ``add`` marks it queued), so the follow-ups that
reach them meanwhile — a burst of survey answers, a 1,000,000-row import in many chunks — go out
as one digest, and the queue holds one task per recipient, never one per follow-up.

The task (:func:`notifications_mail`) claims the member's pending notifications of that kind
(clears ``mail_pending`` in a short transaction), then sends, outside any transaction, so a slow
or absent mail server holds no row lock and never blocks a page. If sending fails the claim is
undone and the task retries with backoff; a claimed notification is never mailed by another
run, so none is mailed twice. The member's choice is read when the e-mail is due: a kind they
turned off is claimed and not sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from kombu.exceptions import OperationalError as BrokerError

from mot.language import recipient_language
from mot.models import Membership
from mot.notifications.models import AlertPreferences, Kind, Notification
from mot.notifications.texts import overdue_item, wording

logger = logging.getLogger(__name__)

MAIL_ITEMS = 50  # listed in one e-mail; the rest are counted, and all are on the page


def _queued_key(membership_id: int, kind: str) -> str:
    # The database's name too: two installations (or test runs) may share one Redis.
    return f"alerts:mail:{connection.settings_dict['NAME']}:{membership_id}:{kind}"


def mail_soon(*, recipient_ids: set[int] | list[int], kind: str) -> int:
    """Enqueue the e-mail task of each recipient unless one is queued already; returns how
    many were enqueued. With the broker away nothing is lost: the notifications stay pending
    and the beat sweep (:func:`mail_stalled`) enqueues them later."""
    from mot.tasks import mail_notifications

    delay = settings.ALERTS_DIGEST_SECONDS
    enqueued = 0
    for member_id in sorted(set(recipient_ids)):
        key = _queued_key(member_id, kind)
        if not cache.add(key, 1, timeout=delay + 600):
            continue
        try:
            mail_notifications.apply_async((member_id, kind), countdown=delay)
        except BrokerError as exc:
            cache.delete(key)
            logger.warning("Alert e-mail of member %s not queued: %s", member_id, exc)
            continue
        enqueued += 1
    return enqueued


def mail_soon_on_commit(*, recipient_ids: set[int] | list[int], kind: str) -> None:
    ids = sorted(set(recipient_ids))
    if ids:
        # Robust: the notifications are committed; failing to queue their e-mail is logged
        # and the sweep makes up for it, it never turns a stored answer into an error page.
        transaction.on_commit(lambda: mail_soon(recipient_ids=ids, kind=kind), robust=True)


def _claim(membership_id: int, kind: str) -> list[Notification]:
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(recipient_id=membership_id, kind=kind, mail_pending=True)
            .order_by("created_at", "pk")
        )
        if pending:
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(mail_pending=False)
    return pending


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path else ""


def _subject(kind: str, notifications: list[Notification], workspace: str) -> str:
    count = len(notifications)
    if kind == Kind.FOLLOWUP_NEW:
        text = ngettext(
            "%(count)d new follow-up in %(workspace)s",
            "%(count)d new follow-ups in %(workspace)s",
            count,
        )
    elif kind == Kind.FOLLOWUPS_OVERDUE:
        count = sum(int(n.params.get("count", 0)) for n in notifications[-1:])
        text = ngettext(
            "%(count)d overdue follow-up in %(workspace)s",
            "%(count)d overdue follow-ups in %(workspace)s",
            count,
        )
    elif kind == Kind.WEBHOOK_DISABLED:
        if count == 1:
            return _("Webhook endpoint “%(name)s” was disabled") % {
                "name": notifications[0].params.get("name", "")
            }
        text = ngettext(
            "%(count)d webhook endpoint was disabled in %(workspace)s",
            "%(count)d webhook endpoints were disabled in %(workspace)s",
            count,
        )
    else:
        text = ngettext(
            "%(count)d moment dropped in %(workspace)s",
            "%(count)d moments dropped in %(workspace)s",
            count,
        )
    return text % {"count": count, "workspace": workspace}


def _items(kind: str, notifications: list[Notification]) -> tuple[list[dict], int]:
    """What the e-mail lists (at most MAIL_ITEMS) and how many more there are."""
    if kind == Kind.FOLLOWUPS_OVERDUE:
        # One digest a day: the latest lists its follow-ups (an older one left pending is
        # covered by it).
        latest = notifications[-1]
        listed = latest.params.get("items", [])
        items = [
            {"wording": overdue_item(item), "url": _absolute(item.get("link", ""))}
            for item in listed
        ]
        return items, max(int(latest.params.get("count", 0)) - len(items), 0)
    items = [
        {"wording": wording(n.kind, n.params), "url": _absolute(n.link)}
        for n in notifications[:MAIL_ITEMS]
    ]
    return items, max(len(notifications) - MAIL_ITEMS, 0)


def _intro(kind: str) -> str:
    if kind == Kind.FOLLOWUP_NEW:
        return _("These follow-ups were opened for you or for the workspace queue you work:")
    if kind == Kind.FOLLOWUPS_OVERDUE:
        return _("These follow-ups are past their due date and still open:")
    if kind == Kind.WEBHOOK_DISABLED:
        return _(
            "MOT stopped sending events to these endpoints: each failed every attempt of "
            "several deliveries in a row. Fix the receiver, then enable the endpoint again on "
            "the Webhooks page:"
        )
    return _(
        "These moments' scores dropped beyond their margin of error, the last days against "
        "the days before:"
    )


def notifications_mail(*, membership_id: int, kind: str) -> int:
    """Send the member one e-mail with their pending notifications of ``kind``; returns how
    many it covered (0: nothing pending, or the member does not want this e-mail)."""
    # From here on a new notification queues another task: this one may have claimed already.
    cache.delete(_queued_key(membership_id, kind))
    member = (
        Membership.objects.select_related("user__profile", "workspace", "alert_preferences")
        .filter(pk=membership_id)
        .first()
    )
    if member is None:
        return 0
    pending = _claim(membership_id, kind)
    if not pending:
        return 0
    preferences = getattr(member, "alert_preferences", None) or AlertPreferences()
    if not preferences.wants_email(kind) or not member.user.email:
        return 0
    ws = member.workspace.slug
    # In the recipient's language, whoever's request or task recorded the notification.
    with translation.override(recipient_language(member.user, member.workspace)):
        items, more = _items(kind, pending)
        body = render_to_string(
            "mot/email/alerts.txt",
            {
                "member": member,
                "intro": _intro(kind),
                "items": items,
                "more": more,
                "list_url": _absolute(reverse("notifications:list", kwargs={"ws": ws})),
                "preferences_url": _absolute(
                    reverse("notifications:preferences", kwargs={"ws": ws})
                ),
            },
        )
        subject = _subject(kind, pending, member.workspace.name)
    try:
        send_mail(subject, body, None, [member.user.email])
    except BaseException:
        # Not sent: pending again, for the retry.
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            mail_pending=True, emailed_at=None
        )
        raise
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return len(pending)


def mail_stalled(*, now: datetime | None = None) -> int:
    """Enqueue the e-mails still pending well after their task should have run (the broker
    was away when they were recorded, or the task was lost); returns how many were queued."""
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.ALERTS_DIGEST_SECONDS + 600)
    stalled = (
        Notification.objects.filter(mail_pending=True)
        .values("recipient_id", "kind")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lt=late)
        .order_by()
    )
    queued = 0
    by_kind: dict[str, set[int]] = {}
    for row in stalled:
        by_kind.setdefault(row["kind"], set()).add(row["recipient_id"])
    for kind, ids in by_kind.items():
        queued += mail_soon(recipient_ids=ids, kind=kind)
    return queued
