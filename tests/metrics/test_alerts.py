"""The moment-turn alert: managers and admins hear once when a touchpoint's moment score
drops beyond its margin of error (the last 30 days against the 30 before), not every night."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import Response, Source
from metrics.alerts import moment_turns_alert
from metrics.models import MomentCounts, MomentTurn
from metrics.read.moments import trend_periods
from metrics.services import metrics_recompute
from mot.notifications.models import AlertPreferences, Kind, Notification
from tests.journeys.test_map_overlays import store_moment


@pytest.fixture
def alerts(on_commit_eager):
    """Alerts recorded by a call are mailed into the outbox as its transaction commits."""
    return on_commit_eager


@pytest.fixture
def reviews(journey):
    return journey.touchpoints.get(title="Reviews")


def _periods(tp, recent: tuple[int, int, int], previous: tuple[int, int, int]) -> None:
    MomentCounts.objects.filter(key=str(tp.pk), day__isnull=False).delete()
    first, _recent_start, today = trend_periods(timezone.localdate())
    store_moment(tp, *recent, day=today)
    store_moment(tp, *previous, day=first)


def _turns(member) -> list[Notification]:
    return list(Notification.objects.filter(recipient=member, kind=Kind.MOMENT_TURN))


def test_a_drop_beyond_the_margin_tells_managers_and_admins_once(
    alerts, workspace, personas, journey, reviews, mailoutbox
):
    # +66.7 points before, -66.7 now: far beyond a margin of about 30.
    _periods(reviews, (10, 0, 50), (50, 0, 10))

    turned = alerts(moment_turns_alert, workspace_id=workspace.pk)
    again = alerts(moment_turns_alert, workspace_id=workspace.pk)  # the next night: still down

    assert (turned, again) == ([reviews.pk], [])
    told = Notification.objects.filter(kind=Kind.MOMENT_TURN)
    assert sorted(told.values_list("recipient__role", flat=True)) == ["admin", "manager"]
    note = told.first()
    assert note.link == f"/w/acme/journeys/{journey.pk}/"
    assert note.params["change"] == pytest.approx(-133.33, abs=0.01)
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@acme.test", "mona@acme.test"]
    email = mailoutbox[0]
    assert email.subject == "1 moment dropped in Acme"
    assert "Reviews dropped 133 points" in email.body
    assert "moment score 67 → -67" in email.body
    assert f"https://mot.example.test/w/acme/journeys/{journey.pk}/" in email.body


def test_a_drop_within_the_margin_or_with_few_answers_is_not_a_turn(
    alerts, workspace, personas, reviews
):
    _periods(reviews, (30, 10, 20), (32, 10, 18))  # -6.7 within ±32: noise
    assert alerts(moment_turns_alert, workspace_id=workspace.pk) == []
    _periods(reviews, (1, 0, 20), (20, 0, 1))  # 21 answers a period: under the minimum 30
    assert alerts(moment_turns_alert, workspace_id=workspace.pk) == []
    assert not Notification.objects.exists()


def test_a_moment_that_recovers_and_drops_again_is_a_new_turn(
    alerts, workspace, personas, reviews, mailoutbox
):
    manager = personas["manager"]
    _periods(reviews, (10, 0, 50), (50, 0, 10))
    alerts(moment_turns_alert, workspace_id=workspace.pk)
    _periods(reviews, (30, 10, 20), (30, 10, 20))  # steady: no longer dropped
    assert alerts(moment_turns_alert, workspace_id=workspace.pk) == []
    assert MomentTurn.objects.get(touchpoint=reviews).dropped is False
    _periods(reviews, (10, 0, 50), (50, 0, 10))

    assert alerts(moment_turns_alert, workspace_id=workspace.pk) == [reviews.pk]

    assert [n.dedupe_key for n in _turns(manager)] == [
        f"moment-turn:{reviews.pk}:2",
        f"moment-turn:{reviews.pk}:1",
    ]
    assert len([m for m in mailoutbox if m.to == [manager.user.email]]) == 2


def test_staff_and_editors_are_not_told_and_the_email_can_be_turned_off(
    alerts, workspace, personas, reviews, mailoutbox
):
    AlertPreferences.objects.create(membership=personas["admin"], email_moment_turn=False)
    _periods(reviews, (10, 0, 50), (50, 0, 10))

    alerts(moment_turns_alert, workspace_id=workspace.pk)

    assert not _turns(personas["staff"])
    assert not _turns(personas["editor"])
    assert _turns(personas["admin"])  # in the list, not by e-mail
    assert [m.to for m in mailoutbox] == [[personas["manager"].user.email]]


def test_the_metrics_run_raises_the_alert_from_real_answers(
    alerts, workspace, personas, journey, reviews
):
    now = timezone.now()

    def answers(prefix: str, nps: int, n: int, days_ago: int) -> None:
        Response.objects.bulk_create(
            Response(
                workspace=workspace, touchpoint=reviews, source=Source.API,
                external_id=f"{prefix}{i}", submitted_at=now - timedelta(days=days_ago), nps=nps,
            )
            for i in range(n)
        )  # fmt: skip

    answers("before", 10, 40, days_ago=40)
    answers("now", 0, 40, days_ago=2)

    alerts(metrics_recompute, workspace_id=workspace.pk, full=True)
    alerts(metrics_recompute, workspace_id=workspace.pk, full=True)  # the next night

    assert [n.params["touchpoint"] for n in _turns(personas["manager"])] == ["Reviews"]
