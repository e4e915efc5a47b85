"""What a file's data and dates look like: its time zones, decimal commas and date order.

Detection (``reading``) asks these of a sample of the file; the mapping form offers the time
zones listed here.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from feedback.imports.types import DateOrder, Preset

# The continents and oceans of canonical IANA names ("Europe/Lisbon"): this leaves out the tz
# database's one-word and legacy names ("Factory", "localtime", "W-SU", "US/Eastern") and Etc/.
_ZONE_AREAS = frozenset(
    [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ]
)


def _listed_zones() -> frozenset[str] | None:
    """The zones the tz database lists by country (its ``zone.tab``: "Europe/Amsterdam" and
    "Asia/Kolkata", not the legacy links "Asia/Calcutta" or "Europe/Kiev"), when the system
    ships that table."""
    for root in zoneinfo.TZPATH:
        path = Path(root) / "zone.tab"
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return frozenset(line.split("\t")[2] for line in lines if line and line[0] != "#")
    return None


def _canonical_zones() -> frozenset[str]:
    listed = _listed_zones()
    return frozenset(
        {
            name
            for name in zoneinfo.available_timezones()
            if "/" in name
            and name.split("/", 1)[0] in _ZONE_AREAS
            and (listed is None or name in listed)
        }
        | {"UTC"}
    )


# Read once: listing the zones scans the tz database on disk.
TIME_ZONES = _canonical_zones()
UNKNOWN_TIME_ZONE = _(
    "Choose a time zone from the list: a place such as Europe/Lisbon or America/Denver, or UTC "
    "(legacy names such as US/Eastern or W-SU are not offered)."
)


# --- what the data looks like -------------------------------------------------------------------

_COMMA_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,})")
_POINT_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,})")
_SHORT_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")


def sniff_decimal_comma(cells: Iterable[object]) -> bool:
    """Whether sample cells write numbers as 9,5 or 1.234,56 more often than as 9.5."""
    comma = point = 0
    for cell in cells:
        if isinstance(cell, str) and len(cell) < 40:
            if _COMMA_NUMBER.fullmatch(cell):
                comma += 1
            elif _POINT_NUMBER.fullmatch(cell):
                point += 1
    return comma > point


def sniff_date_order(cells: Iterable[object], preset: Preset) -> DateOrder:
    """How to read 03/04/2025 in this file, from the sample's unambiguous dates."""
    day_first = month_first = ambiguous = 0
    unpadded = False
    for cell in cells:
        if not isinstance(cell, str) or not (m := _SHORT_DATE.match(cell)):
            continue
        first, second = int(m[1]), int(m[2])
        if first > 12:
            day_first += 1
        elif second > 12:
            month_first += 1
        else:
            ambiguous += 1
            unpadded = unpadded or len(m[1]) == 1 or len(m[2]) == 1
    if day_first or month_first:
        return DateOrder.DMY if day_first >= month_first else DateOrder.MDY
    if preset is Preset.SURVEYMONKEY:
        return DateOrder.MDY
    if ambiguous:
        # Google Forms in US English writes 5/1/2025; locales that put the day first pad it.
        if preset is Preset.GOOGLE_FORMS and unpadded:
            return DateOrder.MDY
        return DateOrder.DMY
    return DateOrder.YMD
