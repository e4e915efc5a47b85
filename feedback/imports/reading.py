"""Reading an uploaded file: what its layout is (`detect`), from a bounded sample only, and what
detection and streaming (`feedback.imports.streaming`) share: the limits, the decoding of bad
bytes (they arrive as lone surrogates, which `rows.validate` turns into a row error naming the
line) and the end-of-text marker.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import zipfile
from datetime import date, datetime
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.imports import presets, sniffing
from feedback.imports.types import ImportFileError, Layout, Preset

MAX_COLUMNS = 500
MAX_XLSX_UNCOMPRESSED = 1024**3  # a few MB of zip can inflate to gigabytes of XML
SAMPLE_BYTES = 64 * 1024
MAX_SAMPLE_BYTES = 4 * 1024 * 1024  # long question texts can make a header row huge
SAMPLE_ROWS = 50
FIELD_LIMIT = 1024 * 1024
LINE_LIMIT = 4 * FIELD_LIMIT
DELIMITERS = (",", ";", "\t")

# Process-wide, so only ever raised: the default (128 KB) would turn long comments into errors.
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))

ESCAPE = "mot_import_escape"


def _escape_bad_bytes(error: UnicodeError) -> tuple[str, int]:
    # Like "surrogateescape", but for any byte: UTF-16 errors involve bytes below 0x80 too.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + b) for b in bad), error.end


codecs.register_error(ESCAPE, _escape_bad_bytes)

# Fed to the csv reader after a text's last line. Outside a quoted field it is a record of its
# own; inside one, the csv module (which in its lenient mode returns a field still open at the
# end of its input) ends that field with it: how a quote never closed is told from a whole row.
END_OF_TEXT = "\uffffmot:end-of-text\uffff"
LINE_BREAK = re.compile("\r\n|\r|\n")  # as the csv reader's lines end (newline="")


# --- detection ----------------------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_HTML = re.compile(r"\s*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE)
_ODS = b"application/vnd.oasis.opendocument.spreadsheet"


def detect(path: str | os.PathLike) -> Layout:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(SAMPLE_BYTES)
    except OSError as exc:
        raise ImportFileError(_("The file cannot be opened.")) from exc
    if not head:
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _detect_xlsx(path)
    if head.startswith(_OLE):
        raise ImportFileError(
            _(
                "This is an old Excel (.xls) or a password-protected workbook. "
                "Save it as .xlsx or CSV without a password and upload it again."
            )
        )
    if head.startswith(b"PK"):
        raise ImportFileError(_("This is a ZIP archive, not an Excel workbook."))
    return _detect_csv(path, size, head)


def _detect_csv(path: str | os.PathLike, size: int, head: bytes) -> Layout:
    encoding = _sniff_encoding(head, complete=size <= len(head))
    want = SAMPLE_BYTES
    while True:
        with open(path, "rb") as f:
            data = f.read(want)
        complete = len(data) >= size
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, complete)
        if not complete:
            cut = max(text.rfind("\n"), text.rfind("\r"))
            if cut < 0 and want < MAX_SAMPLE_BYTES:
                want *= 4
                continue
            if cut < 0:
                raise ImportFileError(
                    _("Line 1 is longer than %(limit)s: this is not a CSV export.")
                    % {"limit": filesizeformat(MAX_SAMPLE_BYTES)}
                )
            text = text[: cut + 1]
        if not text.strip():
            if complete:
                raise ImportFileError(_("The file is empty."))
            if want < MAX_SAMPLE_BYTES:  # a long run of blank lines: read on to the header
                want *= 4
                continue
            raise ImportFileError(
                _("The first %(limit)s of the file are blank lines: no header row was found.")
                % {"limit": filesizeformat(MAX_SAMPLE_BYTES)}
            )
        _refuse_binary(text, encoding)
        delimiter = _sniff_delimiter(text)
        final = complete or want >= MAX_SAMPLE_BYTES
        records = _records(text, delimiter, final=final)
        if final or len(records) >= 5:
            break
        want *= 4
    return _layout("csv", records, encoding=encoding, delimiter=delimiter)


def _sniff_encoding(head: bytes, *, complete: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe = head[:4096]
    pairs = len(probe) // 2
    if pairs:
        # Mostly-ASCII UTF-16 without a BOM: every other byte is NUL.
        even, odd = probe[0::2].count(0), probe[1::2].count(0)
        if odd > 0.3 * pairs and even < 0.05 * pairs:
            return "utf-16-le"
        if even > 0.3 * pairs and odd < 0.05 * pairs:
            return "utf-16-be"
    try:
        # Incremental, so a character cut in two by the sample's end is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # cp1252 leaves five bytes undefined; latin-1 reads every byte


def _refuse_binary(text: str, encoding: str) -> None:
    if _HTML.match(text):
        raise ImportFileError(
            _(
                "This is a web page (HTML), not a CSV export: the download may have failed or "
                "asked for a sign-in. Download the export again."
            )
        )
    sample = text[:SAMPLE_BYTES]
    if len(_CONTROL.findall(sample)) <= max(2, len(sample) // 100):
        return  # a stray one is the row's problem (rows.validate), not the file's
    # Name the first one and where it is, so whoever has the file can look.
    at = _CONTROL.search(sample)
    assert at is not None
    place = {
        "line": _line_at(sample, at.start()),
        "offset": _byte_offset(sample, at.start(), encoding),
    }
    if at.group() == "\x00":
        message = _(
            "The file contains a NUL byte at line %(line)s (byte offset %(offset)s): "
            "it is not a text export."
        )
    else:
        message = _(
            "This file is neither CSV text nor an Excel workbook: it holds binary data from "
            "line %(line)s (byte offset %(offset)s)."
        )
    raise ImportFileError(message % place)


def _line_at(text: str, index: int) -> int:
    return len(LINE_BREAK.findall(text, 0, index)) + 1


def _byte_offset(text: str, index: int, encoding: str) -> int:
    """Where the character at ``index`` of the decoded sample starts in the file."""
    bom = 0
    if encoding == "utf-8-sig":
        encoding, bom = "utf-8", len(codecs.BOM_UTF8)
    elif encoding == "utf-16":  # the decoder read the byte order from the BOM; either is 2 bytes
        encoding, bom = "utf-16-le", 2
    return bom + len(text[:index].encode(encoding, "replace"))


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into most columns and the next lines into as many."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        counts = []
        try:
            for record in csv.reader(
                io.StringIO(text, newline=""), delimiter=delimiter, strict=False
            ):
                if record:
                    counts.append(len(record))
                    if len(counts) == 20:
                        break
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        score = (round(sum(n == counts[0] for n in counts) / len(counts), 2), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(text: str, delimiter: str, *, final: bool) -> list[list[str]]:
    """The sample's whole records. The sample ends at a line break, so only a record whose quote
    is still open at its end may be cut short: that one is left out. ``final``: no larger sample
    will come, so a header that cannot be read is the file's problem."""
    records: list[list[str]] = []
    header = False  # a record with content has been read
    lines = itertools.chain(io.StringIO(text, newline=""), [END_OF_TEXT])
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    try:
        for record in reader:
            if record and record[-1].endswith(END_OF_TEXT):
                if final and not header and record != [END_OF_TEXT]:
                    raise ImportFileError(
                        _(
                            "The header row opens a quote that is never closed, so the file "
                            "cannot be read as rows."
                        )
                    )
                break
            header = header or any(c.strip() for c in record)
            records.append(record)
            if len(records) > SAMPLE_ROWS + 10:
                break
    except csv.Error as exc:
        if final and not header:
            raise ImportFileError(
                _("The header row cannot be read: a cell is longer than %(limit)s characters.")
                % {"limit": number_format(FIELD_LIMIT, force_grouping=True)}
            ) from exc
    return records


