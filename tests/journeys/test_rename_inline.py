"""Renaming a journey in place on the journeys list.

With htmx the Rename button swaps the name cell for a small form (GET), saving swaps the cell
back with the new name (POST), an invalid name answers 422 with the form and its error, and
Cancel or Escape restore the cell. Without JavaScript the button opens the edit page.
Only map editors (admins, editors) may rename.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from journeys.models import Journey
from mot.models import Role
from tests.conftest import login
from tests.expectations import ALL, MAP_EDITORS, db_snapshot

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HTMX = {"HX-Request": "true"}


def rename_url(journey: Journey, ws: str = "acme") -> str:
    return reverse("journeys:rename", kwargs={"ws": ws, "pk": journey.pk})


def list_url(ws: str = "acme") -> str:
    return reverse("journeys:list", kwargs={"ws": ws})


def name_of(journey: Journey) -> str:
    return Journey.objects.get(pk=journey.pk).name


# --- the role matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(MAP_EDITORS))
def test_map_editors_rename_a_journey_in_place(client, personas, journey, role):
    login(client, personas[role])

    form = client.get(rename_url(journey), headers=HTMX)
    saved = client.post(rename_url(journey), {"name": "Online shop 2026"}, headers=HTMX)

    assert form.status_code == saved.status_code == 200
    assert 'name="name"' in form.content.decode()
    html = saved.content.decode()
    assert "<html" not in html
    assert html.strip().startswith(f'<td id="journey-name-{journey.pk}"')
    assert ">Online shop 2026</a>" in html
    assert name_of(journey) == "Online shop 2026"


@pytest.mark.parametrize("role", sorted(ALL - MAP_EDITORS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_managers_and_staff_may_not_rename(client, personas, journey, role, method):
    login(client, personas[role])
    before = db_snapshot()

    response = getattr(client, method)(rename_url(journey), {"name": "Nope"}, headers=HTMX)

    assert response.status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize("role", sorted(ALL))
def test_rename_button_is_rendered_only_for_map_editors(client, personas, journey, role):
    login(client, personas[role])

    page = client.get(list_url()).content.decode()

    assert (rename_url(journey) in page) == (role in MAP_EDITORS)


def test_without_javascript_the_rename_button_opens_the_edit_page(client, editor, journey):
    login(client, editor)

    page = client.get(list_url()).content.decode()

    edit = reverse("journeys:edit", kwargs={"ws": "acme", "pk": journey.pk})
    opener = re.search(r'<form method="get" action="([^"]*)" class="inline rename-open">', page)
    assert opener.group(1) == edit
    button = re.search(r'<button type="submit" class="secondary rename-button"[^>]*>', page).group(
        0
    )
    assert f'hx-get="{rename_url(journey)}"' in button
    assert 'hx-target="closest td"' in button
    assert 'hx-swap="outerHTML"' in button


# --- other workspaces, anonymous users ----------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("ws", ["acme", "globex"])
def test_outsider_gets_404_and_renames_nothing(client, outsider, journey, method, ws):
    login(client, outsider)
    before = db_snapshot()

    response = getattr(client, method)(rename_url(journey, ws=ws), {"name": "Mine"}, headers=HTMX)

    assert response.status_code == 404
    assert db_snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_user_is_sent_to_sign_in(client, journey, method):
    before = db_snapshot()

    response = getattr(client, method)(rename_url(journey), {"name": "Anon"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert db_snapshot() == before


# --- CSRF -----------------------------------------------------------------------------------------


def test_rename_without_the_csrf_token_is_refused(editor, journey):
    client = login(Client(enforce_csrf_checks=True), editor)
    client.get(list_url())
    before = db_snapshot()

    response = client.post(rename_url(journey), {"name": "No token"}, headers=HTMX)

    assert response.status_code == 403
    assert db_snapshot() == before


def test_rename_with_the_token_from_the_form_partial_works(editor, journey):
    client = login(Client(enforce_csrf_checks=True), editor)
    form = client.get(rename_url(journey), headers=HTMX).content.decode()
    token = TOKEN.search(form).group(1)

    response = client.post(
        rename_url(journey), {"name": "With token", "csrfmiddlewaretoken": token}, headers=HTMX
    )

    assert response.status_code == 200
    assert name_of(journey) == "With token"


# --- the form partial -----------------------------------------------------------------------------


def test_form_partial_is_labelled_focused_and_posts_in_place(client, editor, journey):
    login(client, editor)

    response = client.get(rename_url(journey), headers=HTMX)

    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith(f'<td id="journey-name-{journey.pk}"')
    assert (
        f'<label for="rename-{journey.pk}" class="visually-hidden">New name for Online shop' in html
    )
    assert f'id="rename-{journey.pk}" name="name" value="Online shop"' in html
    assert "autofocus" in html
    assert f'hx-post="{rename_url(journey)}"' in html
    assert 'hx-target="closest td"' in html
    assert "HX-Request" in response["Vary"]


def test_cancel_and_escape_restore_the_name_cell(client, editor, journey):
    login(client, editor)

    form = client.get(rename_url(journey), headers=HTMX).content.decode()
    cancelled = client.get(rename_url(journey) + "?cancel=1", headers=HTMX)

    cancel = re.search(r"<a [^>]*>Cancel</a>", form, re.S).group(0)
    assert f'hx-get="{rename_url(journey)}?cancel=1"' in cancel
    # Escape: mot.js clicks the form's [data-cancel] control (no htmx trigger filter: those are
    # evaluated code, which the Content-Security-Policy refuses).
    assert " data-cancel>" in cancel
    assert re.search(r"<form [^>]*data-cancel-on-escape", form)
    html = cancelled.content.decode()
    assert cancelled.status_code == 200
    assert "<html" not in html
    assert ">Online shop</a>" in html
    assert 'name="name"' not in html
    # Focus goes back to the Rename button, so a keyboard user is where they were.
    assert re.search(r'<button type="submit" class="secondary rename-button"[^>]*autofocus', html)


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_invalid_name_answers_422_with_the_form_and_the_error(client, editor, journey, name):
    login(client, editor)
    before = db_snapshot()

    response = client.post(rename_url(journey), {"name": name}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert 'role="alert"' in html
    assert "This field is required." in html or "at most 120 characters" in html
    assert 'aria-invalid="true"' in html
    assert db_snapshot() == before


def test_rename_trims_the_name(client, editor, journey):
    login(client, editor)

    client.post(rename_url(journey), {"name": "  Trimmed  "}, headers=HTMX)

    assert name_of(journey) == "Trimmed"


# --- without JavaScript ---------------------------------------------------------------------------


def test_without_htmx_the_rename_url_shows_the_list_with_that_rows_form(client, editor, journey):
    login(client, editor)

    response = client.get(rename_url(journey))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert f'id="rename-{journey.pk}" name="name"' in html


def test_without_htmx_a_rename_redirects_to_the_list_with_a_message(client, editor, journey):
    login(client, editor)

    response = client.post(rename_url(journey), {"name": "Shop"}, follow=True)

    assert response.redirect_chain == [(list_url(), 302)]
    assert "Journey renamed to “Shop”." in response.content.decode()
    assert name_of(journey) == "Shop"


def test_without_htmx_an_invalid_name_shows_the_list_with_the_error(client, editor, journey):
    login(client, editor)

    response = client.post(rename_url(journey), {"name": ""})

    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html
    assert "This field is required." in html
    assert name_of(journey) == "Online shop"


def test_without_htmx_cancel_goes_back_to_the_list(client, editor, journey):
    login(client, editor)

    response = client.get(rename_url(journey) + "?cancel=1")

    assert response.status_code == 302
    assert response["Location"] == list_url()


# --- escaping -------------------------------------------------------------------------------------


def test_a_hostile_name_is_escaped_in_the_cell_the_form_and_the_list(client, editor, journey):
    login(client, editor)

    saved = client.post(rename_url(journey), {"name": SCRIPT}, headers=HTMX).content.decode()
    form = client.get(rename_url(journey), headers=HTMX).content.decode()
    page = client.get(list_url()).content.decode()

    for html in (saved, form, page):
        assert ESCAPED in html
        assert SCRIPT not in html


def test_list_page_query_count_is_unchanged_by_the_rename_buttons(
    client, personas, journey, django_assert_num_queries
):
    for role in (Role.EDITOR, Role.STAFF):
        login(client, personas[role])
        with django_assert_num_queries(4):  # session, user, membership, journeys with counts
            assert client.get(list_url()).status_code == 200
