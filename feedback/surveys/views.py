"""Survey link pages for editors, and the public survey page customers answer on their phone."""

from __future__ import annotations

import dataclasses
import re
import uuid

from csp.constants import SELF
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate

from feedback.access import get_survey_link_for
from feedback.hooks import events
from feedback.models import Source, SurveyBranding, SurveyLink
from feedback.services import RATINGS, AnswerIn, IngestResult, responses_ingest
from feedback.surveys import services
from feedback.surveys.config import survey_of
from feedback.surveys.editor import BrandingForm, SurveyEditorForm
from feedback.surveys.forms import InvitedForm, SurveyForm, SurveyLinkForm, plainly_valid
from feedback.surveys.qr import qr_code
from feedback.surveys.selectors import PublicLink, public_link
from journeys.access import get_touchpoint_for
from journeys.models import Touchpoint
from mot.cache import count
from mot.http import rate_limit_client
from mot.language import activate, supported, survey_language
from mot.policy import Action, get_workspace_for

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
@require_POST
def survey_link_invited(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """Set how many customers were sent the link (empty: unknown)."""
    membership, link = get_survey_link_for(request, ws, pk, Action.MANAGE_SURVEYS)
    form = InvitedForm(request.POST)
    if form.is_valid():
        services.survey_link_set_invited(
            actor=membership, link=link, invited=form.cleaned_data["invited"]
        )
        messages.success(request, _("Number invited saved."))
    else:
        messages.error(request, _("The number invited must be a whole number, 0 or more."))
    return redirect("feedback:survey_links", ws=ws, pk=link.touchpoint_id)


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


def _public_url(request: HttpRequest, link: SurveyLink) -> str:
    return request.build_absolute_uri(reverse("survey", kwargs={"token": link.token}))


@login_required
@require_GET
def surveys(request: HttpRequest, ws: str) -> HttpResponse:
    """Every survey link of the workspace (or of one touchpoint, ?touchpoint=), with its
    numbers, copy button, QR code and embed snippet; and the workspace's logo and colour."""
    membership = get_workspace_for(request, ws, Action.MANAGE_SURVEYS)
    links = SurveyLink.objects.filter(
        touchpoint__journey__workspace_id=membership.workspace_id
    ).select_related("touchpoint__journey")
    touchpoint = None
    if (chosen := request.GET.get("touchpoint", "")).isdigit() and len(chosen) < 10:
        touchpoint = (
            Touchpoint.objects.filter(pk=int(chosen), journey__workspace_id=membership.workspace_id)
            .select_related("journey")
            .first()
        )
        links = links.filter(touchpoint=touchpoint)
    branding = SurveyBranding.objects.filter(workspace_id=membership.workspace_id).first()
    return render(
        request,
        "feedback/surveys/surveys.html",
        {
            "membership": membership,
            "touchpoint": touchpoint,
            "links": [
                (link, _public_url(request, link))
                for link in links.order_by(
                    "touchpoint__journey__name", "touchpoint__title", "-created_at", "-pk"
                )
            ],
            "branding": branding,
            "branding_form": BrandingForm(initial={"accent": branding.accent if branding else ""}),
        },
    )


@login_required
@require_POST
def surveys_branding(request: HttpRequest, ws: str) -> HttpResponse:
    """Save the workspace's survey logo and accent colour."""
    membership = get_workspace_for(request, ws, Action.MANAGE_SURVEYS)
    form = BrandingForm(request.POST, request.FILES)
    if form.is_valid():
        services.branding_set(
            actor=membership,
            logo=form.cleaned_data["logo"],
            remove_logo=form.cleaned_data["remove_logo"],
            accent=form.cleaned_data["accent"],
        )
        messages.success(request, _("The surveys' logo and colour are saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("feedback:surveys", ws=ws)


@login_required
@require_http_methods(["GET", "POST"])
def survey_link_edit(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """The survey editor: what the link's survey asks and says, with its preview."""
    membership, link = get_survey_link_for(request, ws, pk, Action.MANAGE_SURVEYS)
    form = SurveyEditorForm.for_link(link, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.survey_link_configure(
            actor=membership,
            link=link,
            config=form.config(),
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Survey saved."))
        return redirect("feedback:survey_link_edit", ws=ws, pk=link.pk)
    preview = reverse("feedback:survey_link_preview", kwargs={"ws": ws, "pk": link.pk})
    return render(
        request,
        "feedback/surveys/editor.html",
        {
            "membership": membership,
            "link": link,
            "touchpoint": link.touchpoint,
            "form": form,
            "url": _public_url(request, link),
            "preview_url": preview,
            "preview_edits_url": reverse(
                "feedback:survey_link_preview_edits", kwargs={"ws": ws, "pk": link.pk}
            ),
            "language_names": settings.LANGUAGES,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
@xframe_options_sameorigin
def survey_link_preview(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """The link's survey as customers see it, saved settings and all, for the editor's preview
    frames: framed by MOT's own pages only, and its form stores nothing (no submit)."""
    _membership, link = get_survey_link_for(request, ws, pk, Action.MANAGE_SURVEYS)
    public = public_link(link.token)
    if public is None:
        raise Http404
    lang = _language(request, public)
    form = SurveyForm(survey=public.survey, language=lang)
    response = _survey_response(request, public, form, lang, languages=_switch(lang), preview=True)
    response._csp_replace = {"frame-ancestors": [SELF]}
    return response


@login_required
@require_POST
def survey_link_preview_edits(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    """The editor's preview of its unsaved edits (htmx posts the editor's form as it changes):
    the public survey rendered from the form, never saved, into the preview's frames (srcdoc),
    or the form's errors in their place. Writes nothing: no config, no open counted."""
    _membership, link = get_survey_link_for(request, ws, pk, Action.MANAGE_SURVEYS)
    form = SurveyEditorForm.for_link(link, request.POST)
    if not form.is_valid():
        # 422, which base.html's htmx config swaps in like a 200.
        return render(
            request,
            "feedback/surveys/editor.html#preview",
            {"preview_errors": form.described_errors()},
            status=422,
        )
    public = public_link(link.token)
    if public is None:
        raise Http404
    draft = dataclasses.replace(
        public, survey=survey_of(form.config()), language=form.cleaned_data["language"]
    )
    # The survey in its own language; the editor's page around it stays in the member's.
    lang = survey_language(
        request,
        chosen=request.POST.get("preview_language"),
        fixed=draft.language,
        workspace_default=draft.workspace_language,
    )
    with translation.override(lang):
        # No language switch ([]): its links would leave the frame's document.
        srcdoc = render_to_string(
            "feedback/surveys/survey.html",
            _survey_context(draft, SurveyForm(survey=draft.survey, language=lang), lang, [], True),
            request=request,
        )
    return render(request, "feedback/surveys/editor.html#preview", {"srcdoc": srcdoc})


@login_required
@require_GET
def survey_link_qr(request: HttpRequest, ws: str, pk: int, kind: str) -> HttpResponse:
    """The link's QR code, as a PNG or an SVG download."""
    _membership, link = get_survey_link_for(request, ws, pk, Action.MANAGE_SURVEYS)
    content, content_type = qr_code(_public_url(request, link), kind)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="survey-{link.pk}.{kind}"'
    return response


# --- public ----------------------------------------------------------------------------------


def _limited(request: HttpRequest) -> bool:
    """Count this post against its client's budget, ``SURVEY_RATE_LIMIT`` posts per period:
    whether it is over. django-ratelimit's keys and windows (its decorator did this before),
    counted in one cache round trip instead of its two. Without the cache (Redis down) the
    post is let through rather than refused (RATELIMIT_FAIL_OPEN: the answer matters more).
    django-ratelimit's helpers are private: tests/feedback/surveys pin the keys they make."""
    # Read per request so deployments (and tests) can change it without re-importing views.
    rate = getattr(settings, "SURVEY_RATE_LIMIT", "20/m")
    limit, period = _split_rate(rate)
    client = rate_limit_client(request)
    key = _make_cache_key("survey", _get_window(client, period), rate, client, "POST")
    posts = count(cache, key, period + EXPIRATION_FUDGE)
    if posts is None:
        return not getattr(settings, "RATELIMIT_FAIL_OPEN", False)
    return posts > limit


def _inactive(request: HttpRequest, *, status: int) -> HttpResponse:
    return render(
        request, "feedback/surveys/inactive.html", {"revoked": status == 410}, status=status
    )


def _submission(value: str | None) -> str:
    """The form's idempotency token: the one the page carried (through a language switch), or
    a new one."""
    return _submission_id(value or "") or str(uuid.uuid4())


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


def _store_answer(link: PublicLink, data: dict, language: str) -> IngestResult:
    answer = AnswerIn(
        touchpoint_id=link.touchpoint_id,
        external_id=data["submission"],
        submitted_at=timezone.now(),
        nps=data["nps"],
        csat=data["csat"],
        comment=data["comment"],
        # The language the customer read the survey in, as they answered it.
        language=language,
        customer=data["customer"],
        contact=data["contact"],
        ces=data["ces"],
        **{name: data[name] for name in RATINGS},
    )
    return responses_ingest(
        workspace_id=link.workspace_id,
        source=Source.SURVEY_LINK,
        answers=[answer],
        rule=link.rule,
        # The link names its one touchpoint, of its own workspace.
        touchpoints={link.touchpoint_id: link.touchpoint},
    )


_CSRF = CsrfViewMiddleware(lambda request: None)


def _csrf_refused(request: HttpRequest, link: PublicLink) -> HttpResponse | None:
    """Django's CSRF check of a survey post (the CSRF middleware's own, run here), but for a
    link its editor lets other sites frame: in a frame on another site the browser sends no
    CSRF cookie (SameSite), so there a post is accepted when its Origin header is MOT's own
    (the form's page is MOT's, inside the frame), which another site's page cannot forge."""
    if (
        link.survey.frame_origins
        and "HTTP_ORIGIN" in request.META
        and _CSRF._origin_verified(request)
    ):
        return None
    return _CSRF.process_view(request, None, (), {})


@csrf_exempt  # checked by _csrf_refused once the link is known
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    # Every post counts, to a link that exists or not.
    limited = request.method == "POST" and _limited(request)
    link = public_link(token)
    if link is None:
        return _inactive(request, status=404)
    if request.method == "POST" and (refused := _csrf_refused(request, link)) is not None:
        return refused
    lang = _language(request, link)
    if link.revoked:
        return _inactive(request, status=410)
    if limited:
        return render(request, "feedback/surveys/limited.html", status=429)

    if request.method == "POST":
        # Most posts are valid: they skip building the form, which judges the others.
        survey = link.survey
        data, form = plainly_valid(request.POST, survey), None
        if data is None:
            form = SurveyForm(request.POST, survey=survey, language=lang)
            data = form.cleaned_data if form.is_valid() else None
        if data is not None:
            try:
                result = _store_answer(link, data, lang)
            except ValidationError as exc:
                form = form or SurveyForm(request.POST, survey=survey, language=lang)
                form.is_valid()
                form.add_error(None, exc)
            else:
                # Neither a query nor a cache read when the workspace has no webhook.
                events.answers_stored(
                    workspace_id=link.workspace_id,
                    ids=result.created_ids,
                    has_webhooks=link.has_webhooks,
                )
                # The thanks page counts the submission (the link's response rate) and finds
                # the same language again, but for the visitor's own choice on the page, which
                # it carries.
                query = {"s": data["submission"]}
                if chosen := supported(request.GET.get("lang")):
                    query["lang"] = chosen
                # The thanks page is "thanks/" under this page's own URL (public_urls): no
                # reverse() on the busiest path. Not redirect(): it first tries the URL as a
                # view name, a failed reverse().
                return HttpResponseRedirect(f"{request.path}thanks/?{urlencode(query)}")
        customer, submission = form.data.get("customer", ""), form.data.get("submission", "")
    else:
        services.count_open(link.token)
        customer = request.GET.get("c", "")[:200]
        submission = _submission(request.GET.get("t"))
        form = SurveyForm(
            initial={"customer": customer, "submission": submission},
            survey=link.survey,
            language=lang,
        )
    return _survey_response(
        request,
        link,
        form,
        lang,
        languages=_switch(lang, c=customer[:200], t=submission[:64]),
        status=422 if form.errors else 200,
    )


def _branding(link: PublicLink) -> dict:
    """The workspace's logo and accent colour on its survey pages."""
    return {
        "logo_url": (
            reverse("survey_logo", kwargs={"token": link.token, "digest": link.logo_hash})
            if link.logo_hash
            else ""
        ),
        "accent": link.accent,
    }


def _survey_response(
    request: HttpRequest,
    link: PublicLink,
    form: SurveyForm,
    lang: str,
    *,
    languages: list[dict],
    status: int = 200,
    preview: bool = False,
) -> HttpResponse:
    response = render(
        request,
        "feedback/surveys/survey.html",
        _survey_context(link, form, lang, languages, preview),
        status=status,
    )
    return response if preview else framed(response, link)


def _survey_context(
    link: PublicLink, form: SurveyForm, lang: str, languages: list[dict], preview: bool
) -> dict:
    survey = link.survey
    return {
        "title": survey.title(lang),
        "intro": survey.intro(lang),
        "form": form,
        "questions": form.questions(),
        "languages": languages,
        "preview": preview,
        **_branding(link),
    }


def framed(response: HttpResponse, link: PublicLink) -> HttpResponse:
    """Let the origins the link's editor listed frame its survey (the embed snippet); every
    other page of MOT keeps ``frame-ancestors 'none'`` (mot.settings)."""
    origins = link.survey.frame_origins
    if origins:
        response._csp_replace = {"frame-ancestors": list(origins)}  # django-csp's per-response
        response.xframe_options_exempt = True  # the CSP says who may frame it instead
    return response


@require_GET
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = public_link(token)
    if link is None:
        return _inactive(request, status=404)
    lang = _language(request, link)
    submission = _submission_id(request.GET.get("s", ""))
    if submission:
        services.count_submission(
            token=link.token,
            workspace_id=link.workspace_id,
            touchpoint_id=link.touchpoint_id,
            submission=submission,
        )
    survey = link.survey
    return framed(
        render(
            request,
            "feedback/surveys/thanks.html",
            {
                "languages": _switch(lang),
                "thanks": survey.thanks_text(lang),
                "thanks_url": survey.thanks_url,
                **_branding(link),
            },
        ),
        link,
    )


_COLOUR = re.compile(r"[0-9a-f]{6}")


@require_GET
def survey_accent(request: HttpRequest, colour: str) -> HttpResponse:
    """The survey's accent colour as a stylesheet: its URL is the colour (six lowercase hex
    digits, else 404), so it needs no query and may be cached for good."""
    if not _COLOUR.fullmatch(colour):
        raise Http404
    response = HttpResponse(f":root{{--accent:#{colour}}}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_GET
def survey_logo(request: HttpRequest, token: str, digest: str) -> HttpResponse:
    """The workspace's logo on its survey pages. Its URL names its hash: a new logo is a new
    URL, so this one may be cached for good."""
    logo = services.logo_of(token=token, digest=digest)
    if logo is None:
        raise Http404
    content, content_type = logo
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _submission_id(value: str) -> str:
    """The submission id as the survey form stores it (a version-4 UUID), or "" if it is not."""
    try:
        return str(uuid.UUID(value[:64], version=4))
    except ValueError:
        return ""
