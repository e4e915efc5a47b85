"""The Themes page (every member) and the workspace themes' pages (admins and editors).

The Themes page reads stored rows only (metrics/themes/read.py), in a fixed number of queries;
its filters live in the query string like the dashboard's, and every theme links to the
explorer's answers filtered to it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.filters import NO_MOMENT
from journeys.models import Touchpoint
from metrics.dashboard.forms import DEFAULT_PRESET
from metrics.read.dashboard import workspace_journeys
from metrics.themes import figures
from metrics.themes.forms import ThemesFilterForm, WorkspaceThemeForm
from metrics.themes.models import ThemeRun, WorkspaceTheme
from metrics.themes.read import Scope, Theme, theme_report, theme_trend
from metrics.themes.services import workspace_theme_delete, workspace_theme_save
from mot.http import wants_partial
from mot.policy import Action, can, get_for, get_workspace_for

PAGE = "metrics/themes.html"


def _touchpoints(workspace_id: int, journey_id: int | None) -> list[tuple[int, str, str]]:
    qs = Touchpoint.objects.filter(journey__workspace_id=workspace_id)
    if journey_id is not None:
        qs = qs.filter(journey_id=journey_id)
    return list(
        qs.order_by("journey__name", "stage__position", "position", "pk").values_list(
            "pk", "title", "mot_stage"
        )
    )


def _scope(journey, touchpoints, touchpoint_id, mot_stage) -> Scope:
    if touchpoint_id is not None:
        return Scope(touchpoint_ids=[touchpoint_id])
    if mot_stage:
        wanted = "" if mot_stage == NO_MOMENT else mot_stage
        return Scope(
            journey_id=journey.pk if journey else None,
            touchpoint_ids=[pk for pk, _title, code in touchpoints if code == wanted],
        )
    return Scope(journey_id=journey.pk if journey else None)


def explorer_params(theme: Theme, *, journey, touchpoint_id, mot_stage, period) -> dict:
    """The explorer's GET parameters for a theme's pain answers in the page's scope."""
    params = {"theme": theme.key, "experience": "pain"}
    if journey is not None:
        params["journey"] = journey.pk
    if touchpoint_id is not None:
        params["touchpoint"] = touchpoint_id
    if mot_stage:
        params["mot_stage"] = mot_stage
    if not period.all_time:
        params["date_from"], params["date_to"] = period.start.isoformat(), period.end.isoformat()
    return params


@login_required
@require_GET
def themes_page(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    workspace_id = membership.workspace_id
    journeys = workspace_journeys(workspace_id=workspace_id)
    data = request.GET.copy()
    if not data.get("period"):
        data["period"] = (
            "custom" if data.get("date_from") or data.get("date_to") else DEFAULT_PRESET
        )
    journey_pick = data.get("journey")
    journey_id = int(journey_pick) if journey_pick and journey_pick.isdigit() else None
    journey_ids = {j.pk for j in journeys}
    touchpoints = _touchpoints(workspace_id, journey_id if journey_id in journey_ids else None)
    form = ThemesFilterForm(
        data,
        journeys=journeys,
        today=timezone.localdate(),
        touchpoints=[(pk, title) for pk, title, _code in touchpoints],
    )
    filters, journey = form.selection()
    picked = form.cleaned_data
    touchpoint_id, mot_stage = picked.get("touchpoint"), filters.mot_stage
    scope = _scope(journey, touchpoints, touchpoint_id, mot_stage)
    report = theme_report(workspace_id=workspace_id, scope=scope, period=filters.period)
    listed = [*report.themes, *report.workspace_themes]
    chosen = next((t for t in listed if t.key == picked.get("theme")), None)
    chosen = chosen or (report.themes[0] if report.themes else None)
    trend = (
        theme_trend(
            workspace_id=workspace_id,
            scope=scope,
            period=filters.period,
            language=chosen.language,
            term=chosen.term,
        )
        if chosen
        else []
    )
    explorer = reverse("explorer:list", kwargs={"ws": ws})
    where = {"journey": journey, "touchpoint_id": touchpoint_id, "mot_stage": mot_stage}
    base = {k: v for k, v in request.GET.items() if k in form.fields and k != "theme" and v}

    def row(theme: Theme) -> dict:
        params = explorer_params(theme, **where, period=filters.period)
        return {
            "theme": theme,
            "link": f"{explorer}?{urlencode(params)}",
            "trend_link": f"{request.path}?{urlencode({**base, 'theme': theme.key})}",
        }

    context = {
        "membership": membership,
        "form": form,
        "filters": filters,
        "journey": journey,
        "report": report,
        "ranked": [row(t) for t in report.themes],
        "own": [row(t) for t in report.workspace_themes],
        "chosen": chosen,
        "trend": trend,
        "trend_figure": figures.share_figure(trend, chosen.label if chosen else ""),
        "run": ThemeRun.objects.filter(workspace_id=workspace_id).first(),
        "may_manage": can(membership, Action.MANAGE_THEMES, membership.workspace),
    }
    template = f"{PAGE}#body" if wants_partial(request) else PAGE
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- the workspace's own themes ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def own_themes(request: HttpRequest, ws: str) -> HttpResponse:
    """The workspace's themes, and the form that adds one."""
    membership = get_workspace_for(request, ws, Action.MANAGE_THEMES)
    form = WorkspaceThemeForm(request.POST or None, workspace_id=membership.workspace_id)
    if request.method == "POST" and form.is_valid():
        workspace_theme_save(actor=membership, theme=form.instance)
        messages.success(request, _("Theme added. Its counts appear after the next themes run."))
        return redirect("metrics:own_themes", ws=ws)
    themes = WorkspaceTheme.objects.filter(workspace_id=membership.workspace_id)
    return render(
        request,
        "metrics/own_themes.html",
        {"membership": membership, "form": form, "themes": themes},
    )


def _own_theme(request: HttpRequest, ws: str, pk: int):
    return get_for(
        request,
        ws,
        WorkspaceTheme.objects.all(),
        pk,
        Action.MANAGE_THEMES,
        workspace_path="workspace_id",
    )


@login_required
@require_http_methods(["GET", "POST"])
def own_theme_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, theme = _own_theme(request, ws, pk)
    form = WorkspaceThemeForm(
        request.POST or None, instance=theme, workspace_id=membership.workspace_id
    )
    if request.method == "POST" and form.is_valid():
        workspace_theme_save(actor=membership, theme=form.instance)
        messages.success(request, _("Theme saved. Its counts change after the next themes run."))
        return redirect("metrics:own_themes", ws=ws)
    return render(
        request,
        "metrics/own_theme_edit.html",
        {"membership": membership, "form": form, "theme": theme},
    )


@login_required
@require_POST
def own_theme_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, theme = _own_theme(request, ws, pk)
    workspace_theme_delete(actor=membership, theme=theme)
    messages.success(request, _("Theme deleted."))
    return redirect("metrics:own_themes", ws=ws)
