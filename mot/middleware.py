"""Every request's text goes through :func:`mot.validation.text_problem` before a view sees it;
a request with a NUL, a lone surrogate or bytes that are not UTF-8 anywhere is answered 422,
naming each bad field (the API's JSON error format under /api/, a page elsewhere).

Where each input is checked:

- the cookies Django reads (session, CSRF, language) and the query string: on the way in,
  before the URL is even resolved, so neither a view nor the 404 page (whose menu reads the
  session, i.e. looks the session cookie up in the database) meets them;
- path parameters (``<str:token>``…): once the URL is resolved;
- a JSON body, whatever its Content-Type (django-ninja reads any body as JSON): each string,
  object keys included;
- an urlencoded body: its raw pairs, read like the query string;
- a multipart body: its fields and file names once parsed (file contents are the business of
  the import that reads them). Parsing is left to whoever reads ``request.POST`` first: the CSRF
  check, or a view that installs an upload handler beforehand (the answer import caps file size
  that way), so the check runs as part of that parse and its :class:`InputRefused` is answered
  by :meth:`process_exception`. Django decodes multipart text with replacement characters, so
  only NUL can arrive that way.

Listed after CsrfViewMiddleware: the CSRF check then parses a form post before
:meth:`process_view` runs, rather than meeting the deferred check outside any view.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict

from mot.http import wants_partial
from mot.validation import JsonPath, form_problems, json_problems, shown, text_problem

API_PREFIX = "/api/"  # where mot/urls.py mounts the JSON API
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    index: int | None = None  # the item of a JSON list (the API's batch), as the API counts


class InputRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _json_problem(path: JsonPath, message: str) -> Problem:
    # As the API reports its own errors: the item's index, and the innermost key.
    index = next((p for p in path if isinstance(p, int)), None)
    field = next((p for p in reversed(path) if isinstance(p, str)), None)
    return Problem(shown(field) if field is not None else None, message, index)


def _cookie_problems(request: HttpRequest) -> Iterable[Problem]:
    # The cookies Django reads for us; any other cookie of the domain is never read. A quoted
    # cookie value's octal escapes ("\000") decode to NUL, and the session key goes to the
    # database as it is.
    read = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)
    for name in read:
        if (value := request.COOKIES.get(name)) is not None and (problem := text_problem(value)):
            yield Problem(name, problem)


def _query_problems(request: HttpRequest) -> Iterable[Problem]:
    raw = request.META.get("QUERY_STRING", "")
    try:
        data = raw.encode("iso-8859-1")  # WSGI hands over the bytes as Latin-1 text
    except UnicodeEncodeError:
        data = raw.encode("utf-8", "surrogatepass")
    return (Problem(field, message) for field, message in form_problems(data))


def _path_problems(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterable[Problem]:
    named = [*((str(i), v) for i, v in enumerate(args)), *kwargs.items()]
    for name, value in named:
        if isinstance(value, str) and (problem := text_problem(value)):
            yield Problem(name, problem)


def _multipart_problems(request: HttpRequest) -> Iterable[Problem]:
    for name, values in request.POST.lists():
        for value in (name, *values):
            if problem := text_problem(value):
                yield Problem(shown(name), problem)
                break
    for name, files in request.FILES.lists():
        for upload in files:
            if problem := text_problem(name) or text_problem(upload.name or ""):
                yield Problem(shown(name), problem)
                break


def _check_when_parsed(request: HttpRequest) -> None:
    load = request._load_post_and_files

    def load_and_check() -> None:
        load()
        problems = list(_multipart_problems(request))[:MAX_LISTED]
        if problems:
            # Nothing of a refused form stays readable, whatever catches the exception.
            request._post, request._files = QueryDict(), MultiValueDict()
            raise InputRefused(problems)

    request._load_post_and_files = load_and_check


def _body_problems(request: HttpRequest) -> Iterable[Problem]:
    """The body's problems, or none yet when a multipart body is checked as it is parsed."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return ()
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        if "_post" in request.__dict__:  # parsed already, by the CSRF check
            return _multipart_problems(request)
        _check_when_parsed(request)
        return ()
    try:
        body = request.body
    except RequestDataTooBig:
        return ()  # refused by whatever reads it, as it would be without this check
    if not body:
        return ()
    if content_type == "application/x-www-form-urlencoded":
        return (Problem(field, message) for field, message in form_problems(body))
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return ()  # not JSON: nothing parses it as text, or the view refuses it as malformed
    return (_json_problem(path, message) for path, message in json_problems(document))


def refusal(request: HttpRequest, problems: list[Problem]) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX) or request.content_type == "application/json":
        errors = [{"index": p.index, "field": p.field, "message": p.message} for p in problems]
        return JsonResponse({"errors": errors}, status=422)
    # Rendered without the request: its session may be what is refused (a session cookie).
    htmx = wants_partial(request)
    html = render_to_string("422.html#refusal" if htmx else "422.html", {"problems": problems})
    response = HttpResponse(html, status=422)
    if htmx:  # show it in the page's main area, whatever the request meant to swap
        response["HX-Retarget"] = "#main"
        response["HX-Reswap"] = "innerHTML"
    return response


class InputCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookies = list(_cookie_problems(request))
        problems = [*cookies, *_query_problems(request)][:MAX_LISTED]
        if problems:
            response = refusal(request, problems)
            for problem in cookies:  # so that a browser recovers on its next request
                response.delete_cookie(problem.field)
            return response
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        problems = [*_path_problems(view_args, view_kwargs), *_body_problems(request)]
        return refusal(request, problems[:MAX_LISTED]) if problems else None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, InputRefused):
            return refusal(request, exception.problems)
        return None
