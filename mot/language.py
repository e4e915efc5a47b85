"""Which language a person reads MOT in.

- A signed-in member: the language stored on their profile, else the browser's (the language
  cookie, then Accept-Language), else English. The profile's language is copied into the
  session when they sign in or change it, so that :class:`MemberLanguageMiddleware` applies it
  without a query on every page (a change made on another device applies at the next sign-in).
- Anyone else: cookie, then Accept-Language, then English (Django's LocaleMiddleware).
- An e-mail: its recipient's profile language, else the workspace's default, else English
  (:func:`recipient_language`).
- The public survey has rules of its own (:func:`survey_language`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    language_code_re,
    parse_accept_lang_header,
)

SESSION_KEY = "mot_language"
# Paths whose language is not the member's: the public survey decides its own (survey_language),
# and the JSON API has no text to translate. Skipping them also keeps the session (a query)
# out of the survey's requests.
OWN_RULES = ("/s/", "/api/")


def supported(code: str | None) -> str | None:
    """``code`` as one of settings.LANGUAGES (``pt-BR`` → ``pt-br``), or None."""
    if not code or not isinstance(code, str) or not language_code_re.search(code):
        return None
    code = code.lower()
    return code if code in dict(settings.LANGUAGES) else None


def name_of(code: str | None) -> str:
    """A language's name in its own language, as settings.LANGUAGES writes it ("" for None)."""
    return dict(settings.LANGUAGES).get(code or "", "")


def browser_language(request: HttpRequest) -> str | None:
    """The cookie's language, else the first of Accept-Language MOT has; None when neither
    names one (where Django would fall back to English). Pure computation on the request."""
    if cookie := supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        return cookie
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        if not language_code_re.search(code):
            continue
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def profile_language(user) -> str:
    """The user's stored language ("" when they follow the browser or have no profile)."""
    from mot.models import Profile

    if not getattr(user, "is_authenticated", False):
        return ""
    try:
        return user.profile.language
    except Profile.DoesNotExist:
        return ""


def remember(request: HttpRequest, language: str) -> None:
    """Make ``language`` (or "" for the browser's) the signed-in member's from now on."""
    if language:
        request.session[SESSION_KEY] = language
    else:
        request.session.pop(SESSION_KEY, None)


def set_profile_language(user, language: str, *, only_if_blank: bool = False) -> str:
    """Store the user's language; with ``only_if_blank``, only when they have none yet.
    Returns the language they have afterwards."""
    from mot.models import Profile

    if language and language not in dict(settings.LANGUAGES):
        raise ValueError(f"not a language of settings.LANGUAGES: {language!r}")
    profile, _created = Profile.objects.get_or_create(user=user)
    if only_if_blank and profile.language:
        return profile.language
    if profile.language != language:
        profile.language = language
        profile.save(update_fields=["language"])
    return language


def recipient_language(user=None, workspace=None) -> str:
    """The language an e-mail to ``user`` is written in: theirs, else the workspace's default,
    else English. ``user`` may be None (an invitation to an address without an account)."""
    return (
        (profile_language(user) if user is not None else "")
        or supported(getattr(workspace, "default_language", None))
        or settings.LANGUAGE_CODE
    )


def survey_language(
    request: HttpRequest, *, chosen: str | None, fixed: str, workspace_default: str
) -> str:
    """The public survey's language: the one the visitor picked on the page (its language
    switch), else the link's fixed language, else the visitor's browser, else — their browser
    asks for none MOT has — the workspace's default. No query: everything is at hand."""
    return (
        supported(chosen)
        or supported(fixed)
        or browser_language(request)
        or supported(workspace_default)
        or settings.LANGUAGE_CODE
    )


def activate(request: HttpRequest, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = language


class MemberLanguageMiddleware:
    """Applies the signed-in member's own language before any view runs (after Django's
    LocaleMiddleware chose the browser's), so it wins over the cookie and Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.path_info.startswith(OWN_RULES)
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and (language := supported(request.session.get(SESSION_KEY)))
        ):
            activate(request, language)
        return self.get_response(request)


@receiver(user_logged_in)
def _language_on_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember(request, profile_language(user))
