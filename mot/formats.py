"""Number formats for the active language where Django's localisation does not reach: plotly's
charts (drawn in the browser) and CSV files (opened in a spreadsheet).

Django's own format modules say which decimal mark and thousands separator a language uses (they
exist without MOT's catalogs), so pages, charts and CSV files agree with each other.
"""

from __future__ import annotations

from django.utils.formats import get_format
from django.utils.translation import get_language

# MOT's languages to the plotly.js locale files vendored in static/vendor/plotly (English needs
# none: it is plotly's own). "pt" is Django's European Portuguese.
PLOTLY_LOCALES = {"pt-br": "pt-BR", "pt-pt": "pt-PT", "pt": "pt-PT", "es": "es", "ro": "ro"}


def decimal_mark() -> str:
    return get_format("DECIMAL_SEPARATOR")


def plotly_separators() -> str:
    """plotly's ``layout.separators``: the decimal mark, then the thousands separator."""
    return decimal_mark() + get_format("THOUSAND_SEPARATOR")


def plotly_locale() -> str | None:
    """The plotly.js locale name for the active language, None for English (plotly's own)."""
    return PLOTLY_LOCALES.get((get_language() or "").lower())


def plotly_locale_file(locale: str) -> str:
    """The vendored locale file's static path for a locale from :func:`plotly_locale`."""
    return f"vendor/plotly/plotly-locale-{locale.lower()}.js"
