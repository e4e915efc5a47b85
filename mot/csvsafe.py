"""Cells for CSV files that people open in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell starting with = + - @ (or a tab or carriage
return, which they skip before looking) as a formula, so a customer's comment such as
``=HYPERLINK("http://evil.example", "Click")`` in an export would become a live link or worse
(CSV injection). Such text cells get a leading single quote, which spreadsheets read as "this is
text" (OWASP's advice). Numbers are written as they are: a negative number is not a formula. A
file for a spreadsheet that reads "12,5" as a number (mot.csvformat) writes fractions with that
decimal mark.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object, *, decimal: str = ".") -> str:
    """The value as CSV cell text, neutralised if a spreadsheet would take it as a formula;
    fractions written with ``decimal`` as their decimal mark."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", decimal)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
