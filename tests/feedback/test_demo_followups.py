"""The demo's follow-ups: every state over the last months, worked by the demo team, with
notes in the customers' languages, a past consistent with each status, and a recovery effect
that shows: recovered customers come back more than those not recovered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from feedback.demo import load_demo
from feedback.demo_followups import NOTES
from feedback.followups.models import (
    ACTIVE,
    CLOSED,
    RESPONSE_KINDS,
    FollowUp,
    FollowUpEvent,
    Status,
)
from feedback.models import Activity
from mot.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    workspace, _users, _created = load_demo()
    return workspace


def test_the_demo_has_follow_ups_in_every_state(demo):
    counts = dict(
        FollowUp.objects.filter(workspace=demo)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )

    assert set(counts) == set(Status.values)
    assert all(n >= 5 for n in counts.values()), counts
    today = timezone.localdate()
    active = FollowUp.objects.filter(workspace=demo, status__in=ACTIVE)
    assert active.filter(due_on__lt=today).exists()  # some overdue
    assert active.filter(due_on__gte=today).exists() or active.count() < 10
    closed = FollowUp.objects.filter(workspace=demo, status__in=CLOSED)
    late = [f for f in closed if timezone.localtime(f.closed_at).date() > f.due_on]
    assert 0 < len(late) < closed.count()  # some closed after their due date
    assert {f.pk for f in late} == set(closed.filter(closed_late=True).values_list("pk", flat=True))
    causes = set(closed.exclude(root_cause="").values_list("root_cause", flat=True))
    assert len(causes) >= 4


def test_demo_follow_ups_belong_to_the_people_who_work_them(demo):
    rows = FollowUp.objects.filter(workspace=demo)
    staff = demo.memberships.get(role=Role.STAFF)
    editor = demo.memberships.get(role=Role.EDITOR)

    assert rows.filter(assignee=staff).count() > rows.count() / 2
    assert not rows.filter(assignee=editor).exists()  # editors read, they do not act
    assert rows.filter(assignee__isnull=True, status__in=ACTIVE).exists()  # the team's queue
    assert not rows.filter(assignee__isnull=True, status__in=CLOSED).exists()


def test_demo_follow_ups_have_a_past_consistent_with_their_status(demo):
    now = timezone.now()
    for f in FollowUp.objects.filter(workspace=demo).select_related("response"):
        assert f.response.submitted_at <= f.created_at <= now
        assert f.due_on > timezone.localtime(f.created_at).date()
        assert (f.closed_at is not None) is (f.status in CLOSED)
        if f.closed_at:
            assert f.created_at < f.closed_at <= now
    events = FollowUpEvent.objects.filter(followup__workspace=demo).select_related("followup")
    assert events.count() > FollowUp.objects.filter(workspace=demo).count()
    for e in events:
        assert e.followup.created_at < e.created_at <= now
        assert e.actor_id is not None
    # A closed one's last status change says where it ended.
    closed = FollowUp.objects.filter(workspace=demo, status=Status.NOT_RECOVERED).first()
    last = closed.events.filter(kind="status").order_by("created_at", "pk").last()
    assert (last.from_status, last.to_status) == (Status.IN_PROGRESS, Status.NOT_RECOVERED)


def test_demo_follow_ups_store_their_first_response_as_the_services_would(demo):
    first: dict[int, object] = {}
    for followup_id, at in FollowUpEvent.objects.filter(
        followup__workspace=demo, kind__in=RESPONSE_KINDS
    ).values_list("followup_id", "created_at"):
        first[followup_id] = min(at, first.get(followup_id, at))
    stored = dict(FollowUp.objects.filter(workspace=demo).values_list("pk", "first_response_at"))

    assert stored == {pk: first.get(pk) for pk in stored}
    assert 0 < len(first) < len(stored)  # the untouched recent ones have none yet


def test_demo_notes_are_written_in_the_customers_languages(demo):
    notes = set(FollowUpEvent.objects.filter(kind="note").values_list("note", flat=True))

    for language, kinds in NOTES.items():
        written = {text for texts in kinds.values() for text in texts}
        assert notes & written, language


def test_recovered_customers_come_back_more_than_those_not_recovered(demo):
    """The recovery effect the dashboard measures: a purchase within 90 days of the close."""
    purchases: dict[int, list] = {}
    for customer_id, when in Activity.objects.filter(workspace=demo).values_list(
        "customer_id", "occurred_at"
    ):
        purchases.setdefault(customer_id, []).append(when)
    now = timezone.now()
    returned: dict[str, list[bool]] = {Status.RECOVERED: [], Status.NOT_RECOVERED: []}
    closed = FollowUp.objects.filter(
        workspace=demo, status__in=list(returned), closed_at__lt=now - timedelta(days=90)
    ).values_list("status", "closed_at", "response__customer_id")
    for status, closed_at, customer_id in closed:
        later = purchases.get(customer_id, [])
        returned[status].append(any(closed_at < t <= closed_at + timedelta(90) for t in later))
    rate = {status: sum(seen) / len(seen) for status, seen in returned.items()}

    assert min(len(seen) for seen in returned.values()) >= 30
    assert rate[Status.RECOVERED] > rate[Status.NOT_RECOVERED] + 0.1, rate


def test_loading_the_demo_again_leaves_the_follow_ups_as_they_are(demo):
    def dump():
        return (
            list(FollowUp.objects.order_by("pk").values()),
            list(FollowUpEvent.objects.order_by("pk").values()),
        )

    before = dump()
    load_demo()
    assert dump() == before
