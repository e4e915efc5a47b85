"""Fault 10 of issue 13: a journey file's ``"version": true`` was read as version 1. Booleans are
not numbers in any JSON input: the journey document (journeys/exchange.py) and the API's bodies
and filters (feedback/api/schemas.py). Every int field is found by reading the models, so a
number field added tomorrow is tested too; each must refuse true and false, naming the field.
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from feedback.api.schemas import AnswerSchema, ListFilters
from feedback.models import Response
from feedback.tokens.services import api_token_create
from journeys.exchange import Document, JourneyImportError, parse_document

API = "/api/v1"


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    return any(_is_int(arg) for arg in typing.get_args(annotation) if arg is not bool)


def _model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model, typing.get_args(annotation))), None)


def int_fields(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every int field of ``model`` and of the models it holds (lists included)."""
    found = []
    for name, field in model.model_fields.items():
        if _is_int(field.annotation):
            found.append((*path, name))
        elif (inner := _model(field.annotation)) is not None:
            found += int_fields(inner, (*path, name))
    return found


def test_the_int_fields_are_found():
    assert int_fields(Document) == [
        ("version",),
        ("journey", "stages", "items", "lane"),
        # An opportunity's link to the touchpoint it creates, by its place in the file.
        ("journey", "stages", "items", "touchpoint", "stage"),
        ("journey", "stages", "items", "touchpoint", "position"),
    ]
    assert set(int_fields(AnswerSchema)) == {
        ("touchpoint",),
        *((name,) for name in ("nps", "csat", "respect", "solutions", "simplicity")),
        ("responsibility",),
        ("ces",),
    }
    assert set(int_fields(ListFilters)) == {("touchpoint",), ("limit",), ("after",)}


# --- the journey document ---------------------------------------------------------------------

DOCUMENT = {
    "format": "mot.journey",
    "version": 2,
    "journey": {
        "name": "J",
        "lanes": [{"kind": "touchpoints"}, {"kind": "opportunities"}],
        "stages": [
            {
                "name": "S",
                "touchpoints": [{"title": "T"}],
                "items": [{"lane": 1, "text": "I", "touchpoint": {"stage": 0, "position": 0}}],
            }
        ],
    },
}
VERSION_1 = {
    "format": "mot.journey",
    "version": 1,
    "journey": {"name": "J", "stages": [{"name": "S", "touchpoints": [{"title": "T"}]}]},
}


def _set(document: dict, path: tuple[str, ...], value: Any) -> dict:
    document = json.loads(json.dumps(document))
    target = document
    for key in path[:-1]:
        target = target[key]
        if isinstance(target, list):
            target = target[0]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("path", int_fields(Document), ids=".".join)
def test_journey_document_numbers_refuse_booleans(path, value):
    with pytest.raises(JourneyImportError) as excinfo:
        parse_document(json.dumps(_set(DOCUMENT, path, value)))
    # A field inside lists is named with its places ("journey.stages[1].items[1].lane").
    named = [re.sub(r"\[\d+\]", "", line) for line in excinfo.value.errors]
    assert any(line.startswith(f"{'.'.join(path)}: ") for line in named), excinfo.value.errors


@pytest.mark.parametrize("value", [True, False, 1.0, 2.0, "1", "2", 3, 0, None])
def test_journey_document_version_is_exactly_the_number_1_or_2(value):
    with pytest.raises(JourneyImportError) as excinfo:
        parse_document(json.dumps(_set(DOCUMENT, ("version",), value)))
    assert excinfo.value.errors[0].startswith("version: ")


def test_journey_document_versions_1_and_2_are_read():
    assert parse_document(json.dumps(VERSION_1)).version == 1
    assert parse_document(json.dumps(DOCUMENT)).version == 2


def test_an_unsupported_version_is_said_as_such():
    with pytest.raises(JourneyImportError) as excinfo:
        parse_document(json.dumps(_set(DOCUMENT, ("version",), 3)))
    assert excinfo.value.errors == [
        "version: version 3 is not supported; this MOT reads versions 1 to 2."
    ]


# --- the API ------------------------------------------------------------------------------------


@pytest.fixture
def token(admin):
    return api_token_create(actor=admin, name="test")[1]


def _answer(tp: int) -> dict[str, Any]:
    return {"external_id": "a1", "touchpoint": tp, "submitted_at": "2026-03-01T10:00:00Z", "nps": 9}


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("field", [p[0] for p in int_fields(AnswerSchema)])
def test_api_answer_numbers_refuse_booleans(client, journey, token, field, value):
    tp = journey.touchpoints.first().pk
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    single = {**_answer(tp), field: value}
    batch = {"responses": [_answer(tp), {**_answer(tp), "external_id": "a2", field: value}]}

    one = client.post(API + "/responses", single, content_type="application/json", **auth)
    many = client.post(API + "/responses/batch", batch, content_type="application/json", **auth)

    assert one.status_code == 422
    assert {(e["index"], e["field"]) for e in one.json()["errors"]} == {(None, field)}
    assert many.status_code == 422
    assert {(e["index"], e["field"]) for e in many.json()["errors"]} == {(1, field)}
    assert not Response.objects.exists()


@pytest.mark.parametrize("value", ["true", "false"])
@pytest.mark.parametrize("field", [p[0] for p in int_fields(ListFilters)])
def test_api_list_filter_numbers_refuse_booleans(client, token, field, value):
    response = client.get(API + "/responses", {field: value}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {field}
