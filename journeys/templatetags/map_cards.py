"""The board's Python-drawn parts, called from templates/journeys/map.html: the stage bar and
the stage columns with their cards (journeys/map/stages.py, journeys/map/cards.py), the lanes'
headers (journeys/map/lanes.py). Large fragments go in as markers the response fills
(cards.LateHtml)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _focus(context) -> dict:
    return {"focus": context.get("focus", ""), "focus_stage": context.get("focus_stage")}


@register.simple_tag(takes_context=True)
def map_stage_bar(context) -> SafeString:
    """The stage bar's cells, above the lanes."""
    return mark_safe(context["stage_renderer"].bar(context["columns"], **_focus(context)))  # noqa: S308


@register.simple_tag(takes_context=True)
def map_stages(context) -> SafeString:
    """Every stage column of the board, in order."""
    renderer = context["stage_renderer"]
    kwargs = {**_focus(context), "errors": context.get("stage_errors", ())}
    html = "".join([renderer.column(column, **kwargs) for column in context["columns"]])
    return context["card_renderer"].late.put(html)


@register.simple_tag(takes_context=True)
def map_stage(context, column) -> SafeString:
    """One stage column (an htmx swap, out of band when ``oob`` is set)."""
    html = context["stage_renderer"].column(
        column,
        **_focus(context),
        errors=context.get("stage_errors", ()),
        oob=bool(context.get("oob")),
    )
    return context["card_renderer"].late.put(html)


@register.simple_tag(takes_context=True)
def map_stage_head(context, column) -> SafeString:
    """One stage's header (its rename answered alone)."""
    here = context.get("focus_stage") == column.stage.pk
    return mark_safe(  # noqa: S308 (journeys/map/stages.py escapes what it draws)
        context["stage_renderer"].head(
            column,
            focus=context.get("focus", "") if here else "",
            errors=context.get("stage_errors", ()) if here else (),
        )
    )


@register.simple_tag(takes_context=True)
def map_lane_head(context, lane) -> SafeString:
    """A lane's header (journeys/map/lanes.py)."""
    return mark_safe(  # noqa: S308 (journeys/map/lanes.py escapes what it draws)
        context["lane_renderer"].head(
            lane, focus=context.get("focus", ""), focus_lane=context.get("focus_lane")
        )
    )
