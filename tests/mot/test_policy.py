"""The access policy itself: which role may do what, and how other workspaces are kept out."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from journeys.access import get_journey_for, get_stage_for, get_touchpoint_for
from journeys.models import Touchpoint
from mot.access import get_member_for
from mot.models import Role
from mot.policy import Action, can, get_membership, get_workspace_for, require

# product.md: admin everything; editor maps, imports, surveys, owners (and exports);
# manager reads everything, exports, assigns owners; staff reads and assigns owners.
EXPECTED = {
    Action.VIEW: {Role.ADMIN, Role.EDITOR, Role.MANAGER, Role.STAFF},
    Action.EDIT_MAP: {Role.ADMIN, Role.EDITOR},
    Action.ASSIGN_OWNER: {Role.ADMIN, Role.EDITOR, Role.MANAGER, Role.STAFF},
    Action.EXPORT: {Role.ADMIN, Role.EDITOR, Role.MANAGER},
    Action.IMPORT: {Role.ADMIN, Role.EDITOR},
    Action.MANAGE_SURVEYS: {Role.ADMIN, Role.EDITOR},
    Action.MANAGE_MEMBERS: {Role.ADMIN},
    Action.MANAGE_TOKENS: {Role.ADMIN},
    Action.RECOMPUTE_METRICS: {Role.ADMIN, Role.EDITOR, Role.MANAGER},
    # Issue 14: managers and admins reassign follow-ups; only admins set the rules.
    Action.REASSIGN_FOLLOWUP: {Role.ADMIN, Role.MANAGER},
    Action.CONFIGURE_FOLLOWUPS: {Role.ADMIN},
    # The team queue: managers oversee, editors read follow-ups; staff work from their own list.
    Action.READ_TEAM_FOLLOWUPS: {Role.ADMIN, Role.EDITOR, Role.MANAGER},
    # Issue 17: the CX team (admins, editors) names the workspace's own comment themes.
    Action.MANAGE_THEMES: {Role.ADMIN, Role.EDITOR},
    # Issue 18: customers' e-mail and name for those who act on answers (staff: on their own
    # touchpoints only, so not workspace-wide); a GDPR export or erasure for admins.
    Action.READ_PERSONAL_DATA: {Role.ADMIN, Role.MANAGER},
    Action.ERASE_CUSTOMER: {Role.ADMIN},
}

MATRIX = [(action, role, role in allowed) for action, allowed in EXPECTED.items() for role in Role]


@pytest.mark.parametrize(("action", "role", "allowed"), MATRIX)
def test_role_may_act_on_its_own_workspace_only_as_product_says(
    personas, workspace, action, role, allowed
):
    member = personas[role]
    assert can(member, action, workspace) is allowed
    if allowed:
        require(member, action, workspace)
    else:
        with pytest.raises(PermissionDenied):
            require(member, action, workspace)


@pytest.mark.parametrize("action", list(Action))
def test_other_workspace_object_is_not_found_whatever_the_role(outsider, journey, action):
    assert can(outsider, action, journey) is False
    with pytest.raises(Http404):
        require(outsider, action, journey)


def test_no_membership_is_refused():
    assert can(None, Action.VIEW) is False
    with pytest.raises(PermissionDenied):
        require(None, Action.VIEW)


def test_staff_act_only_on_the_touchpoints_they_own(staff, journey):
    owned, other = Touchpoint.objects.filter(journey=journey)[:2]
    owned.owner = staff
    owned.save()
    assert can(staff, Action.ACT_ON_TOUCHPOINT, owned)
    assert not can(staff, Action.ACT_ON_TOUCHPOINT, other)
    assert not can(staff, Action.ACT_ON_TOUCHPOINT)
    with pytest.raises(PermissionDenied):
        require(staff, Action.ACT_ON_TOUCHPOINT, other)


def test_staff_read_personal_data_on_the_touchpoints_they_own_only(staff, journey):
    owned, other = Touchpoint.objects.filter(journey=journey)[:2]
    owned.owner = staff
    owned.save()
    assert can(staff, Action.READ_PERSONAL_DATA, owned)
    assert not can(staff, Action.READ_PERSONAL_DATA, other)
    assert not can(staff, Action.READ_PERSONAL_DATA, staff.workspace)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_admins_and_managers_act_on_any_touchpoint(personas, journey, role):
    touchpoint = Touchpoint.objects.filter(journey=journey).first()
    assert can(personas[role], Action.ACT_ON_TOUCHPOINT, touchpoint)


def test_editors_read_but_do_not_act_on_touchpoints(editor, journey):
    # Issue 14: "editors read" follow-ups; acting on what customers said is not the CX team's.
    touchpoint = Touchpoint.objects.filter(journey=journey).first()
    assert can(editor, Action.VIEW, touchpoint)
    assert not can(editor, Action.ACT_ON_TOUCHPOINT, touchpoint)


# --- request helpers --------------------------------------------------------------------------


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_anonymous_visitor_gets_not_found(workspace):
    with pytest.raises(Http404):
        get_membership(_request(AnonymousUser()), workspace.slug)


def test_membership_lookup_remembers_membership_on_request(editor, workspace):
    request = _request(editor.user)
    assert get_membership(request, workspace.slug) == editor
    assert request.membership == editor


def test_non_member_gets_not_found_for_the_workspace(outsider, workspace):
    with pytest.raises(Http404):
        get_workspace_for(_request(outsider.user), workspace.slug, Action.VIEW)


def test_staff_cannot_edit_map_through_request_helpers(staff, workspace, journey):
    request = _request(staff.user)
    with pytest.raises(PermissionDenied):
        get_workspace_for(request, workspace.slug, Action.EDIT_MAP)
    with pytest.raises(PermissionDenied):
        get_journey_for(request, workspace.slug, journey.pk, Action.EDIT_MAP)
    membership, found = get_journey_for(request, workspace.slug, journey.pk, Action.VIEW)
    assert (membership, found) == (staff, journey)


def test_outsider_cannot_reach_objects_of_another_workspace_through_their_own(
    outsider, other_workspace, journey, staff
):
    """Even with the outsider's own workspace in the URL, workspace A's ids are not found."""
    request = _request(outsider.user)
    stage = journey.stages.first()
    touchpoint = Touchpoint.objects.filter(journey=journey).first()
    for helper, pk in [
        (get_journey_for, journey.pk),
        (get_stage_for, stage.pk),
        (get_touchpoint_for, touchpoint.pk),
        (get_member_for, staff.pk),
    ]:
        with pytest.raises(Http404):
            helper(request, other_workspace.slug, pk, Action.VIEW)


def test_request_helpers_find_objects_of_the_members_workspace(editor, workspace, journey, staff):
    request = _request(editor.user)
    stage = journey.stages.first()
    touchpoint = Touchpoint.objects.filter(journey=journey).first()
    assert get_stage_for(request, workspace.slug, stage.pk, Action.EDIT_MAP)[1] == stage
    assert get_touchpoint_for(request, workspace.slug, touchpoint.pk, Action.EDIT_MAP)[1] == (
        touchpoint
    )
    assert get_member_for(request, workspace.slug, staff.pk, Action.VIEW)[1] == staff
    with pytest.raises(PermissionDenied):
        get_member_for(request, workspace.slug, staff.pk, Action.MANAGE_MEMBERS)
