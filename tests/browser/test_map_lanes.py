"""Lanes, their items and personas on the journey map in a real browser (the demo workspace,
whose template journeys come with lanes): items move between cells by drag and drop and with
the keyboard, a lane folds away for one member only, the persona picker sets the journey's
personas, and at 1440x900 and 390x844 only the board scrolls sideways, never the page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Locator, Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from journeys.models import Journey, LaneItem, LaneKind, Persona
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "B2C online shop"
SIZES = [{"width": 1440, "height": 900}, {"width": 390, "height": 844}]


@pytest.fixture
def demo():
    return load_demo()[0]


def sign_in(page: Page, live_server, role: str) -> None:
    user = next(u for u in DEMO_USERS if u.role == role)
    signed_in(page, live_server, get_user_model().objects.get(username=user.email))


def open_map(page: Page) -> Journey:
    journey = Journey.objects.get(workspace__slug=WORKSPACE_SLUG, name=SHOP)
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")
    expect(page.locator("h1")).to_contain_text(SHOP)
    page.evaluate("window.__motMarker = 1")  # a full reload would lose it
    return journey


def lane(page: Page, journey: Journey, kind: str) -> Locator:
    return page.locator(f"#lane-{journey.lanes.get(kind=kind).pk}")


def cell(page: Page, journey: Journey, kind: str, stage: str) -> Locator:
    stage_id = journey.stages.get(name=stage).pk
    return lane(page, journey, kind).locator(f'ol.lane-items[data-stage-id="{stage_id}"]')


def db_cell(journey: Journey, kind: str, stage: str) -> list[str]:
    return list(
        LaneItem.objects.filter(journey=journey, lane__kind=kind, stage__name=stage)
        .order_by("position")
        .values_list("text", flat=True)
    )


# The elements sticking out of the screen, outside the board's own scroller.
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter((el) => !el.parentElement.closest(".board-scroll, .table-scroll"))
  .slice(0, 6)
  .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`
    + ` right=${Math.round(el.getBoundingClientRect().right)}`)"""


