"""The map editor's htmx answers: each endpoint, asked by htmx (``HX-Request: true``), answers
with the fragments that changed plus the out-of-band live region announcing what happened.

Without htmx the same endpoints redirect or re-render the page (tests/test_security.py covers
that side); here every answer must be a fragment, never a page.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from journeys.models import Channel, Journey, MotStage, Phase, Stage, Touchpoint
from journeys.services import journey_create, stage_create, touchpoint_create
from mot.models import Membership, Role
from tests.conftest import login
from tests.expectations import MAP_EDITORS, db_snapshot
from tests.journeys.test_map_queries import build_map

HX = {"HX-Request": "true"}
BOARD = {**HX, "HX-Target": "board"}
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
REQUIRED = "This field is required."

# A card swap: session, user, membership (+ workspace), the touchpoint (+ journey, stage, owner),
# members, the card, the journey's stages with their sizes, the card's moment with the journey's
# weakest moment (one query), the card's active follow-ups (one query, issue 14), its expectation
# sums of the last 90 days (one query, issue 17); setting the owner adds the owner's lookup and
# the save.
CARD_GET_QUERIES = 10
OWNER_POST_QUERIES = 12
# The board alone: the page's queries (session, user, membership, journey, members, stages,
# every card with its owner, the journey's moments, its active follow-ups per touchpoint, its
# touchpoints' expectation sums, and its lanes with the member's folds; a map with item or
# metrics lanes reads those too, see tests/journeys/test_lanes_views.py).
BOARD_QUERIES = 11
# A move: access, form, the move in a savepoint (source stage, locks, both stages' cards, and
# for each stage whose order changes: lift + renumber, two statements whatever its size), then
# each touched column (journey, members, stages, cards) and the emotion curve (the journey's
# outline, moments, active follow-ups and expectation sums per touchpoint). Depends on the
# move's shape (which stages change), never on the map's size. Same on SQLite and PostgreSQL.
MOVE_QUERIES = {  # the last card leaving its stage leaves nothing there to renumber
    "across-first-to-end": 26,
    "across-last-to-first": 24,
    "across-middle-to-middle": 26,
    "within-first-to-last": 20,
    "within-last-to-first": 20,
    "within-middle-down-one": 20,
}


def url(name: str, pk: int | None = None, ws: str = "acme") -> str:
    kwargs: dict[str, Any] = {"ws": ws}
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"journeys:{name}", kwargs=kwargs)


_MESSAGES = re.compile(r'<div id="messages"[^>]*\shx-swap-oob="innerHTML"[^>]*>(.*?)</div>', re.S)


def text_of(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def announced(html: str) -> str:
    """The text the live region announces (the out-of-band messages div)."""
    match = _MESSAGES.search(html)
    assert match, "no out-of-band messages div in:\n" + html[:1500]
    return text_of(match.group(1))


def fragment(response, status: int = 200) -> str:
    """The answer is a fragment (no page around it) with its out-of-band live region."""
    html = response.content.decode()
    assert response.status_code == status, html[:2000]
    assert "<html" not in html
    assert "<body" not in html
    assert html.count('id="messages"') == 1
    announced(html)
    return html


def card_of(html: str, tp: Touchpoint) -> str:
    match = re.search(rf'<li class="card[^"]*" id="tp-{tp.pk}".*?</li>', html, re.S)
    assert match, f"no card for {tp.title!r}"
    return match.group(0)


def column_of(html: str, stage: Stage) -> str:
    match = re.search(
        rf'<section class="stage" id="stage-{stage.pk}"[^>]*>.*?</section>', html, re.S
    )
    assert match, f"no column for {stage.name!r}"
    return match.group(0)


def card_titles(html: str) -> list[str]:
    return [text_of(t) for t in re.findall(r'<h3 class="card-title[^"]*">(.*?)</h3>', html, re.S)]


@dataclass
class Map:
    journey: Journey
    research: Stage
    buy: Stage
    reviews: Touchpoint
    product: Touchpoint
    checkout: Touchpoint
    staff: Membership


@pytest.fixture
def world(journey, staff) -> Map:
    research, buy = journey.stages.order_by("position")
    tps = {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}
    return Map(journey, research, buy, tps["Reviews"], tps["Product page"], tps["Checkout"], staff)


@pytest.fixture
def hx(client, editor) -> Client:
    return login(client, editor)


# --- the board ------------------------------------------------------------------------------------


def test_board_target_gets_the_board_fragment_only(hx, world):
    response = hx.get(url("map", world.journey.pk), headers=BOARD)

    html = fragment(response)
    assert 'id="board-help"' in html
    assert 'class="board"' in html
    assert 'id="map-filters"' not in html  # the filter form stays; only the board is swapped
    assert card_titles(html) == ["Reviews", "Product page", "Checkout"]
    assert announced(html) == ""
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in response.get("Vary", "").split(",")}


def test_htmx_request_without_board_target_gets_the_page(hx, world):
    response = hx.get(url("map", world.journey.pk), headers=HX)

    assert response.status_code == 200
    assert "<html" in response.content.decode()


# --- touchpoints ----------------------------------------------------------------------------------


def test_edit_swaps_the_form_into_the_card(hx, world):
    html = fragment(hx.get(url("touchpoint_edit", world.reviews.pk), headers=HX))

    card = card_of(html, world.reviews)
    assert 'class="card editing"' in card
    assert f'hx-post="{url("touchpoint_edit", world.reviews.pk)}"' in card
    assert 'value="Reviews"' in card
    assert f'hx-get="{url("touchpoint_card", world.reviews.pk)}"' in card  # Cancel
    assert announced(html) == ""


def _fields(title: str) -> dict[str, str]:
    return {"title": title, "description": "", "channel": "email", "mot_stage": "", "phase": "use"}


def test_valid_edit_answers_the_card_and_announces_the_save(hx, world):
    response = hx.post(
        url("touchpoint_edit", world.reviews.pk), _fields("Star ratings"), headers=HX
    )

    html = fragment(response)
    card = card_of(html, world.reviews)
    assert 'class="card"' in card
    assert "Star ratings" in card
    assert "<form" not in card.split('class="owner"')[0]  # the card, not the form
    assert re.search(r"<a [^>]*data-autofocus[^>]*>Edit", card.replace("\n", " "))
    assert announced(html) == "Touchpoint “Star ratings” saved."
    world.reviews.refresh_from_db()
    assert (world.reviews.title, world.reviews.channel) == ("Star ratings", Channel.EMAIL)


def test_empty_title_answers_422_with_the_form_and_the_error_in_place(hx, world):
    before = db_snapshot()

    response = hx.post(url("touchpoint_edit", world.reviews.pk), _fields(""), headers=HX)

    html = fragment(response, 422)
    card = card_of(html, world.reviews)
    assert 'class="card editing"' in card
    assert f'id="edit-{world.reviews.pk}-title-error"' in card
    assert REQUIRED in card
    assert announced(html) == "Please correct the highlighted fields."
    assert db_snapshot() == before


def _comparable(card: str) -> str:
    card = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", card)
    card = re.sub(r"\s*data-autofocus", "", card)
    return re.sub(r"\s+>", ">", re.sub(r"\s+", " ", card))


def test_card_get_answers_the_card_as_the_board_shows_it(hx, world):
    html = fragment(hx.get(url("touchpoint_card", world.product.pk) + "?focus=menu", headers=HX))

    board = hx.get(url("map", world.journey.pk), headers=BOARD).content.decode()
    # Closed, the card is the board's (its "Actions" button focused): only the focus mark
    # differs.
    assert _comparable(card_of(html, world.product)) == _comparable(card_of(board, world.product))
    assert "data-autofocus" in card_of(html, world.product).split("Actions</a>")[0].split("<a ")[-1]
    assert announced(html) == ""


def test_card_menu_opens_with_the_controls_the_board_leaves_out(hx, world):
    board = card_of(
        hx.get(url("map", world.journey.pk), headers=BOARD).content.decode(), world.product
    )
    # On the board: no form, no CSRF token, no arrow; one "Actions" link to the edit page.
    assert "<form" not in board
    assert "csrfmiddlewaretoken" not in board
    assert "hx-" not in board
    assert len(re.findall(r"<a [^>]*data-menu", board)) == 1
    assert f'href="{url("touchpoint_edit", world.product.pk)}" data-menu' in board

    opened = card_of(
        fragment(hx.get(url("touchpoint_card", world.product.pk), headers=HX)), world.product
    )
    assert 'aria-expanded="true"' in opened
    assert re.search(r'hx-get="[^"]+/edit/"\s*data-autofocus', opened)  # focus on Edit
    assert re.findall(r'name="direction" value="(\w+)"', opened) == ["down", "prev"]
    assert "Change who owns Product page" in opened
    assert f'hx-post="{url("touchpoint_delete", world.product.pk)}"' in opened


def test_add_touchpoint_answers_its_column_out_of_band(hx, world):
    response = hx.post(
        url("touchpoint_create", world.research.pk),
        {"title": "Newsletter", "channel": "email", "mot_stage": "zmot", "phase": "purchase"},
        headers=HX,
    )

    html = fragment(response)
    column = column_of(html, world.research)
    assert 'hx-swap-oob="true"' in column.split(">")[0]
    assert card_titles(column) == ["Reviews", "Newsletter"]
    assert re.search(r'id="tp-title-\d+"[^>]*\n?\s*data-autofocus', column)
    assert announced(html) == "Touchpoint “Newsletter” added."
    assert world.research.touchpoints.filter(title="Newsletter", position=1).exists()


def test_add_touchpoint_with_empty_title_answers_422_with_the_message(hx, world):
    before = db_snapshot()

    response = hx.post(
        url("touchpoint_create", world.research.pk),
        {"title": "", "channel": "email", "mot_stage": "", "phase": "use"},
        headers=HX,
    )

    html = fragment(response, 422)
    column = column_of(html, world.research)
    assert 'hx-swap-oob="true"' in column.split(">")[0]
    assert '<details class="add-touchpoint" open>' in column
    assert announced(html) == f"Title: {REQUIRED}"
    assert db_snapshot() == before


def test_delete_touchpoint_answers_its_column(hx, world):
    html = fragment(hx.post(url("touchpoint_delete", world.product.pk), headers=HX))

    column = column_of(html, world.buy)
    assert 'hx-swap-oob="true"' in column.split(">")[0]
    assert card_titles(column) == ["Checkout"]
    assert announced(html) == "Touchpoint “Product page” deleted."
    assert not Touchpoint.objects.filter(pk=world.product.pk).exists()


# --- owners ---------------------------------------------------------------------------------------


def test_owner_answers_the_card_with_its_new_owner(hx, world, staff):
    response = hx.post(url("touchpoint_owner", world.reviews.pk), {"owner": staff.pk}, headers=HX)

    html = fragment(response)
    card = card_of(html, world.reviews)
    assert staff.display_name in card
    # The picker closes; focus returns to the card's "Owner…" control, in its open menu.
    assert re.search(r'class="button secondary small owner-open"[^>]*data-autofocus', card)
    assert 'aria-expanded="true"' in card
    assert announced(html) == f"{staff.display_name} now owns “Reviews”."
    world.reviews.refresh_from_db()
    assert world.reviews.owner_id == staff.pk

    cleared = fragment(
        hx.post(url("touchpoint_owner", world.reviews.pk), {"owner": ""}, headers=HX)
    )
    assert "No owner" in card_of(cleared, world.reviews)
    assert announced(cleared) == "“Reviews” has no owner now."


def test_owner_picker_lists_every_member_by_name_and_email(hx, world, staff, personas, outsider):
    Touchpoint.objects.filter(pk=world.reviews.pk).update(owner=staff)

    # The whole fragment: the picker's own <li>s end card_of's match early.
    card = fragment(hx.get(url("touchpoint_owner", world.reviews.pk), headers=HX))
    assert card.startswith(f'<li class="card" id="tp-{world.reviews.pk}"')

    # One radio per member of the workspace, and "Nobody"; the owner's is checked.
    options = re.findall(r'<li data-search="([^"]*)"><label class="check">(.*?)</label></li>', card)
    members = list(staff.workspace.memberships.select_related("user"))
    assert len(options) == len(members) + 1
    for member in members:
        option = next(o for o in options if f'value="{member.pk}"' in o[1])
        assert member.display_name in option[1]
        assert member.user.email in option[1]
        assert member.display_name.casefold() in option[0]  # what typing filters on
        assert (" checked" in option[1]) == (member.pk == staff.pk)
    assert outsider.display_name not in card
    assert 'type="search"' in card
    assert re.search(r"data-owner-search\s+data-autofocus", card)
    assert f'hx-post="{url("touchpoint_owner", world.reviews.pk)}"' in card
    # Cancel goes back to the card's menu, focus on its "Owner…".
    assert f'hx-get="{url("touchpoint_card", world.reviews.pk)}?focus=owner"' in card


def test_a_lane_item_menu_opens_on_demand(hx, world, editor):
    from journeys.services.lanes import item_create, lane_create

    lane = lane_create(actor=editor, journey=world.journey, kind="pains")
    item = item_create(actor=editor, lane=lane, stage=world.research, text="Slow site")
    board = hx.get(url("map", world.journey.pk), headers=BOARD).content.decode()
    closed = re.search(rf'<li class="lane-item[^"]*" id="item-{item.pk}".*?</li>', board, re.S)
    assert "<form" not in closed.group(0)
    assert "data-menu" in closed.group(0)

    opened = fragment(hx.get(url("item_card", item.pk) + "?focus=edit", headers=HX))
    item_html = re.search(rf'id="item-{item.pk}".*?</li>', opened, re.S).group(0)
    assert 'aria-expanded="true"' in item_html
    assert re.findall(r'name="direction" value="(\w+)"', item_html) == ["next"]


def test_owner_from_another_workspace_answers_422_and_keeps_the_owner(hx, world, staff, outsider):
    Touchpoint.objects.filter(pk=world.reviews.pk).update(owner=staff)

    response = hx.post(
        url("touchpoint_owner", world.reviews.pk), {"owner": outsider.pk}, headers=HX
    )

    html = fragment(response, 422)
    card = card_of(html, world.reviews)
    assert staff.display_name in card
    assert outsider.display_name not in html
    assert announced(html) == "Owner: Choose a member of this workspace."
    world.reviews.refresh_from_db()
    assert world.reviews.owner_id == staff.pk


# --- moves ----------------------------------------------------------------------------------------


def _move(client: Client, tp: Touchpoint, stage: Stage, position: int, focus: str = "card"):
    return client.post(
        url("touchpoint_move", tp.pk),
        {"stage": stage.pk, "position": position, "focus": focus},
        headers=HX,
    )


def test_move_across_stages_answers_both_columns(hx, world):
    html = fragment(_move(hx, world.reviews, world.buy, 1, "next"))

    research, buy = column_of(html, world.research), column_of(html, world.buy)
    assert 'hx-swap-oob="true"' in research.split(">")[0]
    assert 'hx-swap-oob="true"' in buy.split(">")[0]
    assert card_titles(research) == []
    assert card_titles(buy) == ["Product page", "Reviews", "Checkout"]
    assert announced(html) == "“Reviews” moved."
    # Moved to the last stage: no "next" arrow any more, so focus goes to the card.
    assert re.search(rf'<li class="card" id="tp-{world.reviews.pk}"[^>]*data-autofocus', buy)
    world.reviews.refresh_from_db()
    assert (world.reviews.stage_id, world.reviews.position) == (world.buy.pk, 1)


def test_move_within_a_stage_answers_that_column_only(hx, world):
    html = fragment(_move(hx, world.checkout, world.buy, 0, "up"))

    assert f'id="stage-{world.research.pk}"' not in html
    assert card_titles(column_of(html, world.buy)) == ["Checkout", "Product page"]


def _autofocused(html: str) -> list[str]:
    """The opening tag of each element marked to take focus."""
    return re.findall(r"<[a-z0-9]+\s[^>]*\bdata-autofocus\b[^>]*>", html.replace("\n", " "))


def test_focus_stays_on_the_moved_cards_move_down_button(hx, world, editor):
    # A card below, so the moved card still has its "move down" arrow.
    touchpoint_create(actor=editor, stage=world.buy, title="Receipt")

    html = fragment(_move(hx, world.product, world.buy, 1, "down"))

    assert card_titles(column_of(html, world.buy)) == ["Checkout", "Product page", "Receipt"]
    (marked,) = _autofocused(html)
    assert 'class="icon move-down"' in marked
    assert marked in card_of(html, world.product).replace("\n", " ")


def test_focus_falls_back_to_the_card_once_it_is_last(hx, world):
    html = fragment(_move(hx, world.product, world.buy, 1, "down"))

    assert card_titles(column_of(html, world.buy)) == ["Checkout", "Product page"]
    (marked,) = _autofocused(html)
    assert marked.startswith(f'<li class="card" id="tp-{world.product.pk}"')
    assert "move-down" not in card_of(html, world.product)


def test_move_to_another_journeys_stage_is_refused_with_the_board(hx, world, editor):
    other = journey_create(actor=editor, name="Other")
    foreign = stage_create(actor=editor, journey=other, name="Elsewhere")
    before = db_snapshot()

    response = _move(hx, world.reviews, foreign, 0)

    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert html.startswith('<div id="board" hx-swap-oob="innerHTML">')
    assert card_titles(html) == ["Reviews", "Product page", "Checkout"]
    assert announced(html) == "Stage: Choose a stage of this journey."
    assert db_snapshot() == before


class _DivAncestry(HTMLParser):
    """The ids of the divs enclosing each div with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ancestors: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div":
            own = dict(attrs).get("id") or ""
            if own:
                self.ancestors[own] = list(filter(None, self.stack))
            self.stack.append(own)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self.stack.pop()


