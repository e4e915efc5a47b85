"""The metrics overview: stored numbers per journey, and the button that recomputes them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from metrics.models import RecomputeRun
from metrics.read.overview import last_run, metrics_overview
from metrics.services import metrics_request, run_progress
from mot.policy import Action, can, get_workspace_for


@login_required
@require_GET
def overview(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    data = metrics_overview(workspace_id=membership.workspace_id)
    return render(
        request,
        "metrics/overview.html",
        {
            "membership": membership,
            "overview": data,
            "run": data.run,
            "running": _running(data.run),
            "progress": run_progress(data.run) if data.run else 0,
            "min_sample": membership.workspace.min_sample,
            "may_recompute": can(membership, Action.RECOMPUTE_METRICS, membership.workspace),
        },
    )


def _running(run: RecomputeRun | None) -> bool:
    if run is None:
        return False
    if run.started_at and (run.finished_at is None or run.finished_at < run.started_at):
        return True
    return bool(run.pending_full or run.pending_journeys)


@login_required
@require_POST
def recompute(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.RECOMPUTE_METRICS)
    metrics_request(workspace_id=membership.workspace_id, full=True)
    if not request.htmx:
        messages.success(request, _("Recomputing the metrics."))
        return redirect("metrics:overview", ws=ws)
    return _status(request, membership)


@login_required
@require_GET
def status(request: HttpRequest, ws: str) -> HttpResponse:
    """The run's progress bar while it runs (polled by HTMX), its outcome once done."""
    return _status(request, get_workspace_for(request, ws, Action.VIEW))


def _status(request: HttpRequest, membership) -> HttpResponse:
    run = last_run(workspace_id=membership.workspace_id)
    running = _running(run)
    response = render(
        request,
        "metrics/overview.html#run",
        {
            "membership": membership,
            "run": run,
            "running": running,
            "progress": run_progress(run) if run else 0,
            "may_recompute": can(membership, Action.RECOMPUTE_METRICS, membership.workspace),
        },
    )
    if not running:
        # Finished (at once when tasks run in-process): reload, so every number is the new one.
        response["HX-Refresh"] = "true"
    return response
