"""Lanes, items and personas over HTTP: the map page's queries stay fixed with lanes and
personas on a 2,400-card map, htmx answers swap the lanes a change touched, folding is per
member, removing a lane asks first, the metrics lane reads the stored stage rows, the curve
breaks where answers are too few, and a persona's picture is checked by its content."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from journeys.models import Lane, LaneFold, LaneItem, LaneKind, Persona, Stage, Touchpoint
from journeys.services import touchpoint_create
from journeys.services.lanes import item_create, lane_create, lanes_ensure
from journeys.services.personas import journey_set_personas, persona_create
from metrics.models import MomentCounts, Scope
from mot.models import Role
from tests.conftest import login
from tests.journeys.lanes_helpers import lane_of, png
from tests.journeys.test_map_htmx import HX
from tests.journeys.test_map_overlays import moment_row
from tests.journeys.test_map_queries import MAP_QUERIES

# The page's queries (tests/journeys/test_map_queries.py), with item lanes (one read of every
# item of the journey, owners' names included) and a metrics lane (one read of the stages' rows).
LANED_MAP_QUERIES = MAP_QUERIES + 2


def url(name: str, pk: int, ws: str = "acme") -> str:
    return reverse(f"journeys:{name}", kwargs={"ws": ws, "pk": pk})


def add_lanes(journey, editor, *, per_lane: int) -> None:
    """Four item lanes of ``per_lane`` items each, spread over the stages, a metrics lane, and
    two personas, one with a picture."""
    lanes_ensure(journey=journey)
    stages = list(journey.stages.order_by("position"))
    for kind in (LaneKind.ACTIONS, LaneKind.PAINS, LaneKind.OPPORTUNITIES, LaneKind.TEXT):
        lane = lane_create(actor=editor, journey=journey, kind=kind)
        LaneItem.objects.bulk_create(
            [
                LaneItem(
                    journey=journey,
                    lane=lane,
                    stage=stages[i % len(stages)],
                    position=i // len(stages),
                    text=f"{kind} {i}",
                    owner=editor if i % 2 else None,
                )
                for i in range(per_lane)
            ]
        )
    lane_create(actor=editor, journey=journey, kind=LaneKind.METRICS)
    one = persona_create(actor=editor, name=f"{journey.name} parent", picture=png())
    two = persona_create(actor=editor, name=f"{journey.name} student")
    journey_set_personas(actor=editor, journey=journey, personas=[one, two])


@pytest.mark.parametrize("role", [Role.EDITOR, Role.STAFF])
def test_map_with_lanes_and_personas_runs_the_same_queries_small_or_large(
    client, personas, small_and_large, django_assert_num_queries, role
):
    small, large = small_and_large
    editor = personas[Role.EDITOR]
    add_lanes(small, editor, per_lane=1)
    add_lanes(large, editor, per_lane=200)
    login(client, personas[role])

    with django_assert_num_queries(LANED_MAP_QUERIES):
        small_page = client.get(url("map", small.pk))
    with django_assert_num_queries(LANED_MAP_QUERIES):
        large_page = client.get(url("map", large.pk))

    assert small_page.status_code == large_page.status_code == 200
    html = large_page.content.decode()
    assert html.count('class="lane-item ') == 800
    assert html.count('class="card"') == 2400
    assert html.count('class="lane-cell metric-cell"') == 12
    chips = re.search(r'<ul class="persona-chips">(.*?)</ul>', html, re.S).group(1)
    assert "Large parent" in chips
    assert "Small parent" not in chips  # another journey's persona is not one of this one's
    # Every card has its "Actions" (staff set owners), an item only for an editor; the
    # controls themselves load on demand.
    assert html.count(" data-menu ") == (3200 if role == Role.EDITOR else 2400)
    assert ">Edit<" not in html


def test_a_journey_made_before_lanes_shows_the_default_lanes_without_controls(client, editor):
    from journeys.models import Journey

    journey = Journey.objects.create(workspace=editor.workspace, name="Old")
    Stage.objects.create(journey=journey, name="Only", position=0)
    login(client, editor)
    html = client.get(url("map", journey.pk)).content.decode()
    assert re.findall(r'<section class="lane lane-(\w+)', html) == ["emotion", "touchpoints"]
    assert "/fold/" not in html
    # The first lane edit stores them.
    client.post(url("lane_create", journey.pk), {"kind": "pains"})
    assert list(journey.lanes.order_by("position").values_list("kind", flat=True)) == [
        "emotion",
        "touchpoints",
        "pains",
    ]


@pytest.fixture
def pains(editor, journey) -> Lane:
    return lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS)


def test_adding_an_item_with_htmx_answers_with_its_lane_and_keeps_focus_in_the_cell(
    client, editor, journey, pains
):
    research = journey.stages.get(name="Research")
    login(client, editor)
    response = client.post(
        url("item_create", pains.pk), {"text": "<b>Slow</b>", "stage": research.pk}, headers=HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(
        rf'<section class="lane lane-pains" id="lane-{pains.pk}"[^>]*hx-swap-oob', html
    )
    assert "&lt;b&gt;Slow&lt;/b&gt;" in html
    assert "<b>Slow</b>" not in html
    assert f'id="item-text-{pains.pk}-{research.pk}" name="text" rows="2" maxlength="1000" ' in html
    assert "data-autofocus" in html.split(f'id="item-text-{pains.pk}-{research.pk}"')[1][:200]
    assert "Item added to Pain points." in html


def test_a_move_answers_with_both_lanes_and_the_arrow_keeps_focus(client, editor, journey, pains):
    research, buy = journey.stages.order_by("position")
    ideas = lane_create(actor=editor, journey=journey, kind=LaneKind.OPPORTUNITIES)
    item = item_create(actor=editor, lane=pains, stage=research, text="Fees")
    login(client, editor)

    response = client.post(
        url("item_move", item.pk),
        {"lane": ideas.pk, "stage": buy.pk, "position": 0},
        headers=HX,
    )
    html = response.content.decode()
    assert f'id="lane-{pains.pk}"' in html
    assert f'id="lane-{ideas.pk}"' in html
    item.refresh_from_db()
    assert (item.lane_id, item.stage_id, item.position) == (ideas.pk, buy.pk, 0)

    response = client.post(url("item_move", item.pk), {"direction": "prev"}, headers=HX)
    item.refresh_from_db()
    assert item.stage_id == research.pk
    html = response.content.decode()
    # No stage before the first: the arrow is gone, so the item itself takes focus.
    assert re.search(
        rf'<li class="lane-item status-idea" id="item-{item.pk}"[^>]*data-autofocus', html
    )


def test_a_refused_move_answers_422_with_the_board(client, editor, journey, pains):
    item = item_create(
        actor=editor, lane=pains, stage=journey.stages.get(name="Research"), text="Fees"
    )
    login(client, editor)
    touchpoints = lane_of(journey, LaneKind.TOUCHPOINTS)
    response = client.post(
        url("item_move", item.pk),
        {"lane": touchpoints.pk, "stage": item.stage_id, "position": 0},
        headers=HX,
    )
    assert response.status_code == 422
    assert '<div id="board" hx-swap-oob="innerHTML">' in response.content.decode()
    assert "This lane does not hold items." in response.content.decode()
    assert LaneItem.objects.get(pk=item.pk).lane_id == pains.pk


def test_folding_is_remembered_per_member(client, editor, staff, journey, pains):
    login(client, staff)
    client.post(url("lane_fold", pains.pk), {"folded": "on"})
    staff_page = client.get(url("map", journey.pk)).content.decode()
    assert re.search(rf'<section class="lane lane-pains folded" id="lane-{pains.pk}"', staff_page)
    assert f'id="lane-body-{pains.pk}" hidden' in staff_page

    login(client, editor)
    editor_page = client.get(url("map", journey.pk)).content.decode()
    assert f'id="lane-body-{pains.pk}" hidden' not in editor_page
    assert LaneFold.objects.get().membership_id == staff.pk

    login(client, staff)
    client.post(url("lane_fold", pains.pk), {"folded": ""})
    assert not LaneFold.objects.exists()


def test_removing_a_lane_without_javascript_asks_first(client, editor, journey, pains):
    item_create(actor=editor, lane=pains, stage=journey.stages.first(), text="Fees")
    login(client, editor)

    page = client.post(url("lane_delete", pains.pk))  # the map's form, no confirmation yet
    assert page.status_code == 200
    assert "Its 1 item is deleted too." in page.content.decode()
    assert Lane.objects.filter(pk=pains.pk).exists()

    done = client.post(url("lane_delete", pains.pk), {"confirm": "yes"})
    assert done.status_code == 302
    assert not Lane.objects.filter(pk=pains.pk).exists()
    assert not LaneItem.objects.filter(lane_id=pains.pk).exists()


@pytest.mark.parametrize("kind", [LaneKind.TOUCHPOINTS, LaneKind.EMOTION])
def test_the_touchpoint_and_curve_lanes_cannot_be_removed(client, editor, journey, kind):
    lane = lane_of(journey, kind)
    login(client, editor)
    page = client.get(url("map", journey.pk)).content.decode()
    assert url("lane_delete", lane.pk) not in page
    response = client.post(url("lane_delete", lane.pk), {"confirm": "yes"}, headers=HX)
    assert response.status_code == 422
    assert "lane is always there; collapse it instead." in response.content.decode()
    assert Lane.objects.filter(pk=lane.pk).exists()


def test_a_second_metrics_lane_is_refused(client, editor, journey):
    login(client, editor)
    client.post(url("lane_create", journey.pk), {"kind": "metrics"})
    response = client.post(url("lane_create", journey.pk), {"kind": "metrics"}, headers=HX)
    assert response.status_code == 422
    assert journey.lanes.filter(kind="metrics").count() == 1


def _stage_row(journey, stage, glory, neutral, pain, *, min_sample=30) -> MomentCounts:
    row = moment_row(0, journey, glory, neutral, pain, min_sample=min_sample)
    row.scope, row.key = Scope.STAGE, str(stage.pk)
    return row


def test_the_metrics_lane_shows_each_stages_stored_numbers(client, editor, journey):
    research, buy = journey.stages.order_by("position")
    lane_create(actor=editor, journey=journey, kind=LaneKind.METRICS)
    _stage_row(journey, research, 30, 10, 10).save()  # 50 answers: +40, NPS +40
    _stage_row(journey, buy, 3, 2, 1).save()  # 6 answers: too few
    login(client, editor)
    html = client.get(url("map", journey.pk)).content.decode()
    cells = dict(
        re.findall(r'<div class="lane-cell metric-cell" data-stage-id="(\d+)">(.*?)</div>', html)
    )
    assert "+40" in cells[str(research.pk)]
    assert "Glory 60%, neutral 20%, pain 20% of 50 answers" in cells[str(research.pk)]
    assert "Not enough answers — 6 of 30" in cells[str(buy.pk)]
    assert "+" not in cells[str(buy.pk)].split("NPS")[1]  # no NPS shown under the minimum


def test_the_curve_breaks_at_a_touchpoint_without_enough_answers(client, editor, journey):
    buy = journey.stages.get(name="Buy")
    t = {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}
    after = touchpoint_create(actor=editor, stage=buy, title="Thank-you page")
    for tp, counts in (
        (t["Reviews"], (30, 5, 5)),
        (t["Product page"], (20, 10, 10)),
        (t["Checkout"], (2, 1, 1)),  # too few: a gap
        (after, (5, 10, 25)),
    ):
        moment_row(tp.pk, journey, *counts).save()
    login(client, editor)
    html = client.get(url("map", journey.pk)).content.decode()
    cell = re.search(rf'<div class="curve-cell" data-stage-id="{buy.pk}">(.*?)</div>', html, re.S)
    lines = re.findall(r'<polyline class="curve-line" points="([^"]+)"', cell.group(1))
    # Product page (x 18.7) and Thank-you page (x 81.3) are not joined across Checkout (x 50),
    # which gets a tick on the zero line instead.
    assert all("50," not in line.split(" ")[0] for line in lines)
    assert not any("18.7," in line and "81.3," in line for line in lines)
    assert 'class="curve-gap" d="M50 47V53"' in cell.group(1)
    assert 'class="curve-area glory"' in cell.group(1)


# --- personas -----------------------------------------------------------------------------------


NEW_PERSONA = reverse("journeys:persona_new", kwargs={"ws": "acme"})


def test_a_persona_picture_is_checked_by_its_content_and_stored_re_encoded(client, editor):
    login(client, editor)
    fake = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = client.post(NEW_PERSONA, {"name": "X", "picture": fake})
    assert refused.status_code == 422
    assert "not a JPEG, PNG, GIF or WebP picture" in refused.content.decode()
    assert not Persona.objects.exists()

    real = SimpleUploadedFile("photo.bin", png(800, 400), content_type="application/octet-stream")
    done = client.post(NEW_PERSONA, {"name": "Y", "picture": real})
    assert done.status_code == 302
    persona = Persona.objects.get()
    served = client.get(url("persona_picture", persona.pk))
    assert served["Content-Type"] == "image/jpeg"
    assert served.content.startswith(b"\xff\xd8")  # a JPEG, whatever was sent

    assert Image.open(io.BytesIO(served.content)).size == (256, 128)


def test_a_picture_larger_than_the_cap_is_refused_unread(client, editor):
    login(client, editor)
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (2 * 1024 * 1024), "image/png")
    response = client.post(NEW_PERSONA, {"name": "Z", "picture": big})
    assert response.status_code == 422
    assert "larger than 2 MB" in response.content.decode()


def test_the_picker_only_accepts_the_workspaces_personas(client, editor, outsider, journey):
    theirs = persona_create(actor=outsider, name="Globex persona")
    ours = persona_create(actor=editor, name="Ours")
    login(client, editor)
    client.post(url("journey_personas", journey.pk), {"personas": [theirs.pk]})
    assert not journey.personas.exists()
    client.post(url("journey_personas", journey.pk), {"personas": [ours.pk]})
    assert list(journey.personas.all()) == [ours]


def test_an_opportunity_is_edited_in_place_with_its_status_and_owner(
    client, editor, staff, journey
):
    ideas = lane_create(actor=editor, journey=journey, kind=LaneKind.OPPORTUNITIES)
    item = item_create(actor=editor, lane=ideas, stage=journey.stages.first(), text="Chat")
    login(client, editor)

    form = client.get(url("item_edit", item.pk), headers=HX).content.decode()
    assert f'<li class="lane-item editing" id="item-{item.pk}"' in form
    assert 'name="status"' in form
    assert f'<option value="{staff.pk}">' in form

    saved = client.post(
        url("item_edit", item.pk),
        {"text": "Live chat", "status": "planned", "owner": staff.pk},
        headers=HX,
    )
    html = saved.content.decode()
    assert saved.status_code == 200
    assert f'id="lane-{ideas.pk}"' in html
    assert '<span class="status-chip status-planned">Planned</span>' in html
    assert staff.display_name in html
    item.refresh_from_db()
    assert (item.text, item.status, item.owner_id) == ("Live chat", "planned", staff.pk)


def test_an_item_of_another_lane_kind_has_no_status_or_owner_fields(client, editor, journey):
    pains = lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS)
    item = item_create(actor=editor, lane=pains, stage=journey.stages.first(), text="Slow")
    login(client, editor)
    page = client.get(url("item_edit", item.pk)).content.decode()  # without JavaScript: a page
    assert 'name="text"' in page
    assert 'name="status"' not in page
    assert 'name="owner"' not in page


def test_an_item_alone_is_for_members_only(client, editor, staff, outsider, journey):
    pains = lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS)
    item = item_create(actor=editor, lane=pains, stage=journey.stages.first(), text="Slow")
    login(client, staff)
    assert client.get(url("item_card", item.pk), headers=HX).status_code == 200
    assert client.get(url("item_card", item.pk)).status_code == 302  # without htmx: the map
    login(client, outsider)
    assert client.get(url("item_card", item.pk), headers=HX).status_code == 404
    assert client.get(url("item_card", item.pk, ws="globex"), headers=HX).status_code == 404