def test_refused_move_keeps_the_live_region_out_of_the_board(hx, world, editor):
    foreign = stage_create(actor=editor, journey=journey_create(actor=editor, name="X"), name="Y")

    parser = _DivAncestry()
    parser.feed(_move(hx, world.reviews, foreign, 0).content.decode())

    assert parser.ancestors["board"] == []
    assert parser.ancestors["messages"] == []


# --- stages ---------------------------------------------------------------------------------------


def _stage_titles(html: str) -> list[str]:
    return [t.strip() for t in re.findall(r'<h2 id="stage-title-\d+"[^>]*>([^<]*)<', html)]


def test_add_stage_answers_the_board(hx, world):
    html = fragment(hx.post(url("stage_create", world.journey.pk), {"name": "Use"}, headers=HX))

    assert _stage_titles(html) == ["Research", "Buy", "Use"]
    assert re.search(r'id="new-stage-name"[^>]*\n?\s*data-autofocus', html)
    assert announced(html) == "Stage “Use” added."


def test_add_stage_with_empty_name_answers_422_with_the_message(hx, world):
    before = db_snapshot()

    html = fragment(hx.post(url("stage_create", world.journey.pk), {"name": ""}, headers=HX), 422)

    assert 'class="board"' in html
    assert announced(html) == f"Stage name: {REQUIRED}"
    assert db_snapshot() == before


