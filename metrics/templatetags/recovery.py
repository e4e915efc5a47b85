"""How the pages write a follow-up duration: hours under two days, days from there."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(hours: float | None) -> str:
    """A mean time in hours as "5.5 h" or, from 48 hours, "3.2 days" (calendar days); "—" when
    there is none."""
    if hours is None:
        return "—"
    if hours < 48:
        return _("%(n)s h") % {"n": floatformat(hours, 1)}
    return _("%(n)s days") % {"n": floatformat(hours / 24, 1)}
