"""The dashboard's heatmap fits its card, on a wide screen and on a phone: the chart's column
labels ("No moment" included) are drawn whole inside the chart, and its table, with a "not enough
answers" cell, keeps every column (LMOT last but one) inside the card at 1440 px; at 390 px the
card stays inside the page and the table scrolls within it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATH = f"/w/{WORKSPACE_SLUG}/dashboard/"

TICKS = """() => {
  const svg = document.querySelector('#plot-heatmap .main-svg').getBoundingClientRect();
  return [...document.querySelectorAll('#plot-heatmap .xtick text')].map((e) => {
    const r = e.getBoundingClientRect();
    const inside = r.top >= svg.top - 0.5 && r.left >= svg.left - 0.5
      && r.right <= svg.right + 0.5 && r.bottom <= svg.bottom + 0.5;
    return {text: e.textContent, top: r.top - svg.top, inside: inside, width: r.width};
  });
}"""

BOXES = """() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right};
  };
  const card = document.querySelector('#chart-heatmap');
  const scroller = document.querySelector('#table-heatmap');
  const header = [...scroller.querySelectorAll('thead th')].find((th) => th.textContent === 'LMOT');
  return {card: box(card), main: box(card.parentElement), header: header && box(header),
    scroller: box(scroller), scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
    notEnough: scroller.querySelectorAll('.not-enough').length};
}"""


@pytest.fixture
def demo(celery_eager):
    """The demo workspace with its metrics computed: a B2B onboarding ZMOT cell short of
    answers (29 of 30) and touchpoints with no moment of truth."""
    return load_demo()[0]


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_heatmap_and_its_table_fit_their_card(
    page: Page, live_server, demo, console_errors, width, height
):
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    signed_in(page, live_server, demo.memberships.get(user__email=manager.email).user)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(PATH)
    chart = page.locator("#chart-heatmap")
    expect(chart.locator("#plot-heatmap .main-svg").first).to_be_visible()  # plotly drew it

    ticks = page.evaluate(TICKS)
    assert [t["text"] for t in ticks][-1] == "No moment"
    assert all(t["inside"] and t["width"] > 0 for t in ticks), ticks  # none clipped

    chart.get_by_role("button", name="Show table").click()
    expect(chart.locator("#table-heatmap")).to_be_visible()
    boxes = page.evaluate(BOXES)
    assert boxes["notEnough"] >= 1  # the cell that used to stretch the table
    assert boxes["card"]["right"] <= boxes["main"]["right"] + 0.5, boxes  # the card fits its column
    assert boxes["card"]["right"] - boxes["card"]["left"] <= width
    if width >= 1440:  # every column in the card, no sideways scroll
        assert boxes["scrollWidth"] <= boxes["clientWidth"], boxes
        assert boxes["header"]["right"] <= boxes["scroller"]["right"] + 0.5, boxes
    else:  # on a phone the table scrolls inside the card
        assert boxes["scroller"]["right"] <= boxes["card"]["right"], boxes
    assert console_errors == []