def test_rename_stage_answers_its_head(hx, world):
    response = hx.post(url("stage_rename", world.research.pk), {"name": "Discover"}, headers=HX)

    html = fragment(response)
    assert html.lstrip().startswith(
        f'<header class="stage-head" id="stage-head-{world.research.pk}"'
    )
    assert "Discover" in html
    assert re.search(rf'<h2 id="stage-title-{world.research.pk}"[^>]*data-autofocus', html)
    assert announced(html) == "Stage renamed to “Discover”."
    world.research.refresh_from_db()
    assert world.research.name == "Discover"


def test_rename_stage_to_nothing_answers_422_with_the_error_in_place(hx, world):
    before = db_snapshot()

    response = hx.post(url("stage_rename", world.research.pk), {"name": "  "}, headers=HX)

    html = fragment(response, 422)
    assert html.lstrip().startswith(
        f'<header class="stage-head" id="stage-head-{world.research.pk}"'
    )
    assert '<details class="stage-tools" open>' in html
    error = re.search(
        rf'<p class="errorlist" id="stage-name-error-{world.research.pk}">(.*?)</p>', html
    )
    assert error
    assert error.group(1) == REQUIRED
    assert f'aria-describedby="stage-name-error-{world.research.pk}"' in html
    assert announced(html) == f"Stage name: {REQUIRED}"
    assert db_snapshot() == before


