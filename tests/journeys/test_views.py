"""Journey pages end to end: creating, editing, moving, archiving, exporting and importing maps.

Invalid input answers 422 with the page re-rendered and the error on it, and writes nothing:
forms with their own page (new, edit, import, touchpoint edit) show it on the form, the map's
inline forms (stages, cards, moves, owners) show it on the re-rendered map.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journeys.blueprints import BLUEPRINTS
from journeys.models import Journey, JourneyState, Stage, Touchpoint
from journeys.services import journey_create, stage_create, touchpoint_create
from tests.conftest import login


def url(name: str, pk: int | None = None, ws: str = "acme") -> str:
    kwargs = {"ws": ws} if pk is None else {"ws": ws, "pk": pk}
    return reverse(f"journeys:{name}", kwargs=kwargs)


def layout(journey: Journey) -> list[tuple[str, list[str]]]:
    """The map as (stage, [touchpoint titles]) in stored order."""
    return [
        (stage.name, [tp.title for tp in stage.touchpoints.order_by("position")])
        for stage in journey.stages.order_by("position")
    ]


def upload(content: bytes | str, name: str = "journey.mot.json") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/json")


@pytest.fixture
def editor_client(client, editor):
    return login(client, editor)


@pytest.fixture
def stages(journey):
    research, buy = journey.stages.order_by("position")
    return research, buy


def tp(title: str) -> Touchpoint:
    return Touchpoint.objects.get(title=title)


# --- creating -----------------------------------------------------------------------------------


def test_new_page_offers_a_blank_map_and_every_template(editor_client):
    page = editor_client.get(url("new")).content.decode()

    assert 'name="template" value=""' in page
    for key, blueprint in BLUEPRINTS.items():
        assert f'name="template" value="{key}"' in page
        assert str(blueprint.label) in page


def test_new_page_preselects_the_template_in_the_link(editor_client):
    page = editor_client.get(url("new") + "?template=restaurant").content.decode()

    assert 'value="restaurant" checked' in page


@pytest.mark.parametrize("key", list(BLUEPRINTS))
def test_editor_creates_a_journey_from_each_template(editor_client, workspace, key):
    response = editor_client.post(url("new"), {"template": key, "name": ""})

    journey = Journey.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert response["Location"] == url("map", journey.pk)
    assert journey.name == str(BLUEPRINTS[key].label)
    assert journey.stages.count() >= 3
    assert journey.touchpoints.exclude(mot_stage="").exists()
    assert editor_client.get(response["Location"]).status_code == 200


def test_template_journey_takes_the_name_given(editor_client, workspace):
    editor_client.post(url("new"), {"template": "online_shop", "name": "Our web shop"})

    assert Journey.objects.get(workspace=workspace).name == "Our web shop"


def test_blank_journey_is_created_with_its_name_and_no_stages(editor_client, workspace):
    response = editor_client.post(url("new"), {"template": "", "name": "Claims"})

    journey = Journey.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert (journey.name, journey.stages.count()) == ("Claims", 0)


def test_blank_journey_without_a_name_answers_422_and_creates_nothing(editor_client):
    response = editor_client.post(url("new"), {"template": "", "name": "  "})

    assert response.status_code == 422
    assert "A blank map needs a name." in response.content.decode()
    assert not Journey.objects.exists()


def test_unknown_template_answers_422_and_creates_nothing(editor_client):
    response = editor_client.post(url("new"), {"template": "spaceship", "name": ""})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Journey.objects.exists()


# --- editing the journey ------------------------------------------------------------------------


def test_edit_page_shows_the_current_details(editor_client, journey):
    page = editor_client.get(url("edit", journey.pk)).content.decode()

    assert 'value="Online shop"' in page
    assert 'value="Shopper"' in page


def test_editor_saves_journey_details(editor_client, journey):
    response = editor_client.post(
        url("edit", journey.pk),
        {"name": "Web shop", "persona": "Buyer", "description": "Why", "state": "future"},
    )

    journey.refresh_from_db()
    assert response.status_code == 302
    assert (journey.name, journey.persona, journey.description, journey.state) == (
        "Web shop",
        "Buyer",
        "Why",
        JourneyState.FUTURE,
    )


def test_journey_edit_with_empty_name_answers_422_with_the_error_and_saves_nothing(
    editor_client, journey
):
    response = editor_client.post(
        url("edit", journey.pk),
        {"name": "", "persona": "Changed", "description": "", "state": "current"},
    )

    journey.refresh_from_db()
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert 'value="Changed"' in html  # what was typed is kept
    assert (journey.name, journey.persona) == ("Online shop", "Shopper")


def test_duplicate_creates_a_future_state_copy_of_the_whole_map(editor_client, journey, staff):
    checkout = tp("Checkout")
    checkout.owner = staff
    checkout.save()

    response = editor_client.post(url("duplicate", journey.pk), {"state": "future"})

    copy = Journey.objects.exclude(pk=journey.pk).get()
    assert response.status_code == 302
    assert response["Location"] == url("compare", copy.pk)
    assert copy.name == "Online shop (future state)"
    assert copy.state == JourneyState.FUTURE
    assert copy.persona == "Shopper"
    assert layout(copy) == layout(journey)
    assert copy.touchpoints.get(title="Checkout").owner == staff
    assert journey.touchpoints.count() == 3  # the original is untouched


def test_duplicate_with_an_invalid_state_answers_422_and_copies_nothing(editor_client, journey):
    response = editor_client.post(url("duplicate", journey.pk), {"state": "past"})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Journey.objects.count() == 1


def test_archived_journey_leaves_the_list_and_the_archived_filter_shows_it(editor_client, journey):
    response = editor_client.post(url("archive", journey.pk), {"archived": "on"})

    journey.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == url("list")
    assert journey.archived
    assert _listed(editor_client) == []
    assert _listed(editor_client, "?archived=1") == ["Online shop"]
    assert "Online shop" in editor_client.get(url("list") + "?archived=1").content.decode()


def test_restoring_an_archived_journey_brings_it_back_to_the_list(editor_client, journey):
    journey.archived = True
    journey.save()
    map_page = editor_client.get(url("map", journey.pk)).content.decode()
    assert "Restore" in map_page

    response = editor_client.post(url("archive", journey.pk), {})

    journey.refresh_from_db()
    assert response.status_code == 302
    assert not journey.archived
    assert _listed(editor_client) == ["Online shop"]
    assert _listed(editor_client, "?archived=1") == []


def test_delete_asks_first_then_deletes_the_journey_with_its_map(editor_client, journey):
    confirm = editor_client.get(url("delete", journey.pk))
    assert confirm.status_code == 200
    assert Journey.objects.filter(pk=journey.pk).exists()

    response = editor_client.post(url("delete", journey.pk))

    assert response.status_code == 302
    assert response["Location"] == url("list")
    assert not Journey.objects.exists()
    assert not Touchpoint.objects.exists()


# --- the list -------------------------------------------------------------------------------


@pytest.fixture
def three_journeys(editor):
    journey_create(actor=editor, name="Online shop", persona="Shopper")
    journey_create(actor=editor, name="Restaurant", persona="Diner", state="future")
    journey_create(actor=editor, name="Onboarding", persona="New shop owner")


def _listed(client, query: str = "") -> list[str]:
    response = client.get(url("list") + query)
    assert response.status_code == 200
    return [j.name for j in response.context["journeys"]]


def test_list_shows_the_workspaces_journeys_by_name(editor_client, three_journeys, outsider):
    journey_create(actor=outsider, name="Globex secret")

    assert _listed(editor_client) == ["Onboarding", "Online shop", "Restaurant"]


def test_list_search_matches_name_or_persona(editor_client, three_journeys):
    assert _listed(editor_client, "?q=shop") == ["Onboarding", "Online shop"]
    assert _listed(editor_client, "?q=DINER") == ["Restaurant"]
    assert _listed(editor_client, "?q=nothing-like-this") == []


def test_list_filters_by_state(editor_client, three_journeys):
    assert _listed(editor_client, "?state=future") == ["Restaurant"]
    assert _listed(editor_client, "?state=current") == ["Onboarding", "Online shop"]
    assert len(_listed(editor_client, "?state=bogus")) == 3  # an unknown state filters nothing


def test_list_says_when_no_journey_matches_the_filters(editor_client, three_journeys):
    page = editor_client.get(url("list") + "?q=zzz").content.decode()

    assert "No journey matches these filters." in page


# --- export and import ------------------------------------------------------------------------


def test_export_is_a_json_attachment_that_imports_into_another_workspace(
    client, journey, manager, staff, outsider
):
    touchpoint = tp("Reviews")
    touchpoint.owner = staff
    touchpoint.save()
    login(client, manager)

    exported = client.get(url("export", journey.pk))

    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/json"
    assert exported["Content-Disposition"] == 'attachment; filename="online-shop.mot.json"'
    document = json.loads(exported.content)
    assert document["journey"]["name"] == "Online shop"

    login(client, outsider)
    response = client.post(
        url("import", ws="globex"), {"file": upload(exported.content, "online-shop.mot.json")}
    )

    imported = Journey.objects.get(workspace=outsider.workspace)
    assert response.status_code == 302
    assert response["Location"] == url("map", imported.pk, ws="globex")
    assert layout(imported) == layout(journey)
    assert (imported.name, imported.persona) == ("Online shop", "Shopper")
    # Acme's staff member is nobody in Globex: the card arrives unassigned.
    assert not imported.touchpoints.filter(owner__isnull=False).exists()


def test_import_of_malformed_json_lists_the_errors_and_writes_nothing(editor_client):
    response = editor_client.post(url("import"), {"file": upload('{"format": "mot.journey",')})

    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported:" in html
    assert "The file is not valid JSON" in html
    assert not Journey.objects.exists()


def test_import_names_every_invalid_field_and_writes_nothing(editor_client):
    document = {
        "format": "mot.journey",
        "version": 1,
        "journey": {
            "name": "Broken",
            "stages": [
                {"name": "Fine", "touchpoints": [{"title": "Ok"}]},
                {"name": "", "touchpoints": [{"title": "Bad", "mot_stage": "xmot"}]},
            ],
        },
    }

    response = editor_client.post(url("import"), {"file": upload(json.dumps(document))})

    assert response.status_code == 422
    html = response.content.decode()
    assert "journey.stages[2].name" in html
    assert "journey.stages[2].touchpoints[1].mot_stage" in html
    assert not Journey.objects.exists()
    assert not Stage.objects.exists()


def test_import_of_a_file_that_is_not_a_journey_export_is_refused(editor_client):
    response = editor_client.post(url("import"), {"file": upload("[1, 2, 3]")})

    assert response.status_code == 422
    assert "This is not a MOT journey export" in response.content.decode()
    assert not Journey.objects.exists()


def test_import_over_the_size_limit_is_refused_with_a_clear_message(editor_client, settings):
    settings.JOURNEY_IMPORT_MAX_BYTES = 2048
    padding = " " * 4096
    response = editor_client.post(
        url("import"),
        {"file": upload('{"format": "mot.journey", "version": 1' + padding + "}")},
    )

    assert response.status_code == 422
    assert "The file is larger than 2 KB." in response.content.decode()
    assert not Journey.objects.exists()


def test_import_without_a_file_answers_422(editor_client):
    response = editor_client.post(url("import"), {})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


# --- stages -------------------------------------------------------------------------------------


def test_editor_adds_renames_and_deletes_a_stage(editor_client, journey, stages):
    research, _buy = stages

    created = editor_client.post(url("stage_create", journey.pk), {"name": "Delivery"})
    delivery = journey.stages.get(name="Delivery")
    assert created["Location"] == url("map", journey.pk) + f"#stage-{delivery.pk}"
    editor_client.post(url("stage_rename", research.pk), {"name": "Discover"})
    editor_client.post(url("stage_delete", delivery.pk))

    assert layout(journey) == [
        ("Discover", ["Reviews"]),
        ("Buy", ["Product page", "Checkout"]),
    ]


def test_stage_without_a_name_answers_422_on_the_map_and_adds_nothing(editor_client, journey):
    response = editor_client.post(url("stage_create", journey.pk), {"name": ""})

    assert response.status_code == 422
    html = response.content.decode()
    assert "Stage name: This field is required." in html
    assert 'class="board"' in html  # the map itself, re-rendered
    assert journey.stages.count() == 2


def test_stage_rename_to_empty_answers_422_and_keeps_the_name(editor_client, stages):
    research, _buy = stages

    response = editor_client.post(url("stage_rename", research.pk), {"name": ""})

    research.refresh_from_db()
    assert response.status_code == 422
    assert research.name == "Research"


def test_stage_move_right_and_left_persists_the_order(editor_client, journey, stages):
    research, _buy = stages

    editor_client.post(url("stage_move", research.pk), {"position": 1})
    assert [s for s, _ in layout(journey)] == ["Buy", "Research"]

    editor_client.post(url("stage_move", research.pk), {"position": 0})
    assert [s for s, _ in layout(journey)] == ["Research", "Buy"]


def test_stage_move_to_a_negative_position_answers_422_and_moves_nothing(
    editor_client, journey, stages
):
    research, _buy = stages

    response = editor_client.post(url("stage_move", research.pk), {"position": -1})

    assert response.status_code == 422
    assert [s for s, _ in layout(journey)] == ["Research", "Buy"]


# --- touchpoints --------------------------------------------------------------------------------


def test_editor_adds_a_touchpoint_to_the_end_of_a_stage(editor_client, journey, stages):
    _research, buy = stages

    response = editor_client.post(
        url("touchpoint_create", buy.pk),
        {"title": "Order e-mail", "channel": "email", "mot_stage": "amot", "phase": "purchase"},
    )

    created = tp("Order e-mail")
    assert response["Location"] == url("map", journey.pk) + f"#tp-{created.pk}"
    assert (created.channel, created.mot_stage, created.phase) == ("email", "amot", "purchase")
    assert layout(journey)[1] == ("Buy", ["Product page", "Checkout", "Order e-mail"])


def test_touchpoint_with_a_bad_channel_is_not_added_and_the_map_says_why(
    editor_client, journey, stages
):
    research, _buy = stages

    response = editor_client.post(
        url("touchpoint_create", research.pk),
        {"title": "Carrier pigeon", "channel": "pigeon", "mot_stage": "", "phase": "use"},
    )

    assert response.status_code == 422
    assert "Channel: Select a valid choice." in response.content.decode()
    assert not Touchpoint.objects.filter(title="Carrier pigeon").exists()


def test_touchpoint_edit_saves_the_card(editor_client, journey):
    card = tp("Reviews")

    response = editor_client.post(
        url("touchpoint_edit", card.pk),
        {
            "title": "Star ratings",
            "description": "On comparison sites",
            "channel": "search",
            "mot_stage": "",
            "phase": "purchase",
        },
    )

    card.refresh_from_db()
    assert response["Location"] == url("map", journey.pk) + f"#tp-{card.pk}"
    assert (card.title, card.description, card.channel, card.mot_stage) == (
        "Star ratings",
        "On comparison sites",
        "search",
        "",
    )


def test_touchpoint_edit_with_a_bad_channel_answers_422_with_the_error(editor_client, journey):
    card = tp("Reviews")

    response = editor_client.post(
        url("touchpoint_edit", card.pk),
        {
            "title": "Changed",
            "description": "",
            "channel": "teleport",
            "mot_stage": "zmot",
            "phase": "purchase",
        },
    )

    card.refresh_from_db()
    assert response.status_code == 422
    html = response.content.decode()
    assert "Select a valid choice. teleport is not one of the available choices." in html
    assert 'value="Changed"' in html
    assert (card.title, card.channel) == ("Reviews", "review_site")


def test_touchpoint_delete_closes_the_gap(editor_client, journey):
    editor_client.post(url("touchpoint_delete", tp("Product page").pk))

    checkout = tp("Checkout")
    assert (checkout.position, layout(journey)[1]) == (0, ("Buy", ["Checkout"]))


def test_touchpoint_moves_up_and_down_within_its_stage(editor_client, journey, stages):
    _research, buy = stages

    editor_client.post(url("touchpoint_move", tp("Checkout").pk), {"stage": buy.pk, "position": 0})
    assert layout(journey)[1] == ("Buy", ["Checkout", "Product page"])

    editor_client.post(url("touchpoint_move", tp("Checkout").pk), {"stage": buy.pk, "position": 1})
    assert layout(journey)[1] == ("Buy", ["Product page", "Checkout"])


def test_touchpoint_moves_across_stages_and_both_orders_persist(editor_client, journey, stages):
    research, buy = stages

    response = editor_client.post(
        url("touchpoint_move", tp("Reviews").pk), {"stage": buy.pk, "position": 1}
    )

    assert response.status_code == 302
    assert layout(journey) == [("Research", []), ("Buy", ["Product page", "Reviews", "Checkout"])]
    assert sorted(buy.touchpoints.values_list("position", flat=True)) == [0, 1, 2]

    editor_client.post(
        url("touchpoint_move", tp("Reviews").pk), {"stage": research.pk, "position": 0}
    )
    assert layout(journey) == [("Research", ["Reviews"]), ("Buy", ["Product page", "Checkout"])]


def test_touchpoint_moves_to_the_same_index_of_the_next_stage(editor_client, journey, stages):
    # What the map's arrow button posts when the card keeps its index: only the stage changes.
    _research, buy = stages

    response = editor_client.post(
        url("touchpoint_move", tp("Reviews").pk), {"stage": buy.pk, "position": 0}
    )

    assert response.status_code == 302
    assert layout(journey) == [("Research", []), ("Buy", ["Reviews", "Product page", "Checkout"])]
    assert (tp("Reviews").stage_id, tp("Reviews").position) == (buy.pk, 0)


def _card_html(page: str, card: Touchpoint) -> str:
    start = page.index(f'id="tp-{card.pk}"')
    return page[start : page.index("</li>", start)]


def _moves(card_html: str) -> list[str]:
    """The directions the card's arrow buttons post."""
    return re.findall(r'name="direction" value="(\w+)"', card_html)


