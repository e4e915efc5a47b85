"""The member's notifications (mark read, one or all) and their alert choices.

Marking read posts a form: with htmx the row (or the list) comes back in place with the header's
unread count swapped out of band; without JavaScript the post redirects to the list.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mot.access import get_notification_for
from mot.http import posted, wants_partial
from mot.models import Membership
from mot.notifications import selectors, services
from mot.notifications.forms import PageForm, PreferencesForm
from mot.notifications.models import Notification
from mot.notifications.texts import wording
from mot.policy import Action, get_workspace_for

PAGE_SIZE = 50
TEMPLATE = "mot/notifications.html"


def _unread(membership: Membership) -> int:
    return (
        Notification.objects.filter(recipient=membership, read_at__isnull=True)
        .order_by()[: selectors.UNREAD_CAP]
        .count()
    )


def _list_page(request: HttpRequest, membership: Membership, *, partial: bool) -> HttpResponse:
    page = PageForm(request.GET)
    before = page.cleaned_data["before"] if page.is_valid() else None
    rows = selectors.notifications_page(membership=membership, limit=PAGE_SIZE, before=before)
    return render(
        request,
        f"{TEMPLATE}#results" if partial else TEMPLATE,
        {
            "membership": membership,
            "rows": rows[:PAGE_SIZE],
            "next_before": rows[PAGE_SIZE - 1].notification.pk if len(rows) > PAGE_SIZE else None,
            "paged": before is not None,
            "oob_count": partial,
        },
    )


@login_required
@require_GET
def notification_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    return _list_page(request, membership, partial=False)


@login_required
@require_POST
def notification_read(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, notification = get_notification_for(request, ws, pk, Action.VIEW)
    services.notification_read(actor=membership, notification=notification)
    if not wants_partial(request):
        return redirect("notifications:list", ws=ws)
    notification.refresh_from_db(fields=["read_at"])
    membership.unread_notifications = _unread(membership)
    return render(
        request,
        f"{TEMPLATE}#row",
        {
            "membership": membership,
            "row": selectors.Row(notification, wording(notification.kind, notification.params)),
            "oob_count": True,
        },
    )


@login_required
@require_POST
def notification_read_all(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    services.notifications_read_all(actor=membership)
    membership.unread_notifications = 0
    if not wants_partial(request):
        messages.success(request, _("Every notification is marked read."))
        return redirect("notifications:list", ws=ws)
    return _list_page(request, membership, partial=True)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    form = PreferencesForm(posted(request), instance=services.preferences_of(membership))
    if request.method == "POST" and form.is_valid():
        services.preferences_save(actor=membership, choices=form.cleaned_data)
        messages.success(request, _("Your alert choices are saved."))
        return redirect("notifications:preferences", ws=ws)
    return render(
        request,
        "mot/alert_preferences.html",
        {"membership": membership, "form": form},
        status=422 if form.errors else 200,
    )
