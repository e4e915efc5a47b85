"""The JSON API: token auth per workspace, single and batch answers, all-or-nothing, read back."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import Response, Source
from feedback.tokens.services import api_token_create, api_token_revoke
from journeys.services import journey_create, stage_create, touchpoint_create
from tests.conftest import login

API = "/api/v1"


@pytest.fixture
def token(admin):
    return api_token_create(actor=admin, name="test")[1]


@pytest.fixture
def touchpoints(journey):
    return list(journey.touchpoints.order_by("pk").values_list("pk", flat=True))


@pytest.fixture
def other_touchpoint(outsider):
    j = journey_create(actor=outsider, name="Theirs")
    stage = stage_create(actor=outsider, journey=j, name="S")
    return touchpoint_create(actor=outsider, stage=stage, title="Their page").pk


@pytest.fixture
def other_token(outsider):
    return api_token_create(actor=outsider, name="theirs")[1]


def answer(tp, external_id="a1", **extra):
    data = {"external_id": external_id, "touchpoint": tp, "submitted_at": "2026-03-01T10:00:00Z"}
    data.update({"nps": 9} if "nps" not in extra and "csat" not in extra else {})
    data.update(extra)
    return data


def post(client, path, body, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(API + path, data, content_type="application/json", **headers)


def get(client, path, token, **params):
    return client.get(API + path, params, HTTP_AUTHORIZATION=f"Bearer {token}")


# --- authentication --------------------------------------------------------------------------


def test_requests_without_a_token_are_401(client, touchpoints):
    assert post(client, "/responses", answer(touchpoints[0])).status_code == 401
    assert client.get(API + "/responses").status_code == 401
    assert not Response.objects.exists()


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer mot_unknown", "Basic abc", "Bearer"])
def test_unknown_tokens_are_401(client, touchpoints, header):
    response = client.post(
        API + "/responses",
        json.dumps(answer(touchpoints[0])),
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 401
    assert not Response.objects.exists()


def test_revoked_token_is_401(client, admin, touchpoints):
    row, raw = api_token_create(actor=admin, name="gone")
    api_token_revoke(actor=admin, token=row)
    assert post(client, "/responses", answer(touchpoints[0]), raw).status_code == 401
    assert get(client, "/responses", raw).status_code == 401


def test_a_signed_in_session_is_not_accepted(client, admin, touchpoints):
    login(client, admin)
    assert post(client, "/responses", answer(touchpoints[0])).status_code == 401
    assert client.get(API + "/responses").status_code == 401


def test_token_requests_need_no_csrf_token(touchpoints, token):
    client = Client(enforce_csrf_checks=True)
    assert post(client, "/responses", answer(touchpoints[0]), token).status_code == 200


# --- writing ---------------------------------------------------------------------------------


def test_one_answer_is_stored_in_the_tokens_workspace(client, workspace, touchpoints, token):
    body = answer(
        touchpoints[0],
        nps=10,
        csat=5,
        respect=4,
        comment="Entrega rápida",
        language="pt",
        customer="C-1",
    )
    response = post(client, "/responses", body, token)

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["duplicates"]) == (1, 0)
    row = Response.objects.select_related("customer").get(pk=data["ids"][0])
    assert (row.workspace_id, row.touchpoint_id, row.source) == (
        workspace.pk,
        touchpoints[0],
        Source.API,
    )
    assert (row.nps, row.csat, row.respect, row.comment, row.language) == (
        10,
        5,
        4,
        "Entrega rápida",
        "pt",
    )
    assert row.customer.external_id == "C-1"
    assert row.submitted_at.isoformat() == "2026-03-01T10:00:00+00:00"


def test_batch_is_stored_and_a_replay_adds_nothing(client, touchpoints, token):
    body = {"responses": [answer(touchpoints[i % 3], f"r{i}") for i in range(10)]}

    first = post(client, "/responses/batch", body, token).json()
    again = post(client, "/responses/batch", body, token).json()

    assert (first["created"], first["duplicates"], len(first["ids"])) == (10, 0, 10)
    assert (again["created"], again["duplicates"], again["ids"]) == (0, 10, [])
    assert Response.objects.count() == 10


def test_the_same_answer_twice_in_one_batch_counts_as_a_duplicate(client, touchpoints, token):
    body = {"responses": [answer(touchpoints[0], "x"), answer(touchpoints[0], "x")]}
    data = post(client, "/responses/batch", body, token).json()
    assert (data["created"], data["duplicates"]) == (1, 1)


def test_a_single_replay_is_a_duplicate(client, touchpoints, token):
    post(client, "/responses", answer(touchpoints[0]), token)
    data = post(client, "/responses", answer(touchpoints[0]), token).json()
    assert (data["created"], data["duplicates"]) == (0, 1)
    assert Response.objects.count() == 1


def test_one_bad_item_refuses_the_whole_batch_naming_index_and_field(client, touchpoints, token):
    items = [answer(touchpoints[0], f"r{i}") for i in range(5)]
    items[3]["nps"] = 11
    items[4]["csat"] = 0

    response = post(client, "/responses/batch", {"responses": items}, token)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(3, "nps"), (4, "csat")}
    assert all(e["message"] for e in errors)
    assert not Response.objects.exists()


def test_an_answer_needs_nps_or_csat(client, touchpoints, token):
    item = answer(touchpoints[0])
    del item["nps"]
    response = post(
        client, "/responses/batch", {"responses": [answer(touchpoints[0]), item]}, token
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["index"] == 1
    assert not Response.objects.exists()


def test_more_than_1000_answers_are_refused(client, touchpoints, token):
    body = {"responses": [answer(touchpoints[0], f"r{i}") for i in range(1001)]}
    response = post(client, "/responses/batch", body, token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "responses"
    assert not Response.objects.exists()


def test_1000_answers_are_accepted(client, touchpoints, token):
    body = {"responses": [answer(touchpoints[i % 3], f"r{i}") for i in range(1000)]}
    response = post(client, "/responses/batch", body, token)
    assert response.json()["created"] == 1000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nps", "9"),
        ("nps", 9.0),
        ("nps", True),
        ("csat", "5"),
        ("touchpoint", "1"),
        ("external_id", 123),
        ("external_id", ""),
        ("external_id", "x" * 201),
        ("submitted_at", 1_700_000_000),
        ("submitted_at", "yesterday"),
        ("comment", "x" * 10_001),
        ("comment", "nul\x00byte"),
        ("comment", "lone \ud800 surrogate"),
        ("submitted_at", "0001-01-01T00:00:00+01:00"),
        ("submitted_at", "9999-12-31T23:59:59-01:00"),
        ("touchpoint", 2**64),
        ("touchpoint", 0),
        ("language", "x" * 17),
        ("customer", 42),
        ("respect", 6),
        ("surprise", 1),
    ],
)
def test_types_are_strict(client, touchpoints, token, field, value):
    body = answer(touchpoints[0])
    body[field] = value
    response = post(client, "/responses", body, token)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not Response.objects.exists()


def test_missing_fields_are_named(client, token):
    response = post(client, "/responses", {"nps": 5}, token)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"external_id", "touchpoint", "submitted_at"} <= fields


def test_another_workspaces_touchpoint_is_refused_like_an_unknown_one(
    client, touchpoints, other_touchpoint, token
):
    items = [answer(touchpoints[0], "ok"), answer(other_touchpoint, "theirs")]
    response = post(client, "/responses/batch", {"responses": items}, token)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 1, "field": "touchpoint", "message": "unknown touchpoint"}
    ]
    missing = post(client, "/responses", answer(10**12, "nope"), token)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["message"] == "unknown touchpoint"
    assert not Response.objects.exists()


def test_workspace_b_token_cannot_write_to_a(client, touchpoints, other_token):
    response = post(client, "/responses", answer(touchpoints[0]), other_token)
    assert response.status_code == 422
    assert not Response.objects.exists()


def test_same_external_id_in_two_workspaces_are_two_answers(
    client, touchpoints, other_touchpoint, token, other_token
):
    assert post(client, "/responses", answer(touchpoints[0], "x"), token).json()["created"] == 1
    theirs = post(client, "/responses", answer(other_touchpoint, "x"), other_token).json()
    assert theirs["created"] == 1


def test_oversize_body_is_a_clean_json_error(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, "/responses", {"comment": "x" * 2000}, token)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe\x00", b"[]", b"null", b"42", b'"x"'])
def test_malformed_bodies_are_4xx(client, token, body):
    for path in ("/responses", "/responses/batch"):
        response = post(client, path, body, token)
        assert response.status_code in (400, 422), (path, body, response.status_code)
        assert response["Content-Type"].startswith("application/json")


# --- reading ---------------------------------------------------------------------------------


def test_list_pages_by_id_in_the_tokens_workspace_only(
    client, touchpoints, other_touchpoint, token, other_token
):
    body = {"responses": [answer(touchpoints[i % 3], f"r{i}", customer="C") for i in range(7)]}
    ids = post(client, "/responses/batch", body, token).json()["ids"]
    post(client, "/responses", answer(other_touchpoint, "theirs"), other_token)

    seen, after = [], None
    while True:
        params = {"limit": 3} | ({"after": after} if after is not None else {})
        page = get(client, "/responses", token, **params).json()
        seen += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == ids
    first = get(client, "/responses", token, limit=1).json()["items"][0]
    assert (first["external_id"], first["customer"], first["source"]) == ("r0", "C", "api")

    theirs = get(client, "/responses", other_token).json()["items"]
    assert [i["external_id"] for i in theirs] == ["theirs"]


def test_list_filters_by_touchpoint_and_since(client, touchpoints, other_touchpoint, token):
    items = [
        answer(touchpoints[0], "old", submitted_at="2025-01-01T00:00:00Z"),
        answer(touchpoints[0], "new", submitted_at="2026-06-01T00:00:00+02:00"),
        answer(touchpoints[1], "other", submitted_at="2026-06-01T00:00:00Z"),
    ]
    post(client, "/responses/batch", {"responses": items}, token)

    by_tp = get(client, "/responses", token, touchpoint=touchpoints[0]).json()["items"]
    assert [i["external_id"] for i in by_tp] == ["old", "new"]
    recent = get(client, "/responses", token, since="2026-01-01T00:00:00Z").json()["items"]
    assert [i["external_id"] for i in recent] == ["new", "other"]
    assert get(client, "/responses", token, touchpoint=other_touchpoint).json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 501},
        {"limit": 0},
        {"limit": "x"},
        {"after": -1},
        {"after": 2**64},
        {"touchpoint": 2**64},
        {"since": "soon"},
        {"since": "0001-01-01T00:00:00+01:00"},
    ],
)
def test_list_refuses_bad_parameters(client, token, params):
    response = get(client, "/responses", token, **params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == next(iter(params))


# --- schema and docs -------------------------------------------------------------------------


def test_openapi_schema_lists_the_endpoints(client, db):
    schema = client.get(API + "/openapi.json").json()
    assert {"/api/v1/responses", "/api/v1/responses/batch"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/responses"]) == {"get", "post"}
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_docs_page_serves_swagger_ui_from_our_static_files(client, db):
    response = client.get(API + "/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing from elsewhere


# --- fuzz ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)
FIELDS = ["external_id", "touchpoint", "submitted_at", "nps", "csat", "respect", "comment"]
answer_like = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, json_values))
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    body=json_values | answer_like | st.builds(lambda r: {"responses": r}, st.lists(answer_like))
)
def test_fuzz_json_bodies_never_500(client, touchpoints, token, body):
    for path in ("/responses", "/responses/batch"):
        response = post(client, path, body, token)
        assert response.status_code in (200, 400, 422), (path, body, response.content)


@FUZZ
@given(body=st.binary(max_size=300))
def test_fuzz_raw_bytes_never_500(client, touchpoints, token, body):
    for path in ("/responses", "/responses/batch"):
        response = post(client, path, body, token)
        assert response.status_code in (200, 400, 422), (path, body, response.content)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["touchpoint", "since", "limit", "after"]), st.text(max_size=30)
    )
)
def test_fuzz_list_parameters_never_500(client, token, params):
    assert get(client, "/responses", token, **params).status_code in (200, 422)


def test_touchpoint_by_code_case_insensitive(client, token, journey, editor, outsider):
    from journeys.models import Touchpoint
    from journeys.services import touchpoint_update

    tp = Touchpoint.objects.filter(journey=journey).order_by("pk").first()
    fields = {f: getattr(tp, f) for f in ("title", "description", "channel", "mot_stage", "phase")}
    touchpoint_update(actor=editor, touchpoint=tp, code="CHK-PAY", **fields)
    theirs = stage_create(
        actor=outsider, journey=journey_create(actor=outsider, name="T"), name="S"
    )
    touchpoint_create(actor=outsider, stage=theirs, title="Theirs", code="THEIRS")

    response = post(client, "/responses", answer("chk-pay", "by-code"), token)
    assert response.status_code == 200, response.content
    assert Response.objects.get(external_id="by-code").touchpoint_id == tp.pk

    response = post(client, "/responses/batch", {"responses": [answer("THEIRS", "x")]}, token)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 0, "field": "touchpoint", "message": "unknown touchpoint"}
    ]
    assert not Response.objects.filter(external_id="x").exists()
