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
from metrics.services import RunState, metrics_request, run_progress, run_state
from mot.jobs import jobs_available
from mot.policy import Action, can, get_workspace_for

# States in which the page polls the run, and how often (seconds).
POLL_SECONDS = {
    RunState.QUEUED: 1,
    RunState.RUNNING: 1,
    RunState.RESTARTED: 1,
    RunState.WAITING: 5,
    RunState.PAUSED: 5,
}


@login_required
@require_GET
def overview(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    data = metrics_overview(workspace_id=membership.workspace_id)
    return render(
        request,
        "metrics/overview.html",
        {
            **_run_context(membership, data.run),
            "overview": data,
            "min_sample": membership.workspace.min_sample,
        },
    )


def _run_context(membership, run: RecomputeRun | None) -> dict:
    available = jobs_available()
    state = run_state(run, jobs_available=available)
    return {
        "membership": membership,
        "run": run,
        "state": state,
        "jobs_available": available,
        "poll_seconds": POLL_SECONDS.get(state),
        "progress": run_progress(run) if run else 0,
        "may_recompute": can(membership, Action.RECOMPUTE_METRICS, membership.workspace),
    }


@login_required
@require_POST
def recompute(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.RECOMPUTE_METRICS)
    # Recorded in the database either way: with jobs paused the watchdog queues it later.
    metrics_request(workspace_id=membership.workspace_id, full=True)
    if not request.htmx:
        if jobs_available():
            messages.success(request, _("Recomputing the metrics."))
        else:
            messages.warning(
                request,
                _(
                    "Background jobs are paused: the metrics will be recomputed as soon as "
                    "they resume."
                ),
            )
        return redirect("metrics:overview", ws=ws)
    return _status(request, membership)


@login_required
@require_GET
def status(request: HttpRequest, ws: str) -> HttpResponse:
    """The run's progress bar while it runs (polled by HTMX), its outcome once done."""
    return _status(request, get_workspace_for(request, ws, Action.VIEW))


def _status(request: HttpRequest, membership) -> HttpResponse:
    context = _run_context(membership, last_run(workspace_id=membership.workspace_id))
    response = render(request, "metrics/overview.html#run", context)
    if context["state"] is RunState.IDLE:
        # Finished (at once when tasks run in-process): reload, so every number is the new one.
        response["HX-Refresh"] = "true"
    return response
