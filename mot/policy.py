"""The one access policy: may this member do this action on this object?

Every view and every service asks here. Views use the ``get_*_for`` helpers, which scope the query
to the member's workspace (another workspace's object is simply not found: 404) and then check the
role (a role that may not act: 403); each app keeps its own in ``<app>/access.py``, built on
:func:`get_for`, so this module knows no app's models. Services call :func:`require` with the
acting membership, so a call from a task, a command or a future API is held to the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from mot.models import Membership, Role, Workspace
from mot.notifications.selectors import unread_count_expression

if TYPE_CHECKING:
    from django.http import HttpRequest


class Action(StrEnum):
    VIEW = "view"  # read maps, dashboards, feedback
    EDIT_MAP = "edit_map"  # create/rename/delete/move journeys, stages, touchpoints
    ASSIGN_OWNER = "assign_owner"  # set or clear a touchpoint's owner
    EXPORT = "export"  # download journeys and data
    IMPORT = "import"  # bring journeys and feedback in
    MANAGE_SURVEYS = "manage_surveys"
    ACT_ON_TOUCHPOINT = "act_on_touchpoint"  # follow up on what customers said
    REASSIGN_FOLLOWUP = "reassign_followup"  # give a follow-up to another member, or the queue
    CONFIGURE_FOLLOWUPS = "configure_followups"  # which answers open one, the response target
    # The team queue: every follow-up of the workspace by owner and touchpoint. For the people
    # who oversee the work (managers, admins) and the CX team who reads it (editors); staff
    # work from My follow-ups, which also shows them the unassigned queue.
    READ_TEAM_FOLLOWUPS = "read_team_followups"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_TOKENS = "manage_tokens"
    # Webhooks in (Typeform, signed) and out: their secrets write answers and their URLs send
    # the workspace's data elsewhere, so admins only, like API tokens.
    MANAGE_WEBHOOKS = "manage_webhooks"
    RECOMPUTE_METRICS = "recompute_metrics"  # ask for the metrics to be computed again now
    MANAGE_THEMES = "manage_themes"  # define the workspace's own comment themes
    # Log a record without a score (a complaint, an interview note…) on a touchpoint: the CX
    # team and managers on any, staff on the touchpoints they own.
    LOG_RECORD = "log_record"
    # See a customer's e-mail and name (personal data): the people who may act on answers, as
    # for a follow-up's contact: managers on any touchpoint, staff on their own; admins.
    # Editors read answers without them, and their CSV downloads leave them out.
    READ_PERSONAL_DATA = "read_personal_data"
    # Export or erase one customer's personal data (a GDPR request): admins only.
    ERASE_CUSTOMER = "erase_customer"


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.EDITOR: frozenset(
        {
            Action.VIEW,
            Action.EDIT_MAP,
            Action.ASSIGN_OWNER,
            Action.EXPORT,
            Action.IMPORT,
            Action.MANAGE_SURVEYS,
            Action.RECOMPUTE_METRICS,
            Action.READ_TEAM_FOLLOWUPS,
            Action.MANAGE_THEMES,
            Action.LOG_RECORD,
        }
    ),
    # The CX team reads follow-ups; the people who answer customers (managers, and staff on
    # their own touchpoints) act on them.
    Role.MANAGER: frozenset(
        {
            Action.VIEW,
            Action.ASSIGN_OWNER,
            Action.EXPORT,
            Action.ACT_ON_TOUCHPOINT,
            Action.REASSIGN_FOLLOWUP,
            Action.READ_TEAM_FOLLOWUPS,
            Action.RECOMPUTE_METRICS,
            Action.LOG_RECORD,
            Action.READ_PERSONAL_DATA,
        }
    ),
    Role.STAFF: frozenset(
        {
            Action.VIEW,
            Action.ASSIGN_OWNER,
            Action.ACT_ON_TOUCHPOINT,
            Action.LOG_RECORD,
            Action.READ_PERSONAL_DATA,
        }
    ),
}


# What staff may do only on the touchpoints they own (or follow-ups that name them).
_ON_OWN_TOUCHPOINTS = frozenset({Action.ACT_ON_TOUCHPOINT, Action.READ_PERSONAL_DATA})


def workspace_of(obj: Any) -> int:
    """The workspace id an object belongs to (every domain object belongs to exactly one)."""
    if isinstance(obj, Workspace):
        return obj.pk
    return obj.workspace_id


def can(membership: Membership | None, action: Action, obj: Any = None) -> bool:
    if membership is None:
        return False
    if obj is not None and workspace_of(obj) != membership.workspace_id:
        return False
    if action not in ROLE_ACTIONS.get(membership.role, frozenset()):
        return False
    if action in _ON_OWN_TOUCHPOINTS and membership.role == Role.STAFF:
        # Staff act on the touchpoints they own, and on the follow-ups of those touchpoints or
        # assigned to them (an object names its responsible members); managers on any.
        if obj is None:
            return False
        responsible = getattr(obj, "responsible_ids", None)
        if responsible is None:
            responsible = {getattr(obj, "owner_id", None)}
        return membership.pk in responsible
    if action is Action.LOG_RECORD and membership.role == Role.STAFF:
        return obj is not None and getattr(obj, "owner_id", None) == membership.pk
    return True


def require(membership: Membership | None, action: Action, obj: Any = None) -> None:
    """Raise 404 for an object of another workspace, 403 for a role that may not act."""
    if membership is None:
        raise PermissionDenied(_("You are not a member of this workspace."))
    if obj is not None and workspace_of(obj) != membership.workspace_id:
        raise Http404
    if not can(membership, action, obj):
        raise PermissionDenied(_("Your role does not allow this."))


# --- Request helpers: scoped lookups ---------------------------------------------------------


def get_membership(request: HttpRequest, workspace_slug: str) -> Membership:
    """The signed-in user's membership of the workspace in the URL, or 404."""
    if not request.user.is_authenticated:
        raise Http404
    try:
        membership = (
            Membership.objects.select_related("workspace", "user")
            # The header's unread count rides on this query: no query of its own on any page.
            .annotate(unread_notifications=unread_count_expression())
            .get(workspace__slug=workspace_slug, user=request.user)
        )
    except Membership.DoesNotExist:
        raise Http404 from None
    request.membership = membership  # type: ignore[attr-defined]
    return membership


def get_workspace_for(request: HttpRequest, workspace_slug: str, action: Action) -> Membership:
    membership = get_membership(request, workspace_slug)
    require(membership, action, membership.workspace)
    return membership


def get_for(
    request: HttpRequest,
    workspace_slug: str,
    queryset: QuerySet,
    pk: int,
    action: Action,
    *,
    workspace_path: str,
    subject: Callable[[Any], Any] = lambda obj: obj,
) -> tuple[Membership, Any]:
    """The object ``pk`` of the member's workspace (else 404), if the role may ``action`` on
    ``subject(object)`` (else 403)."""
    membership = get_membership(request, workspace_slug)
    try:
        obj = queryset.get(pk=pk, **{workspace_path: membership.workspace_id})
    except queryset.model.DoesNotExist:
        raise Http404 from None
    require(membership, action, subject(obj))
    return membership, obj
