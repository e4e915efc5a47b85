"""During a burst of answers only the first request per journey writes the run's row: the rest
read the queued run's marker and the noted journeys from the cache and return (issue 13, the
survey load). None of them may lose an answer's recompute."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from journeys.services import journey_create
from metrics import services
from metrics.engine import counts
from metrics.models import MomentCounts, RecomputeRun, Scope
from tests.metrics.test_services import answers, ingest


@pytest.fixture
def second_journey(journey, editor):
    return journey_create(actor=editor, name="Returns", persona="Shopper")


@pytest.fixture
def fresh_cache():
    cache.clear()  # markers of earlier tests' workspaces with the same ids


def test_a_burst_writes_the_run_row_once_per_journey(
    journey, second_journey, queued, fresh_cache, django_assert_num_queries
):
    ws = journey.workspace_id
    assert services.metrics_request(workspace_id=ws, journey_ids=[journey.pk])
    for _ in range(20):
        with django_assert_num_queries(0):
            assert not services.metrics_request(workspace_id=ws, journey_ids=[journey.pk])
    assert queued == [(ws,)]

    # A journey not yet noted writes, and joins the queued run (no second task).
    assert not services.metrics_request(workspace_id=ws, journey_ids=[second_journey.pk])
    run = RecomputeRun.objects.get(workspace_id=ws)
    assert run.pending_journeys == sorted([journey.pk, second_journey.pk])
    with django_assert_num_queries(0):
        services.metrics_request(workspace_id=ws, journey_ids=[second_journey.pk, journey.pk])
    # "Everything" and a full recompute are not covered by noted journeys.
    assert not services.metrics_request(workspace_id=ws)
    assert RecomputeRun.objects.get(workspace_id=ws).pending_journeys == ["*"]
    with django_assert_num_queries(0):
        services.metrics_request(workspace_id=ws, journey_ids=[journey.pk])
    services.metrics_request(workspace_id=ws, full=True)
    assert RecomputeRun.objects.get(workspace_id=ws).pending_full
    assert queued == [(ws,)]


def test_after_a_run_the_next_answer_writes_and_queues_again(
    journey, queued, fresh_cache, django_capture_on_commit_callbacks
):
    ws, tp = journey.workspace_id, journey.touchpoints.first()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(ws, answers(tp, 3, nps=[10, 9, 2]))
        ingest(ws, answers(tp, 2, nps=[0, 0], prefix="b"))
    assert queued == [(ws,)]
    assert services.metrics_recompute(workspace_id=ws)
    assert RecomputeRun.objects.get(workspace_id=ws).pending_journeys == []

    with django_capture_on_commit_callbacks(execute=True):
        ingest(ws, answers(tp, 1, nps=[3], prefix="c"))
    assert queued == [(ws,), (ws,)]
    assert RecomputeRun.objects.get(workspace_id=ws).pending_journeys == [journey.pk]
    assert services.metrics_recompute(workspace_id=ws)
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 6


def test_an_answer_during_a_run_is_not_skipped(
    journey, queued, fresh_cache, monkeypatch, django_capture_on_commit_callbacks
):
    """The running run no longer holds the queued marker: an answer arriving while it computes
    writes its journey, which stays pending after the run, and queues the next run."""
    ws, tp = journey.workspace_id, journey.touchpoints.first()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(ws, answers(tp, 2, nps=[10, 1]))
    real_update = counts.update_counts

    def update_counts(*args, **kwargs):
        result = real_update(*args, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            ingest(ws, answers(tp, 1, nps=[0], prefix="during"))
        return result

    monkeypatch.setattr(services.engine, "update_counts", update_counts)
    assert services.metrics_recompute(workspace_id=ws)
    assert queued == [(ws,), (ws,)]
    assert RecomputeRun.objects.get(workspace_id=ws).pending_journeys == [journey.pk]

    monkeypatch.setattr(services.engine, "update_counts", real_update)
    assert services.metrics_recompute(workspace_id=ws)
    assert MomentCounts.objects.get(scope=Scope.WORKSPACE, day=None).answers == 3
    assert RecomputeRun.objects.get(workspace_id=ws).pending_journeys == []
