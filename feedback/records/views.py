"""The card's "Log a record" form: with htmx the card swaps for the form and back; without
JavaScript it is a page of its own that returns to the map."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback.records.forms import RecordForm
from feedback.records.services import record_log
from journeys.access import get_touchpoint_for
from journeys.map.responses import card_response, map_redirect
from mot.policy import Action

FRAGMENT = "feedback/records/card_form.html"
PAGE = "feedback/records/log.html"


@require_http_methods(["GET", "POST"])
def touchpoint_record(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, tp = get_touchpoint_for(request, ws, pk, Action.LOG_RECORD)
    template = FRAGMENT if request.htmx else PAGE
    # Ids of the card's own: the form sits on a map of many cards and other forms.
    ids = f"record-{tp.pk}-%s"
    if request.method == "GET":
        form = RecordForm(auto_id=ids)
    else:
        form = RecordForm(request.POST, auto_id=ids)
        if form.is_valid():
            data = form.cleaned_data
            result = record_log(actor=membership, touchpoint=tp, **data)
            if result.created:
                messages.success(
                    request,
                    _("The record was logged on “%(title)s”.") % {"title": tp.title},
                )
            if request.htmx:
                return card_response(request, membership, tp, focus="record")
            return map_redirect(ws, tp.journey_id, f"tp-{tp.pk}")
    context = {"membership": membership, "touchpoint": tp, "journey": tp.journey, "form": form}
    return render(request, template, context, status=422 if form.errors else 200)
