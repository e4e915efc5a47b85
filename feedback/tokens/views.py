"""Admin pages for the workspace's API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from feedback.models import ApiToken
from feedback.tokens.forms import TokenForm
from feedback.tokens.services import api_token_create, api_token_revoke, api_tokens_of
from mot.forms_utils import apply_service_errors
from mot.models import Membership
from mot.policy import Action, get_workspace_for


def _page(
    request: HttpRequest, membership: Membership, form: TokenForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "feedback/tokens/list.html",
        {
            "membership": membership,
            "tokens": api_tokens_of(membership=membership),
            "form": form or TokenForm(),
        },
        status=status,
    )


@login_required
@require_GET
def token_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_TOKENS)
    return _page(request, membership)


@login_required
@require_POST
@never_cache
def token_new(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_TOKENS)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = api_token_create(actor=membership, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Rendered, not redirected: the raw token must not pass through a session message.
            return render(
                request,
                "feedback/tokens/created.html",
                {"membership": membership, "token": token, "raw": raw},
                status=201,
            )
    return _page(request, membership, form, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_TOKENS)
    try:
        token = ApiToken.objects.get(pk=pk, workspace_id=membership.workspace_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    api_token_revoke(actor=membership, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens:list", ws=ws)
