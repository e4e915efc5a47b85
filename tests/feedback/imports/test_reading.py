"""Detecting a file's layout and streaming its rows, whatever the file throws at us."""

from __future__ import annotations

import codecs
import io
import re
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from feedback.imports import reading, streaming
from feedback.imports.types import ImportFileError, Layout, Preset, RawRow


def write(tmp_path, data: bytes, name: str = "upload") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def read_all(path, layout: Layout | None = None) -> list[RawRow]:
    layout = layout or reading.detect(path)
    with streaming.open_rows(path, layout) as stream:
        return list(stream)


# --- encodings -----------------------------------------------------------------------------------

TEXT = "Cliente,Comentário\r\nAna,Atenção: ótimo\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # with a BOM
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.encode("cp1252") + b"Rui,\x81\r\n", "latin-1"),  # 0x81 is undefined in cp1252
    ],
)
def test_encoding_is_detected_and_text_read(tmp_path, data, encoding):
    path = write(tmp_path, data)
    layout = reading.detect(path)
    assert (layout.encoding, layout.columns) == (encoding, ["Cliente", "Comentário"])
    assert read_all(path, layout)[0] == RawRow(2, ["Ana", "Atenção: ótimo"])


def test_a_character_cut_by_the_sample_end_is_still_utf8(tmp_path):
    head = b"Name,Comment\n"
    filler = b"a," + b"x" * 60 + b"\n"
    body = filler * ((reading.SAMPLE_BYTES - len(head)) // len(filler))
    padding = b"b," + b"y" * (reading.SAMPLE_BYTES - len(head) - len(body) - 4)
    data = head + body + padding + "çç\n".encode()  # "ç" straddles byte 65,536
    assert data[reading.SAMPLE_BYTES - 1 : reading.SAMPLE_BYTES + 1] == "ç".encode()
    assert reading.detect(write(tmp_path, data)).encoding == "utf-8"


# --- delimiters, header, columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delimiter", "columns"),
    [
        ("a,b,c\n1,2,3\n", ",", ["a", "b", "c"]),
        ("a;b;c\n1;9,5;3\n4;1,25;6\n", ";", ["a", "b", "c"]),
        ("a\tb\n1,5\t2\n", "\t", ["a", "b"]),
        ('id,comment\n1,"semi; colon"\n2,a;b;c\n', ",", ["id", "comment"]),
        ("comment\nhello; there\nfine\n", ",", ["comment"]),  # a one-column file
    ],
)
def test_delimiter_is_the_one_that_splits_consistently(tmp_path, text, delimiter, columns):
    layout = reading.detect(write(tmp_path, text.encode()))
    assert (layout.delimiter, layout.columns) == (delimiter, columns)


def test_column_names_are_unique_and_never_empty(tmp_path):
    path = write(tmp_path, b"NPS,,nps,Comment,\n9,x,8,ok,extra\n")
    assert reading.detect(path).columns == ["NPS", "Column 2", "nps (2)", "Comment", "Column 5"]


def test_leading_blank_lines_count_as_header_rows(tmp_path):
    path = write(tmp_path, b"\n\nNPS,Comment\n9,ok\n")
    layout = reading.detect(path)
    assert (layout.columns, layout.header_rows) == (["NPS", "Comment"], 3)
    assert read_all(path, layout) == [RawRow(4, ["9", "ok"])]


def test_a_header_without_data_is_a_file_without_rows(tmp_path):
    path = write(tmp_path, b"NPS,Comment\r\n")
    assert read_all(path) == []


def test_kind_comes_from_the_content_not_the_name(tmp_path):
    csv_path = write(tmp_path, b"NPS\n9\n", name="answers.xlsx")
    assert reading.detect(csv_path).kind == "csv"


def test_decimal_comma_and_date_order_are_proposed(tmp_path):
    path = write(tmp_path, b"Data;Nota;Valor\n13/05/2025;9;1.234,56\n01/05/2025;7;9,5\n")
    layout = reading.detect(path)
    assert (layout.decimal_comma, layout.date_order) == (True, "dmy")


# --- files we refuse -----------------------------------------------------------------------------


def refused(tmp_path, data: bytes) -> str:
    with pytest.raises(ImportFileError) as caught:
        reading.detect(write(tmp_path, data))
    return caught.value.args[0]