def test_move_stage_answers_the_board(hx, world):
    html = fragment(hx.post(url("stage_move", world.research.pk), {"position": 1}, headers=HX))

    assert _stage_titles(html) == ["Buy", "Research"]
    assert re.search(rf'<h2 id="stage-title-{world.research.pk}"[^>]*data-autofocus', html)
    assert announced(html) == "Stage “Research” moved to position 2 of 2."


def test_a_keyboard_stage_move_keeps_the_focus_on_the_stage_handle(hx, world):
    html = fragment(
        hx.post(
            url("stage_move", world.research.pk), {"position": 1, "focus": "stage-grip"}, headers=HX
        )
    )

    assert _stage_titles(html) == ["Buy", "Research"]
    cell = re.search(
        rf'<li class="stage-bar-cell" data-stage-id="{world.research.pk}".*?</li>', html, re.S
    )
    assert cell
    assert 'class="stage-grip"' in cell.group(0)
    assert "data-autofocus" in cell.group(0)
    assert "(position 2 of 2)" in cell.group(0)
    assert html.count("data-autofocus") == 1


def test_delete_stage_answers_the_board(hx, world):
    html = fragment(hx.post(url("stage_delete", world.research.pk), headers=HX))

    assert f'id="stage-{world.research.pk}"' not in html
    assert card_titles(html) == ["Product page", "Checkout"]
    assert announced(html) == "Stage “Research” deleted."


