"""Current beside future in a real browser: duplicate a journey, change its copy, open the
comparison from the copy's map header, see the added and the changed touchpoint; two columns at
1440 px, stacked and no wider than the screen at 390 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from journeys.models import Journey, Touchpoint
from journeys.services import touchpoint_create
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pair(page: Page, title: str):
    return page.locator("li.pair", has=page.locator(".side-title", has_text=title))


def test_duplicate_then_compare_from_the_map_shows_added_and_changed(
    page: Page, live_server, editor, journey
):
    signed_in(page, live_server, editor.user)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/w/acme/journeys/{journey.pk}/")

    page.get_by_role("button", name="Duplicate as future state").click()

    expect(page.get_by_role("heading", name="Current beside future", level=1)).to_be_visible()
    future = Journey.objects.get(copied_from=journey)
    checkout = future.touchpoints.get(title="Checkout")
    Touchpoint.objects.filter(pk=checkout.pk).update(title="One-click checkout")
    touchpoint_create(actor=editor, stage=checkout.stage, title="Apple Pay")

    page.locator(".compare-journeys").get_by_role("link", name=future.name).click()
    expect(page.locator("h1")).to_contain_text(future.name)
    page.get_by_role("link", name="Current beside future").click()

    added, changed = pair(page, "Apple Pay"), pair(page, "One-click checkout")
    expect(added.locator(".pair-status")).to_contain_text("Added")
    expect(added.locator(".side-current")).to_contain_text("Not in the current state")
    expect(changed.locator(".pair-status")).to_contain_text("Changed: title")
    expect(changed.locator(".side-current .side-title")).to_have_text("Checkout")
    expect(changed.locator(".side-current .side-numbers")).to_contain_text("No answers yet")
    expect(page.locator('[data-kind="added"]')).to_contain_text("1")
    expect(page.locator('[data-kind="changed"]')).to_contain_text("1")

    # Two columns: the current and the future side of a pair on one line.
    current_box = changed.locator(".side-current").bounding_box()
    future_box = changed.locator(".side-future").bounding_box()
    assert current_box["y"] == future_box["y"]
    assert future_box["x"] > current_box["x"] + current_box["width"] - 1

    # The filter hides the unchanged cards, with the keyboard.
    page.get_by_label("Hide unchanged touchpoints").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Apply").press("Enter")
    expect(page).to_have_url(re.compile(r"hide=unchanged"))
    expect(page.locator("li.pair")).to_have_count(2)

    # Stacked at 390 px: the future side below the current one, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    current_box = changed.locator(".side-current").bounding_box()
    future_box = changed.locator(".side-future").bounding_box()
    assert future_box["y"] >= current_box["y"] + current_box["height"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the comparison is {width} px wide at 390 px"
