"""The map's lanes and their items, edited in place: add, rename, reorder, remove and fold a
lane; add, edit, delete and move an item (drag and drop, or the arrow buttons).

As for cards (journeys/map/views.py): without JavaScript every form posts and redirects back to
the map; with htmx a lane change answers with the board, an item change with the lanes it
touched (swapped out of band), and a refused move with the whole board as the server has it,
which puts the item back. Removing a lane asks first: htmx asks in the browser, and without
JavaScript the form leads to a confirmation page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.access import get_item_for, get_journey_for, get_lane_for
from journeys.map import selectors
from journeys.map.forms import (
    FoldForm,
    ItemCreateForm,
    ItemForm,
    ItemMoveForm,
    LaneForm,
    LaneRenameForm,
    PositionForm,
)
from journeys.map.lanes import add_lanes
from journeys.map.responses import (
    _render,
    board_response,
    map_context,
    map_invalid,
    map_redirect,
    report_errors,
)
from journeys.models import Journey, LaneItem, LaneKind, Stage
from journeys.services import lanes as services
from mot.forms_utils import apply_service_errors
from mot.http import posted
from mot.models import Membership
from mot.policy import Action


def lanes_response(
    request: HttpRequest,
    membership: Membership,
    journey: Journey,
    lane_ids: list[int],
    *,
    focus: str = "",
    focus_item: object = None,
    status: int = 200,
) -> HttpResponse:
    """The lanes an item change touched, each swapped into its place out of band."""
    context = map_context(request, membership, journey, with_columns=False)
    context.update(focus=focus, focus_item=focus_item)
    stages = list(
        Stage.objects.filter(journey_id=journey.pk).order_by("position").values_list("pk", "name")
    )
    add_lanes(context, membership=membership, journey=journey, stages=stages, only=lane_ids)
    parts = [("lane", {**context, "lane": lane, "oob": True}) for lane in context["lanes"]]
    return _render(request, parts, status=status)


def _lane_done(request: HttpRequest, membership: Membership, lane, message: str, focus: str):
    if not request.htmx:
        return map_redirect(membership.workspace.slug, lane.journey_id, f"lane-{lane.pk}")
    messages.success(request, message)
    return board_response(request, membership, lane.journey, focus=focus, focus_lane=lane.pk)


def _lane_refused(request, membership, journey, form, exc, *, focus: str = "", lane=None):
    if not request.htmx:
        return map_invalid(request, membership, journey, form=form, exc=exc)
    report_errors(request, form, exc)
    return board_response(
        request, membership, journey, focus=focus, focus_lane=lane.pk if lane else None, status=422
    )


# --- lanes --------------------------------------------------------------------------------------


@login_required
@require_POST
def lane_create(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = LaneForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        lane = services.lane_create(actor=membership, journey=journey, **form.cleaned_data)
    except ValidationError as exc:
        return _lane_refused(request, membership, journey, form, exc, focus="add-lane")
    message = _("Lane “%(name)s” added.") % {"name": lane.label}
    return _lane_done(request, membership, lane, message, "lane-title")


def _lane_change(request: HttpRequest, ws: str, pk: int, form_class, change) -> HttpResponse:
    """Rename or move a lane: ``change(member, lane, data)`` returns the message to show."""
    membership, lane = get_lane_for(request, ws, pk, Action.EDIT_MAP)
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        message = change(membership, lane, form.cleaned_data)
    except ValidationError as exc:
        return _lane_refused(request, membership, lane.journey, form, exc, lane=lane)
    return _lane_done(request, membership, lane, message, "lane-title")


def _rename(membership: Membership, lane, data: dict) -> str:
    services.lane_rename(actor=membership, lane=lane, name=data["name"])
    return _("Lane renamed to “%(name)s”.") % {"name": lane.label}


def _move(membership: Membership, lane, data: dict) -> str:
    services.lane_move(actor=membership, lane=lane, position=data["position"])
    return _("Lane “%(name)s” moved.") % {"name": lane.label}


@login_required
@require_POST
def lane_rename(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    return _lane_change(request, ws, pk, LaneRenameForm, _rename)


@login_required
@require_POST
def lane_move(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    return _lane_change(request, ws, pk, PositionForm, _move)


@login_required
@require_http_methods(["GET", "POST"])
def lane_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, lane = get_lane_for(request, ws, pk, Action.EDIT_MAP)
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        count = LaneItem.objects.filter(lane=lane).count()
        return render(
            request,
            "journeys/lane_confirm_delete.html",
            {"membership": membership, "lane": lane, "journey": lane.journey, "count": count},
        )
    try:
        services.lane_delete(actor=membership, lane=lane)
    except ValidationError as exc:
        return _lane_refused(request, membership, lane.journey, None, exc, lane=lane)
    messages.success(request, _("Lane “%(name)s” removed.") % {"name": lane.label})
    if not request.htmx:
        return map_redirect(ws, lane.journey_id)
    return board_response(request, membership, lane.journey, focus="add-lane")


@login_required
@require_POST
def lane_fold(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """Collapse or expand a lane for the member asking (every role may)."""
    membership, lane = get_lane_for(request, ws, pk, Action.VIEW)
    form = FoldForm(request.POST)
    form.is_valid()  # a missing or odd value means "expand"
    folded = bool(form.cleaned_data.get("folded"))
    services.lane_set_folded(actor=membership, lane=lane, folded=folded)
    if not request.htmx:
        return map_redirect(ws, lane.journey_id, f"lane-{lane.pk}")
    return board_response(request, membership, lane.journey, focus="fold", focus_lane=lane.pk)


# --- items --------------------------------------------------------------------------------------


@login_required
@require_POST
def item_create(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, lane = get_lane_for(request, ws, pk, Action.EDIT_MAP)
    form = ItemCreateForm(request.POST, journey_id=lane.journey_id)
    stage = None
    try:
        if not form.is_valid():
            raise ValidationError([])
        stage = form.cleaned_data["stage"]
        item = services.item_create(
            actor=membership, lane=lane, stage=stage, text=form.cleaned_data["text"]
        )
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, lane.journey, form=form, exc=exc)
        report_errors(request, form, exc)
        cell = (lane.pk, stage.pk) if stage else None
        return lanes_response(
            request,
            membership,
            lane.journey,
            [lane.pk],
            focus="add-item",
            focus_item=cell,
            status=422,
        )
    if not request.htmx:
        return map_redirect(ws, lane.journey_id, f"item-{item.pk}")
    messages.success(request, _("Item added to %(lane)s.") % {"lane": lane.label})
    # Focus returns to the cell's text field, so a cell can be filled in one go.
    return lanes_response(
        request,
        membership,
        lane.journey,
        [lane.pk],
        focus="add-item",
        focus_item=(lane.pk, stage.pk),
    )


@login_required
@require_GET
def item_card(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """The item's lane as the board shows it: the item's menu open with focus on Edit (the menu
    opened, or the Cancel of an in-place edit), or closed with focus on its button
    (``?focus=menu``)."""
    membership, item = get_item_for(request, ws, pk, Action.VIEW)
    if not request.htmx:
        return map_redirect(ws, item.journey_id, f"item-{item.pk}")
    focus = "menu" if request.GET.get("focus") == "menu" else "edit"
    return lanes_response(
        request, membership, item.journey, [item.lane_id], focus=focus, focus_item=item.pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, item = get_item_for(request, ws, pk, Action.EDIT_MAP)
    form = ItemForm(
        posted(request),
        initial={
            "text": item.text,
            "status": item.status,
            "owner": item.owner_id,
            "touchpoint": item.touchpoint_id,
        },
        workspace_id=membership.workspace_id,
        journey_id=item.journey_id,
        opportunity=item.lane.kind == LaneKind.OPPORTUNITIES,
        auto_id=f"item-{item.pk}-%s",
    )
    if request.method == "POST" and form.is_valid():
        try:
            # Status, owner and touchpoint are an opportunity's fields: an item of another lane
            # keeps its own (they come back if it moves to an opportunities lane again).
            data = {
                "status": item.status,
                "owner": item.owner,
                "touchpoint": item.touchpoint,
                **form.cleaned_data,
            }
            services.item_update(actor=membership, item=item, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not request.htmx:
                return map_redirect(ws, item.journey_id, f"item-{item.pk}")
            messages.success(request, _("Item saved."))
            return lanes_response(
                request, membership, item.journey, [item.lane_id], focus="edit", focus_item=item.pk
            )
    status = 422 if form.errors else 200
    context = {"membership": membership, "item": item, "journey": item.journey, "form": form}
    if request.htmx:
        if form.errors:
            messages.error(request, _("Please correct the highlighted fields."))
        context["ws"] = ws
        return _render(request, [("item_form", context)], status=status)
    return render(request, "journeys/item_edit.html", context, status=status)


@login_required
@require_POST
def item_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, item = get_item_for(request, ws, pk, Action.EDIT_MAP)
    services.item_delete(actor=membership, item=item)
    messages.success(request, _("Item deleted."))
    if not request.htmx:
        return map_redirect(ws, item.journey_id, f"lane-{item.lane_id}")
    return lanes_response(request, membership, item.journey, [item.lane_id])


@login_required
@require_POST
def item_move(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, item = get_item_for(request, ws, pk, Action.EDIT_MAP)
    form = ItemMoveForm(request.POST, journey_id=item.journey_id)
    source = item.lane_id
    try:
        if not form.is_valid():
            raise ValidationError([])
        lane, stage, position = _item_target(item, form.cleaned_data)
        services.item_move(actor=membership, item=item, lane=lane, stage=stage, position=position)
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, item.journey, form=form, exc=exc)
        report_errors(request, form, exc)
        return board_response(request, membership, item.journey, oob=True, status=422)
    if not request.htmx:
        return map_redirect(ws, item.journey_id, f"item-{item.pk}")
    requested = form.cleaned_data["direction"] or "item"
    messages.success(request, _("Item moved."))
    return lanes_response(
        request,
        membership,
        item.journey,
        sorted({source, lane.pk}),
        focus=requested,
        focus_item=item.pk,
    )


def _item_target(item: LaneItem, data: dict):
    """The lane, stage and position a move asks for; an arrow is relative to the item now."""
    direction = data.get("direction")
    if not direction:
        return data["lane"], data["stage"], data["position"]
    if direction == "up":
        return item.lane, item.stage, max(item.position - 1, 0)
    if direction == "down":
        return item.lane, item.stage, item.position + 1
    previous, following = selectors.stage_neighbours(
        stage_id=item.stage_id, journey_id=item.journey_id
    )
    target = previous if direction == "prev" else following
    if target is None:
        raise ValidationError(_("There is no stage on that side."))
    return item.lane, target, item.position
