from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def map_cards(context, column) -> SafeString:
    """The cards of one stage column, drawn by the request's CardRenderer
    (journeys/map/cards.py)."""
    return context["card_renderer"].render_many(column.cards, column.neighbours)
