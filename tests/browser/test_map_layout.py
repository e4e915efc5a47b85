"""The journey map's layout in a real browser (the demo workspace): "Add stage" is on screen on
a wide map, every card of a long stage can be reached, the owner picker is readable, and no
signed-in page is wider than a phone's screen."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from journeys.models import Journey, Stage, Touchpoint
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    return load_demo()[0]


def sign_in(page: Page, live_server, role: str) -> None:
    user = next(u for u in DEMO_USERS if u.role == role)
    signed_in(page, live_server, get_user_model().objects.get(username=user.email))


def journey_with_stages(workspace, count: int) -> Journey:
    journey = Journey.objects.create(workspace=workspace, name="Wide map")
    for position in range(count):
        Stage.objects.create(journey=journey, name=f"Stage {position + 1}", position=position)
    return journey


def test_add_stage_is_on_screen_on_a_five_stage_map(page: Page, live_server, demo):
    sign_in(page, live_server, Role.EDITOR)
    journey = journey_with_stages(demo, 5)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")

    name = page.get_by_label("New stage")
    expect(name).to_be_in_viewport()
    expect(page.get_by_role("button", name="Add stage")).to_be_in_viewport()
    name.fill("Stage 6")
    page.get_by_role("button", name="Add stage").click()

    expect(page.locator("section.stage h2", has_text="Stage 6")).to_have_count(1)
    expect(page.get_by_label("New stage")).to_be_focused()
    assert journey.stages.order_by("position").last().name == "Stage 6"


def test_the_last_card_of_a_long_stage_is_reached_by_scrolling_the_page(
    page: Page, live_server, demo
):
    sign_in(page, live_server, Role.EDITOR)
    journey = journey_with_stages(demo, 2)
    stage = journey.stages.get(position=0)
    Touchpoint.objects.bulk_create(
        Touchpoint(journey=journey, stage=stage, position=n, title=f"Card {n + 1}")
        for n in range(30)
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")

    last = page.locator("li.card", has=page.get_by_role("heading", name="Card 30", exact=True))
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(last).to_be_in_viewport(ratio=1)
    # Nothing clips or covers it: the point in its middle hits the card itself.
    box = last.bounding_box()
    assert box is not None
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('li.card')?.id ?? null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == last.get_attribute("id")


def test_the_owner_picker_is_wide_enough_to_read_names(page: Page, live_server, demo):
    sign_in(page, live_server, Role.STAFF)
    journey = Journey.objects.get(workspace=demo, name="Restaurant")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")

    page.get_by_role("link", name="Actions for Goodbye").click()
    page.get_by_role("link", name="Change who owns Goodbye").click()
    expect(page.get_by_role("searchbox", name="Find a member")).to_be_focused()
    option = page.get_by_role("radio", name=re.compile(r"^Sofia Staff"))
    option.check()
    label = page.locator(".owner-options label", has=option)
    name = label.locator(".owner-option-name")
    box = label.bounding_box()
    assert box is not None
    assert box["width"] >= 160, box
    # The whole name shows on one line, not cut: its box is as wide as its text.
    assert name.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    expect(name).to_have_text("Sofia Staff")


PHONE_PAGES = [
    "journeys:list",
    "journeys:map",
    "journeys:owners",
    "explorer:list",
    "metrics:overview",
    "metrics:dashboard",
    "journeys:my_touchpoints",
    "followups:list",
    "member_list",
]

# The elements wider than the window, for the failure message (the board may scroll inside its
# own container, so what is inside one is not counted).
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter((el) => !el.parentElement.closest(".board-scroll, .table-scroll"))
  .slice(0, 6)
  .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`
    + ` right=${Math.round(el.getBoundingClientRect().right)}`)"""


def test_no_signed_in_page_is_wider_than_a_phone(page: Page, live_server, demo):
    sign_in(page, live_server, Role.ADMIN)
    journey = Journey.objects.filter(workspace=demo).order_by("name").first()
    page.set_viewport_size({"width": 390, "height": 844})
    too_wide = []
    for name in PHONE_PAGES:
        kwargs = {"ws": WORKSPACE_SLUG} | ({"pk": journey.pk} if name == "journeys:map" else {})
        page.goto(reverse(name, kwargs=kwargs))
        expect(page.locator("main h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            too_wide.append(f"{name}: {width}px {page.evaluate(WIDEST)}")
    assert not too_wide, "\n".join(too_wide)
