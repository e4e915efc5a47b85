"""Metric jobs, on the ``metrics`` queue. Tasks take ids and are safe to run twice: a recompute
replaces rows, so running it again gives the same rows."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from metrics import services
from metrics.themes import engine as themes_engine
from mot.models import Workspace


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def recompute_metrics(workspace_id: int, full: bool = False) -> bool:
    """Recompute what new answers left pending in the workspace (everything when ``full``)."""
    if not Workspace.objects.filter(pk=workspace_id).exists():
        return False  # deleted meanwhile
    return services.metrics_recompute(workspace_id=workspace_id, full=full)


@shared_task(ignore_result=True)
def recompute_all_metrics() -> int:
    """Nightly: a full recompute of every workspace, one task each (spread over the workers)."""
    ids = list(Workspace.objects.values_list("pk", flat=True))
    for workspace_id in ids:
        recompute_metrics.delay(workspace_id, full=True)
    return len(ids)


@shared_task(ignore_result=True)
def requeue_stalled_runs() -> int:
    """Every METRICS_WATCHDOG_SECONDS (beat): queue again metrics work left behind by a killed
    worker or an unreachable Redis."""
    return len(services.requeue_stalled_runs())


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, ignore_result=True
)
def recompute_themes(workspace_id: int, full: bool = False) -> int:
    """The workspace's comment themes: the weeks that received answers since the last run
    (every week when ``full``). Safe to run twice: a week's rows are replaced whole."""
    if not Workspace.objects.filter(pk=workspace_id).exists():
        return 0  # deleted meanwhile
    return themes_engine.recompute_themes(workspace_id, full=full)
