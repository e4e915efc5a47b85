"""Current beside future: the comparison page of a journey and its future-state copy, and the
form that pairs a copy made before copies remembered their source.

The matching is journeys/compare.py; this module reads the two maps, the current touchpoints'
stored numbers (metrics.read.moments, as the map) and the members' names, a fixed number of
queries whatever the maps' size, and turns the result into what the template shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from journeys import compare as cmp
from journeys import selectors, services
from journeys.access import get_journey_for
from journeys.compare_html import PairRenderer, kind_labels
from journeys.forms import PairForm
from journeys.models import Journey, JourneyState
from metrics.read.moments import touchpoint_numbers
from mot.forms_utils import apply_service_errors
from mot.models import Membership
from mot.policy import Action, can
from mot.selectors import workspace_members

HIDE_UNCHANGED = "unchanged"  # ?hide=unchanged


@dataclass(frozen=True)
class StageView:
    current: str | None
    future: str | None
    kinds: list[tuple[str, str]]  # (kind, label)
    html: SafeString  # its pairs, rendered by journeys.compare_html
    shown: int  # pairs rendered (the filter may leave out unchanged ones)
    hidden: int


def compare_url_for(journey: Journey, *, ws: str, can_edit: bool) -> str:
    """The comparison's address for a map's header, or "" when there is nothing to compare:
    no query for a copy or (for an editor) a future state to pair, one for a current state."""
    pairable = can_edit and journey.state == JourneyState.FUTURE
    if journey.copied_from_id or pairable or Journey.objects.filter(copied_from=journey).exists():
        return reverse("journeys:compare", kwargs={"ws": ws, "pk": journey.pk})
    return ""


def _stage_views(
    comparison: cmp.Comparison, renderer: PairRenderer, *, hide: bool
) -> list[StageView]:
    labels = kind_labels()
    views = []
    for stage in comparison.stages:
        pairs = [p for p in stage.pairs if not (hide and p.unchanged)]
        kinds = stage.kinds
        if hide and not pairs and kinds == (cmp.UNCHANGED,):
            continue
        views.append(
            StageView(
                current=stage.current.name if stage.current else None,
                future=stage.future.name if stage.future else None,
                kinds=[(kind, labels[kind]) for kind in kinds],
                html=renderer.render_all(pairs),
                shown=len(pairs),
                hidden=len(stage.pairs) - len(pairs),
            )
        )
    return views


def _context(
    request: HttpRequest, membership: Membership, journey: Journey, form: PairForm | None = None
) -> dict[str, Any]:
    can_edit = can(membership, Action.EDIT_MAP, journey)
    pair = selectors.journey_counterpart(journey=journey)
    hide = request.GET.get("hide") == HIDE_UNCHANGED
    context: dict[str, Any] = {
        "membership": membership,
        "ws": membership.workspace.slug,
        "journey": journey,
        "can_edit": can_edit,
        "hide_unchanged": hide,
        "min_sample": membership.workspace.min_sample,
    }
    current, future = pair if pair else (None, journey)
    context.update(current=current, future=future)
    if can_edit and (future.pk == journey.pk):
        # The pairing form belongs to the copy; from the current side, the copy's own page.
        context["pair_form"] = form or PairForm(
            journey=journey, initial={"current": current.pk if current else None}
        )
    if pair is None:
        return context
    comparison = cmp.compare(
        selectors.journey_side(journey_id=current.pk), selectors.journey_side(journey_id=future.pk)
    )
    ids = [p.current.pk for s in comparison.stages for p in s.pairs if p.current is not None]
    workspace = membership.workspace
    numbers = touchpoint_numbers(
        workspace_id=workspace.pk, touchpoint_ids=ids, min_sample=workspace.min_sample
    )
    names = {m.pk: m.display_name for m in workspace_members(membership=membership)}
    linked, unlinked = cmp.opportunities_by_touchpoint(
        selectors.journey_opportunities(journey_id=future.pk),
        (p.future.pk for s in comparison.stages for p in s.pairs if p.future is not None),
    )
    renderer = PairRenderer(
        names=names, numbers=numbers, min_sample=workspace.min_sample, opportunities=linked
    )
    stages = _stage_views(comparison, renderer, hide=hide)
    counts, labels = comparison.counts, kind_labels()
    context.update(
        stages=stages,
        counts=[(kind, labels[kind], counts[kind]) for kind in cmp.KINDS],
        hidden=counts[cmp.UNCHANGED] if hide else 0,
        total=sum(len(s.pairs) for s in comparison.stages),
        unlinked_opportunities=renderer.opportunity_list(unlinked) if unlinked else "",
        unlinked_count=len(unlinked),
    )
    return context


@login_required
@require_GET
def journey_compare(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.VIEW)
    return render(request, "journeys/compare.html", _context(request, membership, journey))


@login_required
@require_POST
def journey_compare_pair(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = PairForm(request.POST, journey=journey)
    if form.is_valid():
        current = form.cleaned_data["current"]
        try:
            services.journey_pair(actor=membership, journey=journey, current=current)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(future)s” is now compared with “%(current)s”.")
                % {"future": journey.name, "current": current.name},
            )
            return redirect("journeys:compare", ws=ws, pk=journey.pk)
    context = _context(request, membership, journey, form=form)
    return render(request, "journeys/compare.html", context, status=422)
