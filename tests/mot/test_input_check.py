"""Fault 2 of issue 13: malformed input answered 500. Every text input of every endpoint goes
through mot.middleware's one check (a NUL, a lone surrogate or bytes that are not UTF-8 → 422
naming the field), and every date filter through mot.validation.DayField (a form error naming
the field, never an overflow).

The four requests outside testing found first come first; then each way text reaches a view.
Run on PostgreSQL too: that is where a NUL that slips through fails.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from feedback.models import ImportJob, Response
from feedback.tokens.services import api_token_create
from journeys.models import Journey
from tests.conftest import login

pytestmark = pytest.mark.postgres

API = "/api/v1"
NUL_MESSAGE = "must not contain NUL characters"
SURROGATE_MESSAGE = "must not contain lone surrogates"


@pytest.fixture
def token(admin):
    return api_token_create(actor=admin, name="test")[1]


def api_post(client, path, body, token, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        API + path, data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def answer(**extra):
    return {
        "external_id": "a1",
        "touchpoint": "REV",
        "submitted_at": "2026-03-01T10:00:00Z",
        "nps": 9,
        **extra,
    }


def raw_get(client, path: str, query: str):
    """A GET whose query string is sent byte for byte (Latin-1 text stands for the bytes)."""
    return client.get(path, QUERY_STRING=query)


# --- the requests outside testing found -------------------------------------------------------


def test_api_refuses_a_nul_in_touchpoint_naming_it(client, journey, token):
    single = api_post(client, "/responses", answer(touchpoint="REV\x00"), token)
    batch = api_post(
        client,
        "/responses/batch",
        {"responses": [answer(), answer(external_id="a2", touchpoint="REV\x00")]},
        token,
    )

    assert single.status_code == 422
    assert single.json() == {
        "errors": [{"index": None, "field": "touchpoint", "message": NUL_MESSAGE}]
    }
    assert batch.status_code == 422
    assert batch.json() == {"errors": [{"index": 1, "field": "touchpoint", "message": NUL_MESSAGE}]}
    assert not Response.objects.exists()


def test_explorer_date_at_the_end_of_time_is_the_forms_error(client, admin, journey):
    login(client, admin)
    response = client.get(
        reverse("explorer:list", kwargs={"ws": "acme"}), {"date_to": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "“Submitted until” must be a day from" in response.content.decode()


def test_dashboard_date_at_the_start_of_time_is_the_forms_error(client, admin, journey):
    login(client, admin)
    url = reverse("metrics:dashboard", kwargs={"ws": "acme"})
    for params in ({"date_to": "0001-01-01"}, {"date_from": "0001-01-01", "period": "custom"}):
        response = client.get(url, params)
        assert response.status_code == 200
        assert "must be a day from" in response.content.decode()


def test_journey_search_with_a_nul_is_refused_naming_q(client, admin, journey):
    login(client, admin)
    response = client.get(reverse("journeys:list", kwargs={"ws": "acme"}), {"q": "shop\x00"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "“q” must not contain NUL characters." in html
    assert "\x00" not in html


# --- query strings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("q=a%00b", "q", NUL_MESSAGE),
        ("q=a\x00b", "q", NUL_MESSAGE),  # a raw NUL byte
        ("q=%ED%A0%80", "q", "must be UTF-8 text"),  # a lone surrogate's UTF-8 bytes
        ("q=\xed\xa0\x80", "q", "must be UTF-8 text"),  # the same bytes, not percent-encoded
        ("q=%FF", "q", "must be UTF-8 text"),
        ("state=&q%00=1", "q\N{REPLACEMENT CHARACTER}", NUL_MESSAGE),  # the name itself
    ],
)
def test_query_string_text_is_checked_before_any_view(client, admin, query, field, message):
    login(client, admin)
    response = raw_get(client, reverse("journeys:list", kwargs={"ws": "acme"}), query)
    assert response.status_code == 422
    assert f"“{field}” {message}." in response.content.decode()


def test_the_refusal_comes_before_the_login_redirect_and_on_unknown_urls(client):
    assert (
        raw_get(client, reverse("journeys:list", kwargs={"ws": "acme"}), "q=%00").status_code == 422
    )
    assert raw_get(client, "/no/such/page/", "q=%00").status_code == 422
    assert client.get("/no/such/page/").status_code == 404


def test_valid_text_of_any_script_passes(client, admin, journey):
    login(client, admin)
    for q in ("Café ☕", "日本語", "emoji 🙂", "a+b&c"):
        response = client.get(reverse("journeys:list", kwargs={"ws": "acme"}), {"q": q})
        assert response.status_code == 200, q


def test_htmx_requests_get_the_refusal_in_the_main_area(client, admin):
    login(client, admin)
    response = client.get(
        reverse("journeys:list", kwargs={"ws": "acme"}), {"q": "\x00"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#main"
    assert "<html" not in response.content.decode()
    assert "“q”" in response.content.decode()


# --- form posts ---------------------------------------------------------------------------------


def test_urlencoded_post_is_refused_naming_the_field_and_writes_nothing(client, editor):
    login(client, editor)
    response = client.post(
        reverse("journeys:new", kwargs={"ws": "acme"}),
        "template=&name=Bad%00name",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert "“name” must not contain NUL characters." in response.content.decode()
    assert not Journey.objects.exists()


@pytest.mark.parametrize("csrf", [False, True], ids=["parsed by the view", "parsed by CSRF"])
def test_multipart_post_is_refused_naming_the_field_and_writes_nothing(editor, csrf):
    client = login(Client(enforce_csrf_checks=csrf), editor)
    url = reverse("journeys:new", kwargs={"ws": "acme"})
    client.get(url)  # the CSRF cookie
    data = {"template": "", "name": "Bad\x00name"}
    if csrf:
        data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    response = client.post(url, data)  # multipart, the test client's default
    assert response.status_code == 422
    assert "“name” must not contain NUL characters." in response.content.decode()
    assert not Journey.objects.exists()


def test_a_view_with_its_own_upload_handler_still_gets_the_check(
    client, editor, settings, tmp_path
):
    # The answer import installs a size-capping upload handler before it reads the form, so the
    # form is only parsed then: the check runs as part of that parse.
    settings.MEDIA_ROOT = tmp_path
    login(client, editor)
    upload = SimpleUploadedFile("answers.csv", b"id,nps\n1,9\n", content_type="text/csv")
    response = client.post(
        reverse("imports:upload", kwargs={"ws": "acme"}),
        {"file": upload, "target": "responses\x00"},
    )
    assert response.status_code == 422
    assert "“target” must not contain NUL characters." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_public_survey_post_with_a_nul_is_refused(client, journey, admin):
    from feedback.surveys.services import survey_link_create

    link = survey_link_create(actor=admin, touchpoint=journey.touchpoints.first())
    response = client.post(
        reverse("survey", kwargs={"token": link.token}), {"nps": "9", "comment": "hi\x00"}
    )
    assert response.status_code == 422
    assert not Response.objects.exists()


# --- JSON bodies, path parameters, cookies ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (answer(comment="nul\x00"), {"index": None, "field": "comment", "message": NUL_MESSAGE}),
        (
            '{"external_id": "\\ud800", "touchpoint": 1}',
            {"index": None, "field": "external_id", "message": SURROGATE_MESSAGE},
        ),
        (
            {"responses": [answer(), answer(customer="c\x00")]},
            {"index": 1, "field": "customer", "message": NUL_MESSAGE},
        ),
        (
            {"bad\x00key": 1},
            {"index": None, "field": "bad\N{REPLACEMENT CHARACTER}key", "message": NUL_MESSAGE},
        ),
    ],
)
def test_json_strings_and_keys_are_checked_in_the_apis_error_format(
    client, journey, token, body, error
):
    response = api_post(client, "/responses/batch", body, token)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["field"] == error["field"]
    assert errors[0]["index"] == error["index"]
    assert errors[0]["message"].startswith(error["message"])
    assert not Response.objects.exists()


def test_a_json_body_is_checked_whatever_its_content_type(client, journey, token):
    # django-ninja reads any body as JSON, so a client cannot slip past by calling it text.
    body = json.dumps(answer(comment="\x00"))
    response = api_post(client, "/responses", body, token, content_type="text/plain")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "comment"


def test_api_query_strings_are_checked_in_the_apis_error_format(client, token):
    response = client.get(
        API + "/responses", QUERY_STRING="since=%00", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": [{"index": None, "field": "since", "message": NUL_MESSAGE}]
    }


def test_a_path_parameter_with_a_nul_is_refused_naming_it(client):
    response = client.get("/invitations/abc%00def/")
    assert response.status_code == 422
    assert "“token” must not contain NUL characters." in response.content.decode()


def test_a_bad_session_cookie_is_refused_and_cleared(client, admin):
    # Django would look the session key up in the database when the menu reads the user.
    for path in (reverse("journeys:list", kwargs={"ws": "acme"}), "/no/such/page/"):
        client.cookies["sessionid"] = "\x00" * 32
        response = client.get(path)
        assert response.status_code == 422
        assert "“sessionid” must not contain NUL characters." in response.content.decode()
        assert response.cookies["sessionid"].value == ""  # deleted: the next request is clean


def test_a_cookie_nothing_reads_is_left_alone(client, admin):
    # Another application of the domain may set anything; nothing of ours reads it.
    login(client, admin)
    client.cookies["their_cookie"] = "\x00"
    assert client.get(reverse("journeys:list", kwargs={"ws": "acme"})).status_code == 200


# --- date filters -------------------------------------------------------------------------------


def test_api_since_is_bounded_like_every_date_filter(client, token):
    def since(value):
        return client.get(
            API + "/responses", {"since": value}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert since("1970-01-01T00:00:00Z").status_code == 200  # "from the beginning"
    for value in ("1969-12-31T23:59:59Z", "9999-12-31T00:00:00Z"):
        response = since(value)
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["field"] == "since"
        assert "must be a day from" in error["message"]


# --- found by the walk (tests/test_hostile_urls.py) --------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_a_username_too_long_to_record_is_a_wrong_sign_in(client, db, url):
    # django-axes records a failed sign-in's username in 255 characters; PostgreSQL refused more.
    from axes.models import AccessAttempt

    response = client.post(url, {"username": "x" * 2000, "password": "whatever"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not AccessAttempt.objects.exists()


def test_ids_beyond_a_bigint_are_not_found(client, admin, journey):
    # One id is a lookup Django answers "no such row"; many are one IN (…) it does not guard.
    login(client, admin)
    response = client.post(
        reverse("journeys:owners_assign", kwargs={"ws": "acme"}),
        {"touchpoints": [journey.touchpoints.first().pk, "9" * 30], "owner": "nobody"},
    )
    assert response.status_code == 404
