from __future__ import annotations

from django.db.models import QuerySet

from mot.models import Membership


def workspace_members(*, membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace_id=membership.workspace_id)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def memberships_of(user) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
    )
