"""Lanes, lane items and personas travel with a journey: export/import (format version 2, a
version 1 file still loads), duplicate, and the templates."""

from __future__ import annotations

import base64
import json

import pytest
from django.utils import translation

from journeys.blueprints import BLUEPRINTS
from journeys.exchange import JourneyImportError, journey_export, journey_import, parse_document
from journeys.models import ItemStatus, Journey, Lane, LaneItem, LaneKind, Persona
from journeys.services import journey_create_from_blueprint, journey_duplicate, stage_create
from journeys.services.lanes import item_create, lane_create, lane_move, lane_rename
from journeys.services.personas import journey_set_personas, persona_create
from tests.journeys.lanes_helpers import cell_texts, lane_layout, lane_of, png


@pytest.fixture
def laned(editor, staff, journey) -> Journey:
    """The conftest map with three added lanes, items in several cells and two personas."""
    stages = list(journey.stages.order_by("position"))
    pains = lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS, position=0)
    ideas = lane_create(actor=editor, journey=journey, kind=LaneKind.OPPORTUNITIES)
    lane_create(actor=editor, journey=journey, kind=LaneKind.METRICS)
    lane_rename(actor=editor, lane=ideas, name="Ideas we test")
    lane_move(actor=editor, lane=lane_of(journey, LaneKind.TOUCHPOINTS), position=0)
    item_create(actor=editor, lane=pains, stage=stages[0], text="Reviews look fake")
    item_create(actor=editor, lane=pains, stage=stages[1], text="Slow page")
    item_create(actor=editor, lane=pains, stage=stages[1], text="Hidden fees", position=0)
    item_create(
        actor=editor,
        lane=ideas,
        stage=stages[1],
        text="Show fees upfront",
        status=ItemStatus.PLANNED,
        owner=staff,
    )
    shopper = persona_create(
        actor=editor,
        name="Busy parent",
        quote="I have five minutes.",
        goals="Buy fast",
        frustrations="Forms",
        segment="families",
        picture=png(),
    )
    student = persona_create(actor=editor, name="Student", segment="18-24")
    journey_set_personas(actor=editor, journey=journey, personas=[shopper, student])
    return journey


def _persona_rows(journey: Journey) -> list[tuple]:
    return list(
        journey.personas.order_by("name").values_list(
            "name", "quote", "goals", "frustrations", "segment", "picture"
        )
    )


def test_export_then_import_into_another_workspace_keeps_lanes_items_and_personas(
    laned, editor, outsider
):
    data = json.dumps(journey_export(actor=editor, journey=laned))
    copy = journey_import(actor=outsider, document=parse_document(data))

    assert lane_layout(copy) == lane_layout(laned)
    assert lane_layout(copy)[0] == ("touchpoints", "")
    assert cell_texts(copy) == cell_texts(laned)
    assert len(cell_texts(copy)) == 4
    # Personas become the target workspace's, picture included (bytes re-encoded, same size).
    assert [row[:5] for row in _persona_rows(copy)] == [row[:5] for row in _persona_rows(laned)]
    assert all(p.workspace_id == outsider.workspace_id for p in copy.personas.all())
    pictures = [row[5] for row in _persona_rows(copy)]
    assert pictures[0]
    assert pictures[1] is None
    # The owner (a member of Acme only) stays unassigned in Globex.
    assert LaneItem.objects.get(journey=copy, text="Show fees upfront").owner_id is None


def test_import_into_the_same_workspace_reuses_personas_and_owners(laned, editor, staff):
    copy = journey_import(
        actor=editor,
        document=parse_document(json.dumps(journey_export(actor=editor, journey=laned))),
    )
    assert set(copy.personas.all()) == set(laned.personas.all())
    assert Persona.objects.filter(workspace=editor.workspace).count() == 2
    assert LaneItem.objects.get(journey=copy, text="Show fees upfront").owner_id == staff.pk


def test_a_version_1_file_loads_with_the_default_lanes(editor):
    data = json.dumps(
        {
            "format": "mot.journey",
            "version": 1,
            "journey": {"name": "Old", "stages": [{"name": "A", "touchpoints": [{"title": "T"}]}]},
        }
    )
    journey = journey_import(actor=editor, document=parse_document(data))
    assert lane_layout(journey) == [("emotion", ""), ("touchpoints", "")]
    assert journey.touchpoints.count() == 1


