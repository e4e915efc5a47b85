"""Active follow-ups per touchpoint, for the journey map's cards and "my touchpoints".

The journeys app never imports feedback (tests/test_architecture.py): it reads these counts
here, on the read side of metrics, like every other number about answers it shows. Each function
is one query whatever the number of touchpoints or follow-ups (a GROUP BY on the follow-ups'
touchpoint index).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Count

from feedback.followups.models import ACTIVE, FollowUp
from journeys.models import Touchpoint
from mot.sql import Identifiers, Template, fetch

_STATUSES = tuple(sorted(ACTIVE))  # two: the statement's IN (%s, %s) refuses another number
_NAMES = Identifiers(
    FollowUp._meta.db_table,
    Touchpoint._meta.db_table,
    "id",
    "touchpoint_id",
    "journey_id",
    "status",
)
# A journey's counts (the map's cards): built once per process and prepared.
_JOURNEY_COUNTS = Template(
    "SELECT f.{touchpoint}, COUNT(*) FROM {followups} f JOIN {touchpoints} t "
    "ON t.{id} = f.{touchpoint} WHERE t.{journey} = %s AND f.{status} IN (%s, %s) "
    "GROUP BY f.{touchpoint}",
    _NAMES.parts(
        followups=FollowUp._meta.db_table,
        touchpoints=Touchpoint._meta.db_table,
        id="id",
        touchpoint="touchpoint_id",
        journey="journey_id",
        status="status",
    ),
)


def _counts(rows) -> dict[int, int]:
    return dict(
        rows.filter(status__in=ACTIVE)
        .values("touchpoint_id")
        .annotate(n=Count("pk"))
        .values_list("touchpoint_id", "n")
        .order_by()
    )


def journey_followup_counts(*, journey_id: int) -> dict[int, int]:
    """Touchpoint id -> its open or in-progress follow-ups, for every touchpoint of the journey
    that has any."""
    return dict(fetch(_JOURNEY_COUNTS(journey_id, *_STATUSES), prepared=True))


def touchpoint_followup_counts(*, touchpoint_ids: Collection[int]) -> dict[int, int]:
    """The same for the given touchpoints (a card drawn alone, the member's touchpoints)."""
    if not touchpoint_ids:
        return {}
    return _counts(FollowUp.objects.filter(touchpoint_id__in=list(touchpoint_ids)))