def _detect_xlsx(path: str | os.PathLike) -> Layout:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            kind = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise ImportFileError(_("This Excel file is damaged and cannot be read.")) from exc
    if kind.startswith(_ODS):
        raise ImportFileError(
            _(
                "This is an OpenDocument spreadsheet (.ods), not an Excel workbook. "
                "Save it as .xlsx or CSV and upload it again."
            )
        )
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError(_("This is a ZIP archive, not an Excel workbook."))
    # Declared sizes bound what zipfile inflates, so checking them is enough.
    if sum(info.file_size for info in infos) > MAX_XLSX_UNCOMPRESSED:
        raise ImportFileError(_("This Excel file is too large once unpacked."))
    with open(path, "rb") as file:
        return _layout("xlsx", _xlsx_sample(file))


def _xlsx_sample(file: BinaryIO) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        # A file object, not the path: openpyxl would refuse a workbook not named .xlsx.
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(_("This Excel file is damaged and cannot be read.")) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("This Excel file has no sheet."))
        sheet = workbook.worksheets[0]
        records = _xlsx_head(sheet, SAMPLE_ROWS + 10)
        if len(records) <= SAMPLE_ROWS and not any(any(r) for r in records):
            raise ImportFileError(_empty_sheet(workbook))
        return records
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_("This Excel file is damaged and cannot be read.")) from exc
    finally:
        workbook.close()


