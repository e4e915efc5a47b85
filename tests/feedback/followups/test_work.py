"""Working a follow-up: validated transitions, explicit reopening, conflicts, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from feedback.followups.models import EventKind, FollowUp, FollowUpSettings, Status
from feedback.followups.services import (
    FollowUpConflict,
    followup_add_note,
    followup_reassign,
    followup_set_status,
    followup_settings_update,
)
from journeys.services import journey_create
from mot.models import Role
from tests.conftest import make_member


def _events(followup) -> list[tuple]:
    return list(
        followup.events.order_by("pk").values_list("kind", "from_status", "to_status", "actor")
    )


def test_owner_works_a_follow_up_to_recovered_and_the_timeline_says_who_and_when(staff, followup):
    followup_set_status(actor=staff, followup=followup, status=Status.IN_PROGRESS, version=1)
    followup_set_status(
        actor=staff, followup=followup, status=Status.RECOVERED, version=2, root_cause="respect"
    )

    stored = FollowUp.objects.get()
    assert (stored.status, stored.root_cause, stored.version) == ("recovered", "respect", 3)
    assert stored.closed_at is not None
    assert _events(stored) == [
        (EventKind.STATUS, "open", "in_progress", staff.pk),
        (EventKind.STATUS, "in_progress", "recovered", staff.pk),
        (EventKind.ROOT_CAUSE, "", "", staff.pk),
    ]
    assert all(e.created_at for e in stored.events.all())


@pytest.mark.parametrize("outcome", [Status.NOT_RECOVERED, Status.NO_ACTION, Status.IN_PROGRESS])
def test_a_closed_follow_up_is_never_edited_silently(staff, followup, outcome):
    followup_set_status(actor=staff, followup=followup, status=Status.RECOVERED, version=1)

    with pytest.raises(ValidationError) as refused:
        followup_set_status(actor=staff, followup=followup, status=outcome, version=2)

    assert "cannot become" in str(refused.value)
    assert FollowUp.objects.get().status == Status.RECOVERED


def test_a_closed_follow_up_is_reopened_explicitly(staff, followup):
    followup_set_status(actor=staff, followup=followup, status=Status.NO_ACTION, version=1)

    followup_set_status(actor=staff, followup=followup, status=Status.OPEN, version=2)

    stored = FollowUp.objects.get()
    assert (stored.status, stored.closed_at) == (Status.OPEN, None)
    assert _events(stored)[-1] == (EventKind.REOPENED, "no_action", "open", staff.pk)


def test_an_unknown_status_is_refused(staff, followup):
    with pytest.raises(ValidationError):
        followup_set_status(actor=staff, followup=followup, status="lost", version=1)


def test_two_people_changing_at_once_get_a_conflict_not_a_lost_update(staff, manager, followup):
    mine = FollowUp.objects.get(pk=followup.pk)
    theirs = FollowUp.objects.get(pk=followup.pk)
    followup_set_status(actor=manager, followup=theirs, status=Status.NOT_RECOVERED, version=1)

    with pytest.raises(FollowUpConflict):
        followup_set_status(actor=staff, followup=mine, status=Status.RECOVERED, version=1)
    with pytest.raises(FollowUpConflict):
        followup_reassign(actor=manager, followup=mine, assignee=None, version=1)

    stored = FollowUp.objects.get()
    assert (stored.status, stored.assignee_id, stored.version) == ("not_recovered", staff.pk, 2)


def test_notes_add_to_the_timeline_and_need_text(staff, manager, followup):
    followup_add_note(actor=staff, followup=followup, note="Called her, left a message")
    with pytest.raises(ValidationError):
        followup_add_note(actor=manager, followup=followup, note="   ")

    assert list(followup.events.values_list("kind", "note", "actor")) == [
        (EventKind.NOTE, "Called her, left a message", staff.pk)
    ]


def test_staff_act_on_follow_ups_assigned_to_them_or_on_their_touchpoints_only(
    workspace, staff, followup, checkout
):
    colleague = make_member(workspace, Role.STAFF, "carl")
    with pytest.raises(PermissionDenied):
        followup_add_note(actor=colleague, followup=followup, note="Not mine")

    FollowUp.objects.filter(pk=followup.pk).update(assignee=colleague)
    assigned = FollowUp.objects.select_related("touchpoint").get(pk=followup.pk)
    followup_add_note(actor=colleague, followup=assigned, note="Assigned to me now")
    # The owner of the touchpoint still acts on it.
    followup_add_note(actor=staff, followup=assigned, note="Still my touchpoint")
    assert assigned.events.count() == 2


def test_editors_read_follow_ups_but_do_not_act(editor, followup):
    with pytest.raises(PermissionDenied):
        followup_set_status(actor=editor, followup=followup, status=Status.IN_PROGRESS, version=1)
    with pytest.raises(PermissionDenied):
        followup_add_note(actor=editor, followup=followup, note="x")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_managers_and_admins_reassign_to_anyone_or_the_queue(personas, followup, role):
    actor = personas[role]

    followup_reassign(actor=actor, followup=followup, assignee=actor, version=1)
    followup_reassign(actor=actor, followup=followup, assignee=None, version=2)

    stored = FollowUp.objects.get()
    assert (stored.assignee_id, stored.version) == (None, 3)
    assert list(stored.events.values_list("kind", "assignee")) == [
        (EventKind.ASSIGNED, actor.pk),
        (EventKind.ASSIGNED, None),
    ]


def test_staff_cannot_reassign_and_nobody_to_another_workspace(staff, manager, outsider, followup):
    with pytest.raises(PermissionDenied):
        followup_reassign(actor=staff, followup=followup, assignee=None, version=1)
    with pytest.raises(ValidationError):
        followup_reassign(actor=manager, followup=followup, assignee=outsider, version=1)
    assert FollowUp.objects.get().assignee_id == staff.pk


def test_only_admins_set_the_rule_and_only_with_their_own_journeys(
    workspace, admin, manager, outsider
):
    with pytest.raises(PermissionDenied):
        followup_settings_update(actor=manager, workspace=workspace, values={"response_days": 3})
    foreign = journey_create(actor=outsider, name="Theirs")
    with pytest.raises(ValidationError):
        followup_settings_update(actor=admin, workspace=workspace, values={"journey": foreign})

    followup_settings_update(
        actor=admin, workspace=workspace, values={"trigger": "any_pain", "response_days": 3}
    )

    rule = FollowUpSettings.objects.get(workspace=workspace)
    assert (rule.trigger, rule.response_days) == ("any_pain", 3)


def test_closing_after_the_due_date_is_recorded_as_late_and_reopening_clears_it(staff, followup):
    FollowUp.objects.update(due_on=timezone.localdate() - timedelta(days=1))
    late = FollowUp.objects.select_related("touchpoint").get()
    followup_set_status(actor=staff, followup=late, status=Status.RECOVERED, version=1)
    assert FollowUp.objects.get().closed_late is True

    followup_set_status(actor=staff, followup=late, status=Status.OPEN, version=2)
    assert FollowUp.objects.get().closed_late is False


def test_closing_by_the_due_date_is_not_late(staff, followup):
    followup_set_status(actor=staff, followup=followup, status=Status.NO_ACTION, version=1)

    assert FollowUp.objects.get().closed_late is False


# --- the first response, stored once --------------------------------------------------------


def _first_response(followup):
    return FollowUp.objects.values_list("first_response_at", flat=True).get(pk=followup.pk)


def _event_at(followup, kind):
    return followup.events.filter(kind=kind).order_by("pk").values_list("created_at", flat=True)[0]


def test_a_first_note_is_the_first_response_and_later_steps_do_not_move_it(
    staff, manager, followup
):
    assert _first_response(followup) is None
    followup_add_note(actor=staff, followup=followup, note="Called her, no answer")
    noted = _event_at(followup, EventKind.NOTE)

    assert _first_response(followup) == noted
    assert followup.first_response_at == noted  # the caller's copy too
    followup_add_note(actor=staff, followup=followup, note="Called again")
    followup_set_status(actor=staff, followup=followup, status=Status.RECOVERED, version=1)
    followup_set_status(actor=staff, followup=followup, status=Status.OPEN, version=2)
    followup_set_status(actor=staff, followup=followup, status=Status.NO_ACTION, version=3)

    assert followup.events.count() == 5
    assert _first_response(followup) == noted


def test_a_first_status_change_is_the_first_response_and_a_later_note_does_not_move_it(
    staff, followup
):
    followup_set_status(actor=staff, followup=followup, status=Status.IN_PROGRESS, version=1)
    moved = _event_at(followup, EventKind.STATUS)

    assert _first_response(followup) == moved
    assert followup.first_response_at == moved
    followup_add_note(actor=staff, followup=followup, note="Refund sent")
    followup_set_status(actor=staff, followup=followup, status=Status.RECOVERED, version=2)

    assert _first_response(followup) == moved


def test_reassigning_or_a_root_cause_alone_is_no_first_response(staff, manager, followup):
    followup_reassign(actor=manager, followup=followup, assignee=manager, version=1)
    followup_set_status(
        actor=manager, followup=followup, status=Status.OPEN, version=2, root_cause="respect"
    )

    kinds = set(followup.events.values_list("kind", flat=True))
    assert kinds == {EventKind.ASSIGNED, EventKind.ROOT_CAUSE}
    assert _first_response(followup) is None
    followup_add_note(actor=manager, followup=followup, note="On it")
    assert _first_response(followup) == _event_at(followup, EventKind.NOTE)