# --- who may do what, asked by htmx ---------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    pk: Callable[[Map], int]
    data: Callable[[Map], dict[str, Any]] = lambda w: {}
    headers: tuple[tuple[str, str], ...] = tuple(HX.items())
    edits_map: bool = True

    def send(self, client: Client, world: Map, ws: str = "acme", **headers: str):
        target = url(self.name, self.pk(world), ws)
        all_headers = {**dict(self.headers), **headers}
        if self.method == "GET":
            return client.get(target, headers=all_headers)
        return client.post(target, self.data(world), headers=all_headers)


CALLS = [
    Call("map", "GET", lambda w: w.journey.pk, headers=tuple(BOARD.items()), edits_map=False),
    Call("touchpoint_card", "GET", lambda w: w.reviews.pk, edits_map=False),
    Call(
        "touchpoint_owner",
        "POST",
        lambda w: w.reviews.pk,
        lambda w: {"owner": w.staff.pk},
        edits_map=False,
    ),
    Call("touchpoint_edit", "GET", lambda w: w.reviews.pk),
    Call("touchpoint_edit", "POST", lambda w: w.reviews.pk, lambda w: _fields("Star ratings")),
    Call("touchpoint_create", "POST", lambda w: w.research.pk, lambda w: _fields("Newsletter")),
    Call("touchpoint_delete", "POST", lambda w: w.reviews.pk),
    Call(
        "touchpoint_move",
        "POST",
        lambda w: w.reviews.pk,
        lambda w: {"stage": w.buy.pk, "position": 0, "focus": "card"},
    ),
    Call("stage_create", "POST", lambda w: w.journey.pk, lambda w: {"name": "Use"}),
    Call("stage_rename", "POST", lambda w: w.research.pk, lambda w: {"name": "Discover"}),
    Call("stage_move", "POST", lambda w: w.research.pk, lambda w: {"position": 1}),
    Call("stage_delete", "POST", lambda w: w.research.pk),
]
WRITES = [c for c in CALLS if c.method == "POST"]


