"""The intakes' body cap: a body over ``WEBHOOKS_MAX_BODY_BYTES`` sent to /hooks/ is refused
(413) from its Content-Length, before anything reads or parses it (the input check reads every
body as JSON; Django's own cap is megabytes, for file imports)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

HOOKS_PREFIX = "/hooks/"  # where mot/urls.py mounts the intakes


class IntakeBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(HOOKS_PREFIX):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > settings.WEBHOOKS_MAX_BODY_BYTES:
                return JsonResponse({"outcome": "invalid", "reason": "body too large"}, status=413)
        return self.get_response(request)
