"""The map page and its in-place editing endpoints (stages, touchpoints, moves, owners).

Each view: access check (journeys.access) → form → service → response. Without JavaScript every
form posts and redirects back to the map (an invalid one re-renders the map with status 422). With
htmx the same endpoints answer with the fragments that changed (journeys/map/responses.py): a
card, the stage columns a move touched, or the board; invalid input answers 422 with the
fragment showing the error where the user acts. The server is the source of truth: every answer
shows the persisted order, so a refused move puts the card back.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys import services
from journeys.access import get_journey_for, get_stage_for, get_touchpoint_for
from journeys.map import selectors
from journeys.map.forms import (
    OwnerForm,
    PositionForm,
    StageForm,
    TouchpointForm,
    TouchpointMoveForm,
)
from journeys.map.responses import (
    MOVE_FOCUS,
    board_response,
    card_response,
    columns_response,
    curve_table_response,
    map_invalid,
    map_redirect,
    render_map,
    report_errors,
    stage_head_response,
)
from journeys.models import Stage, Touchpoint
from mot.forms_utils import apply_service_errors
from mot.http import posted
from mot.policy import Action


@login_required
@require_GET
def journey_map(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.VIEW)
    htmx = request.htmx
    if htmx and htmx.target == "curve-table-body":
        response = curve_table_response(request, membership, journey)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response
    if htmx and htmx.target == "board" and not htmx.history_restore_request:
        # A filter change: only the board is swapped (the URL, pushed by htmx, carries it).
        # The curve's "By persona" toggle keeps the focus (its form's id is "curve-by").
        focus = "curve-by" if htmx.trigger == "curve-by" else ""
        response = board_response(
            request, membership, journey, filters_source=request.GET, focus=focus
        )
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response
    return render_map(request, membership, journey)


# --- stages -----------------------------------------------------------------------------------


@login_required
@require_POST
def stage_create(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = StageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        stage = services.stage_create(
            actor=membership, journey=journey, name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, journey, form=form, exc=exc)
        report_errors(request, form, exc)
        return board_response(request, membership, journey, focus="new-stage", status=422)
    if not request.htmx:
        return map_redirect(ws, journey.pk, f"stage-{stage.pk}")
    messages.success(request, _("Stage “%(name)s” added.") % {"name": stage.name})
    return board_response(request, membership, journey, focus="new-stage")


@login_required
@require_POST
def stage_rename(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    form = StageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        services.stage_rename(actor=membership, stage=stage, name=form.cleaned_data["name"])
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, stage.journey, form=form, exc=exc)
        report_errors(request, form, exc)
        return stage_head_response(
            request,
            membership,
            stage,
            focus="stage-name",
            errors=[*form.errors.get("name", []), *exc.messages],
            status=422,
        )
    if not request.htmx:
        return map_redirect(ws, stage.journey_id, f"stage-{stage.pk}")
    messages.success(request, _("Stage renamed to “%(name)s”.") % {"name": stage.name})
    return stage_head_response(request, membership, stage, focus="stage-title")


@login_required
@require_POST
def stage_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    services.stage_delete(actor=membership, stage=stage)
    messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage.name})
    if not request.htmx:
        return map_redirect(ws, stage.journey_id)
    return board_response(request, membership, stage.journey, focus="new-stage")


@login_required
@require_POST
def stage_move(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    form = PositionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        services.stage_move(actor=membership, stage=stage, position=form.cleaned_data["position"])
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, stage.journey, form=form, exc=exc)
        report_errors(request, form, exc)
        return board_response(request, membership, stage.journey, status=422)
    if not request.htmx:
        return map_redirect(ws, stage.journey_id, f"stage-{stage.pk}")
    messages.success(
        request,
        _("Stage “%(name)s” moved to position %(position)d of %(total)d.")
        % {
            "name": stage.name,
            "position": stage.position + 1,
            "total": stage.journey.stages.count(),
        },
    )
    # The stage bar's handle keeps the focus after a keyboard move, so Alt+arrow can repeat.
    focus = "stage-grip" if request.POST.get("focus") == "stage-grip" else "stage-title"
    return board_response(request, membership, stage.journey, focus=focus, focus_stage=stage.pk)


# --- touchpoints ------------------------------------------------------------------------------


@login_required
@require_GET
def touchpoint_card(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """One card as the board shows it: with its menu open and focus on Edit (the menu opened,
    or the Cancel of an in-place edit), or closed with focus on the menu's button (``?focus=menu``)
    or the owner button (``?focus=owner``: the owner picker's Cancel)."""
    membership, tp = get_touchpoint_for(request, ws, pk, Action.VIEW)
    if not request.htmx:
        return map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
    focus = request.GET.get("focus", "edit")
    return card_response(request, membership, tp, focus=focus if focus in CARD_FOCUS else "edit")


@login_required
@require_POST
def touchpoint_create(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    form = TouchpointForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        tp = services.touchpoint_create(actor=membership, stage=stage, **form.cleaned_data)
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, stage.journey, form=form, exc=exc)
        report_errors(request, form, exc)
        return columns_response(
            request,
            membership,
            [stage],
            journey=stage.journey,
            focus="add-title",
            focus_stage=stage.pk,
            status=422,
        )
    if not request.htmx:
        return map_redirect(ws, stage.journey_id, f"tp-{tp.pk}")
    messages.success(request, _("Touchpoint “%(title)s” added.") % {"title": tp.title})
    # Focus returns to the title field, so a whole stage can be typed in one go.
    return columns_response(
        request, membership, [stage], journey=stage.journey, focus="add-title", focus_stage=stage.pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def touchpoint_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.EDIT_MAP)
    initial = {
        f: getattr(tp, f) for f in ("title", "description", "channel", "mot_stage", "phase", "code")
    }
    form = TouchpointForm(posted(request), initial=initial, auto_id=f"edit-{tp.pk}-%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.touchpoint_update(actor=membership, touchpoint=tp, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not request.htmx:
                return map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
            messages.success(request, _("Touchpoint “%(title)s” saved.") % {"title": tp.title})
            return card_response(request, membership, tp, focus="edit", curve=True)
    status = 422 if form.errors else 200
    if request.htmx:
        if form.errors:
            messages.error(request, _("Please correct the highlighted fields."))
        return card_response(request, membership, tp, form=form, status=status)
    return render(
        request,
        "journeys/touchpoint_edit.html",
        {"membership": membership, "touchpoint": tp, "journey": tp.journey, "form": form},
        status=status,
    )


@login_required
@require_POST
def touchpoint_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.EDIT_MAP)
    services.touchpoint_delete(actor=membership, touchpoint=tp)
    messages.success(request, _("Touchpoint “%(title)s” deleted.") % {"title": tp.title})
    if not request.htmx:
        return map_redirect(ws, tp.journey_id, f"stage-{tp.stage_id}")
    stage = selectors.stage_or_none(stage_id=tp.stage_id)
    if stage is None:  # its stage went too (a concurrent delete): show the whole board
        return board_response(request, membership, tp.journey)
    return columns_response(
        request, membership, [stage], journey=tp.journey, focus="stage-title", focus_stage=stage.pk
    )


@login_required
@require_POST
def touchpoint_move(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.EDIT_MAP)
    form = TouchpointMoveForm(request.POST, journey=tp.journey)
    source = tp.stage
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        target, position = _move_target(tp, form.cleaned_data)
        services.touchpoint_move(actor=membership, touchpoint=tp, stage=target, position=position)
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, tp.journey, form=form, exc=exc)
        # The browser may already show the card where it was dropped: the whole board comes
        # back as the server has it, which puts the card back.
        report_errors(request, form, exc)
        return board_response(request, membership, tp.journey, oob=True, status=422)
    if not request.htmx:
        return map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
    requested = form.cleaned_data["direction"] or request.POST.get("focus", "card")
    stages = [source] if source.pk == target.pk else [source, target]
    messages.success(request, _("“%(title)s” moved.") % {"title": tp.title})
    return columns_response(
        request,
        membership,
        stages,
        journey=tp.journey,
        focus=requested if requested in MOVE_FOCUS else "card",
        focus_tp=tp.pk,
    )