def _xlsx_head(sheet, rows: int) -> list[list[str]]:
    sheet.reset_dimensions()  # some writers declare A1:A1 or the whole grid
    return [[as_text(v) for v in row] for row in sheet.iter_rows(max_row=rows, values_only=True)]


def _empty_sheet(workbook) -> str:
    first = workbook.worksheets[0].title
    for sheet in workbook.worksheets[1:]:
        if any(any(r) for r in _xlsx_head(sheet, SAMPLE_ROWS)):
            return _(
                "The first sheet (“%(first)s”) of this workbook is empty; the answers are on "
                "“%(other)s”. Only the first sheet is read: move that sheet to the front, or "
                "remove the empty one, and upload the file again."
            ) % {"first": first, "other": sheet.title}
    return _("The first sheet (“%(first)s”) of this workbook is empty.") % {"first": first}


def as_text(value: object) -> str:
    """A cell as trimmed text, whatever its type (XLSX cells are numbers, dates…)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    try:
        return str(value).strip()
    except Exception:  # a cell type whose str() fails is still just an unreadable cell
        return ""


def _layout(kind: str, records: list[list[str]], **csv_only: str) -> Layout:
    records = [[c.strip() for c in r] for r in records]
    blank = 0
    while blank < len(records) and not any(records[blank]):
        blank += 1
    rows = records[blank:]
    if not rows:
        raise ImportFileError(
            ngettext(
                "No header row: the file's first row is empty.",
                "No header row: the file's first %(n)d rows are empty.",
                len(records),
            )
            % {"n": len(records)}
        )
    preset, header_rows = presets.identify(rows)
    header, data = rows[:header_rows], rows[header_rows:]
    count = max(row_width(r) for r in header)
    if count > MAX_COLUMNS:
        raise ImportFileError(
            _("The file has %(count)d columns; at most %(max)d can be imported.")
            % {"count": count, "max": MAX_COLUMNS}
        )
    if kind == "csv":
        # A CSV header may end in separators with no name after them ("a,b,c,,"); the rows have
        # those fields too, and what they hold gets a column, so it can be mapped. Rows wider
        # than the header are refused (field_count_problem), so data never widens it further.
        fields = max(len(r) for r in header)
        count = min(
            MAX_COLUMNS, max([count, *(min(row_width(r), fields) for r in data[:SAMPLE_ROWS])])
        )
    cells = [c for r in data for c in r if c]
    return Layout(
        kind=kind,
        preset=preset,
        columns=presets.column_names(preset, header, count),
        header_rows=blank + header_rows,
        decimal_comma=sniffing.sniff_decimal_comma(cells),
        date_order=sniffing.sniff_date_order(cells, preset),
        timezone=presets.qualtrics_timezone(header) if preset is Preset.QUALTRICS else None,
        signature=presets.header_signature(preset, header),
        filled=[sum(1 for r in data[:SAMPLE_ROWS] if i < len(r) and r[i]) for i in range(count)],
        free_text=presets.qualtrics_free_text(header) if preset is Preset.QUALTRICS else [],
        **csv_only,
    )


def row_width(row: list) -> int:
    width = len(row)
    while width and not as_text(row[width - 1]):
        width -= 1
    return width
