"""Members: invitations by e-mail, roles, removal, and the rule that a workspace keeps an admin."""

from __future__ import annotations

import re
import threading
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from journeys.models import Touchpoint
from journeys.services import touchpoint_assign_owner
from mot.models import INVITATION_DAYS, Invitation, Membership, Role
from mot.services import (
    invitation_accept,
    invitation_revoke,
    invitation_send,
    member_change_role,
    member_invite,
    member_remove,
)

BASE_URL = "http://testserver"
LINK = re.compile(r"http://testserver(/invitations/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _eager_tasks(celery_eager):
    """Tasks run in-process even when REDIS_URL points at a broker (as in CI)."""


def invite(actor, email="newcomer@example.test", role=Role.EDITOR):
    return member_invite(actor=actor, email=email, role=role, base_url=BASE_URL)


def link_path(message) -> str:
    return LINK.search(message.body).group(1)


def test_inviting_a_new_email_creates_no_account_and_sends_one_invitation(
    admin, workspace, mailoutbox, django_capture_on_commit_callbacks
):
    users = get_user_model().objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin, email="  NewComer@Example.TEST ")
    assert invitation.email == "newcomer@example.test"
    assert (invitation.workspace_id, invitation.role) == (workspace.pk, Role.EDITOR)
    # Nobody is a member, and no account exists, until the person accepts.
    assert get_user_model().objects.count() == users
    assert not Membership.objects.filter(user__email="newcomer@example.test").exists()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["newcomer@example.test"]
    assert "Acme" in message.subject
    assert "Editor" in message.body
    assert LINK.search(message.body)