@pytest.mark.parametrize(
    ("lanes", "items", "expected"),
    [
        ([{"kind": "pains"}], [], "exactly one touchpoint lane"),
        ([{"kind": "touchpoints"}, {"kind": "touchpoints"}], [], "exactly one touchpoint lane"),
        ([{"kind": "touchpoints"}, {"kind": "metrics"}, {"kind": "metrics"}], [], "at most one"),
        ([{"kind": "touchpoints"}], [{"lane": 0, "text": "x"}], "not a lane that holds items"),
        ([{"kind": "touchpoints"}], [{"lane": 5, "text": "x"}], "not a lane that holds items"),
        (None, [{"lane": 0, "text": "x"}], "need the journey's lanes"),
        ([{"kind": "touchpoints"}, {"kind": "swimming"}], [], "swimming"),
    ],
)
def test_a_file_with_inconsistent_lanes_is_refused_and_writes_nothing(
    editor, lanes, items, expected
):
    journey = {"name": "Bad", "stages": [{"name": "A", "items": items}]}
    if lanes is not None:
        journey["lanes"] = lanes
    data = json.dumps({"format": "mot.journey", "version": 2, "journey": journey})
    with pytest.raises(JourneyImportError) as caught:
        parse_document(data)
    assert expected in " ".join(caught.value.errors)
    assert not Journey.objects.filter(name="Bad").exists()


def test_a_persona_picture_that_is_not_an_image_is_refused(editor):
    fake = base64.b64encode(b"<script>alert(1)</script>").decode()
    data = json.dumps(
        {
            "format": "mot.journey",
            "version": 2,
            "journey": {"name": "Bad", "personas": [{"name": "X", "picture": fake}]},
        }
    )
    with pytest.raises(JourneyImportError, match="picture"):
        journey_import(actor=editor, document=parse_document(data))
    assert not Persona.objects.exists()


def test_duplicate_copies_lanes_items_and_personas(laned, editor):
    copy = journey_duplicate(actor=editor, journey=laned)
    assert lane_layout(copy) == lane_layout(laned)
    assert cell_texts(copy) == cell_texts(laned)
    assert set(copy.personas.all()) == set(laned.personas.all())
    copied = LaneItem.objects.filter(journey=copy).select_related("lane", "stage")
    assert all(i.lane.journey_id == i.stage.journey_id == copy.pk for i in copied)


def test_a_new_journey_has_the_emotion_and_touchpoint_lanes(editor):
    journey = stage_create(actor=editor, journey=_blank(editor), name="A").journey
    assert lane_layout(journey) == [("emotion", ""), ("touchpoints", "")]


def _blank(editor) -> Journey:
    from journeys.services import journey_create

    return journey_create(actor=editor, name="Blank")


@pytest.mark.parametrize("key", sorted(BLUEPRINTS))
def test_every_template_comes_with_lanes_and_example_items(editor, key):
    with translation.override("en"):
        journey = journey_create_from_blueprint(actor=editor, key=key)
    kinds = [kind for kind, _name in lane_layout(journey)]
    assert kinds.count("touchpoints") == 1
    assert "emotion" in kinds
    assert len(kinds) >= 5
    assert LaneItem.objects.filter(journey=journey).count() >= 3
    assert Lane.objects.filter(journey=journey, items__isnull=False).exists()


def test_a_file_without_the_emotion_lane_gets_it_and_items_keep_their_lanes(editor):
    data = json.dumps(
        {
            "format": "mot.journey",
            "version": 2,
            "journey": {
                "name": "No curve",
                "lanes": [{"kind": "touchpoints"}, {"kind": "pains"}],
                "stages": [{"name": "A", "items": [{"lane": 1, "text": "Slow"}]}],
            },
        }
    )
    journey = journey_import(actor=editor, document=parse_document(data))
    assert lane_layout(journey) == [("emotion", ""), ("touchpoints", ""), ("pains", "")]
    assert LaneItem.objects.get(journey=journey).lane.kind == "pains"