def _call_id(call: Call) -> str:
    return f"{call.name}-{call.method}"


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("call", CALLS, ids=_call_id)
def test_htmx_role_matrix(client, world, personas, call, role):
    login(client, personas[role])
    before = db_snapshot()

    response = call.send(client, world)

    allowed = role in MAP_EDITORS or not call.edits_map
    if allowed:
        fragment(response)
    else:
        assert response.status_code == 403
        assert db_snapshot() == before


@pytest.mark.parametrize("ws", ["acme", "globex"])
@pytest.mark.parametrize("call", CALLS, ids=_call_id)
def test_htmx_outsider_gets_404_and_changes_nothing(client, world, outsider, call, ws):
    login(client, outsider)
    before = db_snapshot()

    response = call.send(client, world, ws)

    assert response.status_code == 404
    assert db_snapshot() == before


@pytest.mark.parametrize("call", WRITES, ids=_call_id)
def test_htmx_post_needs_the_csrf_header(world, admin, call):
    client = login(Client(enforce_csrf_checks=True), admin)
    page = client.get(url("map", world.journey.pk)).content.decode()  # sets the CSRF cookie
    before = db_snapshot()

    refused = call.send(client, world)

    assert refused.status_code == 403
    assert db_snapshot() == before

    token = json.loads(re.search(r"<body[^>]*\shx-headers='([^']*)'", page).group(1))
    accepted = call.send(client, world, **token)
    fragment(accepted)


# --- escaping -------------------------------------------------------------------------------------