def test_invitation_is_sent_only_once_it_is_committed(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite(admin)
    assert len(callbacks) == 1
    assert mailoutbox == []


def test_a_new_person_creates_their_account_from_the_link_and_joins(
    admin, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin)
    path = link_path(mailoutbox[0])

    page = client.get(path)
    assert page.status_code == 200
    assert b'name="password1"' in page.content
    assert b"newcomer@example.test" in page.content

    mismatch = client.post(
        path, {"first_name": "Nia", "password1": "a-long-passphrase", "password2": "another-one"}
    )
    assert mismatch.status_code == 422
    assert not get_user_model().objects.filter(email="newcomer@example.test").exists()

    done = client.post(
        path,
        {
            "first_name": "Nia",
            "last_name": "Newcomer",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
        },
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("journeys:list", kwargs={"ws": "acme"})
    member = Membership.objects.get(user__email="newcomer@example.test")
    assert (member.workspace_id, member.role) == (admin.workspace_id, Role.EDITOR)
    assert member.user.check_password("a-long-new-passphrase")
    assert member.display_name == "Nia Newcomer"
    # Signed in as the new account.
    assert client.get(reverse("journeys:list", kwargs={"ws": "acme"})).status_code == 200
    # The link is used up, and replaying the task sends nothing.
    assert client.get(path).status_code == 410
    assert invitation_send(invitation_id=invitation.pk, base_url=BASE_URL) is False
    assert len(mailoutbox) == 1


def test_invitation_link_is_refused_once_tampered(
    admin, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin)
    path = link_path(mailoutbox[0])
    tampered = path[:-3] + ("x" if path[-3] != "x" else "y") + path[-2:]
    response = client.get(tampered)
    assert response.status_code == 410
    assert b'name="password1"' not in response.content


def test_inviting_again_replaces_the_link_and_the_role(
    admin, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(admin, role=Role.EDITOR)
    with django_capture_on_commit_callbacks(execute=True):
        second = invite(admin, role=Role.MANAGER)
    assert first.pk == second.pk
    assert Invitation.objects.filter(workspace=admin.workspace).count() == 1
    old, new = link_path(mailoutbox[0]), link_path(mailoutbox[1])
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200
    assert b"Manager" in client.get(new).content


def test_an_expired_invitation_link_is_refused(
    admin, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin)
    path = link_path(mailoutbox[0])
    later = time.time() + (INVITATION_DAYS * 86400) + 60
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert client.get(path).status_code == 410


def test_inviting_an_existing_member_is_refused(admin, editor, mailoutbox):
    with pytest.raises(ValidationError) as excinfo:
        invite(admin, email=editor.user.email.upper())
    assert "email" in excinfo.value.message_dict
    assert Membership.objects.filter(user=editor.user).count() == 1
    assert mailoutbox == []


def test_someone_with_an_account_is_invited_not_enrolled(
    admin, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    """An admin of any workspace must not be able to add another workspace's member to theirs,
    nor learn that the account exists: they get the same invitation as anyone."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(admin, email=outsider.user.email, role=Role.STAFF)
    assert invitation.email == outsider.user.email.lower()
    assert not Membership.objects.filter(workspace=admin.workspace, user=outsider.user).exists()
    assert [m.to for m in mailoutbox] == [[outsider.user.email]]
    assert get_user_model().objects.filter(email=outsider.user.email).count() == 1


def test_an_existing_account_signs_in_and_accepts(
    admin, outsider, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin, email=outsider.user.email, role=Role.STAFF)
    path = link_path(mailoutbox[0])

    anonymous = client.get(path).content.decode()
    assert 'name="password1"' not in anonymous  # no second account for the same address
    assert f"{reverse('login')}?next=" in anonymous
    assert client.post(path, {"decision": "accept"}).status_code == 422
    assert not Membership.objects.filter(workspace=admin.workspace, user=outsider.user).exists()

    client.force_login(outsider.user)
    assert b"Accept and join" in client.get(path).content
    response = client.post(path, {"decision": "accept"})
    assert response.status_code == 302
    member = Membership.objects.get(workspace=admin.workspace, user=outsider.user)
    assert member.role == Role.STAFF
    # Their own workspace is untouched.
    assert Membership.objects.filter(user=outsider.user).count() == 2


def test_another_account_cannot_accept_someone_elses_invitation(
    admin, outsider, staff, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin, email=outsider.user.email, role=Role.ADMIN)
    path = link_path(mailoutbox[0])
    other = Membership.objects.get(pk=outsider.pk).user
    client.force_login(staff.user)

    page = client.get(path).content.decode()
    assert "Accept and join" not in page
    assert client.post(path, {"decision": "accept"}).status_code == 422
    assert not Membership.objects.filter(workspace=admin.workspace, user=other).exists()
    assert Membership.objects.get(pk=staff.pk).role == Role.STAFF
    with pytest.raises(ValidationError):
        invitation_accept(invitation=Invitation.objects.get(), user=staff.user)


def test_the_invited_person_may_decline(
    admin, outsider, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(admin, email=outsider.user.email)
    path = link_path(mailoutbox[0])
    client.force_login(outsider.user)
    assert client.post(path, {"decision": "decline"}).status_code == 302
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(workspace=admin.workspace, user=outsider.user).exists()
    assert client.get(path).status_code == 410


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", Role.STAFF, "email"),
        ("", Role.STAFF, "email"),
        ("a@b.test", "owner", "role"),
    ],
)
def test_invitation_with_invalid_email_or_role_is_refused(admin, email, role, field):
    users = get_user_model().objects.count()
    with pytest.raises(ValidationError) as excinfo:
        invite(admin, email=email, role=role)
    assert field in excinfo.value.message_dict
    assert get_user_model().objects.count() == users


def test_admin_can_change_a_members_role(admin, staff):
    member_change_role(actor=admin, member=staff, role=Role.MANAGER)
    assert Membership.objects.get(pk=staff.pk).role == Role.MANAGER


def test_invalid_role_is_refused(admin, staff):
    with pytest.raises(ValidationError):
        member_change_role(actor=admin, member=staff, role="superuser")
    assert Membership.objects.get(pk=staff.pk).role == Role.STAFF


def test_last_admin_cannot_be_demoted(admin):
    with pytest.raises(ValidationError) as excinfo:
        member_change_role(actor=admin, member=admin, role=Role.EDITOR)
    assert "at least one admin" in str(excinfo.value)
    assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN


def test_admin_can_step_down_when_another_admin_remains(admin, editor):
    member_change_role(actor=admin, member=editor, role=Role.ADMIN)
    member_change_role(actor=admin, member=admin, role=Role.STAFF)
    roles = dict(Membership.objects.values_list("pk", "role"))
    assert roles[admin.pk] == Role.STAFF
    assert roles[editor.pk] == Role.ADMIN


def test_last_admin_cannot_be_removed(admin):
    with pytest.raises(ValidationError):
        member_remove(actor=admin, member=admin)
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_other_workspaces_admins_do_not_count(admin, outsider):
    """Globex has its own admin; Acme's only admin still cannot leave."""
    with pytest.raises(ValidationError):
        member_remove(actor=admin, member=admin)


def test_removing_a_member_unassigns_their_touchpoints(admin, editor, staff, journey):
    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    for tp in touchpoints[:2]:
        touchpoint_assign_owner(actor=editor, touchpoint=tp, owner=staff)
    touchpoint_assign_owner(actor=editor, touchpoint=touchpoints[2], owner=editor)

    member_remove(actor=admin, member=staff)

    assert not Membership.objects.filter(pk=staff.pk).exists()
    owners = dict(Touchpoint.objects.filter(journey=journey).values_list("pk", "owner"))
    assert owners == {
        touchpoints[0].pk: None,
        touchpoints[1].pk: None,
        touchpoints[2].pk: editor.pk,
    }
    assert Touchpoint.objects.filter(journey=journey).count() == 3
    # The person keeps their account (they may belong to other workspaces).
    assert get_user_model().objects.filter(pk=staff.user_id).exists()


def test_invitation_send_skips_a_withdrawn_invitation(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        invitation = invite(admin)
    invitation_revoke(actor=admin, invitation=invitation)
    assert invitation_send(invitation_id=invitation.pk, base_url=BASE_URL) is False
    assert mailoutbox == []


def test_invitation_send_can_be_replayed_while_the_invitation_is_open(
    admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        invitation = invite(admin)
    assert invitation_send(invitation_id=invitation.pk, base_url=BASE_URL + "/") is True
    assert len(mailoutbox) == 1
    assert "http://testserver/invitations/" in mailoutbox[0].body  # no double slash


# --- two admins at once (PostgreSQL) --------------------------------------------------------


def _admin(workspace, name):
    user = get_user_model().objects.create_user(username=name, email=f"{name}@acme.test")
    return Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)


def _at_once(*calls):
    """Run the calls in threads released together; return what each raised (or None)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            call()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["demote", "remove"])
def test_two_admins_stepping_down_at_once_leave_one_admin(require_postgres, workspace, action):
    for round_ in range(10):
        first = _admin(workspace, f"first{round_}")
        second = _admin(workspace, f"second{round_}")
        Membership.objects.filter(workspace=workspace).exclude(pk__in=[first.pk, second.pk]).update(
            role=Role.STAFF
        )

        def step_down(actor, member):
            if action == "demote":
                return lambda: member_change_role(actor=actor, member=member, role=Role.STAFF)
            return lambda: member_remove(actor=actor, member=member)

        outcomes = _at_once(step_down(first, second), step_down(second, first))
        assert Membership.objects.filter(workspace=workspace, role=Role.ADMIN).count() == 1
        assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
        assert not [o for o in outcomes if o and not isinstance(o, ValidationError)]
