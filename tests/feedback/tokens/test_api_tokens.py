"""API tokens: only admins manage them, only a hash is stored, the token is shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.models import ApiToken, hash_token
from feedback.tokens.services import api_token_authenticate, api_token_create, api_token_revoke
from mot.models import Role
from tests.conftest import login


def list_url(ws="acme"):
    return reverse("api_tokens:list", kwargs={"ws": ws})


def new_url(ws="acme"):
    return reverse("api_tokens:new", kwargs={"ws": ws})


def revoke_url(pk, ws="acme"):
    return reverse("api_tokens:revoke", kwargs={"ws": ws, "pk": pk})


def test_admin_creates_a_token_and_sees_it_once(client, admin):
    login(client, admin)

    response = client.post(new_url(), {"name": "CRM sync"})

    assert response.status_code == 201
    raw = response.context["raw"]
    assert raw.startswith("mot_")
    assert len(raw) > 40
    assert raw in response.content.decode()
    assert "be shown again" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.name, token.workspace_id, token.created_by_id) == (
        "CRM sync",
        admin.workspace_id,
        admin.pk,
    )
    assert token.token_hash == hash_token(raw)
    assert token.prefix == raw[:12]
    listing = client.get(list_url()).content.decode()
    assert "CRM sync" in listing
    assert token.prefix in listing
    assert raw not in listing


def test_raw_token_is_stored_nowhere_in_the_database(client, admin):
    from django.contrib.sessions.models import Session

    login(client, admin)
    raw = client.post(new_url(), {"name": "n"}).context["raw"]

    row = ApiToken.objects.values().get()
    assert all(raw not in str(value) for value in row.values())
    assert all(raw not in s.session_data for s in Session.objects.all())


def test_blank_name_is_refused_and_nothing_created(client, admin):
    login(client, admin)
    response = client.post(new_url(), {"name": "   "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MANAGER, Role.STAFF])
def test_only_admins_reach_token_pages(client, personas, role):
    token, _raw = api_token_create(actor=personas[Role.ADMIN], name="t")
    login(client, personas[role])

    assert client.get(list_url()).status_code == 403
    assert client.post(new_url(), {"name": "x"}).status_code == 403
    assert client.post(revoke_url(token.pk)).status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_sees_the_token_page_and_the_members_link(client, admin):
    login(client, admin)
    assert client.get(list_url()).status_code == 200
    members = client.get(reverse("member_list", kwargs={"ws": "acme"})).content.decode()
    assert list_url() in members


def test_editor_sees_no_api_tokens_link(client, editor):
    login(client, editor)
    members = client.get(reverse("member_list", kwargs={"ws": "acme"})).content.decode()
    assert list_url() not in members


def test_outsider_gets_404_on_pages_and_on_another_workspaces_token(client, admin, outsider):
    token, _raw = api_token_create(actor=admin, name="t")
    login(client, outsider)

    assert client.get(list_url()).status_code == 404
    assert client.post(new_url(), {"name": "x"}).status_code == 404
    assert client.post(revoke_url(token.pk)).status_code == 404
    # Through the outsider's own workspace, the token id is simply not found.
    assert client.post(revoke_url(token.pk, ws="globex")).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_is_sent_to_login(client, admin):
    response = client.get(list_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_token_pages_require_csrf(admin):
    token, _raw = api_token_create(actor=admin, name="t")
    client = login(Client(enforce_csrf_checks=True), admin)

    assert client.post(new_url(), {"name": "x"}).status_code == 403
    assert client.post(revoke_url(token.pk)).status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_stops_the_token_and_lists_it_as_revoked(client, admin):
    token, raw = api_token_create(actor=admin, name="old")
    assert api_token_authenticate(raw) == token
    login(client, admin)

    response = client.post(revoke_url(token.pk))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(raw) is None
    assert "Revoked" in client.get(list_url()).content.decode()


def test_revoking_twice_keeps_the_first_time(admin):
    token, _raw = api_token_create(actor=admin, name="t")
    first = api_token_revoke(actor=admin, token=token).revoked_at
    assert api_token_revoke(actor=admin, token=token).revoked_at == first


def test_service_refuses_non_admins(editor, admin):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        api_token_create(actor=editor, name="t")
    token, _raw = api_token_create(actor=admin, name="t")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=editor, token=token)


@pytest.mark.parametrize("raw", ["", "mot_", "mot_nope", "x" * 5000, "Bearer mot_x"])
def test_unknown_tokens_do_not_authenticate(admin, raw):
    api_token_create(actor=admin, name="t")
    assert api_token_authenticate(raw) is None


def test_last_used_is_written_at_most_once_a_minute(admin, django_assert_num_queries):
    _token, raw = api_token_create(actor=admin, name="t")
    assert api_token_authenticate(raw).last_used_at is not None
    first = ApiToken.objects.get().last_used_at

    with django_assert_num_queries(1):  # the lookup only, no write
        api_token_authenticate(raw)
    assert ApiToken.objects.get().last_used_at == first

    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    api_token_authenticate(raw)
    assert ApiToken.objects.get().last_used_at > first
