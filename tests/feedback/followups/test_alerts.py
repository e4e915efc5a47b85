"""Alerts about follow-ups: the new follow-up e-mail (batched into a digest) and the daily
digest of overdue ones, with Django's locmem mail backend."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from feedback.followups.alerts import (
    DIGEST_ITEMS,
    announce_missed,
    overdue_digest,
    overdue_digests,
    recent_followups_alert,
)
from feedback.followups.models import FollowUp, FollowUpSettings, Status
from mot.models import Membership
from mot.notifications import mail as alert_mail
from mot.notifications.models import AlertPreferences, Kind, Notification
from mot.tasks import mail_notifications
from tests.conftest import make_member
from tests.feedback.followups.conftest import answer, ingest


@pytest.fixture
def alerts(on_commit_eager):
    """Alerts recorded by a call are mailed into the outbox as its transaction commits."""
    return on_commit_eager


@pytest.fixture
def queued(db, monkeypatch):
    """The e-mail tasks queued, recorded instead of sent to a broker. The marks saying a task
    is queued are removed afterwards (no task runs to remove them)."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        mail_notifications, "apply_async", lambda args, countdown: calls.append((args, countdown))
    )
    yield calls
    cache.delete_many(
        [
            alert_mail._queued_key(pk, kind)
            for pk in Membership.objects.values_list("pk", flat=True)
            for kind in Kind
        ]
    )


def _told(workspace, *answers):
    """Store the answers and record their alerts as the announcing task does, in the test's
    transaction (nothing commits, so no e-mail task is queued)."""
    before = timezone.now()
    ingest(workspace, *answers)
    recent_followups_alert(workspace_id=workspace.pk, since=before)


def _new(member) -> list[Notification]:
    return list(Notification.objects.filter(recipient=member, kind=Kind.FOLLOWUP_NEW))


# --- new follow-ups --------------------------------------------------------------------------


def test_a_new_follow_up_tells_its_assignee_in_app_and_by_email(
    alerts, workspace, staff, manager, reviews, mailoutbox
):
    alerts(ingest, workspace, answer(reviews, "a", comment="Nobody answered"))

    followup = FollowUp.objects.get()
    [note] = _new(staff)
    assert note.link == f"/w/acme/follow-ups/{followup.pk}/"
    assert note.params["touchpoint"] == "Reviews"
    assert not _new(manager)  # assigned: the managers are not told
    [email] = mailoutbox
    assert email.to == [staff.user.email]
    assert email.subject == "1 new follow-up in Acme"
    assert "New follow-up for you: Reviews" in email.body
    assert f"https://mot.example.test/w/acme/follow-ups/{followup.pk}/" in email.body
    assert "https://mot.example.test/w/acme/notifications/preferences/" in email.body
    note.refresh_from_db()
    assert (note.mail_pending, note.emailed_at is not None, note.read_at) == (False, True, None)


def test_a_follow_up_in_the_queue_tells_the_managers_and_admins(
    alerts, workspace, personas, checkout, mailoutbox
):
    alerts(ingest, workspace, answer(checkout, "q", comment="Nobody owns me"))

    told = set(Notification.objects.values_list("recipient__role", flat=True))
    assert told == {"admin", "manager"}
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@acme.test", "mona@acme.test"]
    assert "workspace queue: Checkout" in mailoutbox[0].body


def test_several_new_follow_ups_in_one_batch_make_one_digest(
    alerts, workspace, staff, reviews, mailoutbox
):
    alerts(ingest, workspace, *[answer(reviews, f"a{i}", comment="Slow") for i in range(3)])

    assert len(_new(staff)) == 3
    [email] = mailoutbox
    assert email.subject == "3 new follow-ups in Acme"
    assert email.body.count("New follow-up for you: Reviews") == 3


