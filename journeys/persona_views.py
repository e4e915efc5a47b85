"""The Personas page (list, create, edit, delete), a persona's picture, and the picker that
chooses a journey's personas. Each view: access check (mot.policy) → form → service → redirect
or render. Every role reads personas; admins and editors change them (they are map content)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.access import get_journey_for, get_persona_for
from journeys.forms import JourneyPersonasForm, PersonaForm
from journeys.map.lanes import journey_personas
from journeys.map.responses import map_redirect, persona_curve_update
from journeys.models import Persona
from journeys.services import personas as services
from mot.forms_utils import apply_service_errors
from mot.http import posted
from mot.policy import Action, can, get_workspace_for


@login_required
@require_GET
def persona_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    personas = (
        Persona.objects.filter(workspace_id=membership.workspace_id)
        .defer("picture")
        .order_by("name", "pk")
    )
    # Whether each has a picture and its journeys, without reading the pictures: two queries.
    with_picture = set(
        Persona.objects.filter(
            workspace_id=membership.workspace_id, picture__isnull=False
        ).values_list("pk", flat=True)
    )
    rows = list(personas.prefetch_related("journeys"))
    return render(
        request,
        "journeys/personas.html",
        {
            "membership": membership,
            "personas": rows,
            "with_picture": with_picture,
            "can_edit": can(membership, Action.EDIT_MAP, membership.workspace),
        },
    )


def _persona_form(request: HttpRequest, ws: str, persona: Persona | None) -> HttpResponse:
    membership = (
        get_workspace_for(request, ws, Action.EDIT_MAP) if persona is None else request.membership  # type: ignore[attr-defined]
    )
    initial = (
        {f: getattr(persona, f) for f in ("name", "quote", "goals", "frustrations", "segment")}
        if persona
        else None
    )
    form = PersonaForm(posted(request), request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if persona is None:
                data = {k: v for k, v in form.cleaned_data.items() if k != "remove_picture"}
                persona = services.persona_create(actor=membership, **data)
                messages.success(request, _("Persona “%(name)s” created.") % {"name": persona.name})
            else:
                services.persona_update(actor=membership, persona=persona, **form.cleaned_data)
                messages.success(request, _("Persona “%(name)s” saved.") % {"name": persona.name})
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("journeys:personas", ws=ws)
    return render(
        request,
        "journeys/persona_form.html",
        {"membership": membership, "form": form, "persona": persona},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def persona_new(request: HttpRequest, ws: str) -> HttpResponse:
    return _persona_form(request, ws, None)


@login_required
@require_http_methods(["GET", "POST"])
def persona_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    _membership, persona = get_persona_for(request, ws, pk, Action.EDIT_MAP)
    return _persona_form(request, ws, persona)


@login_required
@require_http_methods(["GET", "POST"])
def persona_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, persona = get_persona_for(request, ws, pk, Action.EDIT_MAP)
    if request.method == "POST":
        services.persona_delete(actor=membership, persona=persona)
        messages.success(request, _("Persona “%(name)s” deleted.") % {"name": persona.name})
        return redirect("journeys:personas", ws=ws)
    return render(
        request,
        "journeys/persona_confirm_delete.html",
        {"membership": membership, "persona": persona, "journeys": persona.journeys.count()},
    )


@login_required
@require_GET
def persona_picture(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """The stored JPEG (re-encoded on upload), for members of the workspace only."""
    _membership, persona = get_persona_for(request, ws, pk, Action.VIEW)
    if not persona.picture:
        raise Http404
    response = HttpResponse(bytes(persona.picture), content_type="image/jpeg")
    # Private: the URL carries the persona's version (?v=), so a changed picture is fetched anew.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_POST
def journey_personas_set(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, journey = get_journey_for(request, ws, pk, Action.EDIT_MAP)
    form = JourneyPersonasForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        services.journey_set_personas(
            actor=membership, journey=journey, personas=form.cleaned_data["personas"]
        )
        messages.success(request, _("The journey's personas are saved."))
    else:
        messages.error(request, _("Choose personas of this workspace."))
    if not request.htmx:
        return map_redirect(ws, journey.pk, "personas")
    personas = journey_personas(journey=journey, every=True)
    context = {
        "membership": membership,
        "ws": ws,
        "journey": journey,
        "can_edit": True,
        "personas": personas,
        "chosen_personas": [p for p in personas if p.chosen],
        "focus": "personas",
    }
    html = render_to_string("journeys/map.html#personas", context, request=request)
    if form.is_valid():
        html += "".join(persona_curve_update(request, membership, journey))
    # Rendering the messages consumes them: each is announced once, in the live region.
    html += render_to_string("_messages.html", {"oob": True}, request=request)
    return HttpResponse(html, status=200 if form.is_valid() else 422)