def test_empty_and_blank_files_are_refused(tmp_path):
    assert refused(tmp_path, b"") == "The file is empty."
    assert refused(tmp_path, b" \r\n\r\n  ") == "The file is empty."
    assert refused(tmp_path, codecs.BOM_UTF8) == "The file is empty."


def test_binary_files_are_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert refused(tmp_path, png) == (
        "This file is neither CSV text nor an Excel workbook: "
        "it holds binary data from line 1 (byte offset 0)."
    )
    assert ".xls" in refused(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "not an Excel workbook" in refused(tmp_path, path.read_bytes())
    assert "damaged" in refused(tmp_path, path.read_bytes()[:40])


def test_a_wide_data_row_neither_refuses_the_file_nor_widens_it(tmp_path):
    wide = ",".join("x" * (reading.MAX_COLUMNS + 50))
    path = write(tmp_path, f"a,b\n1,2\n{wide}\n".encode())
    layout = reading.detect(path)
    assert layout.columns == ["a", "b"]
    assert read_all(path, layout)[1].problem == (
        "row has 550 of 2 columns: more than the header names"
    )


def test_too_many_columns_are_refused(tmp_path):
    header = ",".join(f"c{i}" for i in range(reading.MAX_COLUMNS + 1))
    assert "501 columns; at most 500" in refused(tmp_path, f"{header}\n".encode())
    ok = ",".join(f"c{i}" for i in range(reading.MAX_COLUMNS))
    assert len(reading.detect(write(tmp_path, f"{ok}\n".encode())).columns) == 500


def test_a_workbook_too_large_once_unpacked_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    book = Workbook()
    book.active.append(["NPS"])
    book.save(path)
    monkeypatch.setattr(reading, "MAX_XLSX_UNCOMPRESSED", 1000)
    assert "too large once unpacked" in refused(tmp_path, path.read_bytes())


def test_a_csv_without_a_line_break_in_the_sample_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_SAMPLE_BYTES", reading.SAMPLE_BYTES)
    message = refused(tmp_path, b"a" * (reading.SAMPLE_BYTES + 10))
    assert message == "Line 1 is longer than 64.0\xa0KB: this is not a CSV export."


# --- streaming rows ------------------------------------------------------------------------------


def test_lines_are_physical_lines_even_with_line_breaks_inside_cells(tmp_path):
    data = b'id,comment\r\n1,"two\r\nlines"\r\n2,plain\r\n3,"three\nmixed\rbreaks"\r\n\r\n4,last'
    rows = read_all(write(tmp_path, data))
    assert [(r.line, r.cells[0]) for r in rows] == [(2, "1"), (4, "2"), (5, "3"), (9, "4")]
    assert rows[0].cells[1] == "two\r\nlines"


def test_blank_rows_are_skipped_and_ragged_rows_come_with_their_problem(tmp_path):
    rows = read_all(write(tmp_path, b"a,b,c\n1\n,,\n   \n1,2,3,4\n"))
    assert rows == [
        RawRow(2, ["1"], "row has 1 of 3 columns: it may be cut short or split by a line break"),
        RawRow(5, ["1", "2", "3", "4"], "row has 4 of 3 columns: more than the header names"),
    ]


def test_undecodable_bytes_mid_file_reach_the_row_not_the_reader(tmp_path):
    fine = b"".join(b"%d,fine\n" % i for i in range(2, 12_000))  # beyond the detection sample
    data = b"id,comment\n" + fine + b"x,caf\xe9 \xff\ny,also fine\n"
    path = write(tmp_path, data)
    assert reading.detect(path).encoding == "utf-8"
    rows = read_all(path)
    assert rows[-2:] == [
        RawRow(12_000, ["x", "caf\udce9 \udcff"]),  # lone surrogates: rows.validate refuses
        RawRow(12_001, ["y", "also fine"]),
    ]


def test_nul_bytes_mid_file_reach_the_row(tmp_path):
    rows = read_all(write(tmp_path, b"id,comment\n1,a\x00b\n2,ok\n"))
    assert rows == [RawRow(2, ["1", "a\x00b"]), RawRow(3, ["2", "ok"])]


def test_a_field_beyond_the_limit_becomes_an_unreadable_row(tmp_path):
    huge = b"x" * (reading.FIELD_LIMIT + 1)
    data = b"id,comment\n1,ok\n2," + huge + b"\n3,ok\n"
    rows = read_all(write(tmp_path, data))
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[1].cells == []
    assert "a cell is longer than 1,048,576 characters" in rows[1].problem
    assert rows[2] == RawRow(4, ["3", "ok"])


def test_a_line_beyond_the_limit_is_skipped_without_reading_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "LINE_LIMIT", 100)  # the limit the row stream applies
    data = b"id,comment\n1,ok\n2," + b"y" * 1000 + b"\n3,ok\n"
    path = write(tmp_path, data)
    layout = reading.detect(path)
    rows = read_all(path, layout)
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[1].cells == []
    assert (
        rows[1].problem
        == "line 3 is longer than 100 characters, the most a line may have; it was not read"
    )


