"""The map board in a real browser (the demo workspace): the stage header row stays at the top
of the window while the page scrolls and follows the board sideways, the lane labels stay on the
left while the board scrolls sideways, and stages reorder by drag and by keyboard (the order
persisted, announced, the focus kept on the moved stage's handle)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from feedback.demo import WORKSPACE_SLUG, load_demo
from journeys.models import Journey, LaneKind, Stage, Touchpoint
from mot.models import Role
from tests.browser.test_map_layout import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = "B2C online shop"


@pytest.fixture
def demo():
    return load_demo()[0]


def open_shop(page: Page, live_server, demo, role: str) -> Journey:
    """The demo's shop map at 1440x900, signed in with ``role``."""
    sign_in(page, live_server, role)
    journey = Journey.objects.get(workspace=demo, name=SHOP)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")
    return journey


def stage_names(journey: Journey) -> list[str]:
    return list(journey.stages.order_by("position").values_list("name", flat=True))


def bar_names(page: Page) -> list[str]:
    return page.locator(".stage-bar-name").all_inner_texts()


def box(page: Page, selector: str) -> dict:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }",
        selector,
    )


def drag(page: Page, start: dict, end: dict, *, near: float, far: float) -> None:
    """A real, stepped mouse drag (SortableJS follows the pointer), from the middle-left of
    ``start`` to ``far`` of ``end``'s width through ``near`` of it."""
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] * near, end["y"] + end["height"] / 2, steps=12)
    page.mouse.move(end["x"] + end["width"] * far, end["y"] + end["height"] / 2, steps=6)
    page.mouse.up()


def long_wide_map(workspace) -> Journey:
    """Eight stages (wider than the screen), the first with 30 cards (taller than it)."""
    journey = Journey.objects.create(workspace=workspace, name="Long map")
    stages = [
        Stage.objects.create(journey=journey, name=f"Stage {n + 1}", position=n) for n in range(8)
    ]
    Touchpoint.objects.bulk_create(
        Touchpoint(journey=journey, stage=stages[0], position=n, title=f"Card {n + 1}")
        for n in range(30)
    )
    return journey


@pytest.mark.parametrize(
    "size", [{"width": 1440, "height": 900}, {"width": 390, "height": 844}], ids=["1440", "390"]
)
def test_stage_headers_stick_to_the_top_and_follow_the_board_sideways(
    page: Page, live_server, demo, size
):
    sign_in(page, live_server, Role.EDITOR)
    journey = long_wide_map(demo)
    page.set_viewport_size(size)
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")
    first = journey.stages.get(position=0)
    third = journey.stages.get(position=2)

    # The page scrolls (not a box): far down, the header row is at the top of the window.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("() => window.scrollY > 500")
    bar = box(page, ".stage-bar")
    assert abs(bar["top"]) < 1, bar
    header = page.locator(f'.stage-bar-cell[data-stage-id="{first.pk}"]')
    expect(header).to_be_in_viewport()
    # Nothing covers it: the point in its middle hits the header itself.
    hb = header.bounding_box()
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('.stage-bar-cell')?.dataset.stageId",
        [hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2],
    )
    assert hit == str(first.pk)

    # The board scrolls sideways: each header stays above its own stage column.
    page.evaluate(
        "(id) => { const s = document.querySelector('.board-scroll');"
        " s.scrollLeft = document.getElementById('stage-' + id).offsetLeft; }",
        third.pk,
    )
    page.wait_for_function(
        "(id) => Math.abs(document.querySelector(`.stage-bar-cell[data-stage-id='${id}']`)"
        ".getBoundingClientRect().left - document.getElementById('stage-' + id)"
        ".getBoundingClientRect().left) < 1",
        arg=third.pk,
    )
    column = box(page, f"#stage-{third.pk}")
    cell = box(page, f'.stage-bar-cell[data-stage-id="{third.pk}"]')
    scroller = box(page, ".board-scroll")
    assert abs(cell["left"] - scroller["left"]) < 2, (cell, scroller)
    assert abs(cell["right"] - column["right"]) < 1, (cell, column)
    assert abs(box(page, ".stage-bar")["top"]) < 1  # still at the top


