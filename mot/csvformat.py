"""How a CSV download is written for the spreadsheet that opens it: its field separator and its
decimal mark.

Excel splits a CSV on the list separator of the computer's region: a comma where "12.5" is a
number, a semicolon where "12,5" is (Portugal, Brazil, Spain, Romania), and it reads a fraction only
with the region's decimal mark. Each download takes ``csv_sep`` (comma, semicolon) and
``csv_decimal`` (point, comma) from its query string; what is missing or unknown defaults from the
active language, so the plain link gives a file the visitor's Excel opens in columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from mot.csvsafe import safe_cell
from mot.formats import decimal_mark

SEPARATORS = {"comma": ",", "semicolon": ";"}
DECIMAL_MARKS = {"point": ".", "comma": ","}


@dataclass(frozen=True)
class CsvFormat:
    delimiter: str
    decimal: str

    def writer(self, out: Any) -> Any:
        return csv.writer(out, delimiter=self.delimiter)

    def lines(self, rows: Iterable[Iterable[str]]) -> Iterator[str]:
        """Each row as one line of CSV text, for a streamed response."""
        writer = self.writer(_Echo())
        for row in rows:
            yield writer.writerow(row)

    def cell(self, value: object) -> str:
        """The value as a formula-safe cell (mot.csvsafe) with this file's decimal mark."""
        return safe_cell(value, decimal=self.decimal)

    @property
    def choices(self) -> dict[str, str]:
        """The query-string values that give this format (for a form's initial values)."""
        return {
            "csv_sep": _key(SEPARATORS, self.delimiter),
            "csv_decimal": _key(DECIMAL_MARKS, self.decimal),
        }


class _Echo:
    """A file-like object whose write hands the line back, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _key(table: dict[str, str], value: str) -> str:
    return next(key for key, known in table.items() if known == value)


def default_csv_format() -> CsvFormat:
    """Semicolons and decimal commas where the active language writes 12,5; else commas."""
    if decimal_mark() == ",":
        return CsvFormat(delimiter=";", decimal=",")
    return CsvFormat(delimiter=",", decimal=".")


def csv_format(params: QueryDict) -> CsvFormat:
    """The format a download asked for, the language's default for what it did not."""
    default = default_csv_format()
    return CsvFormat(
        delimiter=SEPARATORS.get(params.get("csv_sep", ""), default.delimiter),
        decimal=DECIMAL_MARKS.get(params.get("csv_decimal", ""), default.decimal),
    )


class CsvOptionsForm(forms.Form):
    """The two choices next to a "Download CSV" button (templates/_csv_download.html)."""

    csv_sep = forms.ChoiceField(
        label=_("Separator"),
        choices=[("comma", _("Comma ( , )")), ("semicolon", _("Semicolon ( ; )"))],
    )
    csv_decimal = forms.ChoiceField(
        label=_("Decimal mark"),
        choices=[("point", _("Point (12.5)")), ("comma", _("Comma (12,5)"))],
    )
