"""Find a customer, download its personal data, erase it: admins only (mot.policy
ERASE_CUSTOMER). The download and the erasure name the customer by its id in the URL, looked up
in the member's workspace only."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from feedback.access import get_customer_for
from feedback.gdpr import customer_erase, customer_export, customer_find, erasures_of
from mot.policy import Action, get_workspace_for


@login_required
@require_GET
def customer_search(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.ERASE_CUSTOMER)
    text = request.GET.get("q", "")[:254]
    response = render(
        request,
        "feedback/customers/search.html",
        {
            "membership": membership,
            "q": text,
            "found": customer_find(actor=membership, text=text),
            "erasures": erasures_of(actor=membership),
        },
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def customer_export_view(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, customer = get_customer_for(request, ws, pk, Action.ERASE_CUSTOMER)
    data = customer_export(actor=membership, customer=customer)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"mot-customer-{customer.pk}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def customer_erase_view(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, customer = get_customer_for(request, ws, pk, Action.ERASE_CUSTOMER)
    if request.method == "POST":
        erasure = customer_erase(actor=membership, customer=customer)
        messages.success(
            request,
            _("The customer's personal data is erased; its answers stay as “%(pseudonym)s”.")
            % {"pseudonym": erasure.pseudonym},
        )
        return redirect("customers:search", ws=ws)
    answers = customer.responses.count()
    response = render(
        request,
        "feedback/customers/erase.html",
        {"membership": membership, "customer": customer, "answers": answers},
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
