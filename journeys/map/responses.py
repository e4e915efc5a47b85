"""What the map's views answer: the whole page (templates/journeys/map.html), with an inline
form's errors as messages when it refused the input (``map_invalid``, status 422), or a redirect
back to it without JavaScript (``map_redirect``); with htmx, the fragments that changed, each with
the page's messages swapped out-of-band into the live region (so saves and errors are announced).

A fragment is rendered with the same context as the full page, so a card or a column rendered
alone is exactly what the board shows. The filter in force comes from the page's URL (htmx sends
it as HX-Current-URL), so a fragment of a filtered board stays filtered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from journeys.compare_views import compare_url_for
from journeys.map import selectors
from journeys.map.cards import CardRenderer, escape, owner_names
from journeys.map.curve import CurveRenderer
from journeys.map.forms import MapFilterForm
from journeys.map.lanes import add_lanes, journey_personas
from journeys.map.persona_curve import BY_PERSONA, CURVE_BY, PersonaDrawer, persona_curves
from journeys.map.stages import StageRenderer
from journeys.models import MOT_DESCRIPTIONS, Channel, Journey, MotStage, Phase, Stage, Touchpoint
from metrics.read.expectations import recent_diagnoses
from metrics.read.followups import journey_followup_counts, touchpoint_followup_counts
from metrics.read.moments import card_moments, journey_moments
from mot.models import Membership
from mot.policy import ROLE_ACTIONS, Action, can
from mot.selectors import workspace_members

TEMPLATE = "journeys/map.html"
CURVE_TABLE = "curve"  # ?curve=table: the page with the emotion curve's table drawn
# Where focus may return after a keyboard move: the same arrow, or the card itself.
MOVE_FOCUS = {"up", "down", "prev", "next", "card"}


# --- the page's context ----------------------------------------------------------------------


def filters_for(request: HttpRequest, source: Mapping[str, Any] | None = None) -> QueryDict:
    """The filter query: the request's own (page loads) or the page's URL (htmx fragments)."""
    if source is not None:
        return source  # type: ignore[return-value]
    current = getattr(request.htmx, "current_url", None) if request.htmx else None
    query = QueryDict(mutable=True)
    if current:
        for key, values in parse_qs(urlsplit(current).query).items():
            query.setlist(key, values)
    return query


def _record_loggers(membership: Membership, journey: Journey) -> dict:
    """Which cards show "Log a record": every card when the role may log on any touchpoint,
    else (staff) the cards this membership owns, as mot.policy decides for LOG_RECORD."""
    if can(membership, Action.LOG_RECORD, journey):
        return {"log_any": True}
    if Action.LOG_RECORD in ROLE_ACTIONS.get(membership.role, frozenset()):
        return {"log_owner": membership.pk}
    return {}


def _options(choices: Iterable[tuple[str, Any]], *, selected: str = "") -> SafeString:
    return mark_safe(  # noqa: S308 (each value and label escaped)
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
            f"{escape(label)}</option>"
            for value, label in choices
        )
    )


def _prefix(name: str, ws: str, tail: str) -> str:
    return reverse(name, kwargs={"ws": ws, "pk": 0})[: -len(tail)]


def map_context(
    request: HttpRequest,
    membership: Membership,
    journey: Journey,
    *,
    filters_source: Mapping[str, Any] | None = None,
    with_columns: bool = True,
) -> dict[str, Any]:
    members = list(workspace_members(membership=membership))
    query = filters_for(request, filters_source)
    filter_form = MapFilterForm(query or None, members=members)
    filters = filter_form.to_filter()
    can_edit = can(membership, Action.EDIT_MAP, journey)
    context: dict[str, Any] = {
        "membership": membership,
        "ws": membership.workspace.slug,
        "journey": journey,
        "can_edit": can_edit,
        "can_assign": can(membership, Action.ASSIGN_OWNER, journey),
        "can_export": can(membership, Action.EXPORT, journey),
        # Reordering a filtered board would be ambiguous (where among hidden cards?).
        "can_reorder": can_edit and not filters.active,
        "members": members,
        "filters": filters,
        "filter_form": filter_form,
        "filter_values": {
            "mot": query.getlist("mot") if hasattr(query, "getlist") else [],
            "channel": query.get("channel", ""),
            "phase": query.get("phase", ""),
            "owner": query.get("owner", ""),
        },
        "mot_legend": list(MOT_DESCRIPTIONS.items()),
        # Every stage's "Add a touchpoint" form offers the same options: drawn once here, not
        # by the template's loops in each of the stages.
        "add_options": {
            "channel": _options(Channel.choices, selected="other"),
            "mot_stage": _options([("", _("None")), *MotStage.choices]),
            "phase": _options(Phase.choices, selected="use"),
        },
    }
    context["csrf_token_value"] = get_token(request)
    # Each stage's and lane's controls post to prefix + id + action ("/w/acme/stages/" + "7/move/"):
    # reversed once here rather than by ~200 {% url %} tags a page.
    context["stage_prefix"] = _prefix("journeys:stage_move", context["ws"], "0/move/")
    context["lane_prefix"] = _prefix("journeys:lane_move", context["ws"], "0/move/")
    context["card_renderer"] = CardRenderer(
        ws=context["ws"],
        csrf_token=context["csrf_token_value"],
        can_edit=can_edit,
        can_assign=context["can_assign"],
        can_reorder=context["can_reorder"],
        min_sample=membership.workspace.min_sample,
        followups_url=reverse("followups:team", kwargs={"ws": context["ws"]}) + "?touchpoint="
        if can(membership, Action.READ_TEAM_FOLLOWUPS, journey)
        else "",
        owners=owner_names(members),
        **_record_loggers(membership, journey),
    )
    context["stage_renderer"] = StageRenderer(
        cards=context["card_renderer"],
        stage_prefix=context["stage_prefix"],
        can_edit=can_edit,
        filtered=filters.active,
        add_options=context["add_options"],
    )
    # The curve's table is drawn only when asked for (see journeys/map/curve.py); its link
    # keeps the filters in force.
    table_query = query.copy() if isinstance(query, QueryDict) else QueryDict(mutable=True)
    table_query[CURVE_TABLE] = "table"
    map_url = reverse("journeys:map", kwargs={"ws": context["ws"], "pk": journey.pk})
    context["curve_table_url"] = f"{map_url}?{table_query.urlencode()}"
    context["with_curve_table"] = query.get(CURVE_TABLE) == "table"
    _add_curve_by(context, query)
    if with_columns:
        board = selectors.journey_map(journey=journey, filters=filters)
        context["columns"] = board.columns
        context["shown"] = sum(len(column.cards) for column in board.columns)
        _add_moments(context, journey, board.outline)
        add_lanes(context, membership=membership, journey=journey, stages=board.outline.stages)
    return context


def _add_curve_by(context: dict[str, Any], query: Mapping[str, Any]) -> None:
    """The curve lane's "By persona" toggle, remembered in the URL (?curve_by=persona): its
    state, and the rest of the page's query, which its form keeps."""
    context["curve_by_persona"] = query.get(CURVE_BY) == BY_PERSONA
    getlist = getattr(query, "getlist", None)
    context["curve_by_keep"] = [
        (key, value)
        for key in query
        if key != CURVE_BY
        for value in (getlist(key) if getlist else [query[key]])
    ]


