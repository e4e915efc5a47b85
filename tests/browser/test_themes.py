"""The Themes page in a real browser, on the demo workspace: the demo manager opens it, reads the
ranked themes of the pain comments, the first theme's share over time as a plotly line (drawn
under the page's CSP) and as a table, picks another theme's trend, and follows a theme to its
answers in the explorer, with no console error on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(celery_eager):
    """The demo workspace with its metrics and themes computed (the runs follow the load)."""
    return load_demo()[0]


def test_manager_reads_a_themes_trend_as_a_chart_and_a_table(
    page: Page, live_server, demo, console_errors
):
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    signed_in(page, live_server, demo.memberships.get(user__email=manager.email).user)
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Themes").click()

    expect(page.get_by_role("heading", name="Comment themes", level=1)).to_be_visible()
    # The filters apply on change through htmx (a deferred script): wait until it has run, or a
    # change made before is only applied by the Apply button.
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_role("combobox", name="Period").select_option("365")
    expect(page).to_have_url(re.compile(r"[?&]period=365"))
    ranked = page.locator("table.themes").first.locator("tbody tr")
    expect(ranked.first).to_be_visible()
    first_label = ranked.first.locator("th").inner_text().rsplit(" ", 1)[0]

    chart = page.locator("#chart-theme-trend")
    expect(chart.locator("h2")).to_contain_text(first_label)
    expect(chart.locator("#plot-theme-trend .main-svg").first).to_be_visible()  # plotly drew it
    expect(chart.locator("#table-theme-trend")).to_be_hidden()
    chart.get_by_role("button", name="Show table").click()
    expect(chart.locator("#table-theme-trend")).to_be_visible()
    expect(chart.locator("#table-theme-trend tbody tr").first).to_contain_text("%")
    expect(chart.locator("#plot-theme-trend")).to_be_hidden()
    chart.get_by_role("button", name="Show chart").click()
    expect(chart.locator("#plot-theme-trend")).to_be_visible()
    expect(chart.locator("#table-theme-trend")).to_be_hidden()

    # Another theme's trend: the body is swapped in place and drawn again.
    page.evaluate("window.__motMarker = 1")
    second = ranked.nth(1)
    second_label = second.locator("th").inner_text().rsplit(" ", 1)[0]
    second.get_by_role("link", name="Show its trend").click()
    expect(page.locator("#chart-theme-trend h2")).to_contain_text(second_label)
    expect(page.locator("#plot-theme-trend .main-svg").first).to_be_visible()
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"

    # A theme's answers in the explorer: pain answers whose comment says it.
    page.locator("table.themes").first.locator("tbody tr").first.get_by_role(
        "link", name="Read the answers"
    ).click()
    expect(page).to_have_url(re.compile(r"/answers/\?.*theme="))
    expect(page.get_by_role("heading", name="Answers", level=1)).to_be_visible()
    comment = page.locator("#explorer-results td.comment").first
    expect(comment).to_be_visible()
    expect(comment).not_to_contain_text("No comment")
    assert console_errors == []
