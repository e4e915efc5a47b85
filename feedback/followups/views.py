"""The follow-up pages: My follow-ups, the team queue, one follow-up and its work, the rule.

A change posts a form. With htmx the follow-up's work panel (status, forms, timeline) comes
back in place, or, for a change made from a list (the form says which: ``row``), that list's
row; without JavaScript the post redirects to the follow-up's page, or back to the list. A
change someone else made first is not overwritten: the author gets the follow-up as it is now
and a message (409 for a plain post; htmx swaps the panel or row, so it answers 200 with the
message in it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.access import get_followup_for
from feedback.followups import selectors, services
from feedback.followups.forms import (
    AssignForm,
    ListFilterForm,
    NoteForm,
    SettingsForm,
    StatusForm,
    TeamFilterForm,
)
from feedback.followups.models import FollowUp, FollowUpSettings
from feedback.followups.rows import RowRenderer
from feedback.followups.services import FollowUpConflict
from mot.forms_utils import apply_service_errors
from mot.http import carried_query, posted, wants_partial
from mot.models import Membership
from mot.policy import Action, can, get_workspace_for
from mot.selectors import workspace_members

LIST_LIMIT = 500  # follow-ups on one page of My follow-ups
TEAM_LIMIT = 200  # and of the team queue, whose rows each carry a reassignment form
CARRIED_KEYS = ("status", "overdue", "scope")
MINE, TEAM = "mine", "team"  # the list a row belongs to (posted with a change made from it)


def _prepare_rows(membership: Membership, rows: list[selectors.Row]) -> list[selectors.Row]:
    """What each row offers its viewer, through the policy: the status form to those who may
    act on that follow-up, the reassignment form to those who may reassign it."""
    for row in rows:
        row.can_act = can(membership, Action.ACT_ON_TOUCHPOINT, row)
        row.can_reassign = can(membership, Action.REASSIGN_FOLLOWUP, row)
        row.next_statuses = selectors.next_statuses(row.status)
    return rows


def _renderer(
    request: HttpRequest, membership: Membership, kind: str, members: list[Membership]
) -> RowRenderer:
    return RowRenderer(
        ws=membership.workspace.slug, kind=kind, csrf_token=get_token(request), members=members
    )


@login_required
@require_GET
def followup_list(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.VIEW)
    filter_form = ListFilterForm(request.GET or None)
    filters = filter_form.filters()
    rows = selectors.followups_for_list(
        membership=membership, filters=filters, limit=LIST_LIMIT + 1
    )
    return _list_response(
        request,
        "feedback/followups/list.html",
        {
            "membership": membership,
            "filter_form": filter_form,
            "filters": filters,
            "followups": rows[:LIST_LIMIT],
            "rows_html": _renderer(request, membership, MINE, []).render_many(
                _prepare_rows(membership, rows[:LIST_LIMIT])
            ),
            "more": len(rows) > LIST_LIMIT,
            "query": carried_query(request.GET, CARRIED_KEYS, max_length=20),
            "can_configure": can(membership, Action.CONFIGURE_FOLLOWUPS, membership.workspace),
            "can_read_team": can(membership, Action.READ_TEAM_FOLLOWUPS, membership.workspace),
        },
    )


def _list_response(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A list page, or for htmx (a filter changed) its results alone."""
    name = f"{template}#results" if wants_partial(request) else template
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def followup_team(request: HttpRequest, ws: str) -> HttpResponse:
    """The team queue: every follow-up of the workspace, by assignee and touchpoint."""
    membership = get_workspace_for(request, ws, Action.READ_TEAM_FOLLOWUPS)
    workspace_id = membership.workspace_id
    members = list(workspace_members(membership=membership))
    filter_form = TeamFilterForm(request.GET or None, members=members)
    filters = filter_form.filters()
    rows = selectors.team_followups(
        workspace_id=workspace_id, filters=filters, limit=TEAM_LIMIT + 1
    )
    context = {
        "membership": membership,
        "filter_form": filter_form,
        "filters": filters,
        "followups": rows[:TEAM_LIMIT],
        "rows_html": _renderer(request, membership, TEAM, members).render_many(
            _prepare_rows(membership, rows[:TEAM_LIMIT])
        ),
        "more": len(rows) > TEAM_LIMIT,
        "limit": TEAM_LIMIT,
        "unassigned": selectors.UNASSIGNED,
    }
    # The touchpoint filter's name comes from the counted touchpoints (no query of its own).
    counts = selectors.owner_counts(workspace_id=workspace_id)
    touchpoints = selectors.touchpoint_counts(workspace_id=workspace_id)
    context["by_owner"] = [(None, counts.get(None)), *((m, counts.get(m.pk)) for m in members)]
    context["touchpoints"] = touchpoints
    context["touchpoint_name"] = next(
        (t for t in touchpoints if t.touchpoint_id == filters.touchpoint), None
    )
    return _list_response(request, "feedback/followups/team.html", context)


def _work_context(
    membership: Membership,
    followup: FollowUp,
    *,
    status_form: StatusForm | None = None,
    note_form: NoteForm | None = None,
    assign_form: AssignForm | None = None,
    conflict: str = "",
) -> dict:
    can_act = can(membership, Action.ACT_ON_TOUCHPOINT, followup)
    can_reassign = can(membership, Action.REASSIGN_FOLLOWUP, followup)
    members = list(workspace_members(membership=membership)) if can_reassign else []
    return {
        "membership": membership,
        "followup": followup,
        "answer": followup.response,
        "events": selectors.followup_timeline(followup=followup),
        "can_act": can_act,
        "can_reassign": can_reassign,
        "next_statuses": selectors.next_statuses(followup.status),
        "status_form": status_form or StatusForm(initial={"version": followup.version}),
        "note_form": note_form or NoteForm(),
        "assign_form": assign_form
        or AssignForm(
            initial={"assignee": followup.assignee_id, "version": followup.version},
            members=members,
        ),
        "conflict": conflict,
    }


