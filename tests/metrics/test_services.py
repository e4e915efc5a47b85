"""Recompute requests and runs: coalescing, what stays pending, the command, hand-made numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from feedback.models import Source
from feedback.services import AnswerIn, responses_ingest
from journeys.models import Touchpoint
from metrics import services
from metrics.engine import counts
from metrics.models import MomentCounts, RecomputeRun, Scope


def answers(tp: Touchpoint, n: int, *, nps=None, csat=None, prefix="a", day=1):
    return [
        AnswerIn(
            touchpoint_id=tp.pk,
            external_id=f"{prefix}{i}",
            submitted_at=datetime(2026, 3, day, 10, i % 60, tzinfo=UTC),
            nps=nps[i] if nps else None,
            csat=csat[i] if csat else None,
        )
        for i in range(n)
    ]


def ingest(workspace_id, batch):
    return responses_ingest(workspace_id=workspace_id, source=Source.API, answers=batch)


def test_many_batches_enqueue_one_recompute(
    journey, queued, django_capture_on_commit_callbacks, settings
):
    settings.METRICS_COALESCE_SECONDS = 30
    tp = journey.touchpoints.first()
    cache.delete(services._pending_key(journey.workspace_id))
    with django_capture_on_commit_callbacks(execute=True):
        for b in range(50):
            ingest(journey.workspace_id, answers(tp, 20, nps=[9] * 20, prefix=f"b{b}-"))
    assert queued == [(journey.workspace_id,)]
    run = RecomputeRun.objects.get(workspace_id=journey.workspace_id)
    assert run.pending_journeys == [journey.pk]

    # The run takes the pending work; answers after it started ask for one more run.
    assert services.metrics_recompute(workspace_id=journey.workspace_id)
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 1000
    run.refresh_from_db()
    assert (run.pending_journeys, run.pending_full, run.progress) == ([], False, 1)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(journey.workspace_id, answers(tp, 5, nps=[0] * 5, prefix="late-"))
        ingest(journey.workspace_id, answers(tp, 5, nps=[0] * 5, prefix="later-"))
    assert len(queued) == 2
    services.metrics_recompute(workspace_id=journey.workspace_id)
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 1010


def test_a_run_with_nothing_pending_does_nothing(journey):
    assert not services.metrics_recompute(workspace_id=journey.workspace_id)
    assert not MomentCounts.objects.exists()


def test_work_asked_for_during_a_run_stays_pending(journey, monkeypatch, queued):
    """A request that lands while a run is computing is not cleared by that run's end."""
    tp = journey.touchpoints.first()
    services.metrics_request(workspace_id=journey.workspace_id, journey_ids=[journey.pk])
    real = services.engine.update_counts  # pending journeys: the incremental path

    def slow(*args, **kwargs):
        result = real(*args, **kwargs)
        RecomputeRun.objects.filter(workspace_id=journey.workspace_id).update(
            requested_at=datetime(2100, 1, 1, tzinfo=UTC)
        )
        return result

    monkeypatch.setattr(services.engine, "update_counts", slow)
    assert tp  # the journey has touchpoints
    services.metrics_recompute(workspace_id=journey.workspace_id)
    run = RecomputeRun.objects.get(workspace_id=journey.workspace_id)
    assert run.pending_journeys == [journey.pk]


def test_hand_computed_numbers_are_stored(journey):
    """10 NPS answers: 5 promoters, 2 passives, 3 detractors → NPS 20.00; margin
    1.96·sqrt((0.5 + 0.3 - 0.2²)/10)·100 = 1.96·sqrt(0.076)·100 = 54.03; glory 50 %, pain 30 %,
    moment score 20.00 (= NPS, every answer has an NPS)."""
    tp = Touchpoint.objects.filter(journey=journey).first()
    ingest(journey.workspace_id, answers(tp, 10, nps=[10, 9, 9, 10, 9, 8, 7, 0, 6, 3]))
    services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    for scope, key in [
        (Scope.TOUCHPOINT, str(tp.pk)),
        (Scope.STAGE, str(tp.stage_id)),
        (Scope.JOURNEY, str(journey.pk)),
        (Scope.WORKSPACE, ""),
    ]:
        row = MomentCounts.objects.get(scope=scope, key=key, day=None)
        assert (row.answers, row.promoters, row.passives, row.detractors) == (10, 5, 2, 3)
        assert round(row.nps, 2) == 20.00
        assert round(row.nps_margin, 2) == 54.03
        assert (row.glory_share, row.pain_share, row.moment_score) == (50.0, 30.0, 20.0)
        assert not row.enough  # 10 < 30, the default minimum sample
    day = MomentCounts.objects.get(scope=Scope.TOUCHPOINT, key=str(tp.pk), day="2026-03-01")
    assert day.answers == 10
    assert day.nps is None  # daily rows hold counts; readers derive from summed counts