@pytest.fixture
def hostile(world, editor) -> Touchpoint:
    return touchpoint_create(actor=editor, stage=world.research, title=SCRIPT, description=SCRIPT)


def _escaped(html: str) -> None:
    assert ESCAPED in html
    assert "<script" not in html


@pytest.mark.parametrize("where", ["card", "card_form", "column", "board", "owner", "move"])
def test_script_title_is_text_in_every_fragment(hx, world, hostile, staff, where):
    if where == "card":
        response = hx.get(url("touchpoint_card", hostile.pk), headers=HX)
    elif where == "card_form":
        response = hx.get(url("touchpoint_edit", hostile.pk), headers=HX)
    elif where == "column":
        response = hx.post(url("touchpoint_create", world.research.pk), _fields(SCRIPT), headers=HX)
    elif where == "board":
        response = hx.get(url("map", world.journey.pk), headers=BOARD)
    elif where == "owner":
        response = hx.post(url("touchpoint_owner", hostile.pk), {"owner": staff.pk}, headers=HX)
    else:
        response = _move(hx, hostile, world.buy, 0)

    html = fragment(response)
    _escaped(html)


def test_script_title_is_text_in_the_invalid_form_too(hx, hostile):
    response = hx.post(
        url("touchpoint_edit", hostile.pk), {**_fields(SCRIPT), "channel": "bogus"}, headers=HX
    )

    _escaped(fragment(response, 422))


# --- filters --------------------------------------------------------------------------------------


@pytest.fixture
def filtered_map(world, editor, staff) -> Map:
    touchpoint_create(
        actor=editor, stage=world.buy, title="Review request", mot_stage=MotStage.LMOT, owner=staff
    )
    touchpoint_create(
        actor=editor,
        stage=world.research,
        title="Word of mouth",
        mot_stage=MotStage.LMOT,
        phase=Phase.POST_SALE,
    )
    Touchpoint.objects.filter(pk=world.reviews.pk).update(owner=staff)
    return world


def _board(client: Client, world: Map, query: str) -> str:
    return fragment(client.get(url("map", world.journey.pk) + query, headers=BOARD))


def test_board_filtered_by_mot_shows_only_those_cards(hx, filtered_map):
    html = _board(hx, filtered_map, "?mot=lmot")

    assert sorted(card_titles(html)) == ["Review request", "Word of mouth"]
    assert "Showing 2 touchpoints that match the filters." in text_of(html)
    # A filtered board cannot be reordered: no drag target, no arrows.
    assert "data-movable" not in html
    assert "move-up" not in html
    assert "move-down" not in html
    assert 'data-can-reorder="0"' in html


def test_board_filtered_by_unassigned_shows_only_cards_without_owner(hx, filtered_map):
    html = _board(hx, filtered_map, "?owner=unassigned")

    assert sorted(card_titles(html)) == ["Checkout", "Product page", "Word of mouth"]


def test_board_filtered_by_owner_and_moments(hx, filtered_map, staff):
    assert sorted(card_titles(_board(hx, filtered_map, f"?owner={staff.pk}"))) == [
        "Review request",
        "Reviews",
    ]
    assert sorted(card_titles(_board(hx, filtered_map, "?mot=zmot&mot=none"))) == [
        "Checkout",
        "Reviews",
    ]


@pytest.mark.parametrize(
    "query", ["?owner=99999", "?channel=bogus", "?phase=nope&mot=xmot", "?owner=-1&mot="]
)
def test_invalid_filter_values_filter_nothing(hx, filtered_map, query):
    html = _board(hx, filtered_map, query)

    assert len(card_titles(html)) == 5
    assert "data-movable" in html  # not filtered, so the board can still be reordered


def test_card_swapped_on_a_filtered_board_has_no_move_controls(hx, filtered_map):
    page_url = "http://testserver" + url("map", filtered_map.journey.pk) + "?mot=zmot"

    response = hx.get(
        url("touchpoint_card", filtered_map.reviews.pk), headers={**HX, "HX-Current-URL": page_url}
    )

    card = card_of(fragment(response), filtered_map.reviews)
    assert "data-movable" not in card
    assert "move-" not in card


# --- a fixed number of queries, whatever the map's size -------------------------------------------


