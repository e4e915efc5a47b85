"""Asking for and running metric recomputes.

New answers ask for a recompute once their transaction has committed (:func:`metrics_request`).
Requests coalesce twice over: the journeys to recompute pile up on the workspace's
``RecomputeRun`` row, and only the first request of a burst enqueues a task (a cache key with
``add``), delayed by ``METRICS_COALESCE_SECONDS`` so the rest of the burst joins it — a
1,000,000-row import or a thousand API batches lead to one or two recomputes, not thousands.

A run takes what is pending and recomputes it (:func:`metrics_recompute`): for pending journeys,
the rows of the days whose answers changed and the totals they feed (``engine.update_counts``);
when everything is pending, every moment-count row (``engine.recompute_counts``). A full run
(nightly, the button, the command, an activities import) rebuilds every row and also recomputes
retention and moment impact, which look months ahead and change little from one answer to the
next. Each step replaces its rows in one
transaction, so a run cut off midway leaves the previous results and the pending work in place;
Celery redelivers the task (acks late) and it is redone.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from metrics import engine
from metrics.models import RecomputeRun


def _pending_key(workspace_id: int) -> str:
    # The database's name too: two installations (or test runs) may share one Redis.
    return f"metrics:pending:{connection.settings_dict['NAME']}:{workspace_id}"


def progress_key(workspace_id: int) -> str:
    return f"metrics:progress:{connection.settings_dict['NAME']}:{workspace_id}"


def run_progress(run: RecomputeRun) -> float:
    return float(cache.get(progress_key(run.workspace_id), run.progress))


def metrics_request(
    *, workspace_id: int, journey_ids: Iterable[int] | None = None, full: bool = False
) -> bool:
    """Note what needs recomputing and enqueue a run unless one is already waiting.

    ``journey_ids=None`` means every journey. Returns whether a task was enqueued.
    """
    from metrics.tasks import recompute_metrics

    with transaction.atomic():
        run, _created = RecomputeRun.objects.select_for_update().get_or_create(
            workspace_id=workspace_id
        )
        if journey_ids is None or full:
            run.pending_full = run.pending_full or full
            run.pending_journeys = ["*"]
        elif run.pending_journeys != ["*"]:
            run.pending_journeys = sorted(set(run.pending_journeys) | set(journey_ids))
        run.requested_at = timezone.now()
        run.save(update_fields=["pending_full", "pending_journeys", "requested_at"])
    if not cache.add(_pending_key(workspace_id), 1, timeout=3600):
        return False
    recompute_metrics.apply_async((workspace_id,), countdown=settings.METRICS_COALESCE_SECONDS)
    return True


def metrics_request_on_commit(
    *, workspace_id: int, journey_ids: Iterable[int] | None = None, full: bool = False
) -> None:
    journeys = None if journey_ids is None else sorted(set(journey_ids))
    transaction.on_commit(
        lambda: metrics_request(workspace_id=workspace_id, journey_ids=journeys, full=full)
    )


def metrics_recompute(*, workspace_id: int, full: bool = False) -> bool:
    """Recompute what is pending for the workspace (everything when ``full``). Returns False when
    nothing was pending."""
    # From here on, new answers enqueue another run: this one may already have read past them.
    cache.delete(_pending_key(workspace_id))
    with transaction.atomic():
        run, _created = RecomputeRun.objects.select_for_update().get_or_create(
            workspace_id=workspace_id
        )
        pending, pending_full = run.pending_journeys, run.pending_full
        if not (full or pending or pending_full):
            return False
        run.started_at = timezone.now()
        cache.set(progress_key(workspace_id), 0.0, timeout=3600)
        run.progress = 0
        run.save(update_fields=["started_at", "progress"])
    full = full or pending_full
    journeys = None if full or "*" in pending else [int(j) for j in pending]

    def progress(fraction: float) -> None:
        # In the cache: the engine reports from inside its transaction, where a row update
        # would stay invisible to the page polling it.
        cache.set(progress_key(workspace_id), fraction, timeout=3600)

    if journeys is None:
        engine.recompute_counts(workspace_id, progress=progress)
    else:
        engine.update_counts(workspace_id, journey_ids=journeys, progress=progress)
    if full:
        activity = engine.activity_frame(workspace_id)  # read once for both
        engine.recompute_retention(workspace_id, activity=activity)
        progress(0.9)
        engine.recompute_impact(workspace_id, activity=activity)
    with transaction.atomic():
        done = RecomputeRun.objects.select_for_update().get(pk=run.pk)
        # Pending work is cleared only once done, so a run cut off midway is redone in full. If
        # more was asked for while this run ran, it all stays pending for the run that request
        # enqueued (a little is recomputed twice; nothing is missed).
        if done.requested_at is None or done.requested_at <= run.started_at:
            done.pending_journeys, done.pending_full = [], False
        done.finished_at = timezone.now()
        done.progress = 1
        done.save()
    cache.delete(progress_key(workspace_id))
    if full:
        engine.tidy_counts()
    return True
