"""A staff member works a follow-up on a 390 px phone: from My follow-ups to its page, where
the status changes in place (htmx, no full reload: a marker set on ``window`` survives) and the
timeline says who did it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedback.followups.models import FollowUp, Status
from feedback.models import Source
from feedback.services import AnswerIn, responses_ingest
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def followup(journey, staff) -> FollowUp:
    from django.utils import timezone

    reviews = journey.touchpoints.get(title="Reviews")
    reviews.owner = staff
    reviews.save()
    responses_ingest(
        workspace_id=journey.workspace_id,
        source=Source.API,
        answers=[
            AnswerIn(
                touchpoint_id=reviews.pk,
                external_id="late-delivery",
                submitted_at=timezone.now(),
                nps=2,
                comment="The parcel came a week late",
                contact="ana@example.com",
            )
        ],
    )
    return FollowUp.objects.get()


def test_staff_changes_a_follow_ups_status_on_a_phone(page, live_server, staff, followup):
    page.set_viewport_size(PHONE)
    signed_in(page, live_server, staff.user)

    page.goto("/w/acme/follow-ups/")
    card = page.locator(f'[data-followup="{followup.pk}"]')
    expect(card).to_contain_text("The parcel came a week late")
    card.click()

    expect(page.locator("h1")).to_contain_text("Follow-up: Reviews")
    expect(page.locator(".followup-contact")).to_have_text("ana@example.com")
    page.evaluate("window.__stayed = true")
    # Nothing overflows the phone's width: no sideways scrolling to reach the form.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.select_option("#followup-status", Status.IN_PROGRESS)
    page.get_by_role("button", name="Change status").click()

    expect(page.locator("[data-status]")).to_have_attribute("data-status", "in_progress")
    expect(page.locator(".timeline")).to_contain_text("changed the status from Open to In progress")
    expect(page.locator(".timeline")).to_contain_text("Sam")
    assert page.evaluate("window.__stayed") is True

    page.select_option("#followup-status", Status.RECOVERED)
    page.select_option("#followup-root-cause", "responsibility")
    page.get_by_role("button", name="Change status").click()

    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    followup.refresh_from_db()
    assert (followup.status, followup.root_cause, followup.version) == (
        Status.RECOVERED,
        "responsibility",
        3,
    )
