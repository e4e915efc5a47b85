"""Closed cards and lane items drawn once and looked up after (journeys/map/cards.py ``Drawn``):
the same inputs give the very same drawing; any input a closed card or item shows, and the
request's scope (language, permissions, minimum sample), gives a fresh one."""

from __future__ import annotations

import pytest
from django.utils import translation

from journeys.map.cards import DRAWN, Card, CardRenderer, Drawn, Neighbours
from metrics.read.moments import JourneyMoments, TouchpointMoment

WHERE = Neighbours(total=1, previous_stage=None, next_stage=None)
OWNERS = {7: "Ana Owner"}


@pytest.fixture(autouse=True)
def empty():
    DRAWN.clear()
    yield
    DRAWN.clear()


def card(**changes) -> Card:
    fields = {
        "pk": 1,
        "stage_id": 10,
        "position": 0,
        "title": "Checkout",
        "description": "Pay",
        "channel": "website",
        "mot_stage": "smot",
        "phase": "use",
        "owner_id": 7,
    }
    return Card(**{**fields, **changes})


def renderer(*, owners=OWNERS, glory=30, weakest=None, followups=None, **scope) -> CardRenderer:
    settings = {"can_edit": True, "can_assign": True, "can_reorder": True, "min_sample": 30}
    r = CardRenderer(ws="acme", csrf_token="t", owners=owners, **{**settings, **scope})
    n = glory + 15  # "enough" as metrics.read.moments says it, against the minimum sample
    moment = TouchpointMoment(glory, 10, 5, 100 * (glory - 5) / n, n, n >= r.labels.min_sample)
    r.moments = JourneyMoments(moments={1: moment}, weakest=weakest)
    r.followups = followups or {}
    return r


def test_the_same_card_is_looked_up_not_drawn_again(monkeypatch):
    first = renderer().render(card(), WHERE)
    drawn = []
    monkeypatch.setattr(CardRenderer, "_draw", lambda self, *a, **k: drawn.append(1) or "x")
    again = renderer().render(card(), WHERE)
    assert again is first
    assert drawn == []


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"card": {"title": "Pay now"}}, "Pay now"),
        ({"card": {"description": "Card or cash"}}, "Card or cash"),
        ({"card": {"mot_stage": "zmot"}}, "mot-zmot"),
        ({"card": {"owner_id": None}}, "No owner"),
        ({"owners": {7: "Bea Other"}}, "Bea Other"),
        ({"glory": 40}, "of 55 answers"),
        ({"weakest": 1}, "data-weakest"),
        ({"followups": {1: 2}}, "2 open follow-ups"),
        ({"can_reorder": False}, '<li class="card" id="tp-1">'),
        ({"can_edit": False, "can_assign": False}, "card-title"),
        ({"min_sample": 100}, "Not enough answers"),
    ],
)
def test_any_input_it_shows_draws_it_anew(change, shown):
    before = renderer().render(card(), WHERE)
    r = renderer(
        **{k: v for k, v in change.items() if k != "card"},
    )
    after = r.render(card(**change.get("card", {})), WHERE)
    assert after != before
    assert shown in after
    # And the drawing is what drawing it without the store gives.
    assert after == r._draw(card(**change.get("card", {})), WHERE)


def test_the_language_is_part_of_the_scope():
    english = renderer().render(card(), WHERE)
    with translation.override("pt-br"):
        portuguese = renderer().render(card(), WHERE)
    assert portuguese != english
    assert "Ações" in portuguese or "Acções" in portuguese


def test_a_focused_card_is_always_drawn(monkeypatch):
    renderer().render(card(), WHERE)
    r = renderer()
    r.focus, r.focus_tp = "edit", 1
    assert "card-tools" in r.render(card(), WHERE)


def test_a_full_scope_starts_again(monkeypatch):
    monkeypatch.setattr(Drawn, "PER_SCOPE", 2)
    r = renderer()
    for pk in (1, 2, 3):
        r.render(card(pk=pk), WHERE)
    assert len(r._drawn) == 1  # full at the third: emptied, then the third stored


# --- lane items -----------------------------------------------------------------------------


def item(**changes):
    from journeys.map.lanes import Item

    fields = {"pk": 5, "lane_id": 2, "stage_id": 10, "position": 0, "text": "Idea"}
    return Item(**{**fields, "status": "idea", "owner_id": 7, **changes})


def lanes(*, owners=OWNERS, can_edit=True, focus_item=None):
    from journeys.map.lanes import LaneRenderer

    stages = [(10, "Buy")]
    return LaneRenderer(
        ws="acme", csrf_token="t", can_edit=can_edit, stages=stages, min_sample=30,
        owners=owners, focus="edit", focus_item=focus_item,
    )  # fmt: skip


@pytest.fixture
def no_items():
    from journeys.map.lanes import DRAWN_ITEMS

    DRAWN_ITEMS.clear()
    yield
    DRAWN_ITEMS.clear()


WHERE_ITEM = (False, False, 1)


def test_an_item_is_looked_up_and_drawn_anew_when_what_it_shows_changes(no_items):
    first = lanes().item(item(), WHERE_ITEM, True)
    assert lanes().item(item(), WHERE_ITEM, True) is first
    for changed, shown in (
        (lanes().item(item(text="Better idea"), WHERE_ITEM, True), "Better idea"),
        (lanes().item(item(status="done"), WHERE_ITEM, True), "status-done"),
        (lanes(owners={7: "Bea Other"}).item(item(), WHERE_ITEM, True), "Bea Other"),
        (lanes(can_edit=False).item(item(), WHERE_ITEM, True), "lane-item-text"),
    ):
        assert changed != first
        assert shown in changed
    # Outside the opportunities lane the owner is not shown, whoever it is.
    plain = lanes().item(item(), WHERE_ITEM, False)
    assert lanes(owners={7: "Bea Other"}).item(item(), WHERE_ITEM, False) is plain


def test_a_focused_item_is_always_drawn(no_items):
    lanes().item(item(), WHERE_ITEM, True)
    assert "card-tools" in lanes(focus_item=5).item(item(), WHERE_ITEM, True)