def _add_moments(context: dict[str, Any], journey: Journey, outline: selectors.Outline) -> None:
    """The journey's moments and active follow-ups for the cards (a query each) and its
    emotion curve.

    The outline is the whole journey whatever the filters: the weakest moment and the curve are
    the journey's, so a filtered board marks the same card and draws the same curve.
    """
    renderer: CardRenderer = context["card_renderer"]
    moments = journey_moments(
        journey_id=journey.pk, order=outline.order, min_sample=renderer.labels.min_sample
    )
    renderer.moments = moments
    renderer.followups = journey_followup_counts(journey_id=journey.pk)
    renderer.diagnoses = recent_diagnoses(
        workspace_id=journey.workspace_id,
        journey_id=journey.pk,
        touchpoint_ids=outline.order,
        min_sample=renderer.labels.min_sample,
        today=timezone.localdate(),
        unrated=False,  # a card without rated answers draws no "why"
    )
    drawer = CurveRenderer(min_sample=renderer.labels.min_sample, labels=renderer.labels)
    overlays, columns, legend, unsegmented = [], [], [], []
    if context.get("curve_by_persona"):
        # The journey's personas, read once: the page's header reuses them (render_map).
        if "personas" not in context:
            context["personas"] = journey_personas(journey=journey, every=context["can_edit"])
        curves = persona_curves(
            workspace_id=journey.workspace_id,
            journey_id=journey.pk,
            personas=context["personas"],
            order=outline.order,
            min_sample=renderer.labels.min_sample,
        )
        personas = PersonaDrawer(labels=renderer.labels)
        overlays = personas.overlays(outline, curves)
        columns = personas.columns(outline, curves) if context.get("with_curve_table") else []
        legend = personas.legend(outline, curves)
        unsegmented = [p.name for p in curves.unsegmented]
    context["curve"] = {
        "cells": renderer.late.put(drawer.cells(outline, moments, overlays)),
        "table": mark_safe(drawer.table(outline, moments, columns))  # noqa: S308
        if context.get("with_curve_table")
        else "",
        "summary": drawer.summary(outline, moments),
        "coverage": drawer.coverage(outline, moments),
        "legend": legend,
        "unsegmented": unsegmented,
    }


