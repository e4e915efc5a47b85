"""The feedback explorer: every member reads the answers behind the numbers; exporters download
the filtered answers as CSV.

The page keeps its filters and its cursor in the query string: a plain GET form without
JavaScript, an htmx swap of the results (and a pushed URL) with it. The export link carries the
same filters, so the file holds exactly the answers the page counts.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from feedback.explorer import selectors
from feedback.explorer.forms import ExplorerForm, language_suggestions
from mot.csvformat import csv_format
from mot.http import carried_query, wants_partial
from mot.models import Membership
from mot.policy import Action, can, get_workspace_for

PAGE = "feedback/explorer/answers.html"
CARRIED_KEYS = tuple(ExplorerForm.base_fields)


def _filter_form(request: HttpRequest, membership: Membership) -> ExplorerForm:
    touchpoints = selectors.filter_touchpoints(workspace_id=membership.workspace_id)
    return ExplorerForm(request.GET, touchpoints=touchpoints)


@login_required
@require_GET
def answer_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    form = _filter_form(request, membership)
    matching = selectors.answers(workspace_id=membership.workspace_id, filters=form.filters())
    page = selectors.answer_page(
        queryset=matching, cursor=selectors.Cursor.decode(request.GET.get("cursor"))
    )
    for answer in page.answers:
        # E-mail and name only on the rows the member may act on (staff: their touchpoints).
        answer.personal = can(membership, Action.READ_PERSONAL_DATA, answer.touchpoint)
    query = carried_query(request.GET, CARRIED_KEYS, max_length=200)
    partial = wants_partial(request)
    context = {
        "membership": membership,
        "form": form,
        "page": page,
        "count": matching.count(),
        "query": query,
        "may_export": can(membership, Action.EXPORT, membership.workspace),
        "may_import": can(membership, Action.IMPORT, membership.workspace),
        "languages": language_suggestions(),
        "partial": partial,
    }
    template = f"{PAGE}#results" if partial else PAGE
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def answer_export(request: HttpRequest, ws: str) -> StreamingHttpResponse:
    membership = get_workspace_for(request, ws, Action.EXPORT)
    form = _filter_form(request, membership)
    matching = selectors.answers(workspace_id=membership.workspace_id, filters=form.filters())
    file_format = csv_format(request.GET)  # separator and decimal mark

    def lines():
        yield "\ufeff"  # a byte-order mark, so spreadsheet programs read the accents as UTF-8
        rows = selectors.csv_rows(
            queryset=matching,
            cell=file_format.cell,
            # Every row or none: a file has one set of columns.
            personal=can(membership, Action.READ_PERSONAL_DATA, membership.workspace),
        )
        yield from file_format.lines(rows)

    filename = f"mot-answers-{membership.workspace.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Customers' answers: never kept by a shared cache.
    patch_cache_control(response, private=True, no_store=True)
    return response
