"""Survey link pages for editors, and the public survey page customers answer on their phone."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from feedback.access import get_survey_link_for
from feedback.models import Source
from feedback.services import RATINGS, AnswerIn, responses_ingest
from feedback.surveys import services
from feedback.surveys.forms import SurveyForm, SurveyLinkForm
from feedback.surveys.selectors import PublicLink, public_link
from journeys.access import get_touchpoint_for
from mot.language import activate, supported, survey_language
from mot.policy import Action

# --- editors ---------------------------------------------------------------------------------


@login_required
@require_GET
def survey_links(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.MANAGE_SURVEYS)
    links = [
        (link, request.build_absolute_uri(reverse("survey", kwargs={"token": link.token})))
        for link in tp.survey_links.order_by("-created_at", "-pk")
    ]
    return render(
        request,
        "feedback/surveys/links.html",
        {
            "membership": membership,
            "touchpoint": tp,
            "journey": tp.journey,
            "links": links,
            "form": SurveyLinkForm(initial={"language": membership.workspace.default_language}),
        },
    )


@login_required
@require_POST
def survey_link_new(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.MANAGE_SURVEYS)
    form = SurveyLinkForm(request.POST)
    # A choice that is not offered (a stale form) gets the workspace's default, as no choice.
    chosen = form.cleaned_data["language"] if form.is_valid() else None
    services.survey_link_create(actor=membership, touchpoint=tp, language=chosen)
    messages.success(request, _("Survey link created."))
    return redirect("feedback:survey_links", ws=ws, pk=tp.pk)


@login_required
@require_http_methods(["GET", "POST"])
def survey_link_revoke(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """GET asks to confirm (a revoke cannot be undone: shared copies stop working); POST revokes."""
    membership, link = get_survey_link_for(request, ws, pk, Action.MANAGE_SURVEYS)
    if request.method == "POST":
        services.survey_link_revoke(actor=membership, link=link)
        messages.success(request, _("Survey link revoked: it no longer accepts answers."))
        return redirect("feedback:survey_links", ws=ws, pk=link.touchpoint_id)
    if link.revoked_at is not None:
        return redirect("feedback:survey_links", ws=ws, pk=link.touchpoint_id)
    url = request.build_absolute_uri(reverse("survey", kwargs={"token": link.token}))
    return render(
        request,
        "feedback/surveys/confirm_revoke.html",
        {"membership": membership, "link": link, "url": url, "touchpoint": link.touchpoint},
    )


# --- public ----------------------------------------------------------------------------------


def _survey_rate(group: str, request: HttpRequest) -> str:
    # Read per request so deployments (and tests) can change it without re-importing views.
    return getattr(settings, "SURVEY_RATE_LIMIT", "20/m")


def _inactive(request: HttpRequest, *, status: int) -> HttpResponse:
    return render(
        request, "feedback/surveys/inactive.html", {"revoked": status == 410}, status=status
    )


def _submission(value: str | None) -> str:
    """The form's idempotency token: the one the page carried (through a language switch), or
    a new one."""
    try:
        return str(uuid.UUID(value or "", version=4))
    except ValueError:
        return str(uuid.uuid4())


def _switch(current: str, **keep: str) -> list[dict]:
    """The page's language switch: a link per language, keeping what the page carries (the
    customer, the answer's token), so switching never loses or duplicates an answer."""
    return [
        {
            "code": code,
            "name": name,
            "current": code == current,
            "query": urlencode({"lang": code, **{k: v for k, v in keep.items() if v}}),
        }
        for code, name in settings.LANGUAGES
    ]


def _language(request: HttpRequest, link: PublicLink) -> str:
    lang = survey_language(
        request,
        chosen=request.GET.get("lang"),
        fixed=link.language,
        workspace_default=link.workspace_language,
    )
    activate(request, lang)
    return lang


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_survey_rate, method="POST", block=False, group="survey")
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    link = public_link(token)
    if link is None:
        return _inactive(request, status=404)
    lang = _language(request, link)
    if link.revoked:
        return _inactive(request, status=410)
    if request.method == "POST" and getattr(request, "limited", False):
        return render(request, "feedback/surveys/limited.html", status=429)

    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            answer = AnswerIn(
                touchpoint_id=link.touchpoint_id,
                external_id=data["submission"],
                submitted_at=timezone.now(),
                nps=data["nps"],
                csat=data["csat"],
                comment=data["comment"],
                # The language the customer read the survey in, as they answered it.
                language=lang,
                customer=data["customer"],
                contact=data["contact"],
                **{name: data[name] for name in RATINGS},
            )
            try:
                responses_ingest(
                    workspace_id=link.workspace_id,
                    source=Source.SURVEY_LINK,
                    answers=[answer],
                    rule=link.rule,
                    # The link names its one touchpoint, of its own workspace.
                    touchpoints={link.touchpoint_id: link.touchpoint},
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                thanks = reverse("survey_thanks", kwargs={"token": link.token})
                # The thanks page finds the same language again, but for the visitor's own
                # choice on the page, which it carries.
                chosen = supported(request.GET.get("lang"))
                return redirect(f"{thanks}?{urlencode({'lang': chosen})}" if chosen else thanks)
        customer, submission = form.data.get("customer", ""), form.data.get("submission", "")
    else:
        customer = request.GET.get("c", "")[:200]
        submission = _submission(request.GET.get("t"))
        form = SurveyForm(initial={"customer": customer, "submission": submission})
    return render(
        request,
        "feedback/surveys/survey.html",
        {
            "link": link,
            "title": link.title,
            "form": form,
            "languages": _switch(lang, c=customer[:200], t=submission[:64]),
        },
        status=422 if form.errors else 200,
    )


@require_GET
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = public_link(token)
    if link is None:
        return _inactive(request, status=404)
    lang = _language(request, link)
    return render(request, "feedback/surveys/thanks.html", {"languages": _switch(lang)})
