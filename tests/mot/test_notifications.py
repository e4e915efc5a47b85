"""The notification list (mark read, mark all read, htmx), the header's unread count, and the
alert preferences page: roles, outsiders, CSRF and pinned query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mot.models import Role
from mot.notifications.models import AlertPreferences, Kind, Notification
from mot.notifications.selectors import UNREAD_CAP
from mot.notifications.services import Entry, notifications_record
from tests.conftest import login

HTMX = {"HX-Request": "true"}


def _url(name: str, pk: int | None = None, ws: str = "acme") -> str:
    kwargs = {"ws": ws} if pk is None else {"ws": ws, "pk": pk}
    return reverse(f"notifications:{name}", kwargs=kwargs)


def _notify(member, n: int = 1, kind: str = Kind.FOLLOWUP_NEW, start: int = 0) -> None:
    Notification.objects.bulk_create(
        Notification(
            workspace_id=member.workspace_id,
            recipient=member,
            kind=kind,
            params={"touchpoint": f"Checkout {i}", "journey": "Shop", "due_on": "2026-05-06"},
            link=f"/w/acme/follow-ups/{i}/",
            dedupe_key=f"followup-new:{i}",
            mail_pending=False,
        )
        for i in range(start, start + n)
    )


def _count_badge(page: str) -> str | None:
    marker = 'class="unread-count"'
    if marker not in page:
        return None
    tail = page[page.index(marker) :]
    return tail[tail.index(">") + 1 : tail.index("</span>")]


def test_the_list_shows_the_members_own_notifications_worded(client, staff, manager):
    _notify(staff, 2)
    _notify(manager, 1, start=10)
    login(client, staff)

    page = client.get(_url("list")).content.decode()

    assert page.count('class="notification') == 2
    assert "New follow-up for you: Checkout 1" in page
    assert "Checkout 10" not in page  # the manager's
    assert 'href="/w/acme/follow-ups/0/"' in page


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_its_notifications_and_chooses_its_alerts(client, personas, role):
    login(client, personas[role])

    assert client.get(_url("list")).status_code == 200
    assert client.get(_url("preferences")).status_code == 200


def test_the_header_shows_the_unread_count_and_links_the_pages(client, staff):
    _notify(staff, 3)
    Notification.objects.filter(dedupe_key="followup-new:0").update(read_at="2026-05-05T10:00Z")
    login(client, staff)

    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()

    assert _count_badge(page) == "2"
    assert f'href="{_url("list")}"' in page
    assert f'href="{_url("preferences")}"' in page


def test_the_header_count_stops_at_its_cap(client, staff):
    _notify(staff, UNREAD_CAP + 5)
    login(client, staff)

    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()

    assert _count_badge(page) == "99+"


def test_no_unread_no_badge(client, staff):
    login(client, staff)
    page = client.get(reverse("journeys:list", kwargs={"ws": "acme"})).content.decode()
    assert _count_badge(page) is None


def test_the_unread_count_costs_the_header_no_query(
    client, staff, journey, django_assert_num_queries
):
    """The count rides on the membership query every page makes: a page costs as many
    queries with 0, 3 or 150 unread notifications as it did before notifications existed."""
    login(client, staff)
    url = reverse("journeys:list", kwargs={"ws": "acme"})
    client.get(url)
    with CaptureQueriesContext(connection) as baseline:
        client.get(url)
    before = len(baseline)
    _notify(staff, 150)
    with django_assert_num_queries(before):
        page = client.get(url).content.decode()
    assert _count_badge(page) == "99+"


def test_the_list_costs_a_fixed_number_of_queries(client, staff, django_assert_num_queries):
    login(client, staff)
    _notify(staff, 2)
    # session, user, membership (with the unread count), the list
    with django_assert_num_queries(4):
        client.get(_url("list"))
    _notify(staff, 120, start=2)
    with django_assert_num_queries(4):
        page = client.get(_url("list")).content.decode()
    assert page.count('class="notification') == 50
    assert "?before=" in page


def test_older_notifications_page_on(client, staff):
    _notify(staff, 60)
    login(client, staff)
    newest = list(Notification.objects.order_by("-pk").values_list("pk", flat=True))

    older = client.get(_url("list") + f"?before={newest[49]}").content.decode()

    assert older.count('class="notification') == 10
    assert f"notification-{newest[50]}" in older


@pytest.mark.parametrize("before", ["0", "-3", str(2**70), "x", "[]"])
def test_a_hostile_cursor_shows_the_first_page(client, staff, before):
    _notify(staff, 2)
    login(client, staff)
    response = client.get(_url("list"), {"before": before})
    assert response.status_code == 200
    assert response.content.decode().count('class="notification') == 2


def test_mark_read_with_htmx_swaps_the_row_and_the_header_count(client, staff):
    _notify(staff, 2)
    first = Notification.objects.order_by("pk").first()
    login(client, staff)

    response = client.post(_url("read", first.pk), headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{first.pk}"' in body
    assert "Mark read" not in body
    assert 'id="unread-link" href="/w/acme/notifications/" hx-swap-oob="true"' in body
    assert _count_badge(body) == "1"
    first.refresh_from_db()
    assert first.read_at is not None


def test_mark_read_without_javascript_redirects_to_the_list(client, staff):
    _notify(staff, 1)
    n = Notification.objects.get()
    login(client, staff)

    response = client.post(_url("read", n.pk))

    assert response.status_code == 302
    assert response["Location"] == _url("list")
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_all_read_reads_only_mine(client, staff, manager):
    _notify(staff, 3)
    _notify(manager, 2, start=10)
    login(client, staff)

    response = client.post(_url("read_all"), headers=HTMX)

    assert response.status_code == 200
    assert 'id="notification-results"' in response.content.decode()
    assert _count_badge(response.content.decode()) is None
    assert not Notification.objects.filter(recipient=staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=manager, read_at__isnull=True).count() == 2


def test_another_members_notification_answers_404(client, staff, manager):
    _notify(manager, 1)
    theirs = Notification.objects.get()
    login(client, staff)

    assert client.post(_url("read", theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_outsiders_get_404_for_the_workspace_and_its_notifications(client, staff, outsider):
    _notify(staff, 1)
    mine = Notification.objects.get()
    login(client, outsider)

    assert client.get(_url("list")).status_code == 404
    assert client.get(_url("preferences")).status_code == 404
    assert client.post(_url("read_all")).status_code == 404
    # Another workspace's notification id, through the outsider's own workspace: not found.
    assert client.post(_url("read", mine.pk, ws="globex")).status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client, staff):
    response = client.get(_url("list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_writes_need_the_csrf_token(staff):
    _notify(staff, 1)
    n = Notification.objects.get()
    client = Client(enforce_csrf_checks=True)
    login(client, staff)

    assert client.post(_url("read", n.pk)).status_code == 403
    assert client.post(_url("read_all")).status_code == 403
    assert client.post(_url("preferences"), {}).status_code == 403
    n.refresh_from_db()
    assert n.read_at is None


def test_get_never_marks_read(client, staff):
    _notify(staff, 1)
    n = Notification.objects.get()
    login(client, staff)
    assert client.get(_url("read", n.pk)).status_code == 405
    assert client.get(_url("read_all")).status_code == 405


def test_preferences_default_to_every_email_and_save_the_members_choice(client, staff, manager):
    login(client, staff)
    page = client.get(_url("preferences")).content.decode()
    assert page.count("checked") == 3

    response = client.post(_url("preferences"), {"email_followups_overdue": "on"})

    assert response.status_code == 302
    mine = AlertPreferences.objects.get(membership=staff)
    assert (mine.email_followup_new, mine.email_followups_overdue, mine.email_moment_turn) == (
        False,
        True,
        False,
    )
    assert not AlertPreferences.objects.filter(membership=manager).exists()
    assert client.get(_url("preferences")).content.decode().count("checked") == 1


def test_only_admins_choose_the_webhook_disabled_email(client, staff, admin):
    """Only admins are told that a webhook endpoint was disabled (they manage webhooks): the
    choice is theirs alone, and a member without it cannot set it by posting it."""
    login(client, staff)
    assert "email_webhook_disabled" not in client.get(_url("preferences")).content.decode()
    client.post(_url("preferences"), {"email_webhook_disabled": ""})
    assert AlertPreferences.objects.get(membership=staff).email_webhook_disabled is True

    client.logout()
    login(client, admin)
    page = client.get(_url("preferences")).content.decode()
    assert 'name="email_webhook_disabled"' in page
    assert page.count("checked") == 4
    response = client.post(
        _url("preferences"),
        {"email_followup_new": "on", "email_followups_overdue": "on", "email_moment_turn": "on"},
    )
    assert response.status_code == 302
    assert AlertPreferences.objects.get(membership=admin).email_webhook_disabled is False


def test_a_disabled_endpoint_reads_in_the_list_and_its_email_follows_the_choice(admin, mailoutbox):
    from mot.notifications.mail import notifications_mail
    from mot.notifications.texts import wording

    entry = Entry(
        recipient_id=admin.pk,
        dedupe_key="webhook_disabled:7:2026-12-07T05:00:00+00:00",
        params={"name": "CRM", "url": "https://crm.example.test/in", "n": 5},
        link="/w/x/webhooks/endpoints/7/",
    )
    notifications_record(
        workspace_id=admin.workspace_id, kind=Kind.WEBHOOK_DISABLED, entries=[entry]
    )
    said = wording(Kind.WEBHOOK_DISABLED, entry.params)
    assert said.headline == "Webhook endpoint “CRM” was disabled"
    assert said.detail == "Disabled after 5 deliveries in a row failed."
    assert notifications_mail(membership_id=admin.pk, kind=Kind.WEBHOOK_DISABLED) == 1
    assert mailoutbox[0].subject == "Webhook endpoint “CRM” was disabled"

    AlertPreferences.objects.create(membership=admin, email_webhook_disabled=False)
    notifications_record(
        workspace_id=admin.workspace_id,
        kind=Kind.WEBHOOK_DISABLED,
        entries=[Entry(admin.pk, "webhook_disabled:7:later", entry.params, entry.link)],
    )
    assert notifications_mail(membership_id=admin.pk, kind=Kind.WEBHOOK_DISABLED) == 0
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(kind=Kind.WEBHOOK_DISABLED).count() == 2


def test_recording_an_event_twice_keeps_one_notification(staff, manager):
    entries = [
        Entry(recipient_id=m.pk, dedupe_key="moment-turn:1:1", params={}, link="")
        for m in (staff, manager)
    ]
    first = notifications_record(
        workspace_id=staff.workspace_id, kind=Kind.MOMENT_TURN, entries=entries
    )
    again = notifications_record(
        workspace_id=staff.workspace_id, kind=Kind.MOMENT_TURN, entries=entries
    )
    assert (first, again) == (2, 0)
    assert Notification.objects.count() == 2


def test_a_moment_turn_of_one_point_over_one_day_reads_in_the_singular():
    from mot.notifications.texts import wording

    params = {"touchpoint": "Reviews", "journey": "Checkout", "previous": 10, "current": 8.8}
    one = wording(Kind.MOMENT_TURN, {**params, "change": -1.2, "margin": 0.8, "days": 1})
    assert one.headline == "Reviews dropped 1 point"
    assert "the last 1 day against the 1 before (beyond the margin of ±1 point)" in one.detail
    many = wording(Kind.MOMENT_TURN, {**params, "change": -20, "margin": 9, "days": 30})
    assert many.headline == "Reviews dropped 20 points"
    assert "the last 30 days against the 30 before (beyond the margin of ±9 points)" in many.detail
