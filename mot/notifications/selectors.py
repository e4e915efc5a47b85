"""Reading a member's notifications."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery

from mot.notifications.models import Notification
from mot.notifications.texts import Wording, wording

UNREAD_CAP = 100  # the header shows "99+" beyond: a count past it tells nobody more


class CappedCount(Subquery):
    """How many rows a subquery has, counting at most as many as its slice: the header's
    unread count stays cheap for a member with thousands of unread notifications."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()


def unread_count_expression() -> CappedCount:
    """The member's unread count, as an annotation of the Membership query every page makes
    (mot.policy.get_membership): the header's count costs no query of its own."""
    return CappedCount(
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("pk")[:UNREAD_CAP]
    )


@dataclass(frozen=True)
class Row:
    notification: Notification
    wording: Wording


def notifications_page(*, membership, limit: int, before: int | None = None) -> list[Row]:
    """The member's newest notifications (``limit + 1`` read, to tell whether more follow),
    before notification id ``before`` when paging."""
    qs: QuerySet[Notification] = Notification.objects.filter(recipient=membership).order_by("-pk")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return [Row(n, wording(n.kind, n.params)) for n in qs[: limit + 1]]
