"""Asking for and running metric recomputes.

New answers ask for a recompute once their transaction has committed (:func:`metrics_request`).
Requests coalesce twice over: the journeys to recompute pile up on the workspace's
``RecomputeRun`` row, and only the first request of a burst enqueues a task (a cache key with
``add``), delayed by ``METRICS_COALESCE_SECONDS`` so the rest of the burst joins it — a
1,000,000-row import or a thousand API batches lead to one or two recomputes, not thousands.

A run takes what is pending and recomputes it (:func:`metrics_recompute`): for pending journeys,
the rows of the days whose answers changed and the totals they feed (``engine.update_counts``);
when everything is pending, every moment-count row (``engine.recompute_counts``). The comment
themes follow as a job of their own (:func:`themes_request`, metrics/themes/engine.py). Either way
the follow-ups' recovery figures of the same journeys (all of them when everything is pending)
are rewritten (``engine.recompute_recovery``). A full run (nightly, the button, the command, an
activities import) rebuilds every row and also recomputes retention, moment impact and the
recovery effect, which look months ahead and change little from one answer to the next. Each
step replaces its rows in one transaction, so a run cut off midway leaves the previous results
and the pending work in place.

Nothing waits an hour for a lost run. While a run works it beats (a cache key renewed from a
thread); the queued-run marker lives only as long as a queued run may reasonably wait. The
watchdog (:func:`requeue_stalled_runs`, on Celery beat) requeues pending work whose run never
started (the worker holding it was killed, or Redis was down when the answers came) and a run
that stopped beating (its worker was killed mid-run), and the Metrics page says so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from metrics import engine
from metrics.alerts import moment_turns_alert
from metrics.models import RecomputeRun

logger = logging.getLogger(__name__)


def _pending_key(workspace_id: int) -> str:
    # The database's name too: two installations (or test runs) may share one Redis.
    return f"metrics:pending:{connection.settings_dict['NAME']}:{workspace_id}"


def _noted_key(workspace_id: int) -> str:
    return f"metrics:noted:{connection.settings_dict['NAME']}:{workspace_id}"


def progress_key(workspace_id: int) -> str:
    return f"metrics:progress:{connection.settings_dict['NAME']}:{workspace_id}"


def _alive_key(workspace_id: int) -> str:
    return f"metrics:alive:{connection.settings_dict['NAME']}:{workspace_id}"


def _beat_seconds() -> float:
    return settings.METRICS_WATCHDOG_SECONDS / 3


def _lost_after() -> timedelta:
    """How long a queued run may wait, or a running one stay silent, before it counts as lost."""
    return timedelta(
        seconds=settings.METRICS_COALESCE_SECONDS + 2 * settings.METRICS_WATCHDOG_SECONDS
    )


@contextmanager
def _heartbeat(workspace_id: int) -> Iterator[None]:
    """Renew the run's alive key from a thread while the run works (the engine's steps can be
    long and report no progress meanwhile)."""
    key, stop = _alive_key(workspace_id), threading.Event()
    ttl = 2 * settings.METRICS_WATCHDOG_SECONDS

    def beat() -> None:
        while True:
            cache.set(key, 1, timeout=ttl)
            if stop.wait(_beat_seconds()):
                return

    thread = threading.Thread(target=beat, name=f"metrics-heartbeat-{workspace_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        cache.delete(key)


def run_progress(run: RecomputeRun) -> float:
    return float(cache.get(progress_key(run.workspace_id), run.progress))


def metrics_note_keys(workspace_id: int) -> list[str]:
    """The cache keys :func:`metrics_request` reads first: a caller that reads other keys
    in the same round trip passes what it found as ``noted``."""
    return [_pending_key(workspace_id), _noted_key(workspace_id)]


def metrics_request(
    *,
    workspace_id: int,
    journey_ids: Iterable[int] | None = None,
    full: bool = False,
    noted: dict | None = None,
) -> bool:
    """Note what needs recomputing and enqueue a run unless one is already waiting.

    ``journey_ids=None`` means every journey. ``noted``: what the cache held under
    :func:`metrics_note_keys`, read by the caller once its answers had committed. Returns
    whether a task was enqueued.

    During a burst only the first request per journey writes: once a run is queued and the
    journeys are noted as pending, a request reads two cache keys and returns (a survey answer
    then costs one Redis read, not a locked row update).
    """
    journeys = None if journey_ids is None else frozenset(int(j) for j in journey_ids)
    if not full and _already_noted(workspace_id, journeys, noted):
        return False
    with transaction.atomic():
        run, _created = RecomputeRun.objects.select_for_update().get_or_create(
            workspace_id=workspace_id
        )
        if journeys is None or full:
            run.pending_full = run.pending_full or full
            run.pending_journeys = ["*"]
        elif run.pending_journeys != ["*"]:
            run.pending_journeys = sorted(set(run.pending_journeys) | journeys)
        run.requested_at = timezone.now()
        run.save(update_fields=["pending_full", "pending_journeys", "requested_at"])
        # Noted while the row is locked: the run that clears the pending work deletes the note
        # under the same lock, so the note never names a journey the row no longer holds.
        cache.set(_noted_key(workspace_id), run.pending_journeys, timeout=_noted_seconds())
    return _enqueue(workspace_id)


def _noted_seconds() -> int:
    return int(_lost_after().total_seconds())


def _already_noted(
    workspace_id: int, journeys: frozenset[int] | None, found: dict | None = None
) -> bool:
    """Whether a queued run will already recompute these journeys: its marker is set (it has
    not started, so it reads answers committed before now) and they are noted as pending.

    Any doubt (Redis away, a key expired) reads as "no", and the request writes as before.
    """
    marker, noted_key = _pending_key(workspace_id), _noted_key(workspace_id)
    if found is None:
        found = cache.get_many([marker, noted_key])
    noted = found.get(noted_key)
    if marker not in found or noted is None:
        return False
    if noted == ["*"]:
        return True
    return journeys is not None and journeys <= set(noted)


def _enqueue(workspace_id: int) -> bool:
    """Queue a run unless one is queued already. The marker expires once a queued run should
    have started, so a run lost with its worker does not block the next answer's request."""
    from metrics.tasks import recompute_metrics

    key = _pending_key(workspace_id)
    # With Redis away the add fails too (mot/cache.py): the work stays pending in the database
    # and the watchdog queues it once Redis answers again.
    if not cache.add(key, 1, timeout=int(_lost_after().total_seconds())):
        return False
    try:
        recompute_metrics.apply_async((workspace_id,), countdown=settings.METRICS_COALESCE_SECONDS)
    except BrokerError as exc:
        cache.delete(key)
        logger.warning(
            "Metrics run of workspace %s not queued (broker unavailable): %s; "
            "the watchdog will queue it",
            workspace_id,
            exc,
        )
        return False
    return True


