"""Logging a complaint from a map card in Chromium, on a desktop and a phone: the card swaps for
the form in place (no page reload), the record is stored once, the card comes back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from feedback.models import Kind, Response
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def card(page: Page, title: str):
    return page.locator("li.card", has=page.get_by_role("heading", name=title, exact=True))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_logs_a_complaint_from_the_card(page, live_server, manager, journey, viewport):
    page.set_viewport_size(viewport)
    signed_in(page, live_server, manager.user)
    page.goto(f"/w/acme/journeys/{journey.pk}/")
    page.evaluate("window.__motMarker = 1")

    reviews = card(page, "Reviews")
    reviews.get_by_role("link", name="Actions for Reviews").click()
    reviews.get_by_role("link", name="Log a record on Reviews").click()
    form = page.locator("form.record-form")
    expect(form).to_be_visible()
    box = form.bounding_box()
    assert box is not None
    assert box["width"] <= viewport["width"]  # the form fits the phone's width
    form.get_by_label("Kind").select_option(Kind.COMPLAINT.value)
    form.get_by_role("textbox", name="Text:").fill("The courier left the parcel in the rain")
    form.get_by_label("Customer id").fill("C-42")
    form.get_by_label("Pain").check()
    form.get_by_role("button", name="Log the record").click()

    expect(page.locator("form.record-form")).to_have_count(0)
    expect(card(page, "Reviews")).to_be_visible()
    assert page.evaluate("window.__motMarker") == 1, "the page was reloaded"
    record = Response.objects.get()
    assert (record.kind, record.experience, record.nps) == (Kind.COMPLAINT, "pain", None)
    assert record.customer.external_id == "C-42"
