"""A person's own settings (name, language), the header's language switch, and the workspace's
default language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_http_methods, require_POST

from mot import language
from mot.forms import ProfileForm, WorkspaceLanguageForm
from mot.http import posted
from mot.policy import Action, get_workspace_for
from mot.services import profile_update, workspace_language_update


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    stored = language.profile_language(user)
    form = ProfileForm(
        posted(request),
        initial={"first_name": user.first_name, "last_name": user.last_name, "language": stored},
    )
    if request.method == "POST" and form.is_valid():
        chosen = profile_update(user=user, **form.cleaned_data)
        language.remember(request, chosen)
        # The confirmation in the language just chosen (the browser's when they chose that).
        language.activate(request, chosen or language.browser_language(request) or "en")
        messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    return render(
        request,
        "mot/profile.html",
        {"form": form, "browser_language": language.name_of(language.browser_language(request))},
        status=422 if form.errors else 200,
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, the redirect back to ``next``); a signed-in member's
    choice is also stored on their profile, so it follows them to other devices and e-mails."""
    response = i18n.set_language(request)
    chosen = language.supported(request.POST.get("language"))
    if chosen and request.user.is_authenticated:
        language.set_profile_language(request.user, chosen)
        language.remember(request, chosen)
    return response


@login_required
@require_POST
def workspace_language(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.MANAGE_MEMBERS)
    form = WorkspaceLanguageForm(request.POST)
    if form.is_valid():
        workspace_language_update(actor=membership, language=form.cleaned_data["default_language"])
        messages.success(request, _("Default language saved."))
    else:
        messages.error(request, _("Choose one of the languages offered."))
    return redirect("member_list", ws=ws)
