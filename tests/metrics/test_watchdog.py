"""Nothing stuck for an hour: the watchdog requeues metrics work a lost worker or an unreachable
Redis left behind, and the Metrics page's state tells the truth (issue 13, faults 3 and 4).

These run in-process; tests/faults/ kills a real worker and stops a real Redis.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics import services
from metrics.models import MomentCounts, RecomputeRun, Scope
from metrics.services import RunState, requeue_stalled_runs, run_state
from tests.metrics.test_services import answers, ingest


@pytest.fixture
def pending_run(journey, django_capture_on_commit_callbacks, queued):
    """Answers stored and a run asked for; the queued task was then lost with its worker."""
    tp = journey.touchpoints.first()
    cache.clear()  # markers of earlier tests' workspaces with the same ids
    with django_capture_on_commit_callbacks(execute=True):
        ingest(journey.workspace_id, answers(tp, 3, nps=[10, 9, 2]))
    assert len(queued) == 1
    queued.clear()
    # The marker of the queued run outlives it by at most the time a queued run may wait.
    cache.delete(services._pending_key(journey.workspace_id))
    return RecomputeRun.objects.get(workspace_id=journey.workspace_id)


def test_a_queued_run_lost_with_its_worker_is_requeued_after_the_wait(
    pending_run, queued, settings
):
    ws = pending_run.workspace_id
    # Within the time a queued run may wait, nothing happens.
    assert requeue_stalled_runs() == []
    assert run_state(pending_run, jobs_available=True) is RunState.QUEUED
    later = timezone.now() + timedelta(seconds=settings.METRICS_COALESCE_SECONDS + 1)
    assert requeue_stalled_runs(now=later) == []

    much_later = timezone.now() + timedelta(minutes=3)
    assert requeue_stalled_runs(now=much_later) == [ws]
    assert queued == [(ws,)]
    # A second sweep does not pile up messages while the requeued run waits.
    assert requeue_stalled_runs(now=much_later) == []
    assert queued == [(ws,)]


def test_the_queued_marker_expires_with_the_run_not_after_an_hour(
    journey, settings, queued, monkeypatch
):
    timeouts = []
    real_add = cache.add

    def add(key, value, timeout=None, **kwargs):
        timeouts.append(timeout)
        return real_add(key, value, timeout, **kwargs)

    cache.clear()
    monkeypatch.setattr(cache, "add", add)
    assert services.metrics_request(workspace_id=journey.workspace_id)
    assert timeouts == [settings.METRICS_COALESCE_SECONDS + 2 * settings.METRICS_WATCHDOG_SECONDS]
    assert timeouts[0] < 120


def test_a_run_that_stopped_beating_is_marked_interrupted_and_requeued(
    pending_run, queued, celery_eager
):
    ws = pending_run.workspace_id
    started = timezone.now() - timedelta(minutes=5)
    RecomputeRun.objects.filter(pk=pending_run.pk).update(started_at=started)
    run = RecomputeRun.objects.get(pk=pending_run.pk)
    assert run_state(run, jobs_available=True) is RunState.WAITING  # silent: not "Computing…"

    # The requeued run runs at once here (eager): it recomputes and clears the interruption.
    assert requeue_stalled_runs() == [ws]
    run.refresh_from_db()
    assert run.interrupted_at is None
    assert run.finished_at >= run.started_at
    assert run.pending_journeys == []
    assert not run.pending_full
    assert MomentCounts.objects.filter(workspace_id=ws, scope=Scope.WORKSPACE, day=None).exists()


def test_an_interrupted_run_says_it_was_restarted(pending_run, queued):
    ws = pending_run.workspace_id
    RecomputeRun.objects.filter(pk=pending_run.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    assert requeue_stalled_runs() == [ws]
    run = RecomputeRun.objects.get(pk=pending_run.pk)
    assert run.interrupted_at is not None
    assert run_state(run, jobs_available=True) is RunState.RESTARTED


def test_a_beating_run_is_left_alone(pending_run, queued, settings):
    ws = pending_run.workspace_id
    RecomputeRun.objects.filter(pk=pending_run.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    cache.set(services._alive_key(ws), 1, timeout=60)
    run = RecomputeRun.objects.get(pk=pending_run.pk)
    assert requeue_stalled_runs(now=timezone.now() + timedelta(minutes=1)) == []
    assert run_state(run, jobs_available=True) is RunState.RUNNING
    assert queued == []


def test_pending_work_without_reachable_jobs_is_paused(pending_run):
    assert run_state(pending_run, jobs_available=False) is RunState.PAUSED


def test_a_run_beats_while_it_works(journey, settings, celery_eager, monkeypatch):
    """The heartbeat is renewed from a thread, so a long engine step is not taken for a lost
    worker."""
    settings.METRICS_WATCHDOG_SECONDS = 1  # a beat every third of a second
    seen = []

    def slow_step(workspace_id, **kwargs):
        import time

        cache.delete(services._alive_key(workspace_id))
        time.sleep(0.8)  # more than two beat intervals
        seen.append(cache.get(services._alive_key(workspace_id)))

    monkeypatch.setattr(services.engine, "recompute_counts", slow_step)
    monkeypatch.setattr(services.engine, "tidy_counts", lambda: None)
    monkeypatch.setattr(services.engine, "recompute_retention", lambda *a, **k: None)
    monkeypatch.setattr(services.engine, "recompute_impact", lambda *a, **k: None)
    monkeypatch.setattr(services.engine, "activity_frame", lambda *a, **k: None)
    assert services.metrics_recompute(workspace_id=journey.workspace_id, full=True)
    assert seen == [1]
    assert cache.get(services._alive_key(journey.workspace_id)) is None  # gone once done
