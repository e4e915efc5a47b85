"""``{% csv_download url query label %}``: a "Download CSV" button with the file's separator and
decimal mark to choose (mot.csvformat), preset for the active language.

A GET form, so it works without JavaScript; the page's filters (``query``, already limited to the
carried keys) travel as hidden fields, since a GET form drops its action's query string.
"""

from __future__ import annotations

from django import template
from django.http import QueryDict

from mot.csvformat import CsvOptionsForm, default_csv_format

register = template.Library()


@register.inclusion_tag("_csv_download.html")
def csv_download(url: str, query: str = "", label: str = "", decimal: bool = True) -> dict:
    """``decimal=False`` for a file of text as people typed it (rejected import rows), where only
    the separator changes."""
    return {
        "url": url,
        "hidden": [(key, value) for key, values in QueryDict(query).lists() for value in values],
        "form": CsvOptionsForm(initial=default_csv_format().choices, auto_id="csv-%s"),
        "label": label,
        "decimal": decimal,
    }