def test_the_workspace_minimum_sample_decides_enough(journey):
    journey.workspace.min_sample = 10
    journey.workspace.save()
    tp = Touchpoint.objects.filter(journey=journey).first()
    ingest(journey.workspace_id, answers(tp, 10, csat=[5, 4, 4, 3, 3, 2, 1, 5, 5, 5]))
    services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    row = MomentCounts.objects.get(scope=Scope.TOUCHPOINT, key=str(tp.pk), day=None)
    assert row.enough
    assert row.nps is None
    assert (row.csat_top2_share, row.csat_mean) == (60.0, 3.7)
    assert (row.glory_share, row.neutral_share, row.pain_share) == (40.0, 40.0, 20.0)


def test_command_recomputes_a_workspace_or_a_journey(journey, capsys):
    tp = Touchpoint.objects.filter(journey=journey).first()
    ingest(journey.workspace_id, answers(tp, 3, nps=[9, 9, 0]))
    call_command("recompute_metrics", "--workspace", "acme")
    assert "acme: recomputed" in capsys.readouterr().out
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 3
    call_command("recompute_metrics", "--workspace", "acme", "--journey", str(journey.pk))
    assert "metric rows" in capsys.readouterr().out
    with pytest.raises(Exception, match="No workspace"):
        call_command("recompute_metrics", "--workspace", "nope")


def test_a_run_cut_off_midway_keeps_the_old_rows_and_is_redone(journey, monkeypatch, queued):
    tp = Touchpoint.objects.filter(journey=journey).first()
    ingest(journey.workspace_id, answers(tp, 4, nps=[9, 9, 9, 9]))
    services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    before = list(MomentCounts.objects.order_by("pk").values("scope", "key", "day", "answers"))

    ingest(journey.workspace_id, answers(tp, 4, nps=[0, 0, 0, 0], prefix="new"))
    services.metrics_request(workspace_id=journey.workspace_id, journey_ids=[journey.pk])

    def killed(*args, **kwargs):  # the worker dies after the journey's rows were rewritten
        raise SystemExit("worker lost")

    monkeypatch.setattr(counts, "_workspace_daily", killed)
    with pytest.raises(SystemExit):
        services.metrics_recompute(workspace_id=journey.workspace_id)
    after = list(MomentCounts.objects.order_by("pk").values("scope", "key", "day", "answers"))
    assert after == before  # the delete was rolled back with the rest
    assert RecomputeRun.objects.get(workspace_id=journey.workspace_id).pending_journeys == [
        journey.pk
    ]

    monkeypatch.undo()  # redelivered (acks late), the task runs again and finishes
    assert services.metrics_recompute(workspace_id=journey.workspace_id)
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 8


@pytest.mark.django_db(transaction=True)
def test_a_full_run_vacuums_the_counts_table_on_postgresql(require_postgres, journey):
    """Its updates stay in place only while the replaced row versions are cleared: a full run
    vacuums the table itself rather than wait for autovacuum (off on some servers)."""

    def vacuums() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = %s",
                [MomentCounts._meta.db_table],
            )
            return cursor.fetchone()[0]

    tp = Touchpoint.objects.filter(journey=journey).first()
    ingest(journey.workspace_id, answers(tp, 3, nps=[9, 7, 0]))
    before = vacuums()
    services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    assert vacuums() == before + 1
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 3
