"""The card's "Log a record" form: who may log (admin, editor, manager, the touchpoint's staff
owner), outsiders 404, CSRF, one record per form however often it is posted, htmx and no-JS."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from feedback.followups.models import FollowUp
from feedback.models import Kind, Response, Source
from mot.models import Role
from tests.conftest import login

HTMX = {"HX-Request": "true"}
LOGGERS = {Role.ADMIN, Role.EDITOR, Role.MANAGER}


@pytest.fixture
def tp(journey):
    return journey.touchpoints.get(title="Reviews")


def url(tp, ws="acme"):
    return reverse("records:log", kwargs={"ws": ws, "pk": tp.pk})


def body(**extra):
    data = {
        "kind": Kind.COMPLAINT,
        "comment": "The courier threw the parcel over the fence",
        "day": "2026-03-04",
        "language": "en",
        "customer": "C-9",
        "experience": "pain",
        "submission": uuid.uuid4().hex,
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("role", list(Role.values))
def test_role_matrix(client, personas, tp, role):
    login(client, personas[role])
    allowed = role in LOGGERS
    assert client.get(url(tp)).status_code == (200 if allowed else 403)
    response = client.post(url(tp), body())
    assert response.status_code == (302 if allowed else 403)
    assert Response.objects.filter(kind=Kind.COMPLAINT).count() == (1 if allowed else 0)
    assert ("record-open" in _menu(client, tp)) is allowed


def test_staff_log_on_the_touchpoints_they_own(client, staff, tp, journey):
    tp.owner = staff
    tp.save()
    login(client, staff)
    assert client.post(url(tp), body()).status_code == 302
    other = journey.touchpoints.get(title="Checkout")
    assert client.post(url(other), body()).status_code == 403
    assert "record-open" in _menu(client, tp)
    assert "record-open" not in _menu(client, other)


def _menu(client, touchpoint) -> str:
    """The card's menu, opened (htmx) as its "Actions" button does: where "Log a record" is."""
    card = reverse("journeys:touchpoint_card", kwargs={"ws": "acme", "pk": touchpoint.pk})
    return client.get(card + "?focus=edit", headers={"HX-Request": "true"}).content.decode()


def test_an_outsider_gets_404(client, outsider, tp):
    login(client, outsider)
    assert client.get(url(tp, "acme")).status_code == 404
    assert client.get(url(tp, "globex")).status_code == 404
    assert client.post(url(tp, "globex"), body()).status_code == 404
    assert not Response.objects.exists()


def test_the_post_needs_the_csrf_token(editor, tp):
    client = login(Client(enforce_csrf_checks=True), editor)
    page = client.get(url(tp)).content.decode()
    assert client.post(url(tp), body()).status_code == 403
    assert not Response.objects.exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(url(tp), body(csrfmiddlewaretoken=token)).status_code == 302


def test_a_double_post_stores_one_record_and_opens_one_follow_up(client, manager, tp):
    login(client, manager)
    data = body()
    first = client.post(url(tp), data, headers=HTMX)
    second = client.post(url(tp), data, headers=HTMX)
    assert first.status_code == second.status_code == 200
    record = Response.objects.get()
    assert (record.kind, record.source, record.experience) == ("complaint", Source.MEMBER, "pain")
    assert (record.customer.external_id, record.language, record.nps) == ("C-9", "en", None)
    assert record.submitted_at.date().isoformat() == "2026-03-04"
    assert FollowUp.objects.filter(response=record).count() == 1
    # The card comes back in place of the form.
    assert f'id="tp-{tp.pk}"' in second.content.decode()
    assert "record-form" not in second.content.decode()


def test_htmx_get_swaps_the_card_for_the_form(client, editor, tp):
    login(client, editor)
    html = client.get(url(tp), headers=HTMX).content.decode()
    assert html.lstrip().startswith("<li")
    assert f'id="tp-{tp.pk}"' in html
    assert 'name="submission"' in html
    assert "<html" not in html


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": "  "}, "comment"),
        ({"kind": Kind.SURVEY_ANSWER}, "kind"),
        ({"experience": "furious"}, "experience"),
        ({"submission": "x"}, "submission"),
        ({"day": ""}, "day"),
    ],
)
def test_an_invalid_form_is_422_and_stores_nothing(client, editor, tp, change, field):
    login(client, editor)
    for headers in ({}, HTMX):
        response = client.post(url(tp), body(**change), headers=headers)
        assert response.status_code == 422
        assert field in response.context["form"].errors
    assert not Response.objects.exists()


def test_the_form_page_costs_a_fixed_number_of_queries(
    client, editor, tp, django_assert_num_queries
):
    login(client, editor)
    # session, user, membership (+ workspace), the touchpoint (+ journey, stage, owner)
    with django_assert_num_queries(4):
        assert client.get(url(tp)).status_code == 200