def _menu(client, card: Touchpoint) -> str:
    """The card with its menu open, as its "Actions" button fetches it (htmx)."""
    response = client.get(
        url("touchpoint_card", card.pk) + "?focus=edit", headers={"HX-Request": "true"}
    )
    return _card_html(response.content.decode(), card)


def test_map_move_buttons_post_what_the_move_endpoint_expects(editor_client, journey, stages):
    page = editor_client.get(url("map", journey.pk)).content.decode()
    # The board's cards carry no controls but "Actions": the arrows come with the menu.
    assert _moves(page) == []
    assert f'href="{url("touchpoint_edit", tp("Reviews").pk)}" data-menu' in page

    # Reviews is alone in the first stage: it can only go to the next one.
    assert _moves(_menu(editor_client, tp("Reviews"))) == ["next"]
    # Product page is first of the last stage: down, or back to the previous stage.
    assert _moves(_menu(editor_client, tp("Product page"))) == ["down", "prev"]
    # Checkout is last: up, or back to the previous stage.
    checkout = _menu(editor_client, tp("Checkout"))
    assert _moves(checkout) == ["up", "prev"]
    assert f'action="{url("touchpoint_move", tp("Checkout").pk)}"' in checkout
    # Without JavaScript "Actions" leads to the edit page, which has the moves and delete.
    edit_page = editor_client.get(url("touchpoint_edit", tp("Checkout").pk)).content.decode()
    assert _moves(edit_page) == ["up", "down", "prev", "next"]
    assert f'action="{url("touchpoint_delete", tp("Checkout").pk)}"' in edit_page

    for direction in ["up", "prev"]:  # what Checkout's buttons post, pressed in turn
        response = editor_client.post(
            url("touchpoint_move", tp("Checkout").pk), {"direction": direction}
        )
        assert response.status_code == 302
    # Up: first of Buy; then to the previous stage at the same index: first of Research.
    assert layout(journey) == [("Research", ["Checkout", "Reviews"]), ("Buy", ["Product page"])]