CARD_FOCUS = frozenset({"edit", "menu", "owner"})


def _move_target(tp: Touchpoint, data: dict) -> tuple[Stage, int]:
    """The stage and position a move asks for; an arrow is relative to where the card is now."""
    direction = data.get("direction")
    if not direction:
        return data["stage"], data["position"]
    if direction == "up":
        return tp.stage, max(tp.position - 1, 0)
    if direction == "down":
        return tp.stage, tp.position + 1
    previous, following = selectors.stage_neighbours(stage_id=tp.stage_id, journey_id=tp.journey_id)
    target = previous if direction == "prev" else following
    if target is None:
        raise ValidationError(_("There is no stage on that side."))
    return target, tp.position


@login_required
@require_http_methods(["GET", "POST"])
def touchpoint_owner(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.ASSIGN_OWNER)
    if request.method == "GET":
        # The owner picker opens on demand: a select of every member on each of 2,400 cards
        # would weigh more than the rest of the map.
        if request.htmx:
            return card_response(request, membership, tp, owner_form=True)
        form = OwnerForm(initial={"owner": tp.owner_id}, workspace_id=membership.workspace_id)
        return render(
            request,
            "journeys/touchpoint_owner.html",
            {"membership": membership, "touchpoint": tp, "journey": tp.journey, "form": form},
        )
    form = OwnerForm(request.POST, workspace_id=membership.workspace_id)
    try:
        if not form.is_valid():
            raise ValidationError([])  # the form's own errors are shown below
        services.touchpoint_assign_owner(
            actor=membership, touchpoint=tp, owner=form.cleaned_data["owner"]
        )
    except ValidationError as exc:
        if not request.htmx:
            return map_invalid(request, membership, tp.journey, form=form, exc=exc)
        report_errors(request, form, exc)
        tp.refresh_from_db()
        return card_response(request, membership, tp, owner_form=True, status=422)
    owner = form.cleaned_data["owner"]
    if owner is None:
        messages.success(request, _("“%(title)s” has no owner now.") % {"title": tp.title})
    else:
        messages.success(
            request,
            _("%(name)s now owns “%(title)s”.") % {"name": owner.display_name, "title": tp.title},
        )
    if not request.htmx:
        return map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
    return card_response(request, membership, tp, focus="owner")
