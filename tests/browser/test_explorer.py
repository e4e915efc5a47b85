"""The feedback explorer in a real browser: a member searches a Portuguese comment, filters by
experience and pages on, and every change swaps the results in place (no full page reload: a
marker set on ``window`` after the page loads must still be there at the end)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from feedback.models import Response, Source
from journeys.models import Touchpoint
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATH = "/w/acme/answers/"
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PORTUGUESE = "A entrega atrasada outra vez, ninguém avisou"


@pytest.fixture
def answers(journey) -> int:
    """120 answers (NPS 0-10 in turn) and one Portuguese complaint, the newest."""
    tp = Touchpoint.objects.filter(journey=journey).order_by("pk").first()
    rows = [
        Response(
            workspace_id=journey.workspace_id,
            touchpoint=tp,
            source=Source.IMPORT,
            external_id=f"b{i}",
            submitted_at=BASE + timedelta(minutes=i),
            nps=i % 11,
            comment=f"Answer number {i}",
            language="en",
        )
        for i in range(120)
    ]
    rows.append(
        Response(
            workspace_id=journey.workspace_id,
            touchpoint=tp,
            source=Source.SURVEY_LINK,
            external_id="pt-1",
            submitted_at=BASE + timedelta(days=1),
            nps=2,
            comment=PORTUGUESE,
            language="pt",
        )
    )
    Response.objects.bulk_create(rows)
    return len(rows)


def sign_in(page: Page, live_server, membership) -> None:
    signed_in(page, live_server, membership.user)


def rows(page: Page):
    return page.locator("#explorer-results tbody tr")


def count(page: Page):
    return page.locator("#explorer-count")


def test_member_searches_filters_and_pages_without_reloading(
    page: Page, live_server, staff, answers
):
    sign_in(page, live_server, staff)
    page.goto("/w/acme/journeys/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Answers").click()

    expect(page.get_by_role("heading", name="Answers", level=1)).to_be_visible()
    expect(count(page)).to_have_text(f"{answers} answers")
    expect(rows(page)).to_have_count(50)
    page.evaluate("window.__motMarker = 1")

    # Typing is enough: the results follow, and the URL keeps the search.
    page.get_by_label("Search comments").press_sequentially("entrega", delay=30)
    expect(count(page)).to_have_text("1 answer")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(PORTUGUESE)
    expect(rows(page).first).to_contain_text("Pain")
    expect(page).to_have_url(re.compile(r"[?&]q=entrega"))

    # A filter: pain answers only, the search cleared.
    page.get_by_label("Search comments").fill("")
    expect(count(page)).to_have_text(f"{answers} answers")
    page.get_by_label("Experience").select_option("pain")
    pain = Response.objects.filter(experience="pain").count()
    assert pain > 50
    expect(count(page)).to_have_text(f"{pain} answers")
    expect(page).to_have_url(re.compile(r"[?&]experience=pain"))
    expect(rows(page)).to_have_count(50)
    for badge in rows(page).locator(".xp").all():
        expect(badge).to_have_text(re.compile("Pain"))

    # The next page of the same filter.
    newest_first = list(
        Response.objects.filter(experience="pain")
        .order_by("-submitted_at", "-pk")
        .values_list("pk", flat=True)
    )
    page.get_by_role("link", name="Next page").click()
    expect(rows(page)).to_have_count(pain - 50)
    expect(page).to_have_url(re.compile(r"experience=pain&cursor="))
    shown = [
        int(i.removeprefix("answer-")) for i in rows(page).evaluate_all("rs => rs.map(r => r.id)")
    ]
    assert shown == newest_first[50:]
    expect(page.get_by_role("link", name="Previous page")).to_be_visible()
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)

    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