def test_progress_goes_from_zero_to_one_and_close_releases_the_file(tmp_path):
    data = b"id\n" + b"".join(b"%d\n" % i for i in range(50_000))
    path = write(tmp_path, data)
    stream = streaming.open_rows(path, reading.detect(path))
    assert stream.fraction_read() == 0
    seen = []
    for i, _row in enumerate(stream):
        if i % 10_000 == 0:
            seen.append(stream.fraction_read())
    assert seen == sorted(seen)
    assert 0 < seen[-1] < 1
    assert stream.fraction_read() == 1
    stream.close()
    with streaming.open_rows(path, reading.detect(path)) as again:
        next(iter(again))
    assert again._file.closed


def test_xlsx_rows_keep_their_types_and_sheet_row_numbers(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Answers"
    sheet.append(["When", "NPS", "Comment"])
    sheet.append([datetime(2025, 5, 1, 10, 0), 9, "ok"])
    sheet.append([None, None, None])
    sheet.append([datetime(2025, 5, 2), 7.0, ""])
    book.create_sheet("Other").append(["ignored"])
    path = tmp_path / "answers.xlsx"
    book.save(path)
    layout = reading.detect(path)
    assert (layout.kind, layout.columns, layout.header_rows) == (
        "xlsx",
        ["When", "NPS", "Comment"],
        1,
    )
    with streaming.open_rows(path, layout) as stream:
        rows = list(stream)
        assert stream.fraction_read() == 1
    assert rows == [
        RawRow(2, [datetime(2025, 5, 1, 10, 0), 9, "ok"]),
        RawRow(4, [datetime(2025, 5, 2), 7, None]),
    ]


def test_xlsx_surveymonkey_export_has_two_header_rows(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Respondent ID", "End Date", "How likely…?", "Why?"])
    sheet.append([None, None, "Response", "Open-Ended Response"])
    sheet.append([1, "05/01/2025 10:22:33 AM", 9, "ok"])
    path = tmp_path / "monkey.xlsx"
    book.save(path)
    layout = reading.detect(path)
    assert (layout.preset, layout.header_rows) == (Preset.SURVEYMONKEY, 2)
    assert layout.columns[2:] == ["How likely…? - Response", "Why? - Open-Ended Response"]
    assert [r.line for r in read_all(path, layout)] == [3]


def test_large_files_stream_in_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("touchpoint,submitted_at,nps,comment\n")
        line = "checkout,2025-05-01T10:22:33,9,Quite a long comment to make every row weigh more\n"
        for _ in range(200_000):
            f.write(line)
    size = path.stat().st_size
    layout = reading.detect(path)
    tracemalloc.start()
    try:
        with streaming.open_rows(path, layout) as stream:
            count = sum(1 for _ in stream)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < size / 20, (peak, size)


# --- rows the header does not fit (one rule: streaming.field_count_problem) ---------------------

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_row_of_a_real_export_fits_its_header(name):
    rows = read_all(str(FIXTURES / name))
    assert rows
    assert [r.problem for r in rows] == [""] * len(rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_a_row_cut_off_at_the_end_of_the_file_is_refused_not_padded(tmp_path, delimiter, encoding):
    lines = [
        ["Quando", "Cliente", "NPS", "Comentário"],
        ["2025-05-01", "Ana", "10", "Ótimo"],
        ["2025-05-02", "Rui", "1"],  # cut inside its NPS of 10: no line break after it
    ]
    text = "\r\n".join(delimiter.join(line) for line in lines)
    rows = read_all(write(tmp_path, text.encode(encoding)))
    assert rows == [
        RawRow(2, ["2025-05-01", "Ana", "10", "Ótimo"]),
        RawRow(3, ["2025-05-02", "Rui", "1"], "row has 3 of 4 columns: the file may be cut off"),
    ]


def test_rows_with_fewer_fields_or_values_right_of_the_header_are_refused(tmp_path):
    data = b"a,b,c\r\n1,2\r\n1,2,3,4\r\n1,2,3,\r\n1,2,3,,\r\n,,,,,9\r\n1,2,3\r\n"
    assert [(r.line, r.problem) for r in read_all(write(tmp_path, data))] == [
        (2, "row has 2 of 3 columns: it may be cut short or split by a line break"),
        (3, "row has 4 of 3 columns: more than the header names"),
        (4, ""),  # empty trailing fields lose nothing
        (5, ""),
        (6, "row has 6 of 3 columns: more than the header names"),
        (7, ""),
    ]


def test_a_header_ending_in_unnamed_fields_sets_the_width(tmp_path):
    path = write(tmp_path, b"a,b,\r\n1,2,x\r\n1,2\r\n")
    layout = reading.detect(path)
    assert layout.columns == ["a", "b", "Column 3"]
    assert [r.problem for r in read_all(path, layout)] == [
        "",
        "row has 2 of 3 columns: it may be cut short or split by a line break",
    ]


def test_a_quote_never_closed_refuses_the_rows_it_swallowed(tmp_path):
    data = b'id,nps,comment\n1,9,ok\n2,8,"Great\n3,7,fine\n4,6,also fine\n'
    assert read_all(write(tmp_path, data)) == [
        RawRow(2, ["1", "9", "ok"]),
        RawRow(
            3, [], "a quote opened on line 3 is never closed: lines 3\u20135 were read as one field"
        ),
    ]


def test_the_line_named_is_where_the_open_quote_is(tmp_path):
    data = b'id,comment,other\r\n1,"two\r\nlines","never\r\nclosed'
    assert read_all(write(tmp_path, data)) == [
        RawRow(
            2, [], "a quote opened on line 3 is never closed: lines 3\u20134 were read as one field"
        )
    ]


def test_a_quote_opened_on_the_last_line_says_the_file_may_be_cut_off(tmp_path):
    data = 'id;nps;comment\r\n1;9;ok\r\n2;8;"Demorou, mas'.encode("utf-16")
    assert read_all(write(tmp_path, data))[1] == RawRow(
        3, [], "a quote opened on line 3 is never closed: the file may be cut off"
    )


def test_an_xlsx_value_right_of_the_header_is_refused_and_short_rows_are_whole(tmp_path):
    book = Workbook()
    for values in (["When", "NPS", "Comment"], ["2025-05-01", 9], ["2025-05-02", 7, "ok", "!"]):
        book.active.append(values)
    book.active["E4"] = "  "
    book.active.append(["2025-05-03", 8, None, None, "late"])
    path = tmp_path / "answers.xlsx"
    book.save(path)
    assert [(r.line, r.problem) for r in read_all(path)] == [
        (2, ""),
        (3, "row has 4 of 3 columns: more than the header names"),
        (4, ""),  # a blank cell right of the header holds nothing
        (5, "row has 5 of 3 columns: more than the header names"),
    ]


def test_an_xlsx_surveymonkey_other_column_under_an_empty_top_cell_fits(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Respondent ID", "End Date", "Touchpoint?", None])
    sheet.append([None, None, "Response", "Other (please specify)"])
    sheet.append([1, "05/01/2025 10:22:33 AM", "Other", "the app"])
    path = tmp_path / "monkey.xlsx"
    book.save(path)
    assert read_all(path) == [RawRow(3, [1, "05/01/2025 10:22:33 AM", "Other", "the app"])]


# --- refusals that say what is wrong -------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "offset"),
    [("utf-8", 18), ("cp1252", 21), ("utf-16", 2 + 2 * 18)],
)
def test_nul_bytes_are_refused_naming_their_line_and_offset(tmp_path, encoding, offset):
    text = "id,comment\n1,ok\n2," + "\x00" * 40 + "\n3,ok\n"
    if encoding == "cp1252":
        text = "id,comentário\n1,ok\n2," + "\x00" * 40 + "\n3,ok\n"
    assert refused(tmp_path, text.encode(encoding)) == (
        f"The file contains a NUL byte at line 3 (byte offset {offset}): it is not a text export."
    )


def test_a_header_then_a_line_longer_than_the_sample_is_read_and_that_line_refused(tmp_path):
    huge = b"x" * (reading.MAX_SAMPLE_BYTES + 1024)
    path = write(tmp_path, b"NPS,Comment\r\n9," + huge + b"\r\n8,ok\r\n")
    layout = reading.detect(path)
    assert layout.columns == ["NPS", "Comment"]
    assert read_all(path, layout) == [
        RawRow(
            2,
            [],
            "line 2 is longer than 4,194,304 characters, the most a line may have; it was not read",
        ),
        RawRow(3, ["8", "ok"]),
    ]


def test_a_web_page_saved_as_csv_is_refused_as_one(tmp_path):
    page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body></body></html>\n"
    assert refused(tmp_path, page).startswith("This is a web page (HTML), not a CSV export")


def test_a_file_of_empty_rows_has_no_header_row(tmp_path, monkeypatch):
    assert refused(tmp_path, b",,\r\n,,\r\n , ,\r\n") == (
        "No header row: the file's first 3 rows are empty."
    )
    blank_run = b"\r\n" * (reading.SAMPLE_BYTES // 2 + 10) + b"NPS\r\n9\r\n"
    assert refused(tmp_path, blank_run) == "No header row: the file's first 61 rows are empty."
    monkeypatch.setattr(reading, "MAX_SAMPLE_BYTES", reading.SAMPLE_BYTES)
    assert refused(tmp_path, b" \r\n" * reading.SAMPLE_BYTES + b"NPS\r\n9\r\n") == (
        "The first 64.0\xa0KB of the file are blank lines: no header row was found."
    )


def test_old_mac_line_breaks_are_line_breaks(tmp_path):
    path = write(tmp_path, b"NPS,Comment\r9,ok\r8,fine\r")
    assert reading.detect(path).columns == ["NPS", "Comment"]
    assert read_all(path) == [RawRow(2, ["9", "ok"]), RawRow(3, ["8", "fine"])]


def workbook_bytes(tmp_path, *sheets: list[list]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for n, rows in enumerate(sheets, start=1):
        sheet = book.create_sheet(f"Sheet{n}")
        for values in rows:
            sheet.append(values)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


def test_a_workbook_whose_first_sheet_is_empty_says_where_the_answers_are(tmp_path):
    assert refused(tmp_path, workbook_bytes(tmp_path, [], [["NPS"], [9]])) == (
        "The first sheet (“Sheet1”) of this workbook is empty; the answers are on “Sheet2”. "
        "Only the first sheet is read: move that sheet to the front, or remove the empty one, "
        "and upload the file again."
    )
    assert refused(tmp_path, workbook_bytes(tmp_path, [], [])) == (
        "The first sheet (“Sheet1”) of this workbook is empty."
    )


def test_a_workbook_without_a_sheet_is_refused_as_one(tmp_path):
    data = workbook_bytes(tmp_path, [["NPS"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "xl/workbook.xml":
                part = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", part)
            target.writestr(info, part)
    assert refused(tmp_path, out.getvalue()) == "This Excel file has no sheet."


def test_an_opendocument_spreadsheet_is_named_as_one(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert refused(tmp_path, out.getvalue()).startswith(
        "This is an OpenDocument spreadsheet (.ods), not an Excel workbook."
    )


def test_a_header_that_cannot_be_split_into_columns_says_why(tmp_path):
    assert refused(tmp_path, b'\r\n"NPS,Comment\r\n9,ok\r\n') == (
        "The header row opens a quote that is never closed, so the file cannot be read as rows."
    )
    huge = b'"' + b"x" * (reading.FIELD_LIMIT + 1) + b'",NPS\r\n1,9\r\n'
    assert refused(tmp_path, huge) == (
        "The header row cannot be read: a cell is longer than 1,048,576 characters."
    )
