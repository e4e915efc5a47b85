"""Choosing the language: the member's profile, the header's switch, the workspace's default."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from mot.language import SESSION_KEY, browser_language, recipient_language
from mot.models import Profile, Role, Workspace
from mot.services import invitation_accept, member_invite, workspace_create
from tests.conftest import login, make_member

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def _lang(response) -> str:
    return response.wsgi_request.LANGUAGE_CODE


def _profile(membership) -> str:
    return Profile.objects.filter(user=membership.user).values_list("language", flat=True).first()


# --- how a request's language is chosen -----------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("pt", "pt-br"),  # the product's choice for plain Portuguese
        ("pt-PT,pt;q=0.9", "pt-pt"),
        ("pt-BR", "pt-br"),
        ("es-MX,es;q=0.8", "es"),
        ("ro-RO", "ro"),
        ("de-DE,fr;q=0.5", "en"),  # none we have: English
    ],
)
def test_anonymous_visitors_get_their_browser_language(client, accept, expected):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=accept)
    assert _lang(response) == expected
    assert f'<html lang="{expected}">' in response.content.decode()


def test_the_cookie_wins_over_accept_language_for_visitors(client):
    client.cookies[COOKIE] = "ro"
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es")) == "ro"


def test_a_members_own_language_wins_over_cookie_and_browser(client, staff):
    Profile.objects.create(user=staff.user, language="pt-pt")
    login(client, staff)  # signing in copies it into the session
    client.cookies[COOKIE] = "ro"
    response = client.get(
        reverse("journeys:list", kwargs={"ws": "acme"}), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert _lang(response) == "pt-pt"
    assert '<html lang="pt-pt">' in response.content.decode()


def test_a_member_without_a_language_follows_the_browser(client, staff):
    Profile.objects.create(user=staff.user, language="")
    login(client, staff)
    response = client.get(
        reverse("journeys:list", kwargs={"ws": "acme"}), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert _lang(response) == "es"


def test_a_stale_session_language_not_offered_is_ignored(client, staff):
    login(client, staff)
    session = client.session
    session[SESSION_KEY] = "xx"
    session.save()
    response = client.get(
        reverse("journeys:list", kwargs={"ws": "acme"}), HTTP_ACCEPT_LANGUAGE="ro"
    )
    assert _lang(response) == "ro"


def test_browser_language_is_none_when_the_browser_asks_for_nothing_we_have(rf):
    assert browser_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="de, fr;q=0.5")) is None
    assert browser_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="de, pt;q=0.5")) == "pt-br"


# --- the profile page -------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sets_name_and_language_on_the_profile_page(client, personas, role):
    member = personas[role]
    login(client, member)
    page = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="language"' in html
    assert "Español" in html  # the browser's, named
    response = client.post(
        reverse("profile"), {"first_name": "Ana", "last_name": "Lima", "language": "pt-br"}
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert (member.user.first_name, member.user.last_name, _profile(member)) == (
        "Ana",
        "Lima",
        "pt-br",
    )
    # From the next page on, in the language chosen, whatever the browser says.
    assert _lang(client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="es")) == "pt-br"


def test_choosing_the_browsers_language_again_clears_the_profiles(client, staff):
    Profile.objects.create(user=staff.user, language="ro")
    login(client, staff)
    client.post(reverse("profile"), {"first_name": "Sam", "language": ""})
    assert _profile(staff) == ""
    assert _lang(client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="es")) == "es"


def test_a_language_not_offered_is_refused(client, staff):
    login(client, staff)
    response = client.post(reverse("profile"), {"first_name": "Sam", "language": "de"})
    assert response.status_code == 422
    assert _profile(staff) is None


def test_the_profile_page_needs_a_sign_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_header_links_to_the_profile(client, staff):
    login(client, staff)
    html = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()
    assert f'href="{reverse("profile")}"' in html


def test_the_profile_page_query_count(client, staff, django_assert_num_queries):
    Profile.objects.create(user=staff.user, language="ro")
    login(client, staff)
    client.get(reverse("profile"))
    # Session, user, profile.
    with django_assert_num_queries(3):
        assert client.get(reverse("profile")).status_code == 200


# --- the header's switch ---------------------------------------------------------------------


def test_the_switch_is_a_form_to_set_language_on_every_page(client, staff):
    html = client.get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<option value="pt-pt" lang="pt-pt">Português (Portugal)</option>' in html
    login(client, staff)
    html = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()
    assert f'action="{reverse("set_language")}"' in html


def test_the_switch_sets_the_cookie_and_a_members_profile(client, staff):
    login(client, staff)
    back = reverse("journeys:list", kwargs={"ws": "acme"})
    response = client.post(reverse("set_language"), {"language": "ro", "next": back})
    assert response.status_code == 302
    assert response.url == back
    assert response.cookies[COOKIE].value == "ro"
    assert _profile(staff) == "ro"
    assert _lang(client.get(back, HTTP_ACCEPT_LANGUAGE="es")) == "ro"


def test_the_switch_for_a_visitor_sets_only_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.cookies[COOKIE].value == "es"
    assert not Profile.objects.exists()


def test_the_switch_ignores_a_language_not_offered(client, staff):
    login(client, staff)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert _profile(staff) is None


def test_the_switch_needs_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    login(client, staff)
    assert client.post(reverse("set_language"), {"language": "ro"}).status_code == 403
    assert _profile(staff) is None


# --- the workspace's default ------------------------------------------------------------------


def test_a_new_workspace_speaks_its_creators_language(client, django_user_model):
    user = django_user_model.objects.create_user("new@x.test", "new@x.test", "pw-123456-long")
    client.force_login(user, backend="mot.auth.EmailOrUsernameBackend")
    response = client.post(reverse("home"), {"name": "Lisboa"}, HTTP_ACCEPT_LANGUAGE="pt-PT")
    assert response.status_code == 302
    assert Workspace.objects.get(name="Lisboa").default_language == "pt-pt"
    assert Profile.objects.get(user=user).language == "pt-pt"


def test_creating_a_workspace_keeps_the_creators_own_language(staff):
    Profile.objects.create(user=staff.user, language="ro")
    member = workspace_create(name="Madrid", owner=staff.user, language="es")
    assert member.workspace.default_language == "es"
    assert _profile(staff) == "ro"


def test_an_invited_member_gets_the_workspace_default_unless_they_have_one(
    admin, workspace, django_user_model
):
    workspace.default_language = "es"
    workspace.save()
    invitee = django_user_model.objects.create_user("ines@x.test", "ines@x.test", "pw-123456-long")
    invitation = member_invite(actor=admin, email=invitee.email, role=Role.STAFF, base_url="/")
    invitation_accept(invitation=invitation, user=invitee)
    assert Profile.objects.get(user=invitee).language == "es"

    other = make_member(Workspace.objects.create(name="B", slug="b"), Role.ADMIN, "bo")
    Profile.objects.create(user=other.user, language="ro")
    invitation = member_invite(actor=admin, email=other.user.email, role=Role.STAFF, base_url="/")
    invitation_accept(invitation=invitation, user=other.user)
    assert _profile(other) == "ro"


def test_admins_set_the_default_language_on_the_members_page(client, admin, workspace):
    login(client, admin)
    page = client.get(reverse("member_list", kwargs={"ws": "acme"})).content.decode()
    assert f'action="{reverse("workspace_language", kwargs={"ws": "acme"})}"' in page
    response = client.post(
        reverse("workspace_language", kwargs={"ws": "acme"}), {"default_language": "pt-pt"}
    )
    assert response.status_code == 302
    workspace.refresh_from_db()
    assert workspace.default_language == "pt-pt"


@pytest.mark.parametrize(
    ("who", "status"),
    [(Role.EDITOR, 403), (Role.MANAGER, 403), (Role.STAFF, 403), ("outsider", 404)],
)
def test_only_admins_may_set_the_default_language(
    client, personas, outsider, workspace, who, status
):
    member = outsider if who == "outsider" else personas[who]
    login(client, member)
    if who != "outsider":
        page = client.get(reverse("member_list", kwargs={"ws": "acme"})).content.decode()
        assert reverse("workspace_language", kwargs={"ws": "acme"}) not in page
    response = client.post(
        reverse("workspace_language", kwargs={"ws": "acme"}), {"default_language": "ro"}
    )
    assert response.status_code == status
    workspace.refresh_from_db()
    assert workspace.default_language == "en"


def test_a_language_not_offered_leaves_the_default_alone(client, admin, workspace):
    login(client, admin)
    client.post(reverse("workspace_language", kwargs={"ws": "acme"}), {"default_language": "de"})
    workspace.refresh_from_db()
    assert workspace.default_language == "en"


def test_the_members_page_query_count_is_unchanged_for_admins(
    client, admin, django_assert_num_queries
):
    login(client, admin)
    client.get(reverse("member_list", kwargs={"ws": "acme"}))
    # As before the language form: it reads the workspace the page has loaded already.
    with django_assert_num_queries(5):
        client.get(reverse("member_list", kwargs={"ws": "acme"}))


# --- e-mails --------------------------------------------------------------------------------


def test_recipient_language_order(staff, workspace):
    assert recipient_language(staff.user, workspace) == "en"
    workspace.default_language = "es"
    assert recipient_language(staff.user, workspace) == "es"
    assert recipient_language(None, workspace) == "es"
    Profile.objects.create(user=staff.user, language="ro")
    staff.user.refresh_from_db()
    assert recipient_language(staff.user, workspace) == "ro"
    assert recipient_language(None, None) == "en"
