"""The Webhooks pages (admins only) and the intakes' public URLs.

The intakes (``intake_typeform``, ``intake_signed``) take no session and no CSRF token: the
signature over the raw body is their authentication. Their bodies are capped before anything
reads them (:mod:`feedback.hooks.middleware`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from feedback.hooks import intake as receiving
from feedback.hooks import services
from feedback.hooks.forms import EndpointForm, IntakeForm, MappingForm
from feedback.hooks.models import Endpoint, Intake, IntakeKind
from feedback.hooks.typeform import SampleField, Unmapped, sample_fields
from mot.forms_utils import apply_service_errors
from mot.models import Membership
from mot.policy import Action, get_for, get_workspace_for

DELIVERIES_SHOWN = 100

# --- public intakes -------------------------------------------------------------------------


def _reply(reply: receiving.Reply) -> JsonResponse:
    return JsonResponse(reply.body, status=reply.status)


@csrf_exempt
@require_POST
def intake_typeform(request: HttpRequest, token: str) -> HttpResponse:
    found = receiving.intake_for(IntakeKind.TYPEFORM, token)
    if found is None:
        raise Http404
    return _reply(
        receiving.receive_typeform(found, request.body, request.headers.get("Typeform-Signature"))
    )


@csrf_exempt
@require_POST
def intake_signed(request: HttpRequest, token: str) -> HttpResponse:
    found = receiving.intake_for(IntakeKind.SIGNED, token)
    if found is None:
        raise Http404
    return _reply(receiving.receive_signed(found, request.body, dict(request.headers)))


# --- admin pages ----------------------------------------------------------------------------


def _intake_for(request: HttpRequest, ws: str, pk: int) -> tuple[Membership, Intake]:
    return get_for(
        request,
        ws,
        Intake.objects.select_related("touchpoint__journey"),
        pk,
        Action.MANAGE_WEBHOOKS,
        workspace_path="workspace_id",
    )


def _endpoint_for(request: HttpRequest, ws: str, pk: int) -> tuple[Membership, Endpoint]:
    return get_for(
        request,
        ws,
        Endpoint.objects.all(),
        pk,
        Action.MANAGE_WEBHOOKS,
        workspace_path="workspace_id",
    )


def _intake_url(request: HttpRequest, intake: Intake) -> str:
    name = "hooks_typeform" if intake.kind == IntakeKind.TYPEFORM else "hooks_signed"
    return request.build_absolute_uri(reverse(name, kwargs={"token": intake.token}))


def _list(request, membership, *, intake_form=None, endpoint_form=None, status=200):
    ws_id = membership.workspace_id
    intakes = Intake.objects.filter(workspace_id=ws_id).select_related("touchpoint").order_by("pk")
    return render(
        request,
        "feedback/hooks/list.html",
        {
            "membership": membership,
            "intakes": [(i, _intake_url(request, i)) for i in intakes],
            "endpoints": Endpoint.objects.filter(workspace_id=ws_id).order_by("pk"),
            "intake_form": intake_form or IntakeForm(workspace_id=ws_id),
            "endpoint_form": endpoint_form or EndpointForm(),
        },
        status=status,
    )


@login_required
@require_GET
def webhooks(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_WEBHOOKS)
    return _list(request, membership)


def _secret_page(request, membership, *, title: str, secret: str, back: str, url: str = ""):
    # Rendered, not redirected: the secret must not pass through a session message.
    return render(
        request,
        "feedback/hooks/secret.html",
        {"membership": membership, "title": title, "secret": secret, "back": back, "url": url},
        status=201,
    )


@login_required
@require_POST
@never_cache
def intake_new(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_WEBHOOKS)
    form = IntakeForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        try:
            intake, secret = services.intake_create(actor=membership, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _secret_page(
                request,
                membership,
                title=intake.name,
                secret=secret,
                back=reverse("webhooks:intake", kwargs={"ws": ws, "pk": intake.pk}),
                url=_intake_url(request, intake),
            )
    return _list(request, membership, intake_form=form, status=400)


def _fields(intake: Intake) -> list[SampleField]:
    if intake.sample is not None:
        try:
            return sample_fields(intake.sample)
        except Unmapped:
            pass
    return [SampleField(key, "", "", "") for key in intake.mapping]


def _intake_page(request, membership, intake, form=None, status=200):
    form = form or MappingForm(
        workspace_id=membership.workspace_id,
        fields=_fields(intake),
        mapping=intake.mapping,
        initial={"touchpoint": intake.touchpoint, "touchpoint_field": intake.touchpoint_field},
    )
    return render(
        request,
        "feedback/hooks/intake.html",
        {
            "membership": membership,
            "intake": intake,
            "url": _intake_url(request, intake),
            "form": form,
            "deliveries": intake.deliveries.order_by("-pk")[:DELIVERIES_SHOWN],
        },
        status=status,
    )


@login_required
@require_GET
def intake_detail(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, intake = _intake_for(request, ws, pk)
    return _intake_page(request, membership, intake)


@login_required
@require_POST
def intake_mapping(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, intake = _intake_for(request, ws, pk)
    form = MappingForm(
        request.POST,
        workspace_id=membership.workspace_id,
        fields=_fields(intake),
        mapping=intake.mapping,
    )
    if form.is_valid():
        try:
            services.intake_mapping_save(
                actor=membership,
                intake=intake,
                mapping=form.mapping(),
                touchpoint=form.cleaned_data["touchpoint"],
                touchpoint_field=form.cleaned_data["touchpoint_field"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Mapping saved."))
            return redirect("webhooks:intake", ws=ws, pk=intake.pk)
    return _intake_page(request, membership, intake, form, status=400)


def _rotated(request, ws: str, pk: int, lookup, rotate, page: str) -> HttpResponse:
    """Rotate the secret of the intake or endpoint ``lookup`` finds; show the new one once."""
    membership, found = lookup(request, ws, pk)
    secret = rotate(membership, found)
    back = reverse(page, kwargs={"ws": ws, "pk": found.pk})
    return _secret_page(request, membership, title=found.name, secret=secret, back=back)


@login_required
@require_POST
@never_cache
def intake_rotate(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    return _rotated(
        request,
        ws,
        pk,
        _intake_for,
        lambda actor, intake: services.intake_rotate(actor=actor, intake=intake),
        "webhooks:intake",
    )


@login_required
@require_POST
def intake_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, intake = _intake_for(request, ws, pk)
    services.intake_delete(actor=membership, intake=intake)
    messages.success(request, _("Intake “%(name)s” removed.") % {"name": intake.name})
    return redirect("webhooks:list", ws=ws)


@login_required
@require_POST
@never_cache
def endpoint_new(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_WEBHOOKS)
    form = EndpointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.endpoint_create(
                actor=membership, name=data["name"], url=data["url"], events_chosen=data["events"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _secret_page(
                request,
                membership,
                title=endpoint.name,
                secret=secret,
                back=reverse("webhooks:endpoint", kwargs={"ws": ws, "pk": endpoint.pk}),
            )
    return _list(request, membership, endpoint_form=form, status=400)


def _endpoint_page(request, membership, endpoint, form=None, status=200):
    form = form or EndpointForm(
        initial={
            "name": endpoint.name,
            "url": endpoint.url,
            "events": endpoint.events,
            "enabled": endpoint.enabled,
        }
    )
    return render(
        request,
        "feedback/hooks/endpoint.html",
        {
            "membership": membership,
            "endpoint": endpoint,
            "form": form,
            "deliveries": endpoint.deliveries.order_by("-pk")[:DELIVERIES_SHOWN],
        },
        status=status,
    )


@login_required
@require_GET
def endpoint_detail(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, endpoint = _endpoint_for(request, ws, pk)
    return _endpoint_page(request, membership, endpoint)


@login_required
@require_POST
def endpoint_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, endpoint = _endpoint_for(request, ws, pk)
    form = EndpointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.endpoint_update(
                actor=membership,
                endpoint=endpoint,
                name=data["name"],
                url=data["url"],
                events_chosen=data["events"],
                enabled=data["enabled"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhooks:endpoint", ws=ws, pk=endpoint.pk)
    endpoint.refresh_from_db()
    return _endpoint_page(request, membership, endpoint, form, status=400)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, endpoint = _endpoint_for(request, ws, pk)
    try:
        services.endpoint_test(actor=membership, endpoint=endpoint)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Test event queued: its outcome shows below."))
    return redirect("webhooks:endpoint", ws=ws, pk=endpoint.pk)


@login_required
@require_POST
@never_cache
def endpoint_rotate(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    return _rotated(
        request,
        ws,
        pk,
        _endpoint_for,
        lambda actor, endpoint: services.endpoint_rotate(actor=actor, endpoint=endpoint),
        "webhooks:endpoint",
    )


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, endpoint = _endpoint_for(request, ws, pk)
    services.endpoint_delete(actor=membership, endpoint=endpoint)
    messages.success(request, _("Endpoint “%(name)s” removed.") % {"name": endpoint.name})
    return redirect("webhooks:list", ws=ws)
