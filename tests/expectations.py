"""What product.md promises, written once for the role-matrix tests of services and views.

These sets are the product's word, deliberately not read from mot.policy: the tests compare the
policy against them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from feedback.followups.models import FollowUp, FollowUpEvent, FollowUpSettings
from journeys.models import Journey, Lane, LaneFold, LaneItem, Persona, Stage, Touchpoint
from mot.models import Membership, Role

ALL = frozenset(Role.values)
MAP_EDITORS = frozenset({Role.ADMIN, Role.EDITOR})
EXPORTERS = frozenset({Role.ADMIN, Role.EDITOR, Role.MANAGER})
ADMINS = frozenset({Role.ADMIN})
# Issue 14: staff act on follow-ups of their touchpoints or assigned to them; editors read.
FOLLOWUP_ACTORS = frozenset({Role.ADMIN, Role.MANAGER, Role.STAFF})
FOLLOWUP_REASSIGNERS = frozenset({Role.ADMIN, Role.MANAGER})
# The team queue is for those who oversee the work (managers, admins) and the CX team who reads
# it (editors); staff work from My follow-ups.
TEAM_QUEUE_READERS = frozenset({Role.ADMIN, Role.EDITOR, Role.MANAGER})


def db_snapshot() -> tuple[list[Any], ...]:
    """Every row a service or request could change, to show a refused one changed nothing."""
    return (
        list(Journey.objects.order_by("pk").values()),
        list(Stage.objects.order_by("pk").values()),
        list(Touchpoint.objects.order_by("pk").values()),
        list(Lane.objects.order_by("pk").values()),
        list(LaneItem.objects.order_by("pk").values()),
        list(LaneFold.objects.order_by("pk").values()),
        list(Persona.objects.order_by("pk").values("pk", "name", "segment", "updated_at")),
        list(Persona.journeys.through.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(FollowUp.objects.order_by("pk").values()),
        list(FollowUpEvent.objects.order_by("pk").values()),
        list(FollowUpSettings.objects.order_by("pk").values()),
        list(get_user_model().objects.order_by("pk").values_list("pk", "email", "password")),
    )
