"""The dashboard in Brazilian Portuguese, in a real browser: plotly.js draws the date axis with
Portuguese month names (its vendored pt-BR locale, loaded as a static file under the page's CSP)
and the numbers with a decimal comma (the figure's separators); "Download CSV" gives semicolons
and decimal commas unless the user chooses otherwise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import signed_in
from tests.marked_language import LANGUAGES
from tests.metrics.test_dashboard import add_day, tps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATH = "/w/acme/dashboard/?period=365"
# plotly's short month names where English and Brazilian Portuguese differ.
ENGLISH_ONLY = {"Feb", "Apr", "May", "Aug", "Sep", "Oct", "Dec"}
PORTUGUESE_ONLY = {"Fev", "Abr", "Mai", "Ago", "Set", "Out", "Dez"}


@pytest.fixture
def a_year_of_answers(journey):
    """Enough answers every month of the last year for a point on the trend each month; the NPS
    of 12.5 (10 promoters, 25 passives, 5 detractors) has a decimal to show."""
    checkout = tps(journey)["Checkout"]
    today = timezone.localdate()
    for month in range(12):
        add_day(checkout, today - timedelta(days=30 * month + 3), promoters=10, passives=25,
                detractors=5)  # fmt: skip
    return journey


def ask_for(page: Page, language: str) -> None:
    """Every request asks for ``language``: the browser context's locale (en-US,
    tests/browser/conftest.py) would win over an extra header."""
    page.route(
        "**/*",
        lambda route: route.continue_(
            headers={**route.request.headers, "accept-language": language}
        ),
    )


def downloaded(page: Page, button) -> str:
    with page.expect_download() as download:
        button.click()
    return Path(download.value.path()).read_text(encoding="utf-8-sig")


def month_ticks(page: Page) -> set[str]:
    texts = page.locator("#plot-trend .xtick text").all_text_contents()
    return {word for text in texts for word in text.split()}


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("pt-BR", PORTUGUESE_ONLY, ENGLISH_ONLY), ("en-US", ENGLISH_ONLY, PORTUGUESE_ONLY)],
)
def test_the_trend_charts_months_and_decimals_are_in_the_pages_language(
    page: Page, live_server, settings, manager, a_year_of_answers, console_errors,
    language, shown, not_shown,
):  # fmt: skip
    settings.LANGUAGES = LANGUAGES
    ask_for(page, language)
    signed_in(page, live_server, manager.user)
    page.goto(PATH)
    expect(page.locator("#plot-trend .xtick text").first).to_be_visible()  # plotly drew it
    ticks = month_ticks(page)
    assert ticks & shown, ticks
    assert not ticks & not_shown, ticks
    # The NPS of a month, hovered: 12,5 in Portuguese, 12.5 in English.
    point = page.locator("#plot-trend .scatterlayer .trace").nth(2).locator("path.point").first
    point.scroll_into_view_if_needed()
    box = point.bounding_box()  # plotly's drag layer covers the point: move the mouse there
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#plot-trend .hoverlayer .hovertext").first).to_be_visible()
    hover = page.locator("#plot-trend .hoverlayer").text_content() or ""
    assert ("12,5" if language == "pt-BR" else "12.5") in hover, hover
    assert console_errors == []


def test_download_csv_in_portuguese_gives_semicolons_and_decimal_commas(
    page: Page, live_server, settings, manager, a_year_of_answers, console_errors
):
    """The form's choices are preset for the language; changing one changes the file."""
    settings.LANGUAGES = LANGUAGES
    ask_for(page, "pt-BR")
    signed_in(page, live_server, manager.user)
    page.goto(PATH)
    form = page.locator("form.csv-download")
    expect(form.locator("select[name=csv_sep]")).to_have_value("semicolon")
    expect(form.locator("select[name=csv_decimal]")).to_have_value("comma")
    text = downloaded(page, form.locator("button[type=submit]"))
    header, checkout = (
        text.splitlines()[0],
        next(line for line in text.splitlines() if ";Checkout;" in line),
    )
    assert header.count(";") >= 10
    assert ";12,5;" in checkout  # the NPS of the year
    form.locator("select[name=csv_sep]").select_option("comma")
    text = downloaded(page, form.locator("button[type=submit]"))
    assert ",Checkout," in text
    assert '"12,5"' in text  # a decimal comma in a comma-separated file is quoted
    assert console_errors == []
