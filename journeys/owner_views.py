"""Owners: assign one owner to many touchpoints at once, the unassigned list, my touchpoints.

Every role may assign owners (product.md), so every member uses these pages. The owners page
keeps its filters in the query string: a plain GET form without JavaScript, an htmx swap of the
results (and a pushed URL) with it. The assign form posts to a URL that carries the same query
string, so both the redirect and the htmx answer come back to the list the member was looking at.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from journeys import selectors, services
from journeys.filters import OwnerFilters
from journeys.forms import BulkOwnerForm, OwnerFilterForm
from metrics.read.expectations import RECENT_DAYS
from metrics.read.moments import TREND_DAYS
from mot.forms_utils import apply_service_errors
from mot.http import carried_query, wants_partial
from mot.models import Membership
from mot.policy import Action, get_workspace_for
from mot.selectors import workspace_members

PAGE_SIZE = 250
# The query-string keys the owners page understands; anything else is not carried along.
CARRIED_KEYS = ("journey", "mot_stage", "unassigned", "owner", "page")


def _render_owners(
    request: HttpRequest,
    membership: Membership,
    members: list[Membership],
    *,
    form: BulkOwnerForm | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    journeys = list(selectors.owner_journeys(membership=membership))
    filter_form = OwnerFilterForm(request.GET, journeys=journeys, members=members)
    filters = filter_form.filters()
    paginator = Paginator(
        selectors.owner_touchpoints(membership=membership, filters=filters), PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    query = carried_query(request.GET, CARRIED_KEYS, max_length=40)
    page_query = QueryDict(query, mutable=True)
    page_query.pop("page", None)
    selected = {str(pk) for pk in form.data.getlist("touchpoints")} if form is not None else set()
    context = {
        "membership": membership,
        "members": members,
        "filter_form": filter_form,
        "filters": filters,
        "filtered": filters != OwnerFilters(),
        "page": page,
        "touchpoints": list(page.object_list),
        "counts": selectors.owner_counts(membership=membership),
        "form": form,
        "selected": selected,
        "chosen_owner": form.data.get("owner", "") if form is not None else "",
        "query": query,
        "page_query": page_query.urlencode(),
        "notice": notice,
        "partial": wants_partial(request),
    }
    template = "journeys/owners.html#results" if context["partial"] else "journeys/owners.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def owners(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.ASSIGN_OWNER)
    members = list(workspace_members(membership=membership))
    return _render_owners(request, membership, members)


@login_required
@require_POST
def owners_assign(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.ASSIGN_OWNER)
    members = list(workspace_members(membership=membership))
    form = BulkOwnerForm(request.POST, workspace_id=membership.workspace_id, members=members)
    if not form.is_valid():
        if form.has_error("touchpoints", "invalid_choice") or form.has_error(
            "touchpoints", "invalid_pk_value"
        ):
            # Another workspace's touchpoint is simply not found, as everywhere else.
            raise Http404
        return _render_owners(request, membership, members, form=form, status=422)
    owner = form.cleaned_data["owner"]
    try:
        count = services.touchpoints_assign_owner(
            actor=membership, touchpoints=form.cleaned_data["touchpoints"], owner=owner
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_owners(request, membership, members, form=form, status=422)
    if owner is None:
        notice = ngettext(
            "Owner cleared on %(count)d touchpoint.",
            "Owner cleared on %(count)d touchpoints.",
            count,
        ) % {"count": count}
    else:
        notice = ngettext(
            "%(count)d touchpoint assigned to %(name)s.",
            "%(count)d touchpoints assigned to %(name)s.",
            count,
        ) % {"count": count, "name": owner.display_name}
    if wants_partial(request):
        return _render_owners(request, membership, members, notice=notice)
    messages.success(request, notice)
    url = reverse("journeys:owners", kwargs={"ws": ws})
    query = carried_query(request.GET, CARRIED_KEYS, max_length=40)
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def my_touchpoints(request: HttpRequest, ws: str) -> HttpResponse:
    """The member's touchpoints with their moment score, NPS, trend and latest pain answers."""
    membership = get_workspace_for(request, ws, Action.VIEW)
    rows = selectors.my_touchpoints_overview(membership=membership, today=timezone.localdate())
    return render(
        request,
        "journeys/my_touchpoints.html",
        {
            "membership": membership,
            "rows": rows,
            "min_sample": membership.workspace.min_sample,
            "trend_days": TREND_DAYS,
            "diagnosis_days": RECENT_DAYS,
        },
    )
