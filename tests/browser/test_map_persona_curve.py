"""The emotion curve per persona in a real browser (the demo workspace, whose online shop has two
personas with the segments its customers carry): "By persona" draws one line per persona, each
in its own colour named in the legend, remembered in the URL, and at 1440x900 and 390x844 only
the board scrolls sideways, never the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from feedback.demo import load_demo
from journeys.models import Journey
from mot.models import Role
from tests.browser.test_map_lanes import SIZES, no_page_overflow, open_map, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    return load_demo()[0]


# The stroke colour of each persona's line, as the browser draws it.
STROKES = """() => Object.fromEntries([...document.querySelectorAll("#curve g.curve-persona")]
  .map((g) => [g.dataset.persona,
    getComputedStyle(g.querySelector(".curve-persona-dots, .curve-persona-line")).stroke]))"""


@pytest.mark.parametrize("size", SIZES, ids=["1440", "390"])
def test_by_persona_draws_a_curve_per_persona_with_its_legend(page: Page, live_server, demo, size):
    page.set_viewport_size(size)
    sign_in(page, live_server, Role.MANAGER)
    journey: Journey = open_map(page)
    personas = {str(p.pk): p.name for p in journey.personas.all()}
    assert len(personas) == 2
    toggle = page.get_by_role("button", name="By persona")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#curve g.curve-persona")).to_have_count(0)

    toggle.click()

    expect(page).to_have_url(re.compile(r"[?&]curve_by=persona"))
    toggle = page.get_by_role("button", name="By persona")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_be_focused()
    legend = page.locator(".curve-legend li[data-persona]")
    expect(legend).to_have_count(2)
    for pk, name in personas.items():
        expect(page.locator(f'.curve-legend li[data-persona="{pk}"]')).to_contain_text(name)
        expect(page.locator(f'#curve g.curve-persona[data-persona="{pk}"]').first).to_be_attached()
    # One colour per persona, the legend's swatch in the same colour as its line.
    strokes = page.evaluate(STROKES)
    assert set(strokes) == set(personas)
    assert len(set(strokes.values())) == 2
    for pk, stroke in strokes.items():
        swatch = page.locator(f'.curve-legend li[data-persona="{pk}"] .curve-swatch')
        assert swatch.evaluate("(el) => getComputedStyle(el).borderTopColor") == stroke
    # The lines are drawn where the reader scrolls to: on screen, with a size.
    line = page.locator("#curve g.curve-persona").first
    line.scroll_into_view_if_needed()
    box = line.bounding_box()
    assert box is not None
    assert box["width"] > 0
    assert box["height"] > 0
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
    no_page_overflow(page)

    # Remembered in the URL: a reload draws the personas again; a filter change keeps them.
    page.reload()
    expect(page.locator(".curve-legend li[data-persona]")).to_have_count(2)
    page.locator("#filter-channel").select_option("website")
    expect(page).to_have_url(re.compile(r"channel=website"))
    expect(page).to_have_url(re.compile(r"curve_by=persona"))
    expect(page.locator(".curve-legend li[data-persona]")).to_have_count(2)
    no_page_overflow(page)

    page.get_by_role("button", name="By persona").click()
    expect(page.locator("#curve g.curve-persona")).to_have_count(0)
    expect(page.locator(".curve-legend")).to_have_count(0)
    expect(page.get_by_role("button", name="By persona")).to_have_attribute("aria-pressed", "false")


def test_saving_the_personas_redraws_the_curve_by_persona(page: Page, live_server, demo):
    page.set_viewport_size(SIZES[0])
    sign_in(page, live_server, Role.EDITOR)
    journey: Journey = open_map(page)
    kept, dropped = sorted(journey.personas.all(), key=lambda p: p.name)
    page.get_by_role("button", name="By persona").click()
    expect(page.locator(".curve-legend li[data-persona]")).to_have_count(2)

    # The picker saves without the page being reloaded; the curve follows at once.
    page.locator("#personas summary").click()
    page.locator(f'#personas input[name="personas"][value="{dropped.pk}"]').uncheck()
    page.get_by_role("button", name="Save personas").click()

    expect(page.locator(".curve-legend li[data-persona]")).to_have_count(1)
    expect(page.locator(f'.curve-legend li[data-persona="{kept.pk}"]')).to_contain_text(kept.name)
    expect(page.locator(f'#curve g.curve-persona[data-persona="{dropped.pk}"]')).to_have_count(0)
    expect(page.locator(f'#curve g.curve-persona[data-persona="{kept.pk}"]').first).to_be_attached()
    expect(page.get_by_role("button", name="By persona")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
