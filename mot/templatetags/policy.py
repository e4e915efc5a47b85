"""``membership|may:"action"`` in templates: whether the role may take a workspace-wide action,
asked of the one policy (mot.policy), so a page shows only the controls its viewer may use."""

from __future__ import annotations

from django import template

from mot.models import Membership
from mot.policy import Action, can

register = template.Library()


@register.filter
def may(membership: Membership | None, action: str) -> bool:
    if membership is None:
        return False
    return can(membership, Action(action), membership.workspace)