# --- the whole page ---------------------------------------------------------------------------


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(request: HttpRequest, form: Form) -> None:
    """Show an inline map form's errors as messages, field label first."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(
                request,
                _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error,
            )


def render_map(
    request: HttpRequest, membership: Membership, journey: Journey, *, status: int = 200
) -> HttpResponse:
    """The whole map page (its filters from the request's query string)."""
    context = map_context(request, membership, journey, filters_source=request.GET)
    # The header's link to current beside future (templates/journeys/_compare_link.html).
    context["compare_url"] = compare_url_for(
        journey, ws=context["ws"], can_edit=context["can_edit"]
    )
    if "personas" not in context:  # read already when the curve is drawn per persona
        context["personas"] = journey_personas(journey=journey, every=context["can_edit"])
    context["chosen_personas"] = [p for p in context["personas"] if p.chosen]
    html = render_to_string(TEMPLATE, context, request=request)
    response = HttpResponse(context["card_renderer"].late.pieces(html), status=status)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def report_errors(request: HttpRequest, form: Form | None, exc: ValidationError | None) -> None:
    """Show what was refused as messages: the form's field errors, then the service's."""
    if form is not None:
        _form_errors(request, form)
    if exc is not None:
        _flash_errors(request, exc)


def map_invalid(
    request: HttpRequest,
    membership: Membership,
    journey: Journey,
    *,
    form: Form | None = None,
    exc: ValidationError | None = None,
) -> HttpResponse:
    """An inline form has no page of its own: 422 with the map and the errors as messages."""
    report_errors(request, form, exc)
    return render_map(request, membership, journey, status=422)


def map_redirect(ws: str, journey_id: int, anchor: str = "") -> HttpResponse:
    """Back to the map (the answer without JavaScript), at the stage or card acted on."""
    response = redirect("journeys:map", ws=ws, pk=journey_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# --- fragments ----------------------------------------------------------------------------------


def curve_table_response(
    request: HttpRequest, membership: Membership, journey: Journey
) -> HttpResponse:
    """The emotion curve's table alone, for its disclosure: two queries (outline, moments);
    two more when the curve is drawn per persona (the personas, their answers' counts)."""
    outline = selectors.journey_outline(journey_id=journey.pk)
    min_sample = membership.workspace.min_sample
    moments = journey_moments(journey_id=journey.pk, order=outline.order, min_sample=min_sample)
    drawer = CurveRenderer(min_sample=min_sample)
    columns = []
    if request.GET.get(CURVE_BY) == BY_PERSONA:
        curves = persona_curves(
            workspace_id=journey.workspace_id,
            journey_id=journey.pk,
            personas=journey_personas(journey=journey, every=False),
            order=outline.order,
            min_sample=min_sample,
        )
        columns = PersonaDrawer(labels=drawer.labels).columns(outline, curves)
    return HttpResponse(drawer.table(outline, moments, columns))


def _render(
    request: HttpRequest, parts: Iterable[tuple[str, dict[str, Any]]], *, status: int
) -> HttpResponse:
    html = [
        _filled(ctx, render_to_string(f"{TEMPLATE}#{name}", ctx, request=request))
        for name, ctx in parts
    ]
    return _respond(request, html, status=status)


def _filled(context: Mapping[str, Any], html: str) -> str:
    """The rendered template with the fragments it only marks put in (cards.LateHtml)."""
    renderer = context.get("card_renderer")
    return renderer.late.fill(html) if renderer is not None else html


def _respond(request: HttpRequest, html: list[str], *, status: int) -> HttpResponse:
    # Rendering the messages consumes them, so each message is shown once.
    html.append(render_to_string("_messages.html", {"oob": True}, request=request))
    return HttpResponse("".join(html), status=status)


def board_response(
    request: HttpRequest,
    membership: Membership,
    journey: Journey,
    *,
    filters_source: Mapping[str, Any] | None = None,
    focus: str = "",
    focus_stage: int | None = None,
    focus_lane: int | None = None,
    oob: bool = False,
    status: int = 200,
) -> HttpResponse:
    """The whole board (stages added, deleted or reordered; a refused move put back)."""
    context = map_context(request, membership, journey, filters_source=filters_source)
    context.update(focus=focus, focus_stage=focus_stage, focus_lane=focus_lane)
    board = _filled(context, render_to_string(f"{TEMPLATE}#board", context, request=request))
    if oob:
        # The request's own target is a card; the board goes to its place out of band.
        board = f'<div id="board" hx-swap-oob="innerHTML">{board}</div>'
    return _respond(request, [board], status=status)


def columns_response(
    request: HttpRequest,
    membership: Membership,
    stages: list[Stage],
    *,
    journey: Journey,
    focus: str = "",
    focus_stage: int | None = None,
    focus_tp: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The stage columns a change touched, each swapped into its place out of band, and the
    emotion curve (a touchpoint added, moved or deleted moves the curve's points)."""
    context = map_context(request, membership, journey, with_columns=False)
    _add_moments(context, journey, selectors.journey_outline(journey_id=journey.pk))
    parts = _curve_parts(context)
    for stage in stages:
        column = selectors.stage_column(stage=stage, filters=context["filters"])
        renderer = context["card_renderer"]
        if focus_tp is not None:
            renderer.focus_tp = focus_tp
            renderer.focus = _move_focus(column, focus_tp, focus)
        parts.append(
            (
                "stage_column",
                {
                    **context,
                    "column": column,
                    "oob": True,
                    "focus": focus,
                    "focus_stage": focus_stage,
                },
            )
        )
    return _render(request, parts, status=status)


def _move_focus(column: selectors.MapStage, tp_id: int, requested: str) -> str:
    """The arrow that was pressed if the card still has it (not ↑ on the first card), else the
    card: focus stays on the moved card either way."""
    card = next((c for c in column.cards if c.pk == tp_id), None)
    if card is None:
        return requested
    where = column.neighbours
    available = {
        "up": card.position > 0,
        "down": card.position < where.total - 1,
        "prev": where.previous_stage is not None,
        "next": where.next_stage is not None,
    }
    return requested if available.get(requested, False) else "card"


def stage_head_response(
    request: HttpRequest,
    membership: Membership,
    stage: Stage,
    *,
    focus: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = map_context(request, membership, stage.journey, with_columns=False)
    column = selectors.stage_column(stage=stage, filters=context["filters"])
    context.update(column=column, focus=focus, focus_stage=stage.pk, stage_errors=errors or [])
    return _render(request, [("stage_head", context)], status=status)


def card_response(
    request: HttpRequest,
    membership: Membership,
    touchpoint: Touchpoint,
    *,
    form: Form | None = None,
    owner_form: bool = False,
    focus: str = "",
    curve: bool = False,
    status: int = 200,
) -> HttpResponse:
    """One card; or its in-place edit form (``form``); or the card with its owner picker open.

    A card shows its moment and whether it is the journey's weakest: one query more than the
    card alone (metrics.read.moments.card_moments). With ``curve`` (a saved edit: the title may have
    changed) the curve comes along out of band (two queries: the outline, every moment), its
    table closed (opened again, it is fetched anew).
    """
    context = map_context(request, membership, touchpoint.journey, with_columns=False)
    if form is not None:
        context.update(tp=touchpoint, form=form)
        return _render(request, [("card_form", context)], status=status)
    card, where = selectors.map_card(touchpoint=touchpoint)
    renderer = context["card_renderer"]
    if curve:
        outline = selectors.journey_outline(journey_id=touchpoint.journey_id)
        _add_moments(context, touchpoint.journey, outline)
    else:
        renderer.moments = card_moments(
            journey_id=touchpoint.journey_id,
            touchpoint_id=card.pk,
            min_sample=renderer.labels.min_sample,
        )
        renderer.followups = touchpoint_followup_counts(touchpoint_ids=[card.pk])
        renderer.diagnoses = recent_diagnoses(
            workspace_id=touchpoint.journey.workspace_id,
            touchpoint_ids=[card.pk],
            min_sample=renderer.labels.min_sample,
            today=timezone.localdate(),
            unrated=False,
        )
    renderer.focus, renderer.focus_tp = focus, card.pk
    html = [renderer.render(card, where, members=context["members"], owner_form=owner_form)]
    if curve:
        html.extend(_curve_html(request, context))
    return _respond(request, html, status=status)


def _curve_html(request: HttpRequest, context: dict[str, Any]) -> list[str]:
    return [
        _filled(ctx, render_to_string(f"{TEMPLATE}#{name}", ctx, request))
        for name, ctx in _curve_parts(context)
    ]


def persona_curve_update(
    request: HttpRequest, membership: Membership, journey: Journey
) -> list[str]:
    """After the journey's personas changed: the curve's head and row out of band when the page
    that asks draws the curve by persona (HX-Current-URL), whose lines and legend follow the
    personas; nothing (no query) otherwise, as the curve of all customers did not change."""
    if filters_for(request).get(CURVE_BY) != BY_PERSONA:
        return []
    context = map_context(request, membership, journey, with_columns=False)
    _add_moments(context, journey, selectors.journey_outline(journey_id=journey.pk))
    return _curve_html(request, context)


def _curve_parts(context: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The curve's head (title, summary, table toggle) and its row of cells, out of band."""
    oob = {**context, "oob": True}
    return [("curve_head", oob), ("curve_row", oob)]
