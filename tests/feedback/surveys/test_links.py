"""Editors create and revoke survey links per touchpoint; nobody else, never across workspaces."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from feedback.models import SurveyLink
from feedback.surveys.services import survey_link_create, survey_link_revoke
from mot.models import Role
from tests.conftest import login

pytestmark = pytest.mark.django_db


def links_url(tp, ws="acme"):
    return reverse("feedback:survey_links", kwargs={"ws": ws, "pk": tp.pk})


def new_url(tp, ws="acme"):
    return reverse("feedback:survey_link_new", kwargs={"ws": ws, "pk": tp.pk})


def revoke_url(link, ws="acme"):
    return reverse("feedback:survey_link_revoke", kwargs={"ws": ws, "pk": link.pk})


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.EDITOR, 200), (Role.MANAGER, 403), (Role.STAFF, 403)],
)
def test_survey_links_page_role_matrix(client, personas, touchpoint, link, role, status):
    response = login(client, personas[role]).get(links_url(touchpoint))
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert f"/s/{link.token}/" in text
        assert "http://testserver/s/" in text


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.EDITOR, True), (Role.MANAGER, False), (Role.STAFF, False)],
)
def test_create_survey_link_role_matrix(client, personas, touchpoint, role, allowed):
    response = login(client, personas[role]).post(new_url(touchpoint))
    if allowed:
        assert response.status_code == 302
        assert response.url == links_url(touchpoint)
        link = SurveyLink.objects.get(touchpoint=touchpoint)
        assert link.created_by == personas[role]
        assert len(link.token) >= 32
        assert link.revoked_at is None
    else:
        assert response.status_code == 403
        assert not SurveyLink.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.EDITOR, True), (Role.MANAGER, False), (Role.STAFF, False)],
)
def test_revoke_survey_link_role_matrix(client, personas, link, role, allowed):
    response = login(client, personas[role]).post(revoke_url(link))
    link.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert link.revoked_at is not None
    else:
        assert response.status_code == 403
        assert link.revoked_at is None


def test_revoked_link_shows_its_revocation_date_and_no_revoke_button(client, editor, link):
    login(client, editor).post(revoke_url(link))
    page = client.get(links_url(link.touchpoint)).content.decode()
    assert revoke_url(link) not in page
    assert "No survey links yet" not in page


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.EDITOR, 200), (Role.MANAGER, 403), (Role.STAFF, 403)],
)
def test_revoke_asks_to_confirm_first_and_revokes_nothing(client, personas, link, role, status):
    response = login(client, personas[role]).get(revoke_url(link))
    assert response.status_code == status
    link.refresh_from_db()
    assert link.revoked_at is None
    if status == 200:
        page = response.content.decode()
        assert "Revoke this survey link" in page
        assert f"/s/{link.token}/" in page
        assert '<form method="post" class="actions">' in page
        assert "csrfmiddlewaretoken" in page
        assert links_url(link.touchpoint) in page  # the way back without revoking


def test_the_links_page_leads_to_the_confirmation_instead_of_revoking(client, editor, link):
    page = login(client, editor).get(links_url(link.touchpoint)).content.decode()
    assert f'href="{revoke_url(link)}"' in page
    assert f'action="{revoke_url(link)}"' not in page


def test_the_confirmation_of_a_revoked_link_returns_to_the_list(client, editor, link):
    survey_link_revoke(actor=editor, link=link)
    response = login(client, editor).get(revoke_url(link))
    assert response.status_code == 302
    assert response.url == links_url(link.touchpoint)


def test_revoking_twice_keeps_the_first_date(editor, link):
    first = survey_link_revoke(actor=editor, link=link).revoked_at
    second = survey_link_revoke(actor=editor, link=SurveyLink.objects.get(pk=link.pk)).revoked_at
    assert first == second


def test_each_link_gets_its_own_token(editor, touchpoint):
    a = survey_link_create(actor=editor, touchpoint=touchpoint)
    b = survey_link_create(actor=editor, touchpoint=touchpoint)
    assert a.token != b.token


def test_services_enforce_the_policy(manager, outsider, touchpoint, link):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        survey_link_create(actor=manager, touchpoint=touchpoint)
    with pytest.raises(PermissionDenied):
        survey_link_revoke(actor=manager, link=link)
    with pytest.raises(Http404):
        survey_link_create(actor=outsider, touchpoint=touchpoint)
    with pytest.raises(Http404):
        survey_link_revoke(actor=outsider, link=link)


def test_outsider_gets_404_in_our_workspace(client, outsider, touchpoint, link):
    login(client, outsider)
    assert client.get(links_url(touchpoint)).status_code == 404
    assert client.post(new_url(touchpoint)).status_code == 404
    assert client.post(revoke_url(link)).status_code == 404
    assert SurveyLink.objects.count() == 1
    assert SurveyLink.objects.get().revoked_at is None


def test_outsider_gets_404_for_our_ids_in_their_workspace(client, outsider, touchpoint, link):
    login(client, outsider)
    assert client.get(links_url(touchpoint, ws="globex")).status_code == 404
    assert client.post(new_url(touchpoint, ws="globex")).status_code == 404
    assert client.post(revoke_url(link, ws="globex")).status_code == 404
    assert SurveyLink.objects.count() == 1
    assert SurveyLink.objects.get().revoked_at is None


def test_anonymous_is_sent_to_login(client, touchpoint, link):
    response = client.get(links_url(touchpoint))
    assert response.status_code == 302
    assert reverse("login") in response.url
    assert client.post(revoke_url(link)).status_code == 302
    assert SurveyLink.objects.get().revoked_at is None


def test_get_creates_nothing_and_revokes_nothing(client, editor, touchpoint, link):
    login(client, editor)
    assert client.get(new_url(touchpoint)).status_code == 405
    assert client.get(revoke_url(link)).status_code == 200  # the confirmation page
    assert client.put(revoke_url(link)).status_code == 405
    assert SurveyLink.objects.get().revoked_at is None


def test_create_and_revoke_require_csrf(editor, touchpoint, link):
    client = login(Client(enforce_csrf_checks=True), editor)
    assert client.post(new_url(touchpoint)).status_code == 403
    assert client.post(revoke_url(link)).status_code == 403
    assert SurveyLink.objects.count() == 1
    assert SurveyLink.objects.get().revoked_at is None

    page = client.get(links_url(touchpoint))
    token = page.context["csrf_token"]
    assert client.post(new_url(touchpoint), {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.post(revoke_url(link), {"csrfmiddlewaretoken": token}).status_code == 302
    assert SurveyLink.objects.count() == 2


def test_touchpoint_edit_page_links_to_survey_links(client, editor, touchpoint):
    url = reverse("journeys:touchpoint_edit", kwargs={"ws": "acme", "pk": touchpoint.pk})
    page = login(client, editor).get(url).content.decode()
    assert links_url(touchpoint) in page


def test_survey_links_page_query_count(client, editor, touchpoint, django_assert_max_num_queries):
    for _ in range(10):
        survey_link_create(actor=editor, touchpoint=touchpoint)
    login(client, editor)
    with django_assert_max_num_queries(8):
        assert client.get(links_url(touchpoint)).status_code == 200


def test_the_in_place_edit_form_links_to_the_touchpoints_survey_links(client, editor, journey):
    from django.urls import reverse

    from tests.conftest import login

    tp = journey.touchpoints.first()
    login(client, editor)
    form = client.get(
        reverse("journeys:touchpoint_edit", kwargs={"ws": "acme", "pk": tp.pk}),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert reverse("feedback:survey_links", kwargs={"ws": "acme", "pk": tp.pk}) in form