def test_arrow_towards_a_missing_stage_is_refused(editor_client, journey, stages):
    before = layout(journey)
    response = editor_client.post(url("touchpoint_move", tp("Reviews").pk), {"direction": "prev"})
    assert response.status_code == 422
    assert "There is no stage on that side." in response.content.decode()
    assert layout(journey) == before


def test_move_without_a_target_is_refused(editor_client, journey, stages):
    before = layout(journey)
    response = editor_client.post(
        url("touchpoint_move", tp("Reviews").pk), {"direction": "sideways"}
    )
    assert response.status_code == 422
    assert layout(journey) == before


def test_move_to_another_journeys_stage_is_refused_and_nothing_moves(
    editor_client, editor, journey
):
    other = journey_create(actor=editor, name="Other")
    foreign_stage = stage_create(actor=editor, journey=other, name="Elsewhere")
    touchpoint_create(actor=editor, stage=foreign_stage, title="Resident")
    before = layout(journey)

    response = editor_client.post(
        url("touchpoint_move", tp("Reviews").pk), {"stage": foreign_stage.pk, "position": 0}
    )

    assert response.status_code == 422
    assert "Stage: Choose a stage of this journey." in response.content.decode()
    assert layout(journey) == before
    assert layout(other) == [("Elsewhere", ["Resident"])]