@login_required
@require_GET
def followup_detail(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, followup = get_followup_for(request, ws, pk, Action.VIEW)
    context = _work_context(membership, followup)
    _add_customer(context, followup)
    return render(request, "feedback/followups/detail.html", context)


def _add_customer(context: dict, followup: FollowUp) -> None:
    context["other_answers"] = selectors.customer_other_answers(followup=followup)
    context["activities"] = selectors.customer_activities(followup=followup)


def _row_kind(request: HttpRequest) -> str:
    """The list a change was made from ("" for the follow-up's page)."""
    kind = request.POST.get("row", "")
    return kind if kind in (MINE, TEAM) else ""


def _row(
    request: HttpRequest, membership: Membership, followup: FollowUp, kind: str, *,
    message: str = "", errors: list[str] | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    """The follow-up's list row drawn again, its first control focused: the keyboard stays on
    the row that changed."""
    members = list(workspace_members(membership=membership)) if kind == TEAM else []
    (row,) = _prepare_rows(membership, [selectors.Row.of(followup)])
    html = _renderer(request, membership, kind, members).render(
        row, message=message, errors=errors or [], autofocus=True
    )
    return HttpResponse(html, status=status)


def _answer(
    request: HttpRequest, ws: str, membership: Membership, followup: FollowUp, *,
    done: str = "", status: int = 200, **forms_and_conflict,
) -> HttpResponse:  # fmt: skip
    """After a change: the work panel (or the list's row) for htmx, else a redirect (done) or
    the page again."""
    kind = _row_kind(request)
    if done and not wants_partial(request):
        messages.success(request, done)
        if kind:
            return redirect("followups:team" if kind == TEAM else "followups:list", ws=ws)
        return redirect("followups:detail", ws=ws, pk=followup.pk)
    # htmx swaps only 2xx and 422: a conflict still shows its message in the panel or row.
    code = 200 if status == 409 else status
    if kind and wants_partial(request):
        form = next((f for f in forms_and_conflict.values() if hasattr(f, "errors")), None)
        errors = [str(e) for errs in form.errors.values() for e in errs] if form else []
        message = forms_and_conflict.get("conflict", "")
        return _row(
            request, membership, followup, kind, message=message, errors=errors, status=code
        )
    context = _work_context(membership, followup, **forms_and_conflict)
    if wants_partial(request):
        return render(request, "feedback/followups/detail.html#work", context, status=code)
    _add_customer(context, followup)
    return render(request, "feedback/followups/detail.html", context, status=status)


def _conflict(request: HttpRequest, ws: str, membership: Membership, pk: int) -> HttpResponse:
    # Read again: the page must show what the other person did.
    _membership, fresh = get_followup_for(request, ws, pk, Action.VIEW)
    return _answer(
        request, ws, membership, fresh, status=409, conflict=str(FollowUpConflict().message)
    )


@login_required
@require_POST
def followup_status(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, followup = get_followup_for(request, ws, pk, Action.ACT_ON_TOUCHPOINT)
    form = StatusForm(posted(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.followup_set_status(
                actor=membership,
                followup=followup,
                status=data["status"],
                version=data["version"],
                root_cause=data["root_cause"],
            )
        except FollowUpConflict:
            return _conflict(request, ws, membership, pk)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _answer(request, ws, membership, followup, done=_("Follow-up updated."))
    return _answer(request, ws, membership, followup, status=422, status_form=form)


@login_required
@require_POST
def followup_note(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, followup = get_followup_for(request, ws, pk, Action.ACT_ON_TOUCHPOINT)
    form = NoteForm(posted(request))
    if form.is_valid():
        try:
            services.followup_add_note(
                actor=membership, followup=followup, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _answer(request, ws, membership, followup, done=_("Note added."))
    return _answer(request, ws, membership, followup, status=422, note_form=form)


@login_required
@require_POST
def followup_assign(request: HttpRequest, ws: str, pk: int) -> HttpResponse:
    membership, followup = get_followup_for(request, ws, pk, Action.REASSIGN_FOLLOWUP)
    members = list(workspace_members(membership=membership))
    form = AssignForm(posted(request), members=members)
    if form.is_valid():
        chosen = form.cleaned_data["assignee"]
        assignee = next((m for m in members if chosen is not None and m.pk == chosen.pk), None)
        try:
            services.followup_reassign(
                actor=membership,
                followup=followup,
                assignee=assignee,
                version=form.cleaned_data["version"],
            )
        except FollowUpConflict:
            return _conflict(request, ws, membership, pk)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _answer(request, ws, membership, followup, done=_("Follow-up reassigned."))
    return _answer(request, ws, membership, followup, status=422, assign_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def followup_settings(request: HttpRequest, ws: str) -> HttpResponse:
    membership = get_workspace_for(request, ws, Action.CONFIGURE_FOLLOWUPS)
    workspace = membership.workspace
    current = FollowUpSettings.objects.filter(workspace=workspace).first() or FollowUpSettings(
        workspace=workspace
    )
    form = SettingsForm(posted(request), instance=current, workspace_id=workspace.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_settings_update(
                actor=membership, workspace=workspace, values=form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Follow-up rule saved. It applies to answers from now on."))
            return redirect("followups:settings", ws=ws)
    return render(
        request,
        "feedback/followups/settings.html",
        {"membership": membership, "form": form},
        status=422 if form.errors else 200,
    )
