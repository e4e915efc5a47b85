"""Home (pick a workspace), members, health."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mot import services
from mot.access import get_member_for
from mot.forms import InviteForm, RoleForm, WorkspaceForm
from mot.forms_utils import apply_service_errors
from mot.http import posted
from mot.models import Membership, Role
from mot.policy import Action, can, get_workspace_for
from mot.selectors import memberships_of, workspace_members


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Land in the only workspace, or pick one of several, or create the first."""
    memberships = list(memberships_of(request.user))
    form = WorkspaceForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.workspace_create(
                name=form.cleaned_data["name"], owner=request.user
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("journeys:list", ws=membership.workspace.slug)
    if len(memberships) == 1 and request.method == "GET" and "pick" not in request.GET:
        return redirect("journeys:list", ws=memberships[0].workspace.slug)
    return render(
        request,
        "home.html",
        {"memberships": memberships, "form": form},
        status=422 if form.errors else 200,
    )


def _members_page(
    request: HttpRequest,
    membership: Membership,
    *,
    invite_form: InviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    manage = can(membership, Action.MANAGE_MEMBERS, membership.workspace)
    if manage and invite_form is None:
        invite_form = InviteForm()
    return render(
        request,
        "mot/members.html",
        {
            "membership": membership,
            "members": workspace_members(membership=membership),
            "can_manage": manage,
            "invite_form": invite_form if manage else None,
            "roles": Role.choices,
        },
        status=status,
    )


def _members_invalid(
    request: HttpRequest, membership: Membership, errors: list[str]
) -> HttpResponse:
    """Role changes and removals post from the members table: errors re-render it with 422."""
    for error in errors:
        messages.error(request, error)
    return _members_page(request, membership, status=422)


@login_required
@require_GET
def member_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    return _members_page(request, membership)


@login_required
@require_POST
def member_invite(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_MEMBERS)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            member, invited = services.member_invite(
                actor=membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if invited:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": member.user.email},
                )
            else:
                messages.success(request, _("%(name)s added.") % {"name": member.display_name})
            return redirect("member_list", ws=ws)
    return _members_page(request, membership, invite_form=form, status=422)


@login_required
@require_POST
def member_role(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, member = get_member_for(request, ws, pk, Action.MANAGE_MEMBERS)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _members_invalid(request, membership, [_("Choose a role.")])
    try:
        services.member_change_role(actor=membership, member=member, role=form.cleaned_data["role"])
    except ValidationError as exc:
        return _members_invalid(request, membership, exc.messages)
    messages.success(request, _("Role of %(name)s saved.") % {"name": member.display_name})
    return redirect("member_list", ws=ws)


@login_required
@require_POST
def member_remove(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, member = get_member_for(request, ws, pk, Action.MANAGE_MEMBERS)
    try:
        services.member_remove(actor=membership, member=member)
    except ValidationError as exc:
        return _members_invalid(request, membership, exc.messages)
    messages.success(request, _("%(name)s removed.") % {"name": member.display_name})
    if member.user_id == request.user.pk:
        return redirect("home")
    return redirect("member_list", ws=ws)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