def metrics_request_on_commit(
    *, workspace_id: int, journey_ids: Iterable[int] | None = None, full: bool = False
) -> None:
    journeys = None if journey_ids is None else sorted(set(journey_ids))
    # Robust: the answers are committed; a failure to ask for their metrics is logged and the
    # watchdog makes up for it, it never turns the stored answers into an error page.
    transaction.on_commit(
        lambda: metrics_request(workspace_id=workspace_id, journey_ids=journeys, full=full),
        robust=True,
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
        # Beating before the row says "started", so the watchdog never sees a silent start.
        cache.set(_alive_key(workspace_id), 1, timeout=2 * settings.METRICS_WATCHDOG_SECONDS)
        cache.set(progress_key(workspace_id), 0.0, timeout=3600)
        run.progress = 0
        run.save(update_fields=["started_at", "progress"])
    full = full or pending_full
    journeys = None if full or "*" in pending else [int(j) for j in pending]

    def progress(fraction: float) -> None:
        # In the cache: the engine reports from inside its transaction, where a row update
        # would stay invisible to the page polling it.
        cache.set(progress_key(workspace_id), fraction, timeout=3600)

    with _heartbeat(workspace_id):
        if journeys is None:
            engine.recompute_counts(workspace_id, progress=progress)
        else:
            engine.update_counts(workspace_id, journey_ids=journeys, progress=progress)
        # Follow-ups' figures: a status change or a note asks for its journey's run.
        engine.recompute_recovery(workspace_id, journey_ids=journeys)
        if full:
            activity = engine.activity_frame(workspace_id)  # read once for all three
            engine.recompute_retention(workspace_id, activity=activity)
            progress(0.9)
            answers = engine.impact_answers(workspace_id, activity=activity)  # for both
            engine.recompute_impact(workspace_id, answers=answers)
            engine.recompute_recovery_effect(workspace_id, answers=answers)
    with transaction.atomic():
        done = RecomputeRun.objects.select_for_update().get(pk=run.pk)
        # Pending work is cleared only once done, so a run cut off midway is redone in full. If
        # more was asked for while this run ran, it all stays pending for the run that request
        # enqueued (a little is recomputed twice; nothing is missed).
        if done.requested_at is None or done.requested_at <= run.started_at:
            done.pending_journeys, done.pending_full = [], False
            cache.delete(_noted_key(workspace_id))
        done.finished_at = timezone.now()
        done.interrupted_at = None
        done.progress = 1
        done.save()
    cache.delete(progress_key(workspace_id))
    if full:
        engine.tidy_counts()
    # On the numbers just stored: managers hear of a moment that turned down since the last run.
    moment_turns_alert(workspace_id=workspace_id)
    themes_request(workspace_id=workspace_id, full=full)
    return True


def themes_request(*, workspace_id: int, full: bool = False) -> bool:
    """Queue the comment themes' job (its own task on the metrics queue, after the counts: the
    pages never wait for it). Returns whether it was queued; with the broker away it is not,
    and the next run's request (the nightly one at the latest) covers these answers too: the
    job reads every answer received since its last run."""
    from metrics.tasks import recompute_themes

    try:
        recompute_themes.delay(workspace_id, full=full)
    except BrokerError as exc:
        logger.warning(
            "Themes of workspace %s not queued (broker unavailable): %s", workspace_id, exc
        )
        return False
    return True


def _is_running(run: RecomputeRun) -> bool:
    return bool(run.started_at) and (run.finished_at is None or run.finished_at < run.started_at)


def _has_pending(run: RecomputeRun) -> bool:
    return bool(run.pending_full or run.pending_journeys)


def requeue_stalled_runs(*, now: datetime | None = None) -> list[int]:
    """Queue again the metrics work that a lost worker or an unreachable Redis left behind.

    A run that started and stopped beating was cut off (its worker was killed): it is marked
    interrupted and queued again. Pending work whose run never started within the time a
    queued run may wait (the worker holding it died, or the request could not reach Redis) is
    queued again. Queuing a run twice is harmless: the second finds nothing pending. Returns
    the workspaces queued.
    """
    now = now or timezone.now()
    lost = now - _lost_after()
    requeued = []
    for run in RecomputeRun.objects.all():
        if _is_running(run):
            if run.started_at > lost or cache.get(_alive_key(run.workspace_id)):
                continue
            RecomputeRun.objects.filter(pk=run.pk).update(interrupted_at=now)
            logger.warning(
                "Metrics run of workspace %s stopped beating: requeued", run.workspace_id
            )
        elif not (_has_pending(run) and run.requested_at and run.requested_at <= lost):
            continue
        # A run queued by an earlier sweep or a new answer keeps its marker until it may be
        # presumed lost too: no pile of messages while a worker is away.
        if _enqueue(run.workspace_id):
            requeued.append(run.workspace_id)
    return requeued


class RunState(StrEnum):
    IDLE = "idle"  # nothing to compute
    QUEUED = "queued"  # asked for, a worker will take it within the coalescing delay
    WAITING = "waiting"  # asked for longer ago than that: no worker has taken it yet
    RUNNING = "running"
    RESTARTED = "restarted"  # running again after its worker was lost
    PAUSED = "paused"  # work is pending and background jobs cannot be reached


def run_state(run: RecomputeRun | None, *, jobs_available: bool) -> RunState:
    """What the Metrics page tells about a workspace's run, truthfully."""
    if run is None:
        return RunState.IDLE
    running = _is_running(run)
    if running and run.interrupted_at is None and cache.get(_alive_key(run.workspace_id)):
        return RunState.RUNNING
    if not (running or _has_pending(run)):
        return RunState.IDLE
    if not jobs_available:
        return RunState.PAUSED
    if run.interrupted_at is not None:
        return RunState.RESTARTED
    if running:
        # Started, not beating, not yet caught by the watchdog: it will be requeued.
        return RunState.WAITING
    waited = timezone.now() - (run.requested_at or timezone.now())
    if waited > timedelta(seconds=settings.METRICS_COALESCE_SECONDS + _beat_seconds()):
        return RunState.WAITING
    return RunState.QUEUED
