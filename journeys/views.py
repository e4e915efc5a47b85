"""Journey pages. Each view: access check (mot.policy) → form → service → redirect or render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys import selectors, services
from journeys.blueprints import BLUEPRINTS
from journeys.exchange import JourneyImportError, journey_export, journey_import, parse_document
from journeys.forms import (
    ArchiveForm,
    DuplicateForm,
    JourneyForm,
    JourneyImportForm,
    NewJourneyForm,
    OwnerForm,
    PositionForm,
    StageForm,
    TouchpointForm,
    TouchpointMoveForm,
)
from journeys.models import MOT_DESCRIPTIONS, Journey, JourneyState
from mot.forms_utils import apply_service_errors
from mot.models import Membership
from mot.policy import (
    Action,
    can,
    get_journey_for,
    get_stage_for,
    get_touchpoint_for,
    get_workspace_for,
)
from mot.selectors import workspace_members


def _map_redirect(ws: str, journey_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("journeys:map", ws=ws, pk=journey_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST, even an empty one (``request.POST or None`` would leave an empty
    POST unbound: no error shown, a 200 instead of a 422)."""
    return request.POST if request.method == "POST" else None


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


# --- journeys ---------------------------------------------------------------------------------


@login_required
@require_GET
def journey_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    search = request.GET.get("q", "").strip()[:120]
    state = request.GET.get("state", "")
    if state not in JourneyState.values:
        state = ""
    archived = request.GET.get("archived") == "1"
    journeys = selectors.journey_list(
        membership=membership, search=search, state=state, archived=archived
    )
    return render(
        request,
        "journeys/list.html",
        {
            "membership": membership,
            "journeys": journeys,
            "search": search,
            "state": state,
            "archived": archived,
            "states": JourneyState.choices,
            "can_edit": can(membership, Action.EDIT_MAP, membership.workspace),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def journey_new(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.EDIT_MAP)
    form = NewJourneyForm(_posted(request), initial={"template": request.GET.get("template", "")})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["template"]:
                journey = services.journey_create_from_blueprint(
                    actor=membership,
                    key=form.cleaned_data["template"],
                    name=form.cleaned_data["name"],
                )
            else:
                journey = services.journey_create(actor=membership, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Journey “%(name)s” created.") % {"name": journey.name})
            return _map_redirect(ws, journey.pk)
    return render(
        request,
        "journeys/new.html",
        {"membership": membership, "form": form, "blueprints": BLUEPRINTS},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def journey_import_view(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.IMPORT)
    form = JourneyImportForm(_posted(request), request.FILES if request.method == "POST" else None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = parse_document(upload.read())
            journey = journey_import(actor=membership, document=document)
        except JourneyImportError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Journey “%(name)s” imported.") % {"name": journey.name})
            return _map_redirect(ws, journey.pk)
    return render(
        request,
        "journeys/import.html",
        {"membership": membership, "form": form, "errors": errors},
        status=422 if (errors or form.errors) else 200,
    )


@login_required
@require_GET
def journey_map(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.VIEW)
    return _render_map(request, membership, journey)


@login_required
@require_http_methods(["GET", "POST"])
def journey_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    initial = {
        "name": journey.name,
        "persona": journey.persona,
        "description": journey.description,
        "state": journey.state,
    }
    form = JourneyForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.journey_update(actor=membership, journey=journey, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Journey saved."))
            return _map_redirect(ws, journey.pk)
    return render(
        request,
        "journeys/edit.html",
        {"membership": membership, "journey": journey, "form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def journey_duplicate(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = DuplicateForm(request.POST)
    if not form.is_valid():
        return _map_invalid(request, membership, journey, form=form)
    copy = services.journey_duplicate(
        actor=membership, journey=journey, state=form.cleaned_data["state"]
    )
    messages.success(request, _("Copied as “%(name)s”.") % {"name": copy.name})
    return _map_redirect(ws, copy.pk)


@login_required
@require_POST
def journey_archive(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = ArchiveForm(request.POST)
    archived = form.is_valid() and form.cleaned_data["archived"]
    services.journey_set_archived(actor=membership, journey=journey, archived=archived)
    if archived:
        messages.success(request, _("“%(name)s” archived.") % {"name": journey.name})
        return redirect("journeys:list", ws=ws)
    messages.success(request, _("“%(name)s” restored.") % {"name": journey.name})
    return _map_redirect(ws, journey.pk)


@login_required
@require_http_methods(["GET", "POST"])
def journey_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    if request.method == "POST":
        name = journey.name
        services.journey_delete(actor=membership, journey=journey)
        messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect("journeys:list", ws=ws)
    return render(
        request, "journeys/confirm_delete.html", {"membership": membership, "journey": journey}
    )


@login_required
@require_GET
def journey_export_view(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EXPORT)
    document = journey_export(actor=membership, journey=journey)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json"
    )
    filename = f"{slugify(journey.name) or 'journey'}.mot.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
