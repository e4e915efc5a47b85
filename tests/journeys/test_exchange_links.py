"""An opportunity's link to the touchpoint it creates travels in the journey file: exported as
where that touchpoint is in the file (its stage's index, its index in the stage), restored on
import to the new journey's own touchpoint; a file naming a touchpoint it does not have, linking
a non-opportunity, or pointing at another journey's touchpoint is refused, naming where, and
writes nothing."""

from __future__ import annotations

import json

import pytest

from journeys.exchange import JourneyImportError, journey_export, journey_import, parse_document
from journeys.models import Journey, LaneItem, LaneKind, Stage, Touchpoint
from journeys.services import stage_create, touchpoint_create
from journeys.services.lanes import item_create, item_update, lane_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(editor, journey) -> Journey:
    """The conftest map (Research: Reviews; Buy: Product page, Checkout) plus a third stage
    (Share: Review mail) and opportunities: two linked, one not; and a linked-looking pain."""
    share = stage_create(actor=editor, journey=journey, name="Share")
    touchpoint_create(actor=editor, stage=share, title="Review mail")
    stages = list(journey.stages.order_by("position"))
    ideas = lane_create(actor=editor, journey=journey, kind=LaneKind.OPPORTUNITIES)
    pains = lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS)
    tp = {t.title: t for t in Touchpoint.objects.filter(journey=journey)}
    for stage, text, target in (
        (stages[0], "Ask for a review by mail", tp["Review mail"]),
        (stages[1], "One-page checkout", tp["Checkout"]),
        (stages[1], "Loyalty points", None),
    ):
        item = item_create(actor=editor, lane=ideas, stage=stage, text=text)
        item_update(actor=editor, item=item, text=text, touchpoint=target)
    item_create(actor=editor, lane=pains, stage=stages[1], text="Hidden fees")
    return journey


def _links(journey: Journey) -> dict[str, tuple[str, int] | None]:
    """Each opportunity's text -> (its touchpoint's title, that touchpoint's journey id)."""
    return {
        item.text: (item.touchpoint.title, item.touchpoint.journey_id) if item.touchpoint else None
        for item in LaneItem.objects.filter(journey=journey).select_related("touchpoint")
    }


def _items(data: dict) -> list[dict]:
    return [item for stage in data["journey"]["stages"] for item in stage["items"]]


def test_the_export_names_each_linked_touchpoint_by_its_place_in_the_file(linked, editor):
    data = journey_export(actor=editor, journey=linked)

    by_text = {item["text"]: item for item in _items(data)}
    # Review mail: stage 2 (Share), first touchpoint; Checkout: stage 1 (Buy), second.
    assert by_text["Ask for a review by mail"]["touchpoint"] == {"stage": 2, "position": 0}
    assert by_text["One-page checkout"]["touchpoint"] == {"stage": 1, "position": 1}
    assert "touchpoint" not in by_text["Loyalty points"]
    assert "touchpoint" not in by_text["Hidden fees"]
    stages = data["journey"]["stages"]
    assert stages[2]["touchpoints"][0]["title"] == "Review mail"
    assert stages[1]["touchpoints"][1]["title"] == "Checkout"


@pytest.mark.parametrize("same_workspace", [True, False])
def test_a_round_trip_links_the_new_journeys_own_touchpoints(
    linked, editor, outsider, same_workspace
):
    target = editor if same_workspace else outsider
    data = json.dumps(journey_export(actor=editor, journey=linked))

    copy = journey_import(actor=target, document=parse_document(data), name="Copy")

    assert _links(copy) == {
        "Ask for a review by mail": ("Review mail", copy.pk),
        "One-page checkout": ("Checkout", copy.pk),
        "Loyalty points": None,
        "Hidden fees": None,
    }
    # The original keeps its own links.
    assert _links(linked)["One-page checkout"] == ("Checkout", linked.pk)
    # Exported again, the copy gives the same file (apart from its name).
    again = journey_export(actor=target, journey=copy)
    assert _items(again) == _items(json.loads(data))


def test_a_file_made_before_links_still_imports(linked, editor):
    data = journey_export(actor=editor, journey=linked)
    for item in _items(data):
        item.pop("touchpoint", None)

    copy = journey_import(actor=editor, document=parse_document(json.dumps(data)))

    assert set(_links(copy).values()) == {None}
    assert LaneItem.objects.filter(journey=copy).count() == 4


def _row_counts() -> tuple[int, ...]:
    return (
        Journey.objects.count(),
        Stage.objects.count(),
        Touchpoint.objects.count(),
        LaneItem.objects.count(),
    )


def _hostile(data: dict, where: str, change) -> dict:
    """The export with one item changed: ``where`` is its text."""
    for item in _items(data):
        if item["text"] == where:
            change(item)
    return data


HOSTILE = {
    # Stage 3 (index 2) has one touchpoint: position 1 is not in the file.
    "a touchpoint the file does not have": (
        "Ask for a review by mail",
        lambda item, other: item.update(touchpoint={"stage": 2, "position": 1}),
        "journey.stages[1].items[1].touchpoint: links to the touchpoint at stage 2, position 1 "
        "(counted from 0), which this file does not have.",
    ),
    "a stage the file does not have": (
        "One-page checkout",
        lambda item, other: item.update(touchpoint={"stage": 7, "position": 0}),
        "journey.stages[2].items[1].touchpoint: links to the touchpoint at stage 7, position 0",
    ),
    "a link on a pain": (
        "Hidden fees",
        lambda item, other: item.update(touchpoint={"stage": 1, "position": 0}),
        "journey.stages[2].items[3].touchpoint: only an opportunity can link to the touchpoint "
        "it creates.",
    ),
    # Another journey's touchpoint can only be named by its database id: never a place in
    # this file, so refused, whatever the id.
    "another journey's touchpoint by id": (
        "One-page checkout",
        lambda item, other: item.update(touchpoint=other.pk),
        "journey.stages[2].items[1].touchpoint: must be an object.",
    ),
    "another journey's touchpoint by id in the reference": (
        "One-page checkout",
        lambda item, other: item.update(touchpoint={"id": other.pk}),
        "journey.stages[2].items[1].touchpoint.stage: this field is required.",
    ),
    "a negative position": (
        "One-page checkout",
        lambda item, other: item.update(touchpoint={"stage": 1, "position": -1}),
        "journey.stages[2].items[1].touchpoint.position: number out of range.",
    ),
    "a position as text": (
        "One-page checkout",
        lambda item, other: item.update(touchpoint={"stage": 1, "position": "1"}),
        "journey.stages[2].items[1].touchpoint.position: must be a whole number",
    ),
}


@pytest.mark.parametrize(("where", "change", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_link_is_refused_naming_where_and_writes_nothing(
    linked, editor, outsider, where, change, expected
):
    from journeys.services import journey_create

    other = journey_create(actor=outsider, name="Theirs")
    other_tp = touchpoint_create(
        actor=outsider, stage=stage_create(actor=outsider, journey=other, name="S"), title="T"
    )
    data = journey_export(actor=editor, journey=linked)
    data = _hostile(data, where, lambda item: change(item, other_tp))
    before = _row_counts()

    with pytest.raises(JourneyImportError) as caught:
        journey_import(actor=editor, document=parse_document(json.dumps(data)))

    assert any(line.startswith(expected) for line in caught.value.errors), caught.value.errors
    assert _row_counts() == before
    assert not LaneItem.objects.filter(touchpoint=other_tp).exists()
