"""The moment dashboard page and its CSV: every member reads it, exporters download its numbers.

Filters live in the query string (a plain GET form without JavaScript; an htmx swap of the page
body and a pushed URL with it). The journey choices are the workspace's own journeys, loaded
once; another workspace's journey id is not a choice and is ignored (its error is shown).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from journeys.filters import NO_MOMENT
from metrics.dashboard import expectations, figures, recovery, tables
from metrics.dashboard.forms import CUSTOM, DEFAULT_PRESET, DashboardForm
from metrics.dashboard.page import Dashboard, dashboard, metric_rows
from metrics.read.dashboard import Period, workspace_journeys
from mot.csvformat import csv_format
from mot.http import wants_partial
from mot.models import Membership
from mot.policy import Action, can, get_workspace_for

BUCKET_LABELS = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
}


def _query(request: HttpRequest) -> str:
    """The request's filters, without anything we do not understand."""
    kept = QueryDict(mutable=True)
    for key in DashboardForm.base_fields:
        value = request.GET.get(key, "")
        if value:
            kept[key] = value[:40]
    return kept.urlencode()


def _selection(request: HttpRequest, membership: Membership):
    journeys = workspace_journeys(workspace_id=membership.workspace_id)
    data = request.GET.copy()
    if not data.get("period"):
        # Show the period in use: custom when dates came alone, else the default preset.
        dated = data.get("date_from") or data.get("date_to")
        data["period"] = CUSTOM if dated else DEFAULT_PRESET
    form = DashboardForm(data, journeys=journeys, today=timezone.localdate())
    filters, journey = form.selection()
    return form, filters, {"journeys": journeys, "journey": journey, "filters": filters}


def _period_params(period: Period) -> dict[str, str]:
    if period.all_time:
        return {}
    return {"date_from": period.start.isoformat(), "date_to": period.end.isoformat()}


def _heat_links(data: Dashboard, explorer: str) -> dict[tuple[int, str], str]:
    """The explorer's answers behind each heatmap cell (its GET parameter names)."""
    links = {}
    dates = _period_params(data.filters.period)
    for row_id, code in data.heatmap.cells:
        params = {"journey": data.journey.pk, "stage": row_id} if data.journey else {}
        params = params or {"journey": row_id}
        params["mot_stage"] = code or NO_MOMENT
        links[(row_id, code)] = f"{explorer}?{urlencode({**params, **dates})}"
    return links


def _touchpoint_links(data: Dashboard, explorer: str) -> dict[int, str]:
    """The explorer's answers of each touchpoint of the expectations heatmap, in the period."""
    dates = _period_params(data.filters.period)
    return {
        row.moment.touchpoint.pk: f"{explorer}?"
        + urlencode({"touchpoint": row.moment.touchpoint.pk, **dates})
        for row in data.expectations.rows
    }


def _journey_rows(data: Dashboard) -> list[dict]:
    """Each journey's weakest and forgettable moments beside its coverage and blind spots
    (each a touchpoint's row and why it is one), and the weakest moment's top comment themes."""
    by_pk = {m.touchpoint.pk: m for m in data.moments}
    rows = []
    for jm in data.journey_moments:
        coverage = data.coverage.get(jm.journey.pk)
        spots = [
            (by_pk[b.key], expectations.BLIND_SPOT_LABELS[b.kind])
            for b in (coverage.blind_spots if coverage else [])
        ]
        themes = data.weakest_themes.get(jm.weakest.touchpoint.pk, []) if jm.weakest else []
        rows.append({"jm": jm, "coverage": coverage, "spots": spots, "themes": themes})
    return rows


