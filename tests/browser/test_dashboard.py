"""The moment dashboard in a real browser, on the demo workspace: the demo manager opens it,
changes the period (the body is swapped in place, not reloaded), reads a chart as a table, and
follows the weakest moment to its card on the map, with no console error on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATH = f"/w/{WORKSPACE_SLUG}/dashboard/"


@pytest.fixture
def demo(celery_eager):
    """The demo workspace with its metrics computed (the recompute runs when loading commits)."""
    return load_demo()[0]


def test_manager_reads_the_dashboard_and_follows_the_weakest_moment(
    page: Page, live_server, demo, console_errors
):
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    signed_in(page, live_server, demo.memberships.get(user__email=manager.email).user)
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()

    expect(page.get_by_role("heading", name="Moment dashboard", level=1)).to_be_visible()
    expect(page.locator("#dashboard-period")).to_contain_text("(90 days)")
    expect(page.locator("#plot-trend .main-svg").first).to_be_visible()  # plotly drew it
    page.evaluate("window.__motMarker = 1")

    # The date filter: the body is swapped and the URL keeps the choice.
    page.get_by_role("combobox", name="Period").select_option("365")
    expect(page.locator("#dashboard-period")).to_contain_text("(365 days)")
    expect(page).to_have_url(re.compile(r"[?&]period=365"))
    expect(page.locator("#plot-trend .main-svg").first).to_be_visible()  # drawn again

    # A chart as a table, and back.
    trend = page.locator("#chart-trend")
    expect(trend.locator("#table-trend")).to_be_hidden()
    trend.get_by_role("button", name="Show table").click()
    expect(trend.locator("#table-trend")).to_be_visible()
    expect(trend.locator("#table-trend tbody tr").first).to_be_visible()
    expect(trend.locator("#plot-trend")).to_be_hidden()
    trend.get_by_role("button", name="Show chart").click()
    expect(trend.locator("#plot-trend")).to_be_visible()
    expect(trend.locator("#table-trend")).to_be_hidden()

    # One journey: its emotion curve, then its weakest moment on the map.
    page.get_by_role("combobox", name="Journey").select_option(label="B2C online shop")
    expect(page.locator("#chart-curve h2")).to_have_text("Emotion curve of B2C online shop")
    expect(page.locator("#plot-curve .main-svg").first).to_be_visible()
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
    weakest = page.locator("#weakest-moments a.weakest-link").first
    title = weakest.inner_text()
    href = weakest.get_attribute("href")
    card_id = href.rsplit("#", 1)[1]
    assert re.fullmatch(r"tp-\d+", card_id)
    weakest.click()
    expect(page).to_have_url(re.compile(r"/journeys/\d+/#tp-\d+$"))
    card = page.locator(f"#{card_id}")
    expect(card).to_be_visible()
    expect(card).to_contain_text(title)
    assert console_errors == []


def test_manager_reads_service_recovery_as_a_chart_and_a_table(
    page: Page, live_server, demo, console_errors
):
    """The demo's follow-ups (opened by the rule as its answers arrive) in the recovery chart,
    drawn under the page's CSP, and its table."""
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    signed_in(page, live_server, demo.memberships.get(user__email=manager.email).user)
    page.goto(f"{PATH}?period=all")

    chart = page.locator("#chart-recovery")
    expect(chart.get_by_role("heading", name="Follow-ups and service recovery")).to_be_visible()
    expect(page.locator("#kpi-recovery")).to_contain_text("Service recovery")
    expect(chart.locator("#plot-recovery .main-svg").first).to_be_visible()  # plotly drew it
    chart.get_by_role("button", name="Show table").click()
    expect(chart.locator("#table-recovery")).to_be_visible()
    expect(chart.locator("#table-recovery tbody tr").first).to_contain_text(re.compile(r"\d"))
    expect(chart.locator("#plot-recovery")).to_be_hidden()
    assert console_errors == []


def test_manager_reads_the_expectations_heatmap_and_its_table(
    page: Page, live_server, demo, console_errors
):
    """Issue 17: the touchpoints x expectations heatmap of the demo's ratings, drawn under the
    page's CSP by the dashboard's static script, its headline, and its table toggle; the
    weakest-moments table names the blind spots beside the weakest measured moment."""
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    signed_in(page, live_server, demo.memberships.get(user__email=manager.email).user)
    page.goto(f"{PATH}?period=all")

    chart = page.locator("#chart-expectations")
    expect(
        chart.get_by_role("heading", name="Expectations let down, by touchpoint")
    ).to_be_visible()
    expect(chart.locator("#expectations-headline")).to_contain_text(
        re.compile(r"let down most on (Respect|Solutions|Simplicity|Responsibility) \(\+\d+ points")
    )
    expect(chart.locator("#plot-expectations .main-svg").first).to_be_visible()  # plotly drew it
    expect(chart.locator("#table-expectations")).to_be_hidden()
    chart.get_by_role("button", name="Show table").click()
    table = chart.locator("#table-expectations")
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(
        ["Touchpoint", "Respect", "Solutions", "Simplicity", "Responsibility"]
    )
    expect(table.locator("tbody tr").first).to_contain_text(re.compile(r"\d+% \(95%: \d+ to \d+\)"))
    expect(chart.locator("#plot-expectations")).to_be_hidden()
    chart.get_by_role("button", name="Show chart").click()
    expect(chart.locator("#plot-expectations")).to_be_visible()
    expect(table).to_be_hidden()

    coverage = page.locator("#weakest-moments td.coverage").first
    expect(coverage).to_contain_text(re.compile(r"\d+% \(\d+ of \d+\)"))
    assert console_errors == []
