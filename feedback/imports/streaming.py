"""Streaming an uploaded file's data rows (`open_rows`), once `reading.detect` has told its
layout: CSV through the csv module over the binary file, XLSX through openpyxl's read-only mode,
so memory stays flat whatever the file's size. A row that cannot be read as the header shapes it
(a line too long, too few or too many fields, a quote never closed) comes with a `problem`
(`field_count_problem` is that one rule), which `rows.validate` turns into a row error naming
the line.
"""

from __future__ import annotations

import csv
import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from feedback.imports.reading import (
    END_OF_TEXT,
    ESCAPE,
    FIELD_LIMIT,
    LINE_BREAK,
    LINE_LIMIT,
    row_width,
)
from feedback.imports.types import ImportFileError, Layout, RawRow

# --- streaming ----------------------------------------------------------------------------------


class RowStream(ABC):
    """The data rows of a file, read as they are iterated. Close it, or use it with ``with``.

    One subclass per format (``_CsvRows``, ``_XlsxRows``); ``open_rows`` picks it.
    """

    @abstractmethod
    def __iter__(self) -> Iterator[RawRow]: ...

    @abstractmethod
    def fraction_read(self) -> float:
        """How much of the file has been read, from 0 to 1 (for the progress bar)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_rows(path: str | os.PathLike, layout: Layout) -> RowStream:
    if layout.kind == "xlsx":
        return _XlsxRows(path, layout)
    return _CsvRows(path, layout)


class _CsvRows(RowStream):
    def __init__(self, path: str | os.PathLike, layout: Layout) -> None:
        self._layout = layout
        self._done = False
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._size = os.fstat(self._file.fileno()).st_size
        self._text = io.TextIOWrapper(
            self._file, encoding=layout.encoding or "utf-8", errors=ESCAPE, newline=""
        )

    def fraction_read(self) -> float:
        if self._done or self._file.closed or not self._size:
            return 1.0
        return min(1.0, self._file.tell() / self._size)

    def close(self) -> None:
        self._text.close()

    def __iter__(self) -> Iterator[RawRow]:
        lines = _Lines(self._text)
        too_long = lines.too_long  # physical lines cut short by LINE_LIMIT
        reader = csv.reader(lines, delimiter=self._layout.delimiter or ",", strict=False)
        skip, seen, end = self._layout.header_rows, 0, 0
        width = 0  # fields per row, as the header rows have them
        while True:
            try:
                for cells in reader:
                    start, end = end + 1, reader.line_num
                    if lines.ended:  # the file's end: END_OF_TEXT alone, or in a quote never closed
                        if seen >= skip and cells != [END_OF_TEXT]:
                            yield RawRow(start, [], _open_quote(cells[-1], end, lines.terminated))
                        break
                    if too_long and too_long[0] <= end:
                        problem = _line_too_long(too_long[0])
                        while too_long and too_long[0] <= end:
                            too_long.pop(0)
                        if seen >= skip:
                            yield RawRow(start, [], problem)
                        seen += 1
                        continue
                    if seen < skip:
                        if any(c.strip() for c in cells):
                            width = max(width, len(cells))
                        seen += 1
                        continue
                    if any(cells) and (len(cells) > 1 or not cells[0].isspace()):
                        if len(cells) == width:
                            yield RawRow(start, cells)
                        else:
                            problem = field_count_problem(
                                cells, width, kind="csv", unterminated=not lines.terminated
                            )
                            yield RawRow(start, cells, problem)
                break
            except csv.Error:
                # The reader starts afresh on the next line; only this record is lost.
                start, end = end + 1, reader.line_num
                too_long.clear()
                if seen >= skip:
                    yield RawRow(start, [], _cell_too_long(start, end))
                seen += 1
        self._done = True


def field_count_problem(cells: list, width: int, *, kind: str, unterminated: bool = False) -> str:
    """Why a row's cells do not fit a header of ``width`` columns ("" when they do): the one
    rule, applied by both streams, so the preview, the dry run and the import agree.

    A CSV row needs at least the header's number of fields. Every real export in
    tests/feedback/imports/fixtures (Qualtrics, SurveyMonkey, Google Forms, Excel's CSV and
    Unicode text) writes each row with exactly that many, empty trailing fields included:
    SurveyMonkey even ends its first header row with an empty field for its "Other" column,
    and Excel writes the separators of empty cells up to the last column in use. So a row with
    fewer fields has lost its end: the last row of a file cut off (no line break after it), or
    a row cut or split by a stray line break inside the file. Read as if whole, it would store
    an answer without the scores it lost. (Excel 97 could leave out the trailing separators of
    rows whose last cells were empty; such a file is refused row by row with this reason rather
    than read wrong.)

    A row is too wide, in either format, when it has a value right of the header's last column:
    no column is named for it. Empty fields there lose nothing, and a worksheet keeps no empty
    trailing cells, so an XLSX row is never too short.
    """
    fields = len(cells)
    if not width or fields == width:
        return ""
    shape = {"fields": fields, "width": width}
    if fields > width:
        shape["fields"] = fields = row_width(cells)
        if fields <= width:
            return ""
        return _("row has %(fields)d of %(width)d columns: more than the header names") % shape
    if kind != "csv":
        return ""
    if unterminated:
        return _("row has %(fields)d of %(width)d columns: the file may be cut off") % shape
    return (
        _("row has %(fields)d of %(width)d columns: it may be cut short or split by a line break")
        % shape
    )


def _open_quote(cell: str, end: int, terminated: bool) -> str:
    # ``cell`` runs from after the quote to END_OF_TEXT, which the reader counted as line ``end``.
    breaks = len(LINE_BREAK.findall(cell, 0, len(cell) - len(END_OF_TEXT)))
    last = end - 1
    opened = end - breaks - (0 if terminated else 1)
    if opened >= last:
        return _("a quote opened on line %(line)d is never closed: the file may be cut off") % {
            "line": last
        }
    return _(
        "a quote opened on line %(line)d is never closed: lines %(line)d–%(last)d were read "
        "as one field"
    ) % {"line": opened, "last": last}


def _line_too_long(line: int) -> str:
    return _(
        "line %(line)d is longer than %(limit)s characters, the most a line may have; "
        "it was not read"
    ) % {"line": line, "limit": number_format(LINE_LIMIT, force_grouping=True)}


def _cell_too_long(start: int, end: int) -> str:
    limit = number_format(FIELD_LIMIT, force_grouping=True)
    if start == end:
        return _(
            "this line cannot be read: a cell is longer than %(limit)s characters, "
            "the most a cell may have"
        ) % {"limit": limit}
    return _(
        "lines %(start)d–%(end)d were read as one cell longer than %(limit)s characters: "
        "a quote may never be closed"
    ) % {"start": start, "end": end, "limit": limit}


class _Lines:
    """The lines for the csv reader, none longer than LINE_LIMIT characters, then END_OF_TEXT.

    A longer line is skipped (an empty line stands in for it, keeping the numbering) and its
    number noted in ``too_long``, so memory stays bounded even for a file without a single line
    break. ``ended`` turns true as END_OF_TEXT is handed over.
    """

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._last = "\n"
        self.too_long: list[int] = []
        self.ended = False

    @property
    def terminated(self) -> bool:
        """Whether the last line read ended with a line break: only the last line of a file can
        lack one, and a file cut off mid-row does."""
        return self._last[-1] in "\r\n"

    def __iter__(self) -> Iterator[str]:
        readline = self._text.readline
        number = 0
        while line := readline(LINE_LIMIT):
            number += 1
            if len(line) == LINE_LIMIT and line[-1] not in "\r\n":
                while (rest := readline(LINE_LIMIT)) and rest[-1] not in "\r\n":
                    pass
                self.too_long.append(number)
                self._last = rest or line  # no line break after it: the file ended
                yield "\n"
            else:
                self._last = line
                yield line
        self.ended = True
        yield END_OF_TEXT


class _XlsxRows(RowStream):
    def __init__(self, path: str | os.PathLike, layout: Layout) -> None:
        from openpyxl import load_workbook

        self._layout = layout
        self._row = 0
        self._done = False
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        try:
            self._workbook = load_workbook(self._file, read_only=True, data_only=True)
            self._sheet = self._workbook.worksheets[0]
            self._max_row = self._sheet.max_row or 0  # declared by the writer; may be wrong
            self._sheet.reset_dimensions()
        except Exception as exc:
            self._file.close()
            raise ImportFileError(_("This Excel file is damaged and cannot be read.")) from exc

    def fraction_read(self) -> float:
        if self._done:
            return 1.0
        return min(1.0, self._row / self._max_row) if self._max_row else 0.0

    def close(self) -> None:
        self._workbook.close()
        self._file.close()

    def __iter__(self) -> Iterator[RawRow]:
        skip = self._layout.header_rows
        width = 0  # the header rows' last named column
        try:
            for number, values in enumerate(self._sheet.iter_rows(values_only=True), start=1):
                self._row = number
                if number <= skip:
                    width = max(width, row_width(values))
                    continue
                for value in values:
                    if value is not None and value != "":
                        problem = ""
                        if width and len(values) > width:
                            problem = field_count_problem(values, width, kind="xlsx")
                        yield RawRow(number, list(values), problem)
                        break
        except Exception:  # a damaged sheet: report where reading stopped, keep what was read
            problem = _("the sheet cannot be read from here on; the file may be damaged")
            yield RawRow(self._row + 1, [], problem)
        self._done = True