def _context(membership: Membership, form: DashboardForm, data: Dashboard, query: str) -> dict:
    ws = membership.workspace.slug
    explorer = reverse("explorer:list", kwargs={"ws": ws})
    links = _heat_links(data, explorer)
    tp_links = _touchpoint_links(data, explorer)
    no_moment = _("No moment")
    return {
        "membership": membership,
        "form": form,
        "data": data,
        "k": data.kpis,
        "min_sample": data.min_sample,
        "query": query,
        "explorer": explorer,
        "period_query": urlencode(_period_params(data.filters.period)),
        "may_export": can(membership, Action.EXPORT, membership.workspace),
        "trend_figure": figures.trend_figure(data.trend),
        "trend_n": figures.fullest(p.moment for p in data.trend),
        "heatmap_n": figures.fullest(c.moment for c in data.heatmap.cells.values()),
        "curve_n": figures.fullest(m.moment for m in data.moments),
        "heatmap_figure": figures.heatmap_figure(data.heatmap, links, no_moment),
        "heatmap_table": tables.heatmap_table(data.heatmap, links, no_moment, data.min_sample),
        "curve_figure": figures.curve_figure(data.moments, data.weakest) if data.journey else None,
        "curve_table": tables.curve_table(data.moments, data.weakest) if data.journey else [],
        "trend_table": tables.trend_table(data.trend),
        "map_url": reverse("journeys:map", kwargs={"ws": ws, "pk": data.journey.pk})
        if data.journey
        else "",
        "impact_figure": figures.impact_figure(data.impacts),
        "impacts_listed": tables.impacts_listed(data.impacts),
        "cohort_figure": figures.cohort_figure(data.cohorts, data.min_sample),
        "cohort_table": tables.cohort_table(data.cohorts),
        "bucket_label": BUCKET_LABELS[data.filters.bucket],
        "top_impact": next((r for r in data.impacts if r.impact.enough), None),
        "recovery_figure": recovery.recovery_figure(data.recovery),
        "journey_rows": _journey_rows(data),
        "expectation_labels": list(expectations.EXPECTATION_LABELS.values()),
        "blind_spot_labels": expectations.BLIND_SPOT_LABELS,
        "expectations_figure": expectations.expectations_figure(data.expectations, tp_links),
        "expectations_table": expectations.expectations_table(
            data.expectations, tp_links, data.min_sample
        ),
    }


@login_required
@require_GET
def dashboard_page(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    form, _filters, selection = _selection(request, membership)
    data = dashboard(workspace=membership.workspace, **selection)
    context = _context(membership, form, data, _query(request))
    partial = wants_partial(request)
    template = "metrics/dashboard.html#body" if partial else "metrics/dashboard.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


CSV_COLUMNS = [
    ("period_from", gettext_lazy("Period from")),
    ("period_to", gettext_lazy("Period to")),
    ("journey", gettext_lazy("Journey")),
    ("stage", gettext_lazy("Stage")),
    ("touchpoint", gettext_lazy("Touchpoint")),
    ("code", gettext_lazy("Touchpoint code")),
    ("mot_stage", gettext_lazy("Moment of truth")),
    ("channel", gettext_lazy("Channel")),
    ("owner", gettext_lazy("Owner")),
    ("answers", gettext_lazy("Answers")),
    ("nps", gettext_lazy("NPS")),
    ("nps_margin", gettext_lazy("NPS margin of error (95%)")),
    ("nps_answers", gettext_lazy("NPS answers")),
    ("csat_top2_share", gettext_lazy("CSAT 4-5 (%)")),
    ("csat_mean", gettext_lazy("CSAT mean (1-5)")),
    ("csat_answers", gettext_lazy("CSAT answers")),
    ("ces_easy_share", gettext_lazy("CES 5-7 (%)")),
    ("ces_mean", gettext_lazy("CES mean (1-7)")),
    ("ces_answers", gettext_lazy("CES answers")),
    ("glory_share", gettext_lazy("Glory (%)")),
    ("neutral_share", gettext_lazy("Neutral (%)")),
    ("pain_share", gettext_lazy("Pain (%)")),
    ("moment_score", gettext_lazy("Moment score")),
    ("enough", gettext_lazy("Enough answers")),
]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@login_required
@require_GET
def dashboard_export(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.EXPORT)
    _form, filters, selection = _selection(request, membership)
    rows = metric_rows(workspace=membership.workspace, **selection)
    period = filters.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"mot-metrics-{membership.workspace.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    response.write("\ufeff")  # a byte-order mark, so spreadsheet programs read accents as UTF-8
    file_format = csv_format(request.GET)  # separator and decimal mark
    writer = file_format.writer(response)
    writer.writerow([file_format.cell(str(label)) for _key, label in CSV_COLUMNS])
    for m in rows:
        tp = m.touchpoint
        writer.writerow(
            file_format.cell(value)
            for value in (
                period.start,
                period.end,
                tp.journey.name,
                tp.stage_name,
                tp.title,
                tp.code,
                tp.mot_stage,
                tp.channel,
                tp.owner_name,
                m.counts.answers,
                _rounded(m.nps.score),
                _rounded(m.nps.margin),
                m.nps.n,
                _rounded(m.csat.top2_share),
                _rounded(m.csat.mean),
                m.csat.n,
                _rounded(m.ces.easy_share),
                _rounded(m.ces.mean),
                m.ces.n,
                _rounded(m.moment.glory_share),
                _rounded(m.moment.neutral_share),
                _rounded(m.moment.pain_share),
                _rounded(m.moment.score),
                m.moment.enough,
            )
        )
    return response
