"""Journey pages. Each view: access check (mot.policy) → form → service → redirect or render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys import selectors, services
from journeys.access import get_journey_for
from journeys.blueprints import BLUEPRINTS
from journeys.exchange import JourneyImportError, journey_export, journey_import, parse_document
from journeys.forms import (
    ArchiveForm,
    DuplicateForm,
    JourneyForm,
    JourneyImportForm,
    JourneyRenameForm,
    NewJourneyForm,
)
from journeys.map.responses import map_invalid, map_redirect
from journeys.models import Journey, JourneyState
from mot.forms_utils import apply_service_errors
from mot.http import posted
from mot.models import Membership
from mot.policy import Action, can, get_workspace_for

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
    form = NewJourneyForm(posted(request), initial={"template": request.GET.get("template", "")})
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
            return map_redirect(ws, journey.pk)
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
    form = JourneyImportForm(posted(request), request.FILES if request.method == "POST" else None)
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
            return map_redirect(ws, journey.pk)
    return render(
        request,
        "journeys/import.html",
        {"membership": membership, "form": form, "errors": errors},
        status=422 if (errors or form.errors) else 200,
    )


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
    form = JourneyForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.journey_update(actor=membership, journey=journey, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Journey saved."))
            return map_redirect(ws, journey.pk)
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
        return map_invalid(request, membership, journey, form=form)
    copy = services.journey_duplicate(
        actor=membership, journey=journey, state=form.cleaned_data["state"]
    )
    messages.success(request, _("Copied as “%(name)s”.") % {"name": copy.name})
    if copy.state == JourneyState.FUTURE:
        # What a future state is for: designing the change, seen beside the current state.
        return redirect("journeys:compare", ws=ws, pk=copy.pk)
    return map_redirect(ws, copy.pk)


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
    return map_redirect(ws, journey.pk)


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


# --- inline rename on the journeys list ---------------------------------------------------------


def _render_rename(
    request: HttpRequest,
    membership: Membership,
    journey: Journey,
    *,
    form: JourneyRenameForm | None = None,
    status: int = 200,
    renamed: bool = False,
) -> HttpResponse:
    """With htmx, the row's name cell (form or name); without, the list with that row's form."""
    context = {
        "membership": membership,
        "journey": journey,
        "can_edit": can(membership, Action.EDIT_MAP, journey),
        "rename_form": form,
        "focus_rename": form is None,  # back from the form: focus returns to the Rename button
        "renamed": renamed,
    }
    if request.htmx:
        partial = "rename_form" if form is not None else "name_cell"
        response = render(request, f"journeys/list.html#{partial}", context, status=status)
    else:
        # The list the journey is on (an archived one is on the archived list).
        context |= {
            "journeys": selectors.journey_list(membership=membership, archived=journey.archived),
            "archived": journey.archived,
            "states": JourneyState.choices,
            "renaming": journey.pk if form is not None else None,
        }
        response = render(request, "journeys/list.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def journey_rename(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """GET: the name cell's rename form (``?cancel=1``: the name cell again); POST: rename."""
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    if request.method == "GET" and request.GET.get("cancel"):
        if not request.htmx:
            return redirect("journeys:list", ws=ws)
        return _render_rename(request, membership, journey)
    form = JourneyRenameForm(posted(request), initial={"name": journey.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.journey_update(
                actor=membership, journey=journey, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if request.htmx:
                return _render_rename(request, membership, journey, renamed=True)
            messages.success(request, _("Journey renamed to “%(name)s”.") % {"name": journey.name})
            return redirect("journeys:list", ws=ws)
    return _render_rename(
        request, membership, journey, form=form, status=422 if form.errors else 200
    )
