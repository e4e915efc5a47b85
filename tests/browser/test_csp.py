"""The Content-Security-Policy in a real browser: each page kind that runs scripts is used the way
a person uses it, with the policy MOT sends, and shows no violation and no console error (the
``page`` fixture collects both, ``securitypolicyviolation`` events included, and fails the test
on any). What each page must still do under the policy: the map's drag and drop (SortableJS and
htmx), the owners page's select-all box and its 422 form swap, the journey list's inline rename
(422 swap, Escape), the dashboard's plotly charts, the API docs' Swagger UI, the public survey."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from feedback.models import SurveyLink
from journeys.models import Journey, Touchpoint
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "B2C online shop"


@pytest.fixture
def demo(celery_eager):
    """The demo workspace with its metrics computed (the recompute runs when loading commits)."""
    return load_demo()[0]


def sign_in(page: Page, live_server, role: str) -> None:
    email = next(u.email for u in DEMO_USERS if u.role == role)
    signed_in(page, live_server, get_user_model().objects.get(username=email))


def expect_policy(page: Page, path: str) -> None:
    """Open ``path`` and check it came with the policy (the browser enforces what it received)."""
    response = page.goto(path)
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def open_as(page: Page, live_server, role: str, path: str) -> None:
    """Sign in as the demo user of ``role``, open ``path`` and mark the window: a full reload
    would lose the mark (see ``expect_no_reload``)."""
    sign_in(page, live_server, role)
    expect_policy(page, path)
    page.evaluate("window.__motMarker = 1")


def expect_no_reload(page: Page) -> None:
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"


def test_map_drag_and_drop_runs_under_the_policy(page: Page, live_server, demo):
    journey = Journey.objects.get(workspace__slug=WORKSPACE_SLUG, name=SHOP)
    open_as(page, live_server, Role.EDITOR, f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")
    card = page.locator(
        "li.card", has=page.get_by_role("heading", name="Price comparison", exact=True, level=3)
    )
    target = page.locator(
        "li.card", has=page.get_by_role("heading", name="Cart and checkout", exact=True, level=3)
    )

    # Both cards on screen below the sticky stage bar, so the drag needs no scrolling midway.
    target.evaluate("el => el.scrollIntoView({block: 'center'})")
    card.locator(".card-head").drag_to(target.locator(".card-head"))

    expect(page.locator("#messages")).to_contain_text("“Price comparison” moved.")
    assert Touchpoint.objects.get(journey=journey, title="Price comparison").stage.name == (
        "Choose and buy"
    )
    # An htmx control that swaps a fragment: the board filter.
    page.locator("#map-filters input[name=mot]").first.check()
    expect(page).to_have_url(re.compile(r"[?&]mot="))
    expect_no_reload(page)


def test_owners_select_all_and_the_refused_assignment_run_under_the_policy(
    page: Page, live_server, demo, allow_422_console_errors
):
    open_as(page, live_server, Role.STAFF, f"/w/{WORKSPACE_SLUG}/owners/")
    boxes = page.locator("#owner-results input[name=touchpoints]")
    assert boxes.count() > 1

    page.get_by_label("Select all visible touchpoints").check()
    for i in range(boxes.count()):
        expect(boxes.nth(i)).to_be_checked()
    page.get_by_label("Select all visible touchpoints").uncheck()
    for i in range(boxes.count()):
        expect(boxes.nth(i)).not_to_be_checked()

    # No owner chosen: the server answers 422 with the form and its error, swapped in place.
    boxes.first.check()
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#assign-errors")).to_be_visible()
    expect(page.locator("#owner-results input[name=touchpoints]").first).to_be_checked()
    # The swapped-in form still answers the select-all box (the listener is delegated).
    page.get_by_label("Select all visible touchpoints").check()
    expect(page.locator("#owner-results input[name=touchpoints]").last).to_be_checked()
    expect_no_reload(page)


def test_journey_rename_shows_its_422_in_place_and_escape_cancels(
    page: Page, live_server, demo, allow_422_console_errors
):
    open_as(page, live_server, Role.EDITOR, f"/w/{WORKSPACE_SLUG}/journeys/")
    journey = Journey.objects.get(workspace__slug=WORKSPACE_SLUG, name=SHOP)
    cell = page.locator(f"#journey-name-{journey.pk}")

    cell.get_by_role("button", name=f"Rename {SHOP}").click()
    name = cell.get_by_label(f"New name for {SHOP}")
    name.fill("   ")
    cell.get_by_role("button", name="Save").click()
    expect(cell.get_by_role("alert")).to_be_visible()  # the 422 answer, swapped in place
    expect(cell.get_by_label(f"New name for {SHOP}")).to_be_visible()

    cell.get_by_label(f"New name for {SHOP}").press("Escape")
    expect(cell.get_by_role("link", name=SHOP)).to_be_visible()
    expect(cell.locator("input[name=name]")).to_have_count(0)
    assert Journey.objects.get(pk=journey.pk).name == SHOP
    expect_no_reload(page)


def test_dashboard_plotly_charts_are_drawn_under_the_policy(page: Page, live_server, demo):
    sign_in(page, live_server, Role.MANAGER)
    expect_policy(page, f"/w/{WORKSPACE_SLUG}/dashboard/")

    expect(page.locator("#plot-trend .main-svg").first).to_be_visible()
    # Traces drawn, not just the axes: plotly's layers hold one group per trace.
    expect(page.locator("#plot-trend g.trace").first).to_be_attached()
    assert page.locator("#plot-trend g.trace").count() >= 1
    # plotly's own rules come from plotly.css: it injected no <style>, and they apply.
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    page.locator("#plot-trend").hover()
    modebar = page.locator("#plot-trend .modebar").first
    expect(modebar).to_be_attached()
    assert modebar.evaluate("e => getComputedStyle(e).position") == "absolute"
    # A hover label (plotly writes it as SVG text, styles included).
    heatmap = page.locator("#plot-heatmap .nsewdrag").first
    box = heatmap.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#plot-heatmap .hoverlayer .hovertext").first).to_be_attached()
    # The htmx swap of the page body draws again; one journey's emotion curve labels its stages
    # in bold (<b> in the figure: a tspan with a style attribute the policy allows by its hash).
    page.get_by_role("combobox", name="Journey").select_option(label=SHOP)
    expect(page.locator("#plot-curve g.trace").first).to_be_attached()
    expect(page.locator("#plot-curve tspan[style='font-weight:bold']").first).to_be_attached()
    expect(page.locator("#plot-trend g.trace").first).to_be_attached()


def test_api_docs_swagger_ui_renders_under_the_policy(page: Page, live_server, demo):
    expect_policy(page, "/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("MOT API")
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    operations.first.locator(".opblock-summary").click()  # expand one: React renders its body
    expect(operations.first.locator(".opblock-body")).to_be_visible()


def test_public_survey_and_error_pages_run_under_the_policy(
    page: Page, live_server, demo, console_errors
):
    touchpoint = Touchpoint.objects.filter(journey__workspace__slug=WORKSPACE_SLUG).first()
    link = SurveyLink.objects.create(touchpoint=touchpoint)
    expect_policy(page, f"/s/{link.token}/")
    expect(page.locator("main.survey fieldset").first).to_be_visible()
    # Its stylesheet applies (it was an inline <style> block before the policy).
    assert page.locator("main.survey").evaluate("e => getComputedStyle(e).maxWidth") != "none"

    response = page.goto("/no-such-page/")
    assert response is not None
    assert response.status == 404
    assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    # Chromium reports the 404 itself as a console error: the one line expected.
    not_found = re.compile(r"Failed to load resource: .* status of 404 \(Not Found\)$")
    console_errors[:] = [line for line in console_errors if not not_found.search(line)]
