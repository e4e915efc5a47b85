"""The public survey on a phone, and the survey editor's copy button and preview, in Chromium."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from feedback.surveys.services import survey_link_configure, survey_link_create
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def link(editor, journey):
    touchpoint = journey.touchpoints.order_by("pk").first()
    return survey_link_create(actor=editor, touchpoint=touchpoint)


def _tops(page: Page, selector: str) -> list[float]:
    return page.locator(selector).evaluate_all(
        "labels => labels.map(label => label.getBoundingClientRect().top)"
    )


def test_the_0_to_10_scale_fits_one_row_on_a_360_px_phone(page: Page, link):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(reverse("survey", kwargs={"token": link.token}))
    tops = _tops(page, "#id_nps .scale label")
    assert len(tops) == 11
    assert len(set(tops)) == 1, tops
    # Nothing sticks out of the page sideways, and each option is still a fair target.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    widths = page.locator("#id_nps .scale label").evaluate_all(
        "labels => labels.map(label => label.getBoundingClientRect().width)"
    )
    assert min(widths) >= 24, widths
    # A choice is tappable and shown as chosen.
    page.locator("#id_nps .scale label").nth(10).click()
    expect(page.locator("#id_nps input[value='10']")).to_be_checked()


def test_the_copy_button_copies_the_link(page: Page, live_server, editor, link):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    signed_in(page, live_server, editor.user)
    page.goto(reverse("feedback:surveys", kwargs={"ws": "acme"}))
    button = page.locator(f"button[data-copy='link-url-{link.pk}']")
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.url}/s/{link.token}/"


def test_the_preview_shows_the_saved_survey_at_phone_and_desktop_widths(
    page: Page, live_server, editor, link
):
    survey_link_configure(
        actor=editor,
        link=link,
        language="en",
        config={
            "title": {"en": "Your visit <b>today</b>"},
            "questions": [{"key": "ces", "required": True}, {"key": "nps"}],
        },
    )
    signed_in(page, live_server, editor.user)
    page.set_viewport_size({"width": 1500, "height": 900})
    page.goto(reverse("feedback:survey_link_edit", kwargs={"ws": "acme", "pk": link.pk}))
    for selector, width in ((".preview-phone", 360), (".preview-desktop", 1024)):
        frame_element = page.locator(selector)
        frame_element.scroll_into_view_if_needed()
        box = frame_element.bounding_box()
        assert abs(box["width"] - width) <= 2, (selector, box)
        frame = page.frame_locator(selector)
        # Escaped: the editor's markup shows as text.
        expect(frame.locator("h1")).to_have_text("Your visit <b>today</b>")
        expect(frame.locator("fieldset[id^=id_]")).to_have_count(2)
        expect(frame.locator("fieldset[id^=id_]").first).to_have_id("id_ces")
        expect(frame.locator("button[type=submit]")).to_be_disabled()
    # The phone frame keeps the 0-10 scale on one row too.
    phone = page.frame_locator(".preview-phone")
    tops = phone.locator("#id_nps .scale label").evaluate_all(
        "labels => labels.map(label => label.getBoundingClientRect().top)"
    )
    assert len(set(tops)) == 1, tops
