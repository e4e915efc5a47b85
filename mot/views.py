"""Home (pick a workspace), members and invitations, health."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mot import language, services
from mot.access import get_invitation_for, get_member_for
from mot.forms import (
    InvitationSignupForm,
    InviteForm,
    RoleForm,
    WorkspaceForm,
    WorkspaceLanguageForm,
)
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
                name=form.cleaned_data["name"],
                owner=request.user,
                language=translation.get_language(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            language.remember(request, language.profile_language(request.user))
            return redirect("journeys:list", ws=membership.workspace.slug)
    waiting = [
        (invitation, reverse("invitation", kwargs={"token": services.invitation_token(invitation)}))
        for invitation in services.invitations_waiting_for(request.user)
    ]
    if (
        len(memberships) == 1
        and not waiting
        and request.method == "GET"
        and "pick" not in request.GET
    ):
        return redirect("journeys:list", ws=memberships[0].workspace.slug)
    return render(
        request,
        "home.html",
        {"memberships": memberships, "form": form, "invitations": waiting},
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
            "invitations": (
                services.open_invitations(workspace_id=membership.workspace_id) if manage else []
            ),
            "can_manage": manage,
            "invite_form": invite_form if manage else None,
            "language_form": (
                WorkspaceLanguageForm(
                    initial={"default_language": membership.workspace.default_language}
                )
                if manage
                else None
            ),
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
            invitation = services.member_invite(
                actor=membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # The same words whether or not the address has an account anywhere.
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
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


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, invitation = get_invitation_for(request, ws, pk, Action.MANAGE_MEMBERS)
    services.invitation_revoke(actor=membership, invitation=invitation)
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("member_list", ws=ws)


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """Where an invitation's link leads: accept (signing in, or creating the account the address
    does not have yet) or decline."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "mot/invitation_gone.html", status=410)
    account = services.account_for(invitation)
    user = request.user
    signed_in_as_invitee = account is not None and user.is_authenticated and user.pk == account.pk
    form = None
    if account is None:
        form = InvitationSignupForm(posted(request), email=invitation.email)
    if request.method == "POST":
        try:
            if account is None and form.is_valid():
                member = services.invitation_register(
                    invitation=invitation,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
                auth_login(request, member.user, backend=settings.AUTHENTICATION_BACKENDS[-1])
                return redirect("journeys:list", ws=invitation.workspace.slug)
            if signed_in_as_invitee and request.POST.get("decision") == "decline":
                services.invitation_decline(invitation=invitation, user=user)
                messages.info(
                    request,
                    _("You declined the invitation to %(workspace)s.")
                    % {"workspace": invitation.workspace.name},
                )
                return redirect("home")
            if signed_in_as_invitee:
                services.invitation_accept(invitation=invitation, user=user)
                language.remember(request, language.profile_language(user))
                return redirect("journeys:list", ws=invitation.workspace.slug)
        except ValidationError as exc:
            if form is not None:
                apply_service_errors(form, exc)
            else:
                for error in exc.messages:
                    messages.error(request, error)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "mot/invitation.html",
        {
            "invitation": invitation,
            "has_account": account is not None,
            "signed_in_as_invitee": signed_in_as_invitee,
            "form": form,
            "login_url": f"{reverse('login')}?{urlencode({'next': request.path})}",
        },
        status=status,
    )


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
