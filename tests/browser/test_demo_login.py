"""The demo workspace in a real browser: sign in as each role, read the maps, use the editing
and ownership controls the role has, and not see the ones it hasn't."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_NAME, WORKSPACE_SLUG, DemoUser, load_demo
from journeys.models import Touchpoint
from mot.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_JOURNEYS = ["B2C online shop", "B2B SaaS onboarding", "Restaurant"]
ONLINE_SHOP_STAGES = ["Research", "Choose and buy", "Delivery", "Use", "Share"]
RESTAURANT_STAGES = ["Discover", "Arrive", "Eat", "Pay and leave", "Share"]
LIST_PATH = f"/w/{WORKSPACE_SLUG}/journeys/"


def demo_user(role: str) -> DemoUser:
    return next(u for u in DEMO_USERS if u.role == role)


@pytest.fixture
def demo():
    return load_demo()[0]


def sign_in(page: Page, user: DemoUser) -> None:
    """Through the real login form, from the page an anonymous visitor lands on."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in to MOT")).to_be_visible()
    page.get_by_label("Username or e-mail").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()


def expect_journey_list(page: Page, journeys: list[str]) -> None:
    expect(page).to_have_url(re.compile(re.escape(LIST_PATH) + "$"))
    expect(page.get_by_role("heading", name="Journeys", exact=True)).to_be_visible()
    expect(page.locator(".workspace-name")).to_contain_text(WORKSPACE_NAME)
    names = page.locator("table.table tbody tr td:first-child a")
    for name in journeys:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(names).to_have_count(len(journeys))


def expect_map(page: Page, name: str, stages: list[str]) -> None:
    expect(page).to_have_url(re.compile(r"/journeys/\d+/$"))
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("section.stage h2")).to_have_text(stages)


def open_map(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize("user", DEMO_USERS, ids=lambda u: str(u.role))
def test_demo_user_signs_in_and_reads_a_map(page: Page, demo, user: DemoUser):
    sign_in(page, user)
    expect_journey_list(page, DEMO_JOURNEYS)
    expect(page.locator(".account .user")).to_have_text(f"{user.first_name} {user.last_name}")

    open_map(page, "B2C online shop")
    expect_map(page, "B2C online shop", ONLINE_SHOP_STAGES)
    expect(page.get_by_role("heading", name="Product page")).to_be_visible()


def test_wrong_password_is_refused(page: Page, demo):
    user = demo_user(Role.EDITOR)
    page.goto("/accounts/login/")
    page.get_by_label("Username or e-mail").fill(user.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("alert")).to_be_visible()


def test_editor_creates_a_journey_from_the_restaurant_template(page: Page, demo):
    sign_in(page, demo_user(Role.EDITOR))
    expect_journey_list(page, DEMO_JOURNEYS)

    page.get_by_role("link", name="New journey").first.click()
    expect(page.get_by_role("heading", name="New journey")).to_be_visible()
    page.get_by_role("radio", name=re.compile(r"^Restaurant")).check()
    page.get_by_label("Name").fill("Lunch rush")
    page.get_by_role("button", name="Create journey").click()

    expect_map(page, "Lunch rush", RESTAURANT_STAGES)
    expect(page.locator(".messages")).to_contain_text("Lunch rush")
    expect(page.get_by_role("heading", name="Waiting for the food")).to_be_visible()
    # The editor's own controls are there.
    expect(page.get_by_role("button", name="Add stage")).to_be_visible()

    page.get_by_role("link", name="Journeys", exact=True).first.click()
    expect_journey_list(page, [*DEMO_JOURNEYS, "Lunch rush"])


def test_staff_cannot_edit_the_map_but_can_set_an_owner(page: Page, demo):
    staff = demo_user(Role.STAFF)
    sign_in(page, staff)
    expect_journey_list(page, DEMO_JOURNEYS)
    expect(page.get_by_role("link", name="New journey")).to_have_count(0)

    open_map(page, "Restaurant")
    expect_map(page, "Restaurant", RESTAURANT_STAGES)
    expect(page.get_by_role("button", name="Add stage")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Delete"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("Delete"))).to_have_count(0)
    expect(page.get_by_text("Add a touchpoint")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)

    card = page.locator("li.card", has=page.get_by_role("heading", name="Goodbye", exact=True))
    expect(card.locator(".owner")).to_contain_text("No owner")
    card.get_by_role("link", name="Actions for Goodbye").click()  # the card's menu
    card.get_by_role("link", name="Change who owns Goodbye").click()  # opens the owner picker
    card.get_by_role("radio", name=re.compile(r"^Sofia Staff")).check()
    card.get_by_role("button", name="Set owner").click()
    expect(page.locator("#messages")).to_contain_text("Sofia Staff now owns “Goodbye”.")

    page.reload()
    card = page.locator("li.card", has=page.get_by_role("heading", name="Goodbye", exact=True))
    expect(card.locator(".owner")).to_contain_text("Sofia Staff")
    card.get_by_role("link", name="Actions for Goodbye").click()
    card.get_by_role("link", name="Change who owns Goodbye").click()
    expect(card.get_by_role("radio", name=re.compile(r"^Sofia Staff"))).to_be_checked()
    goodbye = Touchpoint.objects.select_related("owner__user").get(
        journey__name="Restaurant", title="Goodbye"
    )
    assert goodbye.owner.user.email == staff.email
