"""Service recovery: the stored figures against a hand-computed fixture, the recovery effect
against an independent pandas computation, incremental against full, and the request a status
change makes."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from django.apps import apps
from django.db import connection

from feedback.followups.models import FollowUp, Status
from feedback.followups.services import followup_add_note, followup_set_status
from feedback.models import Activity, Customer, Response, Source
from journeys.services import journey_create, stage_create, touchpoint_create
from metrics import engine, services
from metrics.models import RecomputeRun, RecoveryCounts, RecoveryEffect, Scope
from metrics.read.recovery import Recovery, recovery_by_journey, recovery_by_touchpoint
from metrics.stats import difference_ci
from tests.metrics.conftest import H, at, make_followup

FIELDS = ("opened", "responded", "response_seconds", "recovered", "not_recovered", "no_action",
          "close_seconds", "overdue")  # fmt: skip


def _rows(workspace_id: int) -> dict[tuple[str, str, date], tuple]:
    return {
        (r.scope, r.key, r.day): tuple(getattr(r, f) for f in FIELDS)
        for r in RecoveryCounts.objects.filter(workspace_id=workspace_id)
    }


def test_figures_per_touchpoint_journey_and_workspace_match_the_hand_count(journey, worked):
    reviews, checkout = worked
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))

    may = {d: date(2026, 5, d) for d in (4, 5, 6)}
    rev, chk, j = str(reviews.pk), str(checkout.pk), str(journey.pk)
    #        opened responded response_s  rec notrec noact close_s          overdue
    a_b = (2, 2, (2 + 4) * H, 1, 1, 0, (24 + 48) * H, 0)
    c = (1, 0, 0, 0, 0, 0, 0, 1)
    d = (1, 1, 6 * H, 0, 0, 1, 24 * H, 0)
    e = (1, 1, 10 * H, 0, 0, 0, 0, 0)
    c_d = (2, 1, 6 * H, 0, 0, 1, 24 * H, 1)
    expected = {
        (Scope.TOUCHPOINT, rev, may[4]): a_b,
        (Scope.TOUCHPOINT, rev, may[5]): c,
        (Scope.TOUCHPOINT, chk, may[5]): d,
        (Scope.TOUCHPOINT, chk, may[6]): e,
        (Scope.JOURNEY, j, may[4]): a_b,
        (Scope.JOURNEY, j, may[5]): c_d,
        (Scope.JOURNEY, j, may[6]): e,
        (Scope.WORKSPACE, "", may[4]): a_b,
        (Scope.WORKSPACE, "", may[5]): c_d,
        (Scope.WORKSPACE, "", may[6]): e,
    }
    assert _rows(journey.workspace_id) == expected


def test_a_period_sums_the_follow_ups_opened_in_it(journey, worked):
    reviews, checkout = worked
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))

    by_tp = recovery_by_touchpoint(
        workspace_id=journey.workspace_id,
        journey_id=journey.pk,
        start=date(2026, 5, 4),
        end=date(2026, 5, 5),
    )
    total = sum(by_tp.values(), Recovery())

    assert set(by_tp) == {reviews.pk, checkout.pk}
    assert total.opened == 4
    assert total.response_hours == pytest.approx((2 + 4 + 6) / 3)  # A, B, D; C untouched
    assert total.closed == 3
    assert total.close_hours == pytest.approx((24 + 48 + 24) / 3)
    # Recovered of those closed with an outcome: A of A and B (D needed no action).
    assert (total.recovered_share, total.with_outcome) == (50.0, 2)
    assert total.overdue == 1
    assert by_tp[checkout.pk].recovered_share is None  # closed, but with no outcome

    workspace, journeys = recovery_by_journey(workspace_id=journey.workspace_id)
    assert workspace == journeys[journey.pk]
    assert workspace.opened == 5
    assert workspace.response_hours == pytest.approx(22 / 4)


def test_overdue_is_judged_on_the_day_of_the_computation(journey, worked):
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 7))
    assert recovery_by_journey(workspace_id=journey.workspace_id)[0].overdue == 0  # due today

    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 8))
    assert recovery_by_journey(workspace_id=journey.workspace_id)[0].overdue == 1


def test_a_recompute_updates_adds_and_drops_rows_and_keeps_the_unchanged(journey, worked):
    reviews, checkout = worked
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))
    stamps = dict(RecoveryCounts.objects.values_list("pk", "computed_at"))
    Response.objects.filter(external_id="C").delete()  # its follow-up goes with it
    FollowUp.objects.filter(response__external_id="D").update(status=Status.RECOVERED)
    make_followup(checkout, "F", at(7, 9), Status.OPEN, due=date(2026, 6, 30))

    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))

    rows = _rows(journey.workspace_id)
    assert (Scope.TOUCHPOINT, str(reviews.pk), date(2026, 5, 5)) not in rows  # C's day, gone
    assert rows[(Scope.TOUCHPOINT, str(checkout.pk), date(2026, 5, 5))][3:6] == (1, 0, 0)
    assert rows[(Scope.TOUCHPOINT, str(checkout.pk), date(2026, 5, 7))][0] == 1  # F's day
    assert rows[(Scope.JOURNEY, str(journey.pk), date(2026, 5, 5))] == (1, 1, 6 * H, 1, 0, 0,
                                                                        24 * H, 0)  # fmt: skip
    unchanged = RecoveryCounts.objects.get(
        scope=Scope.TOUCHPOINT, key=str(reviews.pk), day=date(2026, 5, 4)
    )
    if connection.vendor == "postgresql":  # merged in place there; SQLite replaces the rows
        assert unchanged.computed_at == stamps[unchanged.pk]  # A and B stood still


def test_a_journeys_recompute_leaves_the_others_rows(journey, worked, editor):
    other = journey_create(actor=editor, name="Restaurant")
    stage = stage_create(actor=editor, journey=other, name="Table")
    waiter = touchpoint_create(actor=editor, stage=stage, title="Waiter")
    make_followup(waiter, "W", at(4, 20), Status.RECOVERED, closed=at(4, 22))
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))
    full = _rows(journey.workspace_id)

    FollowUp.objects.filter(response__external_id="W").update(status=Status.NOT_RECOVERED)
    engine.recompute_recovery(
        journey.workspace_id, journey_ids=[journey.pk], today=date(2026, 5, 20)
    )

    assert _rows(journey.workspace_id) == full  # the restaurant's rows were not recomputed
    engine.recompute_recovery(journey.workspace_id, journey_ids=[other.pk], today=date(2026, 5, 20))
    assert _rows(journey.workspace_id)[(Scope.WORKSPACE, "", date(2026, 5, 4))][3:5] == (1, 2)


# --- the stored first response, filled by the migration for follow-ups older than it ----------


def test_the_migration_fills_the_first_response_from_the_timeline_in_one_statement(
    journey, worked, django_assert_num_queries
):
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))
    expected_rows = _rows(journey.workspace_id)
    FollowUp.objects.update(first_response_at=None)  # as the column's addition leaves them
    migration = importlib.import_module("feedback.migrations.0012_followup_first_response_at")

    with django_assert_num_queries(1):
        migration.fill_first_response(apps, SimpleNamespace(connection=connection))

    stored = dict(FollowUp.objects.values_list("response__external_id", "first_response_at"))
    # A: reassigned at 1 h (no response), noted at 2 h; C: untouched (see the worked fixture).
    assert stored == {"A": at(4, 12), "B": at(4, 18), "C": None, "D": at(5, 15), "E": at(6, 19)}
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))
    assert _rows(journey.workspace_id) == expected_rows


# --- incremental and full ----------------------------------------------------------------------


def _recovery_rows(workspace_id: int) -> set[tuple]:
    return {
        (r.scope, r.key, r.journey_id, r.day, *(getattr(r, f) for f in FIELDS))
        for r in RecoveryCounts.objects.filter(workspace_id=workspace_id)
    }


def test_a_status_change_or_a_note_asks_for_its_journeys_recompute_and_it_equals_a_full_one(
    journey, worked, manager, editor, queued, django_capture_on_commit_callbacks
):
    other = journey_create(actor=editor, name="Restaurant")
    waiter = touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=other, name="Table"), title="Waiter"
    )
    make_followup(waiter, "W", at(4, 20), Status.OPEN)
    services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    RecomputeRun.objects.update(pending_journeys=[], pending_full=False)
    c = FollowUp.objects.select_related("touchpoint").get(response__external_id="C")
    e = FollowUp.objects.select_related("touchpoint").get(response__external_id="E")

    with django_capture_on_commit_callbacks(execute=True):
        followup_add_note(actor=manager, followup=c, note="Called the customer back")
    with django_capture_on_commit_callbacks(execute=True):
        followup_set_status(actor=manager, followup=e, status=Status.RECOVERED, version=1)

    assert RecomputeRun.objects.get().pending_journeys == [journey.pk]
    assert queued == [(journey.workspace_id,)]  # one run for both changes
    assert services.metrics_recompute(workspace_id=journey.workspace_id)  # the journey's
    incremental = _recovery_rows(journey.workspace_id)
    services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    assert _recovery_rows(journey.workspace_id) == incremental
    by_tp = recovery_by_touchpoint(workspace_id=journey.workspace_id, journey_id=journey.pk)
    assert by_tp[e.touchpoint_id].recovered == 1
    assert by_tp[c.touchpoint_id].responded == 3  # A, B and now C


def test_a_root_cause_alone_asks_for_nothing(journey, worked, manager, queued,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    c = FollowUp.objects.select_related("touchpoint").get(response__external_id="C")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        followup_set_status(
            actor=manager, followup=c, status=Status.OPEN, version=1, root_cause="respect"
        )
    assert callbacks == []
    assert queued == []


# --- the recovery effect against pandas --------------------------------------------------------

SEED = 20261206


def _generate(workspace, touchpoints, now: datetime, customers: int = 160):
    """Customers with answers (NPS only) over 400 days, activities, and a follow-up in a random
    state for most pain answers. Every time is at noon of a whole number of days before ``now``
    for answers and at midnight for activities: none falls on a window's edge."""
    rng = np.random.default_rng(SEED)
    people = Customer.objects.bulk_create(
        [Customer(workspace=workspace, external_id=f"c{i}") for i in range(customers)]
    )
    answers = []
    for i, person in enumerate(people):
        for k in range(int(rng.integers(1, 4))):
            days = int(rng.integers(0, 400))
            answers.append(
                Response(
                    workspace=workspace,
                    touchpoint=touchpoints[int(rng.integers(0, len(touchpoints)))],
                    customer=person,
                    source=Source.API,
                    external_id=f"r{i}-{k}",
                    submitted_at=now - timedelta(days=days, hours=12),
                    nps=int(rng.choice([0, 2, 4, 6, 7, 8, 9, 10])),
                )
            )
    Response.objects.bulk_create(answers)
    Activity.objects.bulk_create(
        [
            Activity(
                workspace=workspace,
                customer=person,
                occurred_at=now - timedelta(days=int(rng.integers(0, 400))),
                kind="purchase",
                external_id=f"a{i}-{k}",
            )
            for i, person in enumerate(people)
            for k in range(int(rng.integers(0, 4)))
        ]
    )
    statuses = [Status.RECOVERED, Status.NOT_RECOVERED, Status.NO_ACTION, Status.OPEN, None]
    followups = []
    for answer in Response.objects.filter(workspace=workspace, nps__lte=6):
        status = statuses[int(rng.choice(5, p=[0.4, 0.25, 0.1, 0.1, 0.15]))]
        if status is not None:
            followups.append(
                FollowUp(
                    workspace=workspace,
                    response=answer,
                    touchpoint_id=answer.touchpoint_id,
                    status=status,
                    due_on=now.date(),
                )
            )
    FollowUp.objects.bulk_create(followups)


