"""The header's navigation in a real browser (the demo workspace): at 390x844 it folds behind a
Menu button (keyboard-operable, aria-expanded kept right, Escape closes it) and no signed-in
page is wider than the screen; at 1440x900 the links show without opening anything."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from feedback.demo import WORKSPACE_SLUG, load_demo
from journeys.models import Journey
from mot.models import Role
from tests.browser.test_map_layout import PHONE_PAGES, WIDEST, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def demo():
    return load_demo()[0]


PAGES = [*PHONE_PAGES, "metrics:themes", "followups:team", "imports:list", "journeys:personas"]


def page_url(name: str, journey: Journey) -> str:
    kwargs = {"ws": WORKSPACE_SLUG} | ({"pk": journey.pk} if name == "journeys:map" else {})
    return reverse(name, kwargs=kwargs)


def test_at_390_px_every_signed_in_page_folds_its_navigation_and_fits(
    page: Page, live_server, demo
):
    sign_in(page, live_server, Role.ADMIN)
    journey = Journey.objects.filter(workspace=demo).order_by("name").first()
    page.set_viewport_size(PHONE)
    problems = []
    for name in PAGES:
        page.goto(page_url(name, journey))
        expect(page.locator("main h1")).to_be_visible()
        toggle = page.get_by_role("button", name="Menu")
        nav = page.get_by_role("navigation", name="Main")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(nav).to_be_hidden()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{name} folded: {width}px {page.evaluate(WIDEST)}")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="Members")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{name} open: {width}px {page.evaluate(WIDEST)}")
    assert not problems, "\n".join(problems)


def test_at_390_px_the_menu_opens_by_keyboard_and_its_links_work(page: Page, live_server, demo):
    sign_in(page, live_server, Role.EDITOR)
    page.set_viewport_size(PHONE)
    page.goto(reverse("journeys:list", kwargs={"ws": WORKSPACE_SLUG}))
    toggle = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")

    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Journeys")).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Journeys")).to_be_focused()
    # Escape closes it and gives the focus back to the button.
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(nav).to_be_hidden()
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    nav.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(reverse("metrics:dashboard", kwargs={"ws": WORKSPACE_SLUG}))
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Workspaces").click()
    expect(page).to_have_url("/?pick=1")


def test_at_1440_px_the_links_show_without_a_menu(page: Page, live_server, demo):
    sign_in(page, live_server, Role.ADMIN)
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("journeys:list", kwargs={"ws": WORKSPACE_SLUG}))
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Journeys", "Dashboard", "Answers", "Members", "Imports"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # One row: the links sit beside the brand, as before the menu existed.
    brand = page.locator(".brand").bounding_box()
    first = nav.get_by_role("link", name="Journeys").bounding_box()
    assert abs((first["y"] + first["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 12
    nav.get_by_role("link", name="Answers").click()
    expect(page).to_have_url(reverse("explorer:list", kwargs={"ws": WORKSPACE_SLUG}))


def test_without_javascript_the_links_show_on_a_phone(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server, Role.EDITOR)
        page.goto(live_server.url + reverse("journeys:list", kwargs={"ws": WORKSPACE_SLUG}))
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Answers")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
