"""Customer attributes: set by imports, the API and webhooks; the latest non-empty value wins."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from feedback.customers import MAX_ATTRIBUTES, Profile, profile_of, profile_problems
from feedback.hooks import typeform
from feedback.imports import presets, reading
from feedback.imports.pipeline import import_path
from feedback.imports.store import store_records
from feedback.imports.types import Mapping, Target
from feedback.models import Customer, ImportMode, Response, Source
from feedback.services import AnswerIn, responses_ingest
from feedback.tokens.services import api_token_create
from feedback.touchpoint_refs import TouchpointRefs
from tests.conftest import login

WHEN = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def tp(journey):
    return journey.touchpoints.get(title="Reviews")


def answer(tp, external_id: str, **fields) -> AnswerIn:
    fields.setdefault("nps", 9)
    return AnswerIn(touchpoint_id=tp.pk, external_id=external_id, submitted_at=WHEN, **fields)


def stored(external_id="c-1") -> Customer:
    return Customer.objects.get(external_id=external_id)


def test_a_country_must_be_an_iso_code():
    assert profile_problems(country="PT") == []
    assert profile_problems(country="pt") == []  # upper-cased when stored
    assert [f for f, _r in profile_problems(country="XX")] == ["country"]
    assert [f for f, _r in profile_problems(country="Portugal")] == ["country"]
    customer = Customer(workspace_id=1, external_id="c", country="ZZ")
    with pytest.raises(ValidationError):
        customer.full_clean(exclude=["workspace"])


def test_free_attributes_are_bounded_text():
    assert profile_problems(attributes={"tier": "gold"}) == []
    assert profile_problems(attributes={"tier": 3})
    assert profile_problems(attributes={"x" * 65: "a"})
    assert profile_problems(attributes={"v": "a" * 201})
    too_many = {f"k{i}": "v" for i in range(MAX_ATTRIBUTES + 1)}
    assert profile_problems(attributes=too_many)
    assert profile_problems(email="not an address")


def test_the_latest_non_empty_value_wins_and_an_empty_one_never_blanks(workspace, tp):
    first = profile_of(email="ana@example.com", segment="Families", plan="Free")
    second = profile_of(segment="Business", attributes={"store": "Lisbon"})
    responses_ingest(
        workspace_id=workspace.pk,
        source=Source.API,
        answers=[answer(tp, "a1", customer="c-1", profile=first)],
    )
    responses_ingest(
        workspace_id=workspace.pk,
        source=Source.API,
        answers=[
            answer(tp, "a2", customer="c-1", profile=second),
            answer(tp, "a3", customer="c-1", profile=profile_of(plan="Premium")),
            answer(tp, "a4", customer="c-1"),  # says nothing of the customer
        ],
    )
    c = stored()
    assert (c.email, c.segment, c.plan, c.attributes) == (
        "ana@example.com",
        "Business",
        "Premium",
        {"store": "Lisbon"},
    )


def test_attributes_beyond_the_bound_are_dropped_and_the_stored_ones_kept(workspace, tp):
    full = {f"k{i}": "v" for i in range(MAX_ATTRIBUTES)}
    for i, attributes in enumerate([full, {"k0": "new", "extra": "x"}]):
        responses_ingest(
            workspace_id=workspace.pk,
            source=Source.API,
            answers=[
                answer(tp, f"a{i}", customer="c-1", profile=profile_of(attributes=attributes))
            ],
        )
    attributes = stored().attributes
    assert len(attributes) == MAX_ATTRIBUTES
    assert attributes["k0"] == "new"
    assert "extra" not in attributes


def test_an_import_sets_the_attributes_in_bulk_later_lines_winning(
    workspace, tp, tmp_path, django_assert_max_num_queries
):
    path = tmp_path / "answers.csv"
    rows = [
        "answer id,date,nps,customer,customer email,customer name,segment,country,plan",
        "r1,2026-05-01T10:00:00Z,9,c-1,ana@example.com,Ana,Families,pt,Free",
        "r2,2026-05-02T10:00:00Z,3,c-1,,,Business,,",
        *(f"r{i},2026-05-03T10:00:00Z,7,c-{i},,,Families,BR,Free" for i in range(3, 300)),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    layout = reading.detect(path)
    columns = presets.propose_mapping(layout, Target.RESPONSES)
    assert {k: layout.columns[v] for k, v in columns.items() if k in presets_profile()} == {
        "customer_email": "customer email",
        "customer_name": "customer name",
        "segment": "segment",
        "country": "country",
        "plan": "plan",
    }
    mapping = Mapping(target=Target.RESPONSES, columns=columns, touchpoint_id=tp.pk)
    # Not one query per row: 298 customers take a handful of statements.
    with django_assert_max_num_queries(40):
        outcome = import_path(
            workspace_id=workspace.pk,
            path=path,
            layout=layout,
            mapping=mapping,
            mode=ImportMode.VALID_ROWS,
            dry_run=False,
            resolve=TouchpointRefs(workspace.pk),
        )
    assert (outcome.created, outcome.rejected) == (299, 0)
    c = stored()
    assert (c.email, c.name, c.segment, c.country, c.plan) == (
        "ana@example.com",
        "Ana",
        "Business",
        "PT",
        "Free",
    )
    assert Customer.objects.filter(segment="Families", country="BR").count() == 297


def presets_profile() -> set[str]:
    return {"customer_email", "customer_name", "segment", "country", "plan"}


def test_an_import_row_with_a_bad_country_is_rejected_with_its_reason(workspace, tp, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(
        "answer id,date,nps,customer,country\n"
        "r1,2026-05-01T10:00:00Z,9,c-1,Atlantis\n"
        "r2,2026-05-01T10:00:00Z,9,c-2,ES\n",
        encoding="utf-8",
    )
    layout = reading.detect(path)
    mapping = Mapping(
        target=Target.RESPONSES,
        columns=presets.propose_mapping(layout, Target.RESPONSES),
        touchpoint_id=tp.pk,
    )
    outcome = import_path(
        workspace_id=workspace.pk,
        path=path,
        layout=layout,
        mapping=mapping,
        mode=ImportMode.VALID_ROWS,
        dry_run=False,
        resolve=TouchpointRefs(workspace.pk),
    )
    assert (outcome.created, outcome.rejected) == (1, 1)
    assert outcome.errors[0].column == "country"
    assert stored("c-2").country == "ES"


def test_the_store_merges_profiles_of_many_chunks(workspace, tp, monkeypatch):
    from feedback.imports import store

    monkeypatch.setattr(store, "CHUNK", 2)
    records = [
        answer(tp, "r1", customer="c-1", profile=Profile(segment="A", plan="Free")),
        answer(tp, "r2", customer="c-2"),
        answer(tp, "r3", customer="c-1", profile=Profile(segment="B")),
    ]
    with transaction.atomic():
        store_records(workspace_id=workspace.pk, target=Target.RESPONSES, records=records)
    assert (stored().segment, stored().plan) == ("B", "Free")
    assert stored("c-2").segment == ""


def test_the_api_takes_a_customer_profile(client, workspace, admin, tp):
    _token, secret = api_token_create(actor=admin, name="t")
    body = {
        "external_id": "a1",
        "touchpoint": tp.pk,
        "submitted_at": "2026-05-01T10:00:00Z",
        "nps": 9,
        "customer": "c-1",
        "customer_profile": {"email": "ana@example.com", "segment": "Families", "country": "pt"},
    }
    response = client.post(
        "/api/v1/responses",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content
    assert (stored().email, stored().segment, stored().country) == (
        "ana@example.com",
        "Families",
        "PT",
    )


@pytest.mark.parametrize(
    "profile",
    [{"country": "XX"}, {"email": "nope"}, {"attributes": {"a": 1}}, {"unknown": "x"}],
)
def test_the_api_refuses_a_bad_profile_whole(client, workspace, admin, tp, profile):
    _token, secret = api_token_create(actor=admin, name="t")
    body = {
        "external_id": "a1",
        "touchpoint": tp.pk,
        "submitted_at": "2026-05-01T10:00:00Z",
        "nps": 9,
        "customer": "c-1",
        "customer_profile": profile,
    }
    response = client.post(
        "/api/v1/responses",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 422
    assert Response.objects.count() == 0


def test_typeform_hidden_fields_set_the_customer(tp):
    body = {
        "event_id": "e1",
        "event_type": "form_response",
        "form_response": {
            "token": "t1",
            "submitted_at": "2026-05-01T10:00:00Z",
            "hidden": {"uid": "c-1", "seg": "Families", "mail": "ana@example.com", "pl": "Pro"},
            "answers": [
                {"type": "number", "number": 9, "field": {"ref": "nps", "type": "opinion_scale"}}
            ],
        },
    }
    mapping = {
        "nps": "nps",
        "hidden:uid": "customer",
        "hidden:seg": "segment",
        "hidden:mail": "customer_email",
        "hidden:pl": "plan",
    }
    read = typeform.read_answer(body, mapping=mapping, touchpoint_id=tp.pk)
    assert read.customer == "c-1"
    assert read.profile == Profile(email="ana@example.com", segment="Families", plan="Pro")
    body["form_response"]["hidden"]["mail"] = "not-an-address"
    with pytest.raises(typeform.Unmapped):
        typeform.read_answer(body, mapping=mapping, touchpoint_id=tp.pk)


def test_the_import_mapping_page_offers_the_customer_fields(client, admin):
    login(client, admin)
    labels = [str(f.label) for f in presets.FIELDS[Target.RESPONSES]]
    assert {"Customer's e-mail", "Customer's name", "Segment", "Country", "Plan"} <= set(labels)
