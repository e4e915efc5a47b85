"""Moments on the map in a real browser (the demo workspace, metrics computed): the emotion curve
lines up with the stage columns, also when the board scrolls; its table toggles open; the
weakest moment's card is marked, and a link to it (#tp-<id>) scrolls it into view and
highlights it. Any console error fails the test (tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from feedback.demo import DEMO_USERS, WORKSPACE_SLUG, load_demo
from journeys.map.selectors import journey_outline
from journeys.models import Journey
from metrics.read.moments import journey_moments
from metrics.services import metrics_recompute
from mot.models import Role
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    workspace = load_demo()[0]
    metrics_recompute(workspace_id=workspace.pk, full=True)
    return workspace


def weakest_journey(workspace) -> tuple[Journey, int]:
    """A demo journey whose answers give it a weakest moment, and that moment's touchpoint."""
    for journey in Journey.objects.filter(workspace=workspace).order_by("name"):
        outline = journey_outline(journey_id=journey.pk)
        moments = journey_moments(
            journey_id=journey.pk, order=outline.order, min_sample=workspace.min_sample
        )
        if moments.weakest is not None and len(outline.stages) >= 4:
            return journey, moments.weakest
    raise AssertionError("the demo should have a journey with a weakest moment")


def sign_in_manager(page: Page, live_server) -> None:
    manager = next(u for u in DEMO_USERS if u.role == Role.MANAGER)
    signed_in(page, live_server, get_user_model().objects.get(username=manager.email))


def x_ranges(page: Page) -> list[tuple[int, float, float, float, float]]:
    """For each stage: its id, its column's left and right, its curve cell's left and right."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#curve .curve-cell')).map(cell => {
            const id = cell.dataset.stageId;
            const column = document.getElementById('stage-' + id).getBoundingClientRect();
            const box = cell.getBoundingClientRect();
            return [Number(id), column.left, column.right, box.left, box.right];
        })"""
    )


def assert_aligned(page: Page, stages: int) -> None:
    ranges = x_ranges(page)
    assert len(ranges) == stages
    for stage_id, left, right, cell_left, cell_right in ranges:
        assert abs(left - cell_left) < 1, (stage_id, left, cell_left)
        assert abs(right - cell_right) < 1, (stage_id, right, cell_right)


def test_curve_lines_up_with_the_columns_and_the_weakest_moment_is_marked(
    page: Page, live_server, demo
):
    journey, weakest = weakest_journey(demo)
    stages = journey.stages.count()
    sign_in_manager(page, live_server)
    # Narrow enough that the board scrolls sideways.
    page.set_viewport_size({"width": 900, "height": 800})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")

    curve = page.locator("#curve")
    expect(curve).to_be_visible()
    expect(curve.locator(".curve-line").first).to_be_visible()
    assert_aligned(page, stages)
    scroller = page.locator(".board-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth"), "the board should scroll"
    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert scroller.evaluate("el => el.scrollLeft") > 0
    assert_aligned(page, stages)  # still lined up after scrolling

    # The weakest moment: one badge on its card, one mark on the curve in its stage's cell.
    card = page.locator(f"#tp-{weakest}")
    expect(page.locator(".card[data-weakest]")).to_have_count(1)
    expect(card.locator(".weakest-badge")).to_have_text("Weakest moment")
    stage_id = card.evaluate("el => el.closest('section.stage').dataset.stageId")
    expect(
        page.locator(f'#curve .curve-cell[data-stage-id="{stage_id}"] .curve-weakest')
    ).to_have_count(1)
    expect(page.locator("#curve .curve-weakest")).to_have_count(1)
    # The card's bar has its text, and its score links to its answers.
    bar = card.get_by_role("img")
    assert bar.get_attribute("title").startswith("Glory ")
    expect(card.locator("a.moment-score")).to_have_attribute(
        "href", f"/w/{WORKSPACE_SLUG}/answers/?touchpoint={weakest}"
    )

    # The text alternative: the same numbers as a table, fetched when its toggle opens.
    table = page.locator(".curve-table table")
    expect(table).to_have_count(0)
    page.get_by_text("Show the emotion curve as a table").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(journey.touchpoints.count())
    weakest_row = table.locator("tr", has=page.locator(".weakest-note"))
    expect(weakest_row).to_have_count(1)
    expect(weakest_row.get_by_role("link")).to_have_attribute("href", f"#tp-{weakest}")


def test_a_link_to_a_card_scrolls_it_into_view_and_highlights_it(page: Page, live_server, demo):
    journey, weakest = weakest_journey(demo)
    sign_in_manager(page, live_server)
    page.set_viewport_size({"width": 700, "height": 600})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/#tp-{weakest}")

    card = page.locator(f"#tp-{weakest}")
    expect(card).to_be_in_viewport()
    expect(card).to_be_focused()
    assert page.evaluate("document.querySelector(':target').id") == f"tp-{weakest}"
    assert card.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    other = page.locator(".card:not(:target)").first
    assert other.evaluate("el => getComputedStyle(el).boxShadow") == "none"