def no_page_overflow(page: Page) -> None:
    """Only the board's own scroller may be wider than the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), (
        f"the page is {width}px wide: {page.evaluate(WIDEST)}"
    )


@pytest.mark.parametrize("size", SIZES, ids=["1440", "390"])
def test_editor_drags_an_item_to_another_stage_and_the_order_persists(
    page: Page, live_server, demo, size
):
    page.set_viewport_size(size)
    sign_in(page, live_server, Role.EDITOR)
    journey = open_map(page)
    no_page_overflow(page)
    moving = cell(page, journey, LaneKind.PAINS, "Choose and buy").locator(
        "li.lane-item", has_text="Shipping costs appear only at checkout"
    )
    target = cell(page, journey, LaneKind.PAINS, "Delivery")
    target.scroll_into_view_if_needed()

    moving.locator(".lane-item-text").drag_to(
        target.locator("li.lane-item", has_text="No tracking link").locator(".lane-item-text")
    )

    expect(page.locator("#messages")).to_contain_text("Item moved.")
    expect(target.locator("li.lane-item")).to_have_count(2)
    assert "Shipping costs appear only at checkout" in db_cell(journey, "pains", "Delivery")
    assert db_cell(journey, "pains", "Choose and buy") == []
    shown = target.locator(".lane-item-text").all_inner_texts()
    assert shown == db_cell(journey, "pains", "Delivery")
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
    no_page_overflow(page)

    page.reload()
    expect(cell(page, journey, LaneKind.PAINS, "Delivery").locator(".lane-item-text")).to_have_text(
        shown
    )


def test_editor_moves_an_item_with_the_keyboard_only(page: Page, live_server, demo):
    page.set_viewport_size(SIZES[0])
    sign_in(page, live_server, Role.EDITOR)
    journey = open_map(page)
    research = cell(page, journey, LaneKind.ACTIONS, "Research")
    item = research.locator("li.lane-item").first
    item_id = item.get_attribute("id")

    # "Actions" opens the item's menu with focus on Edit; the arrows follow it.
    item.get_by_role(
        "link", name="Actions for Searches for the product and compares prices"
    ).focus()
    page.keyboard.press("Enter")
    edit = page.get_by_role("link", name="Edit Searches for the product and compares prices")
    expect(edit).to_be_focused()
    page.keyboard.press("Tab")
    right = page.get_by_role(
        "button", name="Move to the next stage: Searches for the product and compares prices"
    )
    expect(right).to_be_focused()
    page.keyboard.press("Enter")

    buy = cell(page, journey, LaneKind.ACTIONS, "Choose and buy")
    expect(buy.locator("li.lane-item")).to_have_count(1)
    expect(research.locator("li.lane-item")).to_have_count(0)
    # The same arrow has focus again in the moved item, so Enter moves it on.
    page.wait_for_function(f"() => !!document.activeElement.closest('#{item_id}')")
    expect(right).to_be_focused()
    page.keyboard.press("Enter")
    expect(cell(page, journey, LaneKind.ACTIONS, "Delivery").locator("li.lane-item")).to_have_count(
        1
    )
    assert db_cell(journey, "actions", "Delivery") == [
        "Searches for the product and compares prices"
    ]
    assert page.evaluate("window.__motMarker") == 1


@pytest.mark.parametrize("size", SIZES, ids=["1440", "390"])
def test_a_member_collapses_a_lane_for_themselves_only(page: Page, live_server, demo, size):
    page.set_viewport_size(size)
    sign_in(page, live_server, Role.STAFF)
    journey = open_map(page)
    thoughts = lane(page, journey, LaneKind.THOUGHTS)
    expect(thoughts.locator(".lane-body")).to_be_visible()

    thoughts.get_by_role("button", name="Collapse Thoughts and feelings").click()

    thoughts = lane(page, journey, LaneKind.THOUGHTS)
    expect(thoughts.locator(".lane-body")).to_be_hidden()
    expand = thoughts.get_by_role("button", name="Expand Thoughts and feelings")
    expect(expand).to_be_focused()
    expect(expand).to_have_attribute("aria-expanded", "false")
    no_page_overflow(page)
    page.reload()
    expect(lane(page, journey, LaneKind.THOUGHTS).locator(".lane-body")).to_be_hidden()

    # Another member still sees it.
    page.context.clear_cookies()
    sign_in(page, live_server, Role.MANAGER)
    page.reload()
    expect(lane(page, journey, LaneKind.THOUGHTS).locator(".lane-body")).to_be_visible()


@pytest.mark.parametrize("size", SIZES, ids=["1440", "390"])
def test_editor_chooses_the_journeys_personas_with_the_picker(page: Page, live_server, demo, size):
    # The demo's own personas (attached to its journeys) leave the picker to this test's.
    Persona.objects.filter(workspace=demo).delete()
    Persona.objects.create(workspace=demo, name="Busy parent", segment="families", quote="Fast!")
    Persona.objects.create(workspace=demo, name="Student", segment="18-24")
    page.set_viewport_size(size)
    sign_in(page, live_server, Role.EDITOR)
    journey = open_map(page)
    personas = page.locator("#personas")
    expect(personas).to_contain_text("No persona chosen for this journey yet.")

    personas.get_by_text("Choose personas").click()
    personas.get_by_label("Busy parent (families)").check()
    personas.get_by_label("Student (18-24)").check()
    personas.get_by_role("button", name="Save personas").click()

    chips = page.locator("#personas .persona-chip")
    expect(chips).to_have_count(2)
    expect(chips.first).to_contain_text("Busy parent")
    expect(chips.first).to_contain_text("Fast!")
    assert sorted(journey.personas.values_list("name", flat=True)) == ["Busy parent", "Student"]
    assert page.evaluate("window.__motMarker") == 1
    no_page_overflow(page)
