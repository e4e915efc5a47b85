"""The map page and its in-place editing endpoints (stages, touchpoints, moves, owners).

Each view: access check (mot.policy) → form → service → response. Without JavaScript every form
posts and redirects back to the map; with htmx the same endpoints answer with the fragment that
changed (a card, a stage column, the board), errors in place with status 422.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys import selectors, services
from journeys.forms import (
    OwnerForm,
    PositionForm,
    StageForm,
    TouchpointForm,
    TouchpointMoveForm,
)
from journeys.models import MOT_DESCRIPTIONS, Journey
from journeys.view_utils import _map_redirect, _posted
from mot.forms_utils import apply_service_errors
from mot.models import Membership
from mot.policy import Action, can, get_journey_for, get_stage_for, get_touchpoint_for
from mot.selectors import workspace_members


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form: Form) -> None:
    """Show an inline map form's errors as messages on the re-rendered map, field label first."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(
                request,
                _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error,
            )


def _render_map(
    request: HttpRequest, membership: Membership, journey: Journey, *, status: int = 200
) -> HttpResponse:
    """The map page. Its inline forms (stages, cards, moves, owners) have no page of their own,
    so an invalid one answers 422 with the map re-rendered and the errors shown as messages."""
    can_edit = can(membership, Action.EDIT_MAP, journey)
    return render(
        request,
        "journeys/map.html",
        {
            "membership": membership,
            "journey": journey,
            "columns": selectors.journey_map(journey=journey),
            "can_edit": can_edit,
            "can_assign": can(membership, Action.ASSIGN_OWNER, journey),
            "can_export": can(membership, Action.EXPORT, journey),
            "mot_legend": list(MOT_DESCRIPTIONS.items()),
            "touchpoint_form": TouchpointForm(auto_id="new_tp_%s") if can_edit else None,
            "members": list(workspace_members(membership=membership)),
        },
        status=status,
    )


def _map_invalid(
    request: HttpRequest,
    membership: Membership,
    journey: Journey,
    *,
    form: Form | None = None,
    exc: ValidationError | None = None,
) -> HttpResponse:
    if form is not None:
        _form_errors(request, form)
    if exc is not None:
        _flash_errors(request, exc)
    return _render_map(request, membership, journey, status=422)


@login_required
@require_GET
def journey_map(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.VIEW)
    return _render_map(request, membership, journey)


# --- stages -----------------------------------------------------------------------------------


@login_required
@require_POST
def stage_create(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = StageForm(request.POST)
    if not form.is_valid():
        return _map_invalid(request, membership, journey, form=form)
    try:
        stage = services.stage_create(
            actor=membership, journey=journey, name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        return _map_invalid(request, membership, journey, exc=exc)
    return _map_redirect(ws, journey.pk, f"stage-{stage.pk}")


@login_required
@require_POST
def stage_rename(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    form = StageForm(request.POST)
    if not form.is_valid():
        return _map_invalid(request, membership, stage.journey, form=form)
    try:
        services.stage_rename(actor=membership, stage=stage, name=form.cleaned_data["name"])
    except ValidationError as exc:
        return _map_invalid(request, membership, stage.journey, exc=exc)
    return _map_redirect(ws, stage.journey_id, f"stage-{stage.pk}")


@login_required
@require_POST
def stage_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    services.stage_delete(actor=membership, stage=stage)
    messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage.name})
    return _map_redirect(ws, stage.journey_id)


@login_required
@require_POST
def stage_move(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    form = PositionForm(request.POST)
    if not form.is_valid():
        return _map_invalid(request, membership, stage.journey, form=form)
    try:
        services.stage_move(actor=membership, stage=stage, position=form.cleaned_data["position"])
    except ValidationError as exc:
        return _map_invalid(request, membership, stage.journey, exc=exc)
    return _map_redirect(ws, stage.journey_id, f"stage-{stage.pk}")


# --- touchpoints ------------------------------------------------------------------------------


@login_required
@require_POST
def touchpoint_create(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, stage = get_stage_for(request, ws, pk, Action.EDIT_MAP)
    form = TouchpointForm(request.POST)
    if not form.is_valid():
        return _map_invalid(request, membership, stage.journey, form=form)
    try:
        tp = services.touchpoint_create(actor=membership, stage=stage, **form.cleaned_data)
    except ValidationError as exc:
        return _map_invalid(request, membership, stage.journey, exc=exc)
    return _map_redirect(ws, stage.journey_id, f"tp-{tp.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def touchpoint_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.EDIT_MAP)
    initial = {f: getattr(tp, f) for f in ("title", "description", "channel", "mot_stage", "phase")}
    form = TouchpointForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.touchpoint_update(actor=membership, touchpoint=tp, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
    return render(
        request,
        "journeys/touchpoint_edit.html",
        {"membership": membership, "touchpoint": tp, "journey": tp.journey, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def touchpoint_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.EDIT_MAP)
    services.touchpoint_delete(actor=membership, touchpoint=tp)
    messages.success(request, _("Touchpoint “%(title)s” deleted.") % {"title": tp.title})
    return _map_redirect(ws, tp.journey_id, f"stage-{tp.stage_id}")


@login_required
@require_POST
def touchpoint_move(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.EDIT_MAP)
    form = TouchpointMoveForm(request.POST, journey=tp.journey)
    if not form.is_valid():
        return _map_invalid(request, membership, tp.journey, form=form)
    try:
        services.touchpoint_move(
            actor=membership,
            touchpoint=tp,
            stage=form.cleaned_data["stage"],
            position=form.cleaned_data["position"],
        )
    except ValidationError as exc:
        return _map_invalid(request, membership, tp.journey, exc=exc)
    return _map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")


@login_required
@require_POST
def touchpoint_owner(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.ASSIGN_OWNER)
    form = OwnerForm(request.POST, workspace_id=membership.workspace_id)
    if not form.is_valid():
        return _map_invalid(request, membership, tp.journey, form=form)
    try:
        services.touchpoint_assign_owner(
            actor=membership, touchpoint=tp, owner=form.cleaned_data["owner"]
        )
    except ValidationError as exc:
        return _map_invalid(request, membership, tp.journey, exc=exc)
    messages.success(request, _("Owner of “%(title)s” saved.") % {"title": tp.title})
    return _map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
