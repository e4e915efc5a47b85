"""Opportunities linked to the future touchpoints they create: the item form offers the
journey's own touchpoints only (the service refuses any other), a duplicate keeps the links on
its own cards, and the comparison shows each opportunity beside its touchpoint, the unlinked ones
apart, against hand-built current/future pairs."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from journeys import compare as cmp
from journeys.models import JourneyState, LaneItem, LaneKind, Touchpoint
from journeys.services import journey_create, journey_duplicate, stage_create, touchpoint_create
from journeys.services.lanes import item_create, item_update, lane_create
from tests.conftest import login
from tests.expectations import db_snapshot
from tests.journeys.test_compare_views import _future
from tests.journeys.test_map_htmx import HX

pytestmark = pytest.mark.django_db


def url(name: str, pk: int, ws: str = "acme") -> str:
    return reverse(f"journeys:{name}", kwargs={"ws": ws, "pk": pk})


def opportunity(editor, journey, text: str, **fields) -> LaneItem:
    lane = journey.lanes.filter(kind=LaneKind.OPPORTUNITIES).first() or lane_create(
        actor=editor, journey=journey, kind=LaneKind.OPPORTUNITIES
    )
    item = item_create(actor=editor, lane=lane, stage=journey.stages.first(), text=text)
    if fields:
        LaneItem.objects.filter(pk=item.pk).update(**fields)
        item.refresh_from_db()
    return item


# --- the grouping (plain rows) ------------------------------------------------------------------


def test_opportunities_are_grouped_by_the_touchpoint_they_create_in_order():
    rows = [
        cmp.OpportunityRow(1, "Chat", "idea", None, 10),
        cmp.OpportunityRow(2, "Wallet", "planned", 7, 11),
        cmp.OpportunityRow(3, "Tracking", "done", None, None),
        cmp.OpportunityRow(4, "Bot", "idea", None, 10),
        cmp.OpportunityRow(5, "Stale", "idea", None, 99),  # not a touchpoint of the future side
    ]

    linked, unlinked = cmp.opportunities_by_touchpoint(rows, [10, 11, 12])

    assert {tp: [r.pk for r in group] for tp, group in linked.items()} == {10: [1, 4], 11: [2]}
    assert [r.pk for r in unlinked] == [3, 5]


def test_no_opportunities_group_to_nothing():
    assert cmp.opportunities_by_touchpoint([], [1, 2]) == ({}, [])


# --- the form and the service -------------------------------------------------------------------


def test_the_item_form_links_an_opportunity_to_a_touchpoint_of_its_journey(client, editor, journey):
    item = opportunity(editor, journey, "Live chat")
    checkout = journey.touchpoints.get(title="Checkout")
    login(client, editor)

    form = client.get(url("item_edit", item.pk), headers=HX).content.decode()
    choices = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', form)
    touchpoints = {str(tp.pk) for tp in journey.touchpoints.all()}
    assert touchpoints <= {pk for pk, _label in choices}
    assert (str(checkout.pk), "Buy: Checkout") in choices

    saved = client.post(
        url("item_edit", item.pk),
        {"text": "Live chat", "status": "planned", "touchpoint": checkout.pk},
        headers=HX,
    )
    assert saved.status_code == 200
    item.refresh_from_db()
    assert item.touchpoint_id == checkout.pk
    # Saving with "None yet" unlinks it.
    client.post(url("item_edit", item.pk), {"text": "Live chat", "touchpoint": ""}, headers=HX)
    item.refresh_from_db()
    assert item.touchpoint_id is None


def foreign_touchpoint(where: str, editor, outsider) -> Touchpoint:
    actor = editor if where == "journey" else outsider
    other = journey_create(actor=actor, name="Other map")
    stage = stage_create(actor=actor, journey=other, name="S")
    return touchpoint_create(actor=actor, stage=stage, title="Elsewhere")


@pytest.mark.parametrize("where", ["journey", "workspace"])
@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "page"])
def test_the_form_refuses_a_touchpoint_of_another_journey_or_workspace(
    client, editor, journey, outsider, where, headers
):
    item = opportunity(editor, journey, "Live chat")
    foreign = foreign_touchpoint(where, editor, outsider)
    login(client, editor)
    before = db_snapshot()

    response = client.post(
        url("item_edit", item.pk), {"text": "Changed", "touchpoint": foreign.pk}, headers=headers
    )

    assert response.status_code == 422
    assert "Choose a touchpoint of this journey." in response.content.decode()
    assert db_snapshot() == before


def test_the_service_refuses_a_touchpoint_of_another_journey(editor, journey):
    item = opportunity(editor, journey, "Live chat")
    copy = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)
    with pytest.raises(ValidationError) as refused:
        item_update(actor=editor, item=item, text="x", touchpoint=copy.touchpoints.first())
    assert "touchpoint" in refused.value.message_dict
    item.refresh_from_db()
    assert (item.text, item.touchpoint_id) == ("Live chat", None)


def test_an_item_of_another_kind_offers_no_touchpoint(client, editor, journey):
    pains = lane_create(actor=editor, journey=journey, kind=LaneKind.PAINS)
    item = item_create(actor=editor, lane=pains, stage=journey.stages.first(), text="Slow")
    login(client, editor)
    assert 'name="touchpoint"' not in client.get(url("item_edit", item.pk)).content.decode()


def test_a_duplicate_links_its_opportunities_to_its_own_touchpoints(editor, journey):
    checkout = journey.touchpoints.get(title="Checkout")
    opportunity(editor, journey, "Live chat", touchpoint=checkout)

    copy = journey_duplicate(actor=editor, journey=journey, state=JourneyState.FUTURE)

    copied = LaneItem.objects.get(journey=copy, text="Live chat")
    assert copied.touchpoint == copy.touchpoints.get(copied_from=checkout)


# --- the comparison -----------------------------------------------------------------------------


def pair_of(html: str, future_title: str) -> str:
    """The comparison's list item whose future side shows ``future_title``."""
    for item in re.findall(r'<li class="pair .*?</div></li>', html, re.S):
        future = item[item.index('class="side side-future"') :]
        if f'<p class="side-title">{future_title}</p>' in future:
            return item
    raise AssertionError(f"no pair with the future touchpoint {future_title!r}")


