"""``{% plotly_locale_script %}``: the plotly.js locale file of the active language, so month
names, date formats and the mode bar's texts on the charts are in it. A static file like plotly.js
itself (the Content-Security-Policy allows no inline script); static/js/dashboard.js reads the
locale's name from the tag's data-plotly-locale."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from mot.formats import plotly_locale, plotly_locale_file

register = template.Library()


@register.simple_tag
def plotly_locale_script() -> str:
    locale = plotly_locale()
    if locale is None:
        return ""
    return format_html(
        '<script src="{}" data-plotly-locale="{}" defer></script>',
        static(plotly_locale_file(locale)),
        locale,
    )