def test_follow_ups_arriving_within_minutes_share_one_task_and_one_email(
    workspace,
    staff,
    reviews,
    settings,
    mailoutbox,
    queued,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    """The first follow-up queues the member's e-mail task with a countdown; those arriving
    before it runs queue nothing more, and the task mails them all at once."""
    settings.ALERTS_DIGEST_SECONDS = 120
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            ingest(workspace, answer(reviews, f"burst-{i}", comment="Slow"))

    assert queued == [((staff.pk, Kind.FOLLOWUP_NEW), 120)]
    assert mailoutbox == []
    assert alert_mail.notifications_mail(membership_id=staff.pk, kind=Kind.FOLLOWUP_NEW) == 3
    [email] = mailoutbox
    assert email.subject == "3 new follow-ups in Acme"
    # The task ran: the next follow-up queues a new one.
    with django_capture_on_commit_callbacks(execute=True):
        ingest(workspace, answer(reviews, "later", comment="Slow"))
    assert len(queued) == 2


def test_a_bulk_batch_queues_one_task_per_recipient_not_per_follow_up(
    workspace, personas, reviews, checkout, queued, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for chunk in range(4):  # as an import's chunks, in one transaction
            ingest(
                workspace,
                *[answer(reviews, f"r{chunk}-{i}", comment="x") for i in range(25)],
                *[answer(checkout, f"c{chunk}-{i}", comment="x") for i in range(25)],
            )

    assert FollowUp.objects.count() == 200
    # The staff owner, and the queue's admin and manager: three tasks, for 200 follow-ups.
    assert sorted(args for args, _countdown in queued) == sorted(
        (m.pk, Kind.FOLLOWUP_NEW)
        for m in (personas["staff"], personas["admin"], personas["manager"])
    )
    assert Notification.objects.filter(recipient=personas["staff"]).count() == 100
    assert Notification.objects.filter(recipient=personas["manager"]).count() == 100


def test_an_answer_sent_again_or_a_task_run_again_mails_nothing_more(
    alerts, workspace, staff, reviews, mailoutbox
):
    alerts(ingest, workspace, answer(reviews, "a", comment="Slow"))
    alerts(ingest, workspace, answer(reviews, "a", comment="Slow"))  # the same answer again
    rerun = mail_notifications.apply(args=(staff.pk, Kind.FOLLOWUP_NEW)).get()

    assert rerun == 0
    assert len(_new(staff)) == 1
    assert len(mailoutbox) == 1


def test_a_member_who_turned_the_email_off_is_told_in_app_only(
    alerts, workspace, staff, reviews, mailoutbox
):
    AlertPreferences.objects.create(membership=staff, email_followup_new=False)

    alerts(ingest, workspace, answer(reviews, "a", comment="Slow"))

    assert mailoutbox == []
    [note] = _new(staff)
    assert note.mail_pending is False  # not mailed later either, should they turn it on
    assert note.emailed_at is None


def test_a_mail_server_that_is_down_leaves_the_email_pending_for_the_retry(
    workspace, staff, reviews, monkeypatch, mailoutbox
):
    _told(workspace, answer(reviews, "a", comment="Slow"))  # no commit: no e-mail task yet

    def down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection refused")

    monkeypatch.setattr(alert_mail, "send_mail", down)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        alert_mail.notifications_mail(membership_id=staff.pk, kind=Kind.FOLLOWUP_NEW)
    [note] = _new(staff)
    assert (note.mail_pending, note.emailed_at) == (True, None)

    monkeypatch.undo()
    assert alert_mail.notifications_mail(membership_id=staff.pk, kind=Kind.FOLLOWUP_NEW) == 1
    assert len(mailoutbox) == 1


def test_the_mail_task_retries_smtp_and_network_errors_with_backoff():
    assert set(mail_notifications.autoretry_for) >= {OSError, smtplib.SMTPException}
    assert mail_notifications.retry_backoff


def test_the_sweep_queues_emails_whose_task_never_ran(workspace, staff, reviews, queued, settings):
    _told(workspace, answer(reviews, "a", comment="Slow"))  # recorded, e-mail never queued
    now = timezone.now()

    assert alert_mail.mail_stalled(now=now) == 0  # not late yet
    late = now + timedelta(seconds=settings.ALERTS_DIGEST_SECONDS + 601)
    assert alert_mail.mail_stalled(now=late) == 1
    assert [args for args, _countdown in queued] == [(staff.pk, Kind.FOLLOWUP_NEW)]


def test_opening_in_the_queue_costs_a_fixed_number_of_queries(
    workspace, personas, checkout, django_assert_num_queries
):
    from feedback.followups.rules import followups_open
    from feedback.models import Response

    rule = FollowUpSettings(workspace=workspace)
    for size in (2, 40):
        ids = ingest(
            workspace, *[answer(checkout, f"{size}-{i}", comment="x") for i in range(size)]
        ).created_ids
        FollowUp.objects.filter(response_id__in=ids).delete()
        # follow-ups; their assignees; the watchers; the notifications
        with django_assert_num_queries(4):
            followups_open(workspace_id=workspace.pk, response_ids=ids, rule=rule)
        assert (
            Notification.objects.filter(
                dedupe_key__in=[
                    f"followup-new:{pk}"
                    for pk in FollowUp.objects.filter(
                        response__in=Response.objects.filter(pk__in=ids)
                    ).values_list("pk", flat=True)
                ]
            ).count()
            == 2 * size
        )


# --- overdue digest --------------------------------------------------------------------------


def _overdue(workspace, tp, n: int, prefix: str, days: int = 3) -> None:
    ingest(workspace, *[answer(tp, f"{prefix}{i}", comment="Slow") for i in range(n)])
    FollowUp.objects.filter(response__external_id__startswith=prefix).update(
        due_on=timezone.localdate() - timedelta(days=days)
    )


def test_the_overdue_digest_goes_to_assignees_and_managers_once_a_day(
    alerts, workspace, personas, reviews, checkout, mailoutbox
):
    staff, manager = personas["staff"], personas["manager"]
    _overdue(workspace, reviews, 2, "mine")
    _overdue(workspace, checkout, 1, "queue")
    ingest(workspace, answer(reviews, "fresh", comment="Not late"))  # due later
    FollowUp.objects.filter(response__external_id="mine1").update(status=Status.RECOVERED)
    Notification.objects.all().delete()
    mailoutbox.clear()
    today = timezone.localdate()

    first = alerts(overdue_digest, workspace_id=workspace.pk, today=today)
    again = alerts(overdue_digest, workspace_id=workspace.pk, today=today)

    assert (first, again) == (3, 0)  # staff, admin, manager; nothing on the rerun
    by_address = {m.to[0]: m for m in mailoutbox}
    assert len(mailoutbox) == 3
    mine = by_address[staff.user.email]
    assert mine.subject == "1 overdue follow-up in Acme"
    assert mine.body.count("- Reviews") == 1
    theirs = by_address[manager.user.email]
    assert theirs.subject == "2 overdue follow-ups in Acme"
    assert "- Reviews" in theirs.body
    assert "- Checkout" in theirs.body
    note = Notification.objects.get(recipient=staff)
    assert note.params["count"] == 1
    assert note.link == "/w/acme/follow-ups/?overdue=on"
    # The next day is a new digest.
    assert alerts(overdue_digest, workspace_id=workspace.pk, today=today + timedelta(days=1)) == 3


def test_the_overdue_digest_lists_the_oldest_and_counts_the_rest(
    alerts, workspace, staff, reviews, mailoutbox
):
    _overdue(workspace, reviews, DIGEST_ITEMS + 5, "late")
    mailoutbox.clear()

    alerts(overdue_digests, today=timezone.localdate())

    [email] = mailoutbox
    assert email.subject == f"{DIGEST_ITEMS + 5} overdue follow-ups in Acme"
    assert email.body.count("- Reviews") == DIGEST_ITEMS
    assert "… and 5 more." in email.body


def test_nothing_overdue_sends_nothing(alerts, workspace, staff, manager, reviews, mailoutbox):
    ingest(workspace, answer(reviews, "fresh", comment="Not late"))
    mailoutbox.clear()
    assert alerts(overdue_digests, today=timezone.localdate()) == 0
    assert mailoutbox == []


def test_the_overdue_email_respects_the_members_choice(
    alerts, workspace, staff, manager, reviews, mailoutbox
):
    _overdue(workspace, reviews, 1, "late")
    AlertPreferences.objects.create(membership=manager, email_followups_overdue=False)
    mailoutbox.clear()

    alerts(overdue_digest, workspace_id=workspace.pk, today=timezone.localdate())

    assert [m.to for m in mailoutbox] == [[staff.user.email]]
    assert Notification.objects.filter(recipient=manager, kind=Kind.FOLLOWUPS_OVERDUE).exists()


def test_another_workspaces_members_hear_nothing(alerts, workspace, outsider, reviews, mailoutbox):
    other_admin = make_member(outsider.workspace, "manager", "olga")
    _overdue(workspace, reviews, 1, "late")
    alerts(overdue_digests, today=timezone.localdate())
    assert not Notification.objects.filter(recipient__in=[outsider, other_admin]).exists()
    assert all(outsider.user.email not in m.to for m in mail.outbox)


def test_beat_runs_the_daily_digest_and_the_mail_sweep(alerts, workspace, staff, reviews):
    from django.conf import settings

    from feedback.tasks import followups_overdue_digests
    from mot.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["followups-overdue-digest"]["task"] == followups_overdue_digests.name
    assert schedule["alerts-mail-sweep"]["task"] in app.tasks
    _overdue(workspace, reviews, 1, "late")

    assert alerts(lambda: followups_overdue_digests.apply().get()) == 1
    assert alerts(lambda: followups_overdue_digests.apply().get()) == 0


# --- follow-ups from surveys and the API: told by a task a burst shares ----------------------


@pytest.fixture
def announcing(db, monkeypatch):
    """The announcing tasks queued, recorded instead of run; their marks removed afterwards."""
    from feedback.followups import alerts as followup_alerts
    from feedback.tasks import followups_announce

    calls: list[tuple] = []
    monkeypatch.setattr(
        followups_announce, "apply_async", lambda args, countdown: calls.append(args)
    )
    cache.clear()
    yield calls
    cache.delete_many(
        [
            followup_alerts._announce_key(pk)
            for pk in Membership.objects.values_list("workspace_id", flat=True)
        ]
    )


def test_a_burst_of_answers_is_told_of_by_one_task_after_the_request(
    workspace, staff, reviews, announcing, django_capture_on_commit_callbacks
):
    from feedback.followups.alerts import announce_now

    for i in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            result = ingest(workspace, answer(reviews, f"b{i}", comment="Slow"))
        assert result.followups == 1
    # The requests wrote no notification: one task will, for the whole burst.
    assert not _new(staff)
    [(ws, since)] = announcing
    assert ws == workspace.pk

    with django_capture_on_commit_callbacks(execute=False):
        assert announce_now(workspace_id=ws, since=datetime.fromisoformat(since)) == 5
        # Run again (a retry, an overlapping period): nothing told twice.
        assert announce_now(workspace_id=ws, since=datetime.fromisoformat(since)) == 0
    assert len(_new(staff)) == 5
    # The task took the mark: the next answer queues the next task.
    with django_capture_on_commit_callbacks(execute=True):
        ingest(workspace, answer(reviews, "later", comment="Slow"))
    assert len(announcing) == 2


def test_the_sweep_tells_of_follow_ups_whose_task_never_ran(workspace, staff, reviews):
    ingest(workspace, answer(reviews, "lost", comment="Slow"))  # its task never ran
    assert not _new(staff)

    assert announce_missed() == 1
    assert announce_missed() == 0
    assert len(_new(staff)) == 1
    # Older than the sweep's hour: left alone (the task or an earlier sweep told of it).
    assert announce_missed(now=timezone.now() + timedelta(hours=2)) == 0