def _independent_effect(workspace_id: int, now: datetime) -> dict:
    """The recovery effect straight from its definition, with plain pandas (no merge_asof)."""
    answers = pd.DataFrame(
        Response.objects.filter(workspace_id=workspace_id).values(
            "pk", "touchpoint_id", "touchpoint__journey_id", "customer_id", "submitted_at", "nps"
        )
    ).rename(columns={"touchpoint__journey_id": "journey"})
    status = dict(FollowUp.objects.values_list("response_id", "status"))
    activity = pd.DataFrame(
        Activity.objects.filter(workspace_id=workspace_id).values("customer_id", "occurred_at")
    )
    # Moment impact's customers: the latest answer of a customer at a touchpoint, 90 days old.
    old = answers[answers["submitted_at"] <= now - timedelta(days=90)]
    latest = (
        old.sort_values(["submitted_at", "pk"]).groupby(["touchpoint_id", "customer_id"]).tail(1)
    )
    pain = latest[latest["nps"] <= 6]

    def returned(row) -> bool:
        theirs = activity[activity["customer_id"] == row["customer_id"]]["occurred_at"]
        after = theirs - row["submitted_at"]
        return bool(((after > timedelta(0)) & (after <= timedelta(days=90))).any())

    result = {}
    for scope, rows in [(None, pain), *pain.groupby("journey")]:
        # One per customer in the scope: their latest pain answer there.
        rows = rows.sort_values(["submitted_at", "pk"]).groupby("customer_id").tail(1)
        outcome = rows["pk"].map(status)
        recovered = rows[outcome == Status.RECOVERED]
        other = rows[(outcome == Status.NOT_RECOVERED) | outcome.isna()]
        result[scope] = (
            len(recovered),
            sum(returned(r) for _i, r in recovered.iterrows()),
            len(other),
            sum(returned(r) for _i, r in other.iterrows()),
            int((outcome == Status.NOT_RECOVERED).sum()),
        )
    return result