def test_lane_labels_stay_on_the_left_when_the_board_scrolls_sideways(
    page: Page, live_server, demo
):
    sign_in(page, live_server, Role.EDITOR)
    journey = Journey.objects.get(workspace=demo, name=SHOP)
    for n in range(5):  # wider than the screen
        Stage.objects.create(journey=journey, name=f"Extra {n}", position=journey.stages.count())
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/w/{WORKSPACE_SLUG}/journeys/{journey.pk}/")
    pains = journey.lanes.get(kind=LaneKind.PAINS)
    title = f"#lane-title-{pains.pk}"
    before = box(page, title)

    page.evaluate("document.querySelector('.board-scroll').scrollLeft = 900")
    page.wait_for_function("() => document.querySelector('.board-scroll').scrollLeft > 800")

    after = box(page, title)
    assert abs(after["left"] - before["left"]) < 1, (before, after)
    assert box(page, ".board-scroll")["left"] - 1 <= after["left"] < 1440
    # The lane's items did scroll away beneath it.
    first_cell = box(page, f"#lane-{pains.pk} ol.lane-items")
    assert first_cell["left"] < after["left"] - 800, (first_cell, after)


def test_editor_drags_a_stage_header_and_the_order_persists(page: Page, live_server, demo):
    journey = open_shop(page, live_server, demo, Role.EDITOR)
    before = stage_names(journey)
    page.evaluate("window.__motMarker = 1")
    cells = page.locator(".stage-bar-cell")

    # Drag the first stage onto the third: SortableJS needs a real, stepped mouse drag.
    start = cells.nth(0).locator(".stage-bar-name").bounding_box()
    end = cells.nth(2).bounding_box()
    drag(page, start, end, near=0.6, far=0.8)

    # Where SortableJS dropped it depends on its swap threshold; the server keeps exactly that.
    expect(page.locator("#messages")).to_contain_text(f"Stage “{before[0]}” moved to position")
    expected = stage_names(journey)
    assert expected[0] != before[0]
    assert sorted(expected) == sorted(before)
    assert [name for name in expected if name != before[0]] == before[1:]
    assert bar_names(page) == expected
    assert page.locator("section.stage > .stage-head h2").all_inner_texts() == expected
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
    page.reload()
    assert bar_names(page) == expected


def test_editor_drags_a_stage_column_by_its_title(page: Page, live_server, demo):
    journey = open_shop(page, live_server, demo, Role.EDITOR)
    before = stage_names(journey)
    titles = page.locator("section.stage > .stage-head > h2")

    titles.nth(1).scroll_into_view_if_needed()
    start = titles.nth(1).bounding_box()
    end = titles.nth(0).bounding_box()
    drag(page, start, end, near=0.08, far=0.02)

    expected = [before[1], before[0], *before[2:]]
    expect(page.locator("#messages")).to_contain_text(f"Stage “{before[1]}” moved to position 1")
    assert stage_names(journey) == expected
    expect(titles).to_have_text(expected)


def test_editor_moves_a_stage_with_the_keyboard_only(page: Page, live_server, demo):
    journey = open_shop(page, live_server, demo, Role.EDITOR)
    before = stage_names(journey)
    first = journey.stages.get(position=0)
    total = len(before)

    grip = page.get_by_role("button", name=f"Move stage {before[0]} (position 1 of {total})")
    grip.focus()
    expect(grip).to_have_accessible_description(
        "Drag the stage by this handle, or press Alt with the left or right arrow key to move it"
        " one place."
    )
    page.keyboard.press("Alt+ArrowRight")

    live = page.locator("#messages")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_contain_text(f"Stage “{before[0]}” moved to position 2 of {total}.")
    moved = page.get_by_role("button", name=f"Move stage {before[0]} (position 2 of {total})")
    expect(moved).to_be_focused()  # so Alt+arrow can repeat
    page.keyboard.press("Alt+ArrowRight")
    expect(live).to_contain_text(f"position 3 of {total}.")
    assert stage_names(journey) == [before[1], before[2], before[0], *before[3:]]
    page.keyboard.press("Alt+ArrowLeft")
    expect(live).to_contain_text(f"position 2 of {total}.")
    expect(page.locator(f'.stage-bar-cell[data-stage-id="{first.pk}"] .stage-grip')).to_be_focused()
    assert stage_names(journey) == [before[1], before[0], *before[2:]]
    # The first place cannot go further left: nothing is sent, nothing changes.
    page.keyboard.press("Alt+ArrowLeft")
    page.keyboard.press("Alt+ArrowLeft")
    expect(live).to_contain_text(f"position 1 of {total}.")
    page.keyboard.press("Alt+ArrowLeft")
    page.wait_for_timeout(300)
    assert stage_names(journey) == before


def test_staff_have_no_stage_handles(page: Page, live_server, demo):
    journey = open_shop(page, live_server, demo, Role.STAFF)
    expect(page.locator(".stage-bar-cell")).to_have_count(journey.stages.count())
    expect(page.locator(".stage-grip")).to_have_count(0)
    expect(page.locator("[data-stage-order]")).to_have_count(0)
