"""Signing in and out, landing in a workspace, members, and the health check."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse

from mot.models import Invitation, Membership, Role, Workspace
from tests.conftest import login, make_member

DEMO_USERNAME = "admin@demo.mot"
DEMO_PASSWORD = "demo-admin-pass"  # the demo's kind of credentials (feedback/demo.py)


def members_url(ws: str = "acme") -> str:
    return reverse("member_list", kwargs={"ws": ws})


def journeys_url(ws: str = "acme") -> str:
    return reverse("journeys:list", kwargs={"ws": ws})


# --- health ----------------------------------------------------------------------------------


def test_healthz_answers_ok_without_signing_in(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- signing in and out ----------------------------------------------------------------------


@pytest.fixture
def demo_admin(workspace):
    user = get_user_model().objects.create_user(
        username=DEMO_USERNAME, email=DEMO_USERNAME, password=DEMO_PASSWORD, first_name="Ana"
    )
    return Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/"
    page = client.get(response["Location"]).content.decode()
    assert 'name="username"' in page
    assert 'name="password"' in page


def test_sign_in_through_the_login_form_lands_in_the_workspace(client, demo_admin):
    response = client.post(
        reverse("login"), {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(reverse("home"), 302), (journeys_url(), 302)]
    assert response.status_code == 200
    assert int(client.session[SESSION_KEY]) == demo_admin.user.pk
    html = response.content.decode()
    assert "Acme" in html
    assert "Admin" in html  # the role badge


def test_sign_in_follows_next_to_the_page_asked_for(client, demo_admin):
    response = client.post(
        reverse("login"),
        {"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "next": members_url()},
    )

    assert response.status_code == 302
    assert response["Location"] == members_url()


def test_wrong_password_shows_an_error_and_signs_nobody_in(client, demo_admin):
    response = client.post(reverse("login"), {"username": DEMO_USERNAME, "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_signed_in_user_visiting_login_goes_home(client, demo_admin):
    login(client, demo_admin)

    response = client.get(reverse("login"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_sign_out_is_a_post_and_a_get_changes_nothing(client, demo_admin):
    login(client, demo_admin)

    assert client.get(reverse("logout")).status_code == 405
    assert SESSION_KEY in client.session

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session
    assert client.get(journeys_url()).status_code == 302


def test_every_page_has_the_sign_out_form(client, admin):
    login(client, admin)

    page = client.get(journeys_url()).content.decode()

    assert f'<form method="post" action="{reverse("logout")}">' in page


# --- home: landing and workspaces ------------------------------------------------------------


def test_home_sends_a_single_workspace_user_to_their_journeys(client, staff):
    login(client, staff)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == journeys_url()


def test_home_shows_a_picker_to_a_member_of_several_workspaces(client, staff, other_workspace):
    Membership.objects.create(workspace=other_workspace, user=staff.user, role=Role.MANAGER)
    login(client, staff)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{journeys_url("acme")}"' in html
    assert f'href="{journeys_url("globex")}"' in html
    assert "Staff" in html
    assert "Manager" in html


def test_home_pick_link_shows_the_picker_even_for_one_workspace(client, staff):
    login(client, staff)

    response = client.get(reverse("home") + "?pick=1")

    assert response.status_code == 200
    assert f'href="{journeys_url()}"' in response.content.decode()


def test_home_invites_someone_without_a_workspace_to_create_one(client, db):
    user = get_user_model().objects.create_user(username="new@x.test", password="pw-long-enough")
    client.force_login(user, backend="mot.auth.EmailOrUsernameBackend")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "You are not a member of any workspace yet." in html
    assert "Create workspace" in html


def test_creating_a_workspace_from_home_makes_the_user_its_admin(client, staff):
    login(client, staff)

    response = client.post(reverse("home"), {"name": "Initech Labs"})

    workspace = Workspace.objects.get(name="Initech Labs")
    assert response.status_code == 302
    assert response["Location"] == journeys_url(workspace.slug)
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user, membership.role) == (staff.user, Role.ADMIN)
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("journeys:new", kwargs={"ws": workspace.slug})).status_code == 200


def test_workspace_with_a_taken_name_gets_its_own_address(client, staff):
    login(client, staff)

    client.post(reverse("home"), {"name": "Acme"})

    assert sorted(Workspace.objects.values_list("slug", flat=True)) == ["acme", "acme-2"]


def test_workspace_without_a_name_answers_422_and_creates_nothing(client, staff):
    login(client, staff)

    response = client.post(reverse("home"), {"name": "   "})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert Workspace.objects.count() == 1


# --- members -------------------------------------------------------------------------------


def test_members_page_lists_every_member_with_their_role(client, personas, outsider):
    login(client, personas[Role.STAFF])

    html = client.get(members_url()).content.decode()

    for member in personas.values():
        assert member.user.email in html
    assert outsider.user.email not in html
    for label in ("Admin", "Editor", "Manager", "Staff"):
        assert label in html


@pytest.mark.parametrize("existing", [True, False], ids=["has-an-account", "no-account"])
def test_an_invitation_says_the_same_whether_or_not_the_address_has_an_account(
    client, admin, outsider, mailoutbox, celery_eager, django_capture_on_commit_callbacks, existing
):
    """Seen from outside: an admin of any workspace (anyone can create one) learned that an
    account existed, saw its name, and made it a member without its consent."""
    login(client, admin)
    email = outsider.user.email.upper() if existing else "Newcomer@Acme.test"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("member_invite", kwargs={"ws": "acme"}), {"email": email, "role": "manager"}
        )

    assert response.status_code == 302
    page = client.get(members_url()).content.decode()
    assert f"Invitation sent to {email.lower()}." in page
    assert "Oscar" not in page
    assert not Membership.objects.filter(
        workspace=admin.workspace, user__email__iexact=email
    ).exists()
    (mail,) = mailoutbox
    assert mail.to == [email.lower()]
    assert "Acme" in mail.subject
    assert "/invitations/" in mail.body
    # The open invitation is listed for the admins, with a way to withdraw it.
    invitation = Invitation.objects.get(workspace=admin.workspace)
    assert reverse("invitation_revoke", kwargs={"ws": "acme", "pk": invitation.pk}) in page


def test_admin_withdraws_an_invitation(client, admin, celery_eager):
    login(client, admin)
    client.post(
        reverse("member_invite", kwargs={"ws": "acme"}), {"email": "a@b.test", "role": "staff"}
    )
    invitation = Invitation.objects.get()

    response = client.post(reverse("invitation_revoke", kwargs={"ws": "acme", "pk": invitation.pk}))

    assert response.status_code == 302
    assert not Invitation.objects.exists()
    assert "Invitation to a@b.test withdrawn." in client.get(members_url()).content.decode()


def test_other_roles_and_workspaces_cannot_withdraw_an_invitation(
    client, admin, editor, outsider, celery_eager
):
    login(client, admin)
    client.post(
        reverse("member_invite", kwargs={"ws": "acme"}), {"email": "a@b.test", "role": "staff"}
    )
    invitation = Invitation.objects.get()
    url = reverse("invitation_revoke", kwargs={"ws": "acme", "pk": invitation.pk})
    login(client, editor)
    assert client.post(url).status_code == 403
    # Globex's admin, through their own workspace's URL: not found.
    login(client, outsider)
    other = reverse("invitation_revoke", kwargs={"ws": "globex", "pk": invitation.pk})
    assert client.post(other).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_home_lists_the_invitations_waiting_for_the_signed_in_person(
    client, admin, outsider, celery_eager
):
    login(client, admin)
    client.post(
        reverse("member_invite", kwargs={"ws": "acme"}),
        {"email": outsider.user.email, "role": "staff"},
    )
    login(client, outsider)

    # Oscar has one workspace, but is not sent straight into it while an invitation waits.
    page = client.get(reverse("home"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Invitations waiting for you" in html
    assert "/invitations/" in html
    assert "Acme" in html


def test_invite_with_a_bad_email_answers_422_with_the_error_and_adds_nobody(client, admin):
    login(client, admin)
    users_before = get_user_model().objects.count()

    response = client.post(
        reverse("member_invite", kwargs={"ws": "acme"}),
        {"email": "not-an-address", "role": "staff"},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="not-an-address"' in html
    assert get_user_model().objects.count() == users_before


def test_inviting_a_member_twice_answers_422(client, admin, staff):
    login(client, admin)

    response = client.post(
        reverse("member_invite", kwargs={"ws": "acme"}),
        {"email": staff.user.email, "role": "editor"},
    )

    staff.refresh_from_db()
    assert response.status_code == 422
    assert "This person is already a member." in response.content.decode()
    assert staff.role == Role.STAFF


def test_admin_changes_a_members_role(client, admin, staff):
    login(client, admin)

    response = client.post(
        reverse("member_role", kwargs={"ws": "acme", "pk": staff.pk}), {"role": "editor"}
    )

    staff.refresh_from_db()
    assert response.status_code == 302
    assert staff.role == Role.EDITOR


def test_unknown_role_answers_422_and_changes_nothing(client, admin, staff):
    login(client, admin)

    response = client.post(
        reverse("member_role", kwargs={"ws": "acme", "pk": staff.pk}), {"role": "owner"}
    )

    staff.refresh_from_db()
    assert response.status_code == 422
    assert "Choose a role." in response.content.decode()
    assert staff.role == Role.STAFF


def test_the_last_admin_cannot_step_down(client, admin):
    login(client, admin)

    response = client.post(
        reverse("member_role", kwargs={"ws": "acme", "pk": admin.pk}), {"role": "staff"}
    )

    admin.refresh_from_db()
    assert response.status_code == 422
    assert "A workspace needs at least one admin." in response.content.decode()
    assert admin.role == Role.ADMIN


def test_the_last_admin_cannot_remove_themselves(client, admin):
    login(client, admin)

    response = client.post(reverse("member_remove", kwargs={"ws": "acme", "pk": admin.pk}))

    assert response.status_code == 422
    assert "A workspace needs at least one admin." in response.content.decode()
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_removing_a_member_unassigns_their_touchpoints(client, admin, staff, journey):
    card = journey.touchpoints.get(title="Checkout")
    card.owner = staff
    card.save()
    login(client, admin)

    response = client.post(reverse("member_remove", kwargs={"ws": "acme", "pk": staff.pk}))

    card.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == members_url()
    assert not Membership.objects.filter(pk=staff.pk).exists()
    assert card.owner is None


def test_an_admin_who_leaves_goes_home(client, admin, workspace):
    make_member(workspace, Role.ADMIN, "second-admin")
    login(client, admin)

    response = client.post(reverse("member_remove", kwargs={"ws": "acme", "pk": admin.pk}))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(journeys_url()).status_code == 404