def test_recovery_effect_matches_an_independent_pandas_computation(workspace, journey, editor):
    workspace.min_sample = 10
    workspace.save()
    second = journey_create(actor=editor, name="Restaurant")
    waiter = touchpoint_create(
        actor=editor, stage=stage_create(actor=editor, journey=second, name="Table"), title="Waiter"
    )
    touchpoints = [*journey.touchpoints.all(), waiter]
    now = datetime.now(UTC)
    _generate(workspace, touchpoints, now)

    assert engine.recompute_recovery_effect(workspace.pk) == 3  # the workspace and two journeys

    expected = _independent_effect(workspace.pk, now)
    stored = {e.journey_id: e for e in RecoveryEffect.objects.filter(workspace=workspace)}
    assert set(stored) == set(expected)
    for scope, (rn, rx, on, ox, not_recovered) in expected.items():
        row = stored[scope]
        assert (row.recovered_n, row.recovered_returned, row.other_n, row.other_returned) == (
            rn,
            rx,
            on,
            ox,
        ), scope
        assert row.not_recovered_n == not_recovered
        assert row.difference == pytest.approx(100 * (rx / rn - ox / on))
        assert (row.difference, row.low, row.high) == pytest.approx(difference_ci(rx, rn, ox, on))
        assert row.enough == (rn >= 10 and on >= 10)
        assert row.window_days == 90
        assert row.basis == "activities"
    assert stored[None].recovered_n > stored[journey.pk].recovered_n > 10  # a real sample


def test_recovery_effect_says_not_enough_under_the_minimum_sample(workspace, worked):
    FollowUp.objects.update(status=Status.RECOVERED)
    Response.objects.update(
        customer=Customer.objects.create(workspace=workspace, external_id="solo"),
        submitted_at=datetime.now(UTC) - timedelta(days=200),
    )
    engine.recompute_recovery_effect(workspace.pk)
    row = RecoveryEffect.objects.get(journey__isnull=True)
    assert (row.recovered_n, row.other_n, row.enough) == (1, 0, False)
    assert row.difference is None