def test_move_to_another_workspaces_stage_is_refused_and_nothing_moves(
    editor_client, journey, outsider
):
    foreign = journey_create(actor=outsider, name="Globex map")
    foreign_stage = stage_create(actor=outsider, journey=foreign, name="Theirs")
    before = layout(journey)

    response = editor_client.post(
        url("touchpoint_move", tp("Reviews").pk), {"stage": foreign_stage.pk, "position": 0}
    )

    assert response.status_code == 422
    assert layout(journey) == before
    assert not foreign_stage.touchpoints.exists()


def test_move_without_a_position_is_refused(editor_client, journey, stages):
    _research, buy = stages
    before = layout(journey)

    response = editor_client.post(url("touchpoint_move", tp("Reviews").pk), {"stage": buy.pk})

    assert response.status_code == 422
    assert layout(journey) == before


# --- owners -------------------------------------------------------------------------------------


def test_owner_select_offers_exactly_the_workspaces_members(client, journey, personas, outsider):
    login(client, personas["staff"])

    page = client.get(url("map", journey.pk)).content.decode()

    for member in personas.values():
        assert f'<option value="{member.pk}"' in page
    assert f'<option value="{outsider.pk}"' not in page
    assert outsider.display_name not in page


def test_staff_assigns_and_clears_an_owner(client, journey, staff):
    login(client, staff)
    card = tp("Checkout")

    response = client.post(url("touchpoint_owner", card.pk), {"owner": staff.pk})
    card.refresh_from_db()
    assert response.status_code == 302
    assert card.owner == staff

    client.post(url("touchpoint_owner", card.pk), {"owner": ""})
    card.refresh_from_db()
    assert card.owner is None


def test_owner_from_another_workspace_is_refused_and_the_owner_is_kept(
    client, journey, staff, outsider
):
    card = tp("Checkout")
    card.owner = staff
    card.save()
    login(client, staff)

    response = client.post(url("touchpoint_owner", card.pk), {"owner": outsider.pk})

    card.refresh_from_db()
    assert response.status_code == 422
    assert "Owner: Choose a member of this workspace." in response.content.decode()
    assert card.owner == staff


def test_map_shows_each_cards_owner_and_moment(client, journey, staff):
    card = tp("Product page")
    card.owner = staff
    card.save()
    login(client, staff)

    page = client.get(url("map", journey.pk)).content.decode()

    assert "Sam" in page
    assert "FMOT" in page
    assert "No owner" in page