def _middle_card(journey: Journey) -> Touchpoint:
    stages = list(journey.stages.order_by("position"))
    stage = stages[len(stages) // 2]
    return stage.touchpoints.order_by("position")[stage.touchpoints.count() // 2]


def test_card_swap_runs_the_same_queries_on_one_card_and_on_2400(
    client, editor, staff, small_and_large, django_assert_num_queries
):
    login(client, editor)
    for journey in small_and_large:
        tp = _middle_card(journey)
        with django_assert_num_queries(CARD_GET_QUERIES):
            fragment(client.get(url("touchpoint_card", tp.pk), headers=HX))
        with django_assert_num_queries(OWNER_POST_QUERIES):
            html = fragment(
                client.post(url("touchpoint_owner", tp.pk), {"owner": staff.pk}, headers=HX)
            )
        assert staff.display_name in card_of(html, tp)


def test_board_fragment_runs_the_same_queries_on_one_card_and_on_2400(
    client, editor, small_and_large, django_assert_num_queries
):
    login(client, editor)
    small, large = small_and_large
    with django_assert_num_queries(BOARD_QUERIES):
        fragment(client.get(url("map", small.pk), headers=BOARD))
    with django_assert_num_queries(BOARD_QUERIES):
        html = fragment(client.get(url("map", large.pk), headers=BOARD))
    assert html.count('class="card"') == 2400
    with django_assert_num_queries(BOARD_QUERIES):
        filtered = fragment(client.get(url("map", large.pk) + "?mot=lmot", headers=BOARD))
    assert 0 < filtered.count('class="card"') < 2400


def test_by_persona_board_fragment_adds_two_queries_whatever_the_size(
    client, editor, small_and_large, django_assert_num_queries
):
    """The curve's "By persona" toggle swaps the board: it reads the journey's personas and
    their segments' answer counts (one grouped query), whatever the number of cards."""
    from journeys.models import Persona

    small, large = small_and_large
    for i in range(4):
        persona = Persona.objects.create(
            workspace=editor.workspace, name=f"P{i}", segment=f"segment-{i}"
        )
        persona.journeys.add(small, large)
    login(client, editor)
    toggle = {**BOARD, "HX-Trigger": "curve-by"}
    for journey in (small, large):
        with django_assert_num_queries(BOARD_QUERIES + 2):
            html = fragment(
                client.get(url("map", journey.pk) + "?curve_by=persona", headers=toggle)
            )
        assert html.count('class="curve-swatch p') == 4


# (source stage, source position, target stage, target position) with "first"/"middle"/"last"
# standing for 0, n // 2 and n - 1 in an n-card stage.
MOVES = {
    "across-first-to-end": (5, "first", 6, "end"),
    "across-last-to-first": (5, "last", 6, "first"),
    "across-middle-to-middle": (0, "middle", 11, "middle"),
    "within-first-to-last": (3, "first", 3, "last"),
    "within-last-to-first": (3, "last", 3, "first"),
    "within-middle-down-one": (3, "middle", 3, "middle+1"),
}


def _position(name: str, n: int) -> int:
    return {"first": 0, "middle": n // 2, "middle+1": n // 2 + 1, "last": n - 1, "end": n}[name]


@pytest.mark.parametrize("case", MOVES)
def test_move_runs_the_same_queries_on_12x3_and_on_12x200(
    client, personas, editor, django_assert_num_queries, case
):
    owners = list(personas.values())
    login(client, editor)
    from_stage, from_pos, to_stage, to_pos = MOVES[case]
    for per_stage in (3, 200):
        journey = Journey.objects.create(workspace=editor.workspace, name=f"{per_stage} a stage")
        build_map(journey, stages=12, per_stage=per_stage, owners=owners)
        stages = list(journey.stages.order_by("position"))
        tp = stages[from_stage].touchpoints.get(position=_position(from_pos, per_stage))
        target = stages[to_stage]
        position = _position(to_pos, per_stage)

        with django_assert_num_queries(MOVE_QUERIES[case]):
            html = fragment(_move(client, tp, target, position))

        tp.refresh_from_db()
        expected = min(position, per_stage - (1 if from_stage == to_stage else 0))
        assert (tp.stage_id, tp.position) == (target.pk, expected)
        assert announced(html) == f"“{tp.title}” moved."
        assert list(target.touchpoints.order_by("position").values_list("position", flat=True)) == (
            list(range(target.touchpoints.count()))
        )
