"""A member reads their notifications: marking one read swaps its row and the header's unread
count in place (htmx, no reload: a marker set on ``window`` survives), then mark all read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mot.notifications.models import Kind, Notification
from tests.browser.conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def notes(staff) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(
            workspace_id=staff.workspace_id,
            recipient=staff,
            kind=Kind.FOLLOWUP_NEW,
            params={"touchpoint": title, "journey": "Online shop", "due_on": "2026-05-06"},
            link="/w/acme/follow-ups/",
            dedupe_key=f"followup-new:{i}",
            mail_pending=False,
        )
        for i, title in enumerate(["Reviews", "Checkout", "Delivery"])
    )


def test_marking_notifications_read_updates_the_header_count(page, live_server, staff, notes):
    signed_in(page, live_server, staff.user)
    page.goto("/w/acme/notifications/")
    count = page.locator("#unread-link .unread-count")
    expect(count).to_have_text("3")
    page.evaluate("window.__stayed = true")

    row = page.locator(f"#notification-{notes[1].pk}")
    row.get_by_role("button", name="Mark read").click()

    expect(row.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(count).to_have_text("2")

    page.get_by_role("button", name="Mark all read").click()

    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(page.locator("#unread-link .unread-count")).to_have_count(0)
    assert page.evaluate("window.__stayed") is True
    assert not Notification.objects.filter(read_at__isnull=True).exists()
