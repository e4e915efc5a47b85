"""Month rows (MonthCounts) and the dashboard's period sums that read them.

The engine keeps one row per touchpoint and calendar month, the sum of that touchpoint's daily
rows; the dashboard adds the whole months of a period from them and the days around them from
the daily rows. Both are checked here against the answers themselves (the independent reference
of tests/metrics/test_engine_reference.py), on random data over four months: after a full
recompute, after new answers and answers gone (incremental update), after a one-journey
recompute, and for many random periods. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from feedback.models import Response, Source
from journeys.models import Journey, MotStage, Stage, Touchpoint
from metrics import compute, engine
from metrics.models import CountFields, MomentCounts, MonthCounts
from metrics.read.dashboard import Period, period_counts, whole_months
from tests.metrics.test_engine_reference import COUNTS, MIN_SAMPLE, reference_rows

FIRST_DAY = date(2026, 1, 20)
DAYS = 100  # to 2026-04-29: a cut January, whole February and March, a cut April


def build(workspace, seed: int, *, answers: int = 400) -> list[Touchpoint]:
    """Two journeys of two stages with three touchpoints each; answers (NPS, CSAT or both, about
    half with a CES) on random days of the span, some a second either side of midnight."""
    rnd = random.Random(seed)
    ces_rnd = random.Random(seed + 10_000)  # its own draws: the other values stay the seed's
    touchpoints = []
    for j in range(2):
        journey = Journey.objects.create(workspace=workspace, name=f"Journey {seed}.{j}")
        for s in range(2):
            stage = Stage.objects.create(journey=journey, name=f"Stage {s}", position=s)
            for p in range(3):
                touchpoints.append(
                    Touchpoint.objects.create(
                        journey=journey,
                        stage=stage,
                        position=p,
                        title=f"T{j}.{s}.{p}",
                        mot_stage=rnd.choice(MotStage.values),
                    )
                )
    rows = []
    for i in range(answers):
        day = FIRST_DAY + timedelta(days=rnd.randrange(DAYS))
        seconds = rnd.choice([0, 1, 86_399, rnd.randrange(86_400)])
        kind = rnd.random()
        rows.append(
            Response(
                workspace=workspace,
                touchpoint=rnd.choice(touchpoints),
                source=Source.API,
                external_id=f"m{seed}-{i}",
                submitted_at=datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds),
                nps=rnd.randint(0, 10) if kind < 0.75 else None,
                csat=rnd.randint(1, 5) if kind >= 0.45 else None,
                ces=ces_rnd.randint(1, 7) if ces_rnd.random() < 0.5 else None,
            )
        )
    Response.objects.bulk_create(rows)
    return touchpoints


def reference_days(workspace_id: int) -> dict[tuple[int, date], dict]:
    """(touchpoint id, day) -> counts, from the answers (the reference, not the engine)."""
    return {
        (int(key), day): {name: row[name] for name in COUNTS}
        for (scope, _journey, key, day), row in reference_rows(workspace_id, MIN_SAMPLE).items()
        if scope == "touchpoint" and day is not None
    }


def reference_months(workspace_id: int) -> dict[tuple[int, date], dict]:
    months: dict[tuple[int, date], dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for (tp, day), counts in reference_days(workspace_id).items():
        month = months[(tp, day.replace(day=1))]
        for name in COUNTS:
            month[name] += counts[name]
    return dict(months)


def stored_months(workspace_id: int) -> dict[tuple[int, date], dict]:
    rows = MonthCounts.objects.filter(workspace_id=workspace_id).values(
        "touchpoint_id", "journey_id", "month", *COUNTS
    )
    journeys = dict(Touchpoint.objects.values_list("pk", "journey_id"))
    stored = {}
    for row in rows:
        assert row["journey_id"] == journeys[row["touchpoint_id"]]
        stored[(row["touchpoint_id"], row["month"])] = {name: row[name] for name in COUNTS}
    return stored


def month_ids(workspace_id: int) -> dict[tuple[int, date], int]:
    rows = MonthCounts.objects.filter(workspace_id=workspace_id)
    return {(tp, month): pk for tp, month, pk in rows.values_list("touchpoint_id", "month", "pk")}


def answer(workspace, tp: Touchpoint, day: date, name: str, **values) -> Response:
    return Response(
        workspace=workspace,
        touchpoint=tp,
        source=Source.API,
        external_id=name,
        submitted_at=datetime.combine(day, time(12), tzinfo=UTC),
        **values,
    )


# --- the engine keeps them ---------------------------------------------------------------------


def test_both_count_models_store_the_fields_of_compute_counts():
    """One list of count fields: compute.Counts names them, CountFields stores them, and the
    day and month rows inherit it (with the invariant that every answer has an experience)."""
    assert [f.name for f in CountFields._meta.fields] == list(compute.COUNT_FIELDS)
    for model in (MomentCounts, MonthCounts):
        assert issubclass(model, CountFields)
        names = {c.name for c in model._meta.constraints}
        assert f"{model._meta.model_name}_experiences_add_up" in names


def test_a_recompute_stores_each_touchpoint_month_as_the_sum_of_its_answers(
    db, workspace, other_workspace
):
    build(other_workspace, seed=2, answers=80)
    engine.recompute_counts(other_workspace.pk)
    theirs = stored_months(other_workspace.pk)
    build(workspace, seed=1)

    engine.recompute_counts(workspace.pk)

    expected = reference_months(workspace.pk)
    assert {month for _tp, month in expected} == {
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    }
    assert stored_months(workspace.pk) == expected
    assert stored_months(other_workspace.pk) == theirs
    engine.recompute_counts(workspace.pk)  # again: the same rows, not twice
    assert stored_months(workspace.pk) == expected


def test_new_and_removed_answers_rewrite_only_their_months(db, workspace):
    touchpoints = build(workspace, seed=3)
    engine.recompute_counts(workspace.pk)
    before = month_ids(workspace.pk)
    first, second = touchpoints[0], touchpoints[-1]  # one in each journey
    Response.objects.bulk_create(
        [
            answer(workspace, first, date(2026, 2, 14), "new-1", nps=10),
            answer(workspace, first, date(2026, 6, 3), "new-2", csat=1),  # a month of its own
        ]
    )
    gone = date(2026, 3, 1)
    Response.objects.filter(touchpoint=second, submitted_at__month=3).delete()

    engine.update_counts(workspace.pk, journey_ids=[first.journey_id, second.journey_id])

    assert stored_months(workspace.pk) == reference_months(workspace.pk)
    after = month_ids(workspace.pk)
    assert (second.pk, gone) not in after
    assert after[(first.pk, date(2026, 6, 1))]
    kept = {key for key in before if key[0] not in (first.pk, second.pk)}
    assert kept
    assert all(after[key] == before[key] for key in kept)


def test_a_journey_recompute_leaves_the_other_journeys_months(db, workspace):
    touchpoints = build(workspace, seed=4)
    engine.recompute_counts(workspace.pk)
    other = touchpoints[-1].journey_id
    theirs = {k: v for k, v in month_ids(workspace.pk).items() if k[0] in _of(other)}
    Response.objects.filter(touchpoint__journey_id=touchpoints[0].journey_id).delete()

    engine.recompute_counts(workspace.pk, journey_ids=[touchpoints[0].journey_id])

    assert stored_months(workspace.pk) == reference_months(workspace.pk)
    now = month_ids(workspace.pk)
    assert theirs
    assert {k: now[k] for k in theirs} == theirs
    assert not any(tp in _of(touchpoints[0].journey_id) for tp, _month in now)


def _of(journey_id: int) -> set[int]:
    return set(Touchpoint.objects.filter(journey_id=journey_id).values_list("pk", flat=True))


def test_the_migration_fills_the_months_of_rows_computed_before_it(db, workspace):
    build(workspace, seed=5)
    engine.recompute_counts(workspace.pk)
    migration = importlib.import_module("metrics.migrations.0005_monthcounts")
    # The counts that existed then (CES came later: its months are filled by a recompute).
    known = migration.COUNTS
    expected = {k: {n: v[n] for n in known} for k, v in stored_months(workspace.pk).items()}
    MonthCounts.objects.all().delete()

    migration.fill_months(apps, SimpleNamespace(connection=connection))

    assert {k: {n: v[n] for n in known} for k, v in stored_months(workspace.pk).items()} == (
        expected
    )


# --- the dashboard reads them ------------------------------------------------------------------


def _summed(days: dict[tuple[int, date], dict], period: Period, journey: set[int] | None):
    totals: dict[int, compute.Counts] = {}
    for (tp, day), counts in days.items():
        inside = period.all_time or period.start <= day <= period.end
        if inside and (journey is None or tp in journey):
            totals[tp] = totals.get(tp, compute.Counts()) + compute.Counts(**counts)
    return totals


def test_period_sums_equal_the_answers_of_the_period(db, workspace):
    touchpoints = build(workspace, seed=6)
    engine.recompute_counts(workspace.pk)
    days = reference_days(workspace.pk)
    rnd = random.Random(6)
    periods = [
        Period(),
        Period(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS)),
        Period(date(2026, 2, 1), date(2026, 3, 31)),  # two whole months, nothing else
        Period(date(2026, 2, 1), date(2026, 2, 28)),
        Period(date(2026, 1, 31), date(2026, 3, 1)),  # one whole month and a day each side
        Period(date(2026, 2, 2), date(2026, 2, 27)),  # inside one month
        Period(date(2026, 3, 15), date(2026, 3, 15)),
        Period(date(2025, 12, 1), date(2026, 12, 31)),  # beyond the data both ways
    ]
    for _ in range(40):
        start = FIRST_DAY + timedelta(days=rnd.randrange(-10, DAYS))
        periods.append(Period(start, start + timedelta(days=rnd.randrange(0, 90))))
    journey = touchpoints[0].journey_id
    for period in periods:
        assert period_counts(workspace_id=workspace.pk, journey_id=None, period=period) == (
            _summed(days, period, None)
        ), period
        assert period_counts(workspace_id=workspace.pk, journey_id=journey, period=period) == (
            _summed(days, period, _of(journey))
        ), period


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 8, 26), date(2026, 11, 23), (date(2026, 9, 1), date(2026, 10, 1))),
        (date(2026, 9, 1), date(2026, 9, 30), (date(2026, 9, 1), date(2026, 9, 1))),
        (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 2, 1), date(2026, 2, 1))),
        (date(2024, 2, 1), date(2024, 2, 28), None),  # a leap year's February is cut
        (date(2026, 9, 2), date(2026, 9, 30), None),
        (date(2026, 10, 25), date(2026, 11, 23), None),
        (date(2025, 11, 24), date(2026, 11, 23), (date(2025, 12, 1), date(2026, 10, 1))),
        (date(2025, 1, 1), date(2026, 12, 31), (date(2025, 1, 1), date(2026, 12, 1))),
        (date(1, 1, 1), date(1, 1, 31), (date(1, 1, 1), date(1, 1, 1))),
        (date(9999, 11, 1), date(9999, 12, 31), None),  # no month after the last: days only
    ],
)
def test_whole_months_of_a_period(start, end, months):
    assert whole_months(Period(start, end)) == months


def test_the_first_and_last_representable_days_are_summed_without_error(db, workspace):
    build(workspace, seed=7, answers=50)
    engine.recompute_counts(workspace.pk)
    everything = _summed(reference_days(workspace.pk), Period(), None)
    for period in (Period(date(1, 1, 1), date(9999, 12, 31)), Period(date(1, 1, 1), FIRST_DAY)):
        got = period_counts(workspace_id=workspace.pk, journey_id=None, period=period)
        assert got == _summed(reference_days(workspace.pk), period, None)
    assert period_counts(workspace_id=workspace.pk, journey_id=None, period=Period()) == everything
