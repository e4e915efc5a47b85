"""A staff member works their follow-ups on a 390 px phone and on a 1440 px desktop: from My
follow-ups, where a row's status changes in place with the keyboard alone, to a follow-up's page,
where the status changes in place too (htmx, no full reload: a marker set on ``window`` survives),
a note is added and the timeline says who did it. Nothing is wider than the phone. A manager
reassigns from the team queue with the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedback.followups.models import FollowUp, Status
from feedback.models import Source
from feedback.services import AnswerIn, responses_ingest
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


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
    page.locator(f"#followup-title-{followup.pk}").click()

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


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def _focus_is_visible(page) -> bool:
    return page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return document.activeElement.matches(':focus-visible') && s.outlineStyle !== 'none'"
        " && parseFloat(s.outlineWidth) > 0; })()"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_staff_works_their_queue_with_the_keyboard(page, live_server, staff, followup, viewport):
    page.set_viewport_size(viewport)
    signed_in(page, live_server, staff.user)
    pk = followup.pk

    page.goto("/w/acme/follow-ups/")
    row = page.locator(f"#followup-row-{pk}")
    expect(row).to_contain_text("The parcel came a week late")
    _no_sideways_scrolling(page)
    page.evaluate("window.__stayed = true")

    # From the row's title, Tab reaches its status control, then its button: Enter changes it.
    page.locator(f"#followup-title-{pk}").focus()
    page.keyboard.press("Tab")
    assert _focused(page) == f"row-status-{pk}"
    assert _focus_is_visible(page)
    assert page.locator(f"#row-status-{pk}").input_value() == Status.IN_PROGRESS
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(row.locator("[data-row-status]")).to_have_attribute("data-row-status", "in_progress")
    # The row came back in place and the keyboard is still on it.
    expect(page.locator(f"#row-status-{pk}")).to_be_focused()
    assert page.evaluate("window.__stayed") is True
    page.keyboard.press("ArrowDown")  # recovered -> not recovered
    assert page.locator(f"#row-status-{pk}").input_value() == Status.NOT_RECOVERED
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(row.locator("[data-row-status]")).to_have_attribute("data-row-status", "not_recovered")
    expect(row.get_by_role("button", name="Reopen")).to_be_focused()
    _no_sideways_scrolling(page)

    # Open the follow-up from its row and add a note with the keyboard.
    page.locator(f"#followup-title-{pk}").focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Follow-up: Reviews")
    _no_sideways_scrolling(page)
    page.locator("#id_note").focus()
    page.keyboard.type("Refunded the shipping and apologised")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Add note"
    page.keyboard.press("Enter")

    expect(page.locator(".timeline")).to_contain_text("Refunded the shipping and apologised")
    expect(page.locator(".timeline")).to_contain_text(
        "changed the status from In progress to Not recovered"
    )
    _no_sideways_scrolling(page)
    followup.refresh_from_db()
    assert followup.status == Status.NOT_RECOVERED
    assert followup.events.filter(kind="note", actor=staff).count() == 1


def test_a_stale_row_shows_the_conflict_and_the_row_as_it_is_now(
    page, live_server, staff, followup
):
    page.set_viewport_size(PHONE)
    signed_in(page, live_server, staff.user)
    page.goto("/w/acme/follow-ups/")
    # Someone else moves it on meanwhile.
    FollowUp.objects.filter(pk=followup.pk).update(status=Status.IN_PROGRESS, version=2)

    page.locator(f"#row-status-{followup.pk}").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    row = page.locator(f"#followup-row-{followup.pk}")
    expect(row.get_by_role("alert")).to_contain_text("Someone else changed this follow-up")
    expect(row.locator("[data-row-status]")).to_have_attribute("data-row-status", "in_progress")
    _no_sideways_scrolling(page)


def test_manager_reassigns_from_the_team_queue_with_the_keyboard(
    page, live_server, manager, staff, followup
):
    page.set_viewport_size(PHONE)
    signed_in(page, live_server, manager.user)

    page.goto("/w/acme/follow-ups/team/")
    expect(page.locator("h1")).to_have_text("Team queue")
    _no_sideways_scrolling(page)
    select = page.locator(f"#row-assignee-{followup.pk}")
    select.focus()
    page.keyboard.press("Home")  # the first option: nobody, the workspace's queue
    assert select.input_value() == ""
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    row = page.locator(f"#followup-row-{followup.pk}")
    expect(row).to_contain_text("In the workspace's queue")
    _no_sideways_scrolling(page)
    followup.refresh_from_db()
    assert followup.assignee_id is None
