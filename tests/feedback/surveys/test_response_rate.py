"""A survey link's response rate: opens counted on the survey page's GET (never on the POST that
stores the answer), submissions once each on the thank-you page, "invited" set by editors or the
API; the rate is submissions ÷ invited, else opens → answers."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.models import Response, SurveyLink
from feedback.surveys.services import survey_link_create
from feedback.tokens.services import api_token_create
from journeys.models import Touchpoint
from mot.models import Role
from tests.conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache")]


def survey(link) -> str:
    return reverse("survey", kwargs={"token": link.token})


def invited_url(link, ws="acme") -> str:
    return reverse("feedback:survey_link_invited", kwargs={"ws": ws, "pk": link.pk})


def links_url(tp, ws="acme") -> str:
    return reverse("feedback:survey_links", kwargs={"ws": ws, "pk": tp.pk})


def answer_once(client, link) -> str:
    """Open the survey, answer it; returns the thank-you URL it redirects to."""
    html = client.get(survey(link)).content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', html).group(1)
    response = client.post(survey(link), {"submission": submission, "nps": "8"})
    assert response.status_code == 302
    return response.url


def test_opens_count_gets_and_submissions_count_once_each(link):
    client = Client()
    thanks = answer_once(client, link)
    link.refresh_from_db()
    assert (link.opens, link.submissions) == (1, 0)  # the POST counted nothing
    assert client.get(thanks).status_code == 200
    assert client.get(thanks).status_code == 200  # a reload counts nothing more
    client.get(survey(link))  # opened, not answered
    link.refresh_from_db()
    assert (link.opens, link.submissions) == (2, 1)
    # A made-up or mangled submission id counts nothing.
    bogus = reverse("survey_thanks", kwargs={"token": link.token})
    client.get(bogus + "?s=6f1c1c1e-6a7b-4f6b-9c1d-1d2e3f4a5b6c")
    client.get(bogus + "?s=not-a-uuid")
    link.refresh_from_db()
    assert link.submissions == 1


def test_the_post_that_stores_an_answer_runs_no_counting_query(link):
    client = Client()
    html = client.get(survey(link)).content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', html).group(1)
    with CaptureQueriesContext(connection) as captured:
        assert client.post(survey(link), {"submission": submission, "nps": "8"}).status_code == 302
    assert Response.objects.count() == 1
    assert captured.captured_queries
    assert not any(
        '"opens"' in q["sql"] or '"submissions"' in q["sql"] for q in captured.captured_queries
    )


def test_another_links_answer_does_not_count_at_this_link(link, editor, journey):
    other_tp = Touchpoint.objects.filter(journey=journey).order_by("-pk").first()
    other = survey_link_create(actor=editor, touchpoint=other_tp)
    client = Client()
    thanks = answer_once(client, link)
    submission = thanks.split("?s=")[1]
    client.get(reverse("survey_thanks", kwargs={"token": other.token}) + f"?s={submission}")
    other.refresh_from_db()
    assert other.submissions == 0


def test_the_links_page_shows_the_rate_or_opens_to_answers(client, editor, touchpoint, link):
    SurveyLink.objects.filter(pk=link.pk).update(opens=40, submissions=12)
    login(client, editor)
    html = client.get(links_url(touchpoint)).content.decode()
    assert "40 opens → 12 answers" in html
    response = client.post(invited_url(link), {"invited": "48"})
    assert response.status_code == 302
    html = client.get(links_url(touchpoint)).content.decode()
    assert '25.0% <span class="sub">(12 of 48)</span>' in html
    client.post(invited_url(link), {"invited": ""})  # unknown again
    assert SurveyLink.objects.get().invited is None
    client.post(invited_url(link), {"invited": "-3"})  # refused
    assert SurveyLink.objects.get().invited is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.EDITOR, True), (Role.MANAGER, False), (Role.STAFF, False)],
)
def test_setting_invited_role_matrix(client, personas, link, role, allowed):
    response = login(client, personas[role]).post(invited_url(link), {"invited": "10"})
    assert response.status_code == (302 if allowed else 403)
    assert SurveyLink.objects.get().invited == (10 if allowed else None)


def test_outsiders_and_anonymous_cannot_set_invited(client, outsider, link):
    assert client.post(invited_url(link), {"invited": "10"}).status_code == 302  # to login
    login(client, outsider)
    assert client.post(invited_url(link), {"invited": "10"}).status_code == 404
    assert client.post(invited_url(link, ws="globex"), {"invited": "10"}).status_code == 404
    assert client.get(invited_url(link)).status_code == 405  # before any lookup, as "new"
    assert SurveyLink.objects.get().invited is None


def test_setting_invited_needs_post_and_csrf(editor, link):
    client = login(Client(enforce_csrf_checks=True), editor)
    assert client.get(invited_url(link)).status_code == 405
    assert client.post(invited_url(link), {"invited": "10"}).status_code == 403
    assert SurveyLink.objects.get().invited is None


# --- the API -----------------------------------------------------------------------------------


def put_invited(client, token, link_token, body):
    return client.put(
        f"/api/v1/survey-links/{link_token}/invited",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_api_sets_invited_and_reads_the_rate(client, admin, link):
    token = api_token_create(actor=admin, name="crm")[1]
    SurveyLink.objects.filter(pk=link.pk).update(opens=9, submissions=6)
    response = put_invited(client, token, link.token, {"invited": 24})
    assert response.status_code == 200
    assert response.json() == {
        "token": link.token,
        "touchpoint": link.touchpoint_id,
        "opens": 9,
        "submissions": 6,
        "invited": 24,
        "response_rate": 25.0,
    }
    assert SurveyLink.objects.get().invited == 24
    assert put_invited(client, token, link.token, {"invited": None}).json()["response_rate"] is None
    for bad in ({"invited": -1}, {"invited": "12"}, {"invited": 1.5}, {}, {"invited": 1, "x": 2}):
        assert put_invited(client, token, link.token, bad).status_code == 422
    assert SurveyLink.objects.get().invited is None


def test_the_api_cannot_touch_another_workspaces_link(client, outsider, link):
    theirs = api_token_create(actor=outsider, name="theirs")[1]
    response = put_invited(client, theirs, link.token, {"invited": 5})
    assert response.status_code == 404
    assert put_invited(client, "not-a-token", link.token, {"invited": 5}).status_code == 401
    assert SurveyLink.objects.get().invited is None
    assert Response.objects.count() == 0