def test_the_comparison_shows_each_opportunity_beside_the_touchpoint_it_creates(
    editor, staff, journey
):
    future = _future(editor, journey)  # Checkout changed, Apple Pay added, Reviews moved
    apple_pay = future.touchpoints.get(title="Apple Pay")
    one_click = future.touchpoints.get(title="One-click checkout")
    opportunity(
        editor, future, "Wallet payments", touchpoint=apple_pay, status="planned", owner=staff
    )
    opportunity(editor, future, "Save the card", touchpoint=apple_pay, status="done")
    opportunity(editor, future, "Skip the basket", touchpoint=one_click)
    opportunity(editor, future, "A loyalty club")  # creates no touchpoint (yet)
    # The current journey's own opportunities are not the future's.
    opportunity(editor, journey, "Old idea", touchpoint=journey.touchpoints.get(title="Checkout"))

    html = login(Client(), editor).get(url("compare", future.pk)).content.decode()

    added = pair_of(html, "Apple Pay")
    assert 'data-kinds="added "' in added
    assert "Created by these opportunities" in added
    assert re.findall(r'class="opportunity-text">([^<]*)<', added) == [
        "Wallet payments",
        "Save the card",
    ]
    assert "Status: Planned" in added
    assert f"Owner: {staff.display_name}" in added
    assert "Status: Done" in added
    changed = pair_of(html, "One-click checkout")
    assert re.findall(r'class="opportunity-text">([^<]*)<', changed) == ["Skip the basket"]
    assert "No owner" in changed
    assert "Created by these opportunities" not in pair_of(html, "Reviews")
    # Each opportunity is shown once; the unlinked one in its own section, after the stages.
    unlinked = html[html.index('class="compare-unlinked"') :]
    assert "1 opportunity not linked to a touchpoint" in unlinked
    assert re.findall(r'class="opportunity-text">([^<]*)<', unlinked) == ["A loyalty club"]
    assert html.count("Wallet payments") == 1
    assert "Old idea" not in html


def test_the_current_side_shows_the_same_links(editor, journey):
    future = _future(editor, journey)
    opportunity(editor, future, "Wallet", touchpoint=future.touchpoints.get(title="Apple Pay"))

    html = login(Client(), editor).get(url("compare", journey.pk)).content.decode()

    assert re.findall(r'class="opportunity-text">([^<]*)<', pair_of(html, "Apple Pay")) == [
        "Wallet"
    ]
    assert "not linked to a touchpoint" not in html


def test_opportunity_text_is_escaped_on_the_comparison(editor, journey):
    future = _future(editor, journey)
    hostile = '<script>alert("x")</script>'
    opportunity(editor, future, hostile, touchpoint=future.touchpoints.get(title="Apple Pay"))
    opportunity(editor, future, hostile)

    html = login(Client(), editor).get(url("compare", future.pk)).content.decode()

    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 2


def test_a_touchpoint_deleted_leaves_its_opportunity_unlinked(editor, journey):
    future = _future(editor, journey)
    apple_pay = future.touchpoints.get(title="Apple Pay")
    item = opportunity(editor, future, "Wallet", touchpoint=apple_pay)
    Touchpoint.objects.filter(pk=apple_pay.pk).delete()
    item.refresh_from_db()
    assert item.touchpoint_id is None
