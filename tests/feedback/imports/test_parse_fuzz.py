"""Whatever a file holds, parsing refuses it with ImportFileError or reads it row by row: it
never raises anything else, and whatever it accepts is fit to store."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from feedback.imports import presets, reading, rows, streaming
from feedback.imports.types import (
    ActivityIn,
    DateOrder,
    ImportFileError,
    Layout,
    Mapping,
    Preset,
    RawRow,
    RowError,
    Target,
    ValidRow,
)
from feedback.services import AnswerIn

FUZZ = settings(max_examples=200, deadline=None)
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def resolve(text: str) -> int:
    if text.isdigit() and len(text) < 6:
        return int(text)
    raise ValueError("unknown touchpoint")


@pytest.fixture(scope="module")
def upload(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "upload"


def assert_fit_to_store(result, line: int) -> None:
    if isinstance(result, list):
        assert result, "a refused row names at least one problem"
        for error in result:
            assert isinstance(error, RowError)
            assert error.line == line
            assert isinstance(error.reason, str)
            assert error.reason
            assert len(error.value) <= 200
            assert not BAD_TEXT.search(error.value + error.column)
        return
    assert isinstance(result, ValidRow)
    record = result.record
    if isinstance(record, AnswerIn):
        assert record.nps is not None or record.csat is not None
        assert record.nps is None or 0 <= record.nps <= 10
        for rating in (record.csat, record.respect, record.solutions, record.simplicity):
            assert rating is None or 1 <= rating <= 5
        when = record.submitted_at
        texts = [record.external_id, record.comment, record.language, record.customer or ""]
        assert len(record.comment) <= 10_000
        assert len(record.language) <= 16
    else:
        assert isinstance(record, ActivityIn)
        when = record.occurred_at
        texts = [record.external_id, record.customer, record.kind]
        assert record.kind
        assert len(record.kind) <= 40
        assert record.value is None or abs(record.value) < 10**12
    assert when.tzinfo is UTC
    assert 1899 <= when.year <= 2101
    assert all(isinstance(t, str) and not BAD_TEXT.search(t) for t in texts)
    assert 0 < len(record.external_id) <= 200


def read_everything(path) -> None:
    try:
        layout = reading.detect(path)
    except ImportFileError:
        return  # the one way to refuse a file
    assert 1 <= len(layout.columns) <= reading.MAX_COLUMNS
    assert len(set(layout.columns)) == len(layout.columns)
    for target in Target:
        mapping = Mapping(
            target,
            presets.propose_mapping(layout, target),
            touchpoint_id=1,
            date_order=layout.date_order,
            decimal_comma=layout.decimal_comma,
        )
        with streaming.open_rows(path, layout) as stream:
            for raw in stream:
                assert 0 <= stream.fraction_read() <= 1
                result = rows.validate(raw, layout=layout, mapping=mapping, resolve=resolve)
                assert_fit_to_store(result, raw.line)
            assert stream.fraction_read() == 1


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_or_read(upload, data):
    upload.write_bytes(data)
    read_everything(upload)


CSV_ALPHABET = st.sampled_from(
    [",", ";", "\t", '"', "\n", "\r", "\r\n", " ", "\x00", "9", "10", "1.234,56", "-", "/",
     "2025-05-01", "05/13/2025 10:22:33 PM", "ç", "ă", "€", b"\xff", b"\x81", b"\xc3",
     "Timestamp", "Respondent ID", "ResponseId", '{"ImportId":"QID1"}', "NPS", "Comment", "Date",
     "Customer", "x" * 300]
)  # fmt: skip
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])


@FUZZ
@given(st.lists(CSV_ALPHABET, max_size=120), ENCODINGS)
def test_csv_like_text_in_any_encoding_is_refused_or_read(upload, pieces, encoding):
    header = "NPS,Date,Comment,Customer,touchpoint\r\n" if len(pieces) % 2 else ""
    data = b"".join(
        p if isinstance(p, bytes) else p.encode(encoding, "replace") for p in [header, *pieces]
    )
    upload.write_bytes(data)
    read_everything(upload)


@settings(max_examples=50, deadline=None)  # each example reads a file of 300 rows twice
@given(st.binary(min_size=1, max_size=512))
def test_a_good_head_with_a_damaged_tail_is_read(upload, tail):
    row = "9,2025-05-01," + "ok " * 70 + "\r\n"
    head = "NPS,Date,Comment\r\n" + row * (reading.SAMPLE_BYTES // len(row) + 1)  # > sample
    upload.write_bytes(head.encode() + tail)
    read_everything(upload)


CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(3000, 1, 1)),
    st.dates(),
    st.sampled_from(["9", "10 - Extremely likely", "05/01/2025 10:22 AM", "1.234,56", "PT-BR"]),
    st.sampled_from(["x" * 10_001, "9" * 100_000, "\x00", "caf\udce9", "2025-05-01T10:00+23:59"]),
)


@FUZZ
@given(
    cells=st.lists(CELL, max_size=14),
    columns=st.dictionaries(
        st.sampled_from([f.name for fields in presets.FIELDS.values() for f in fields]),
        st.integers(min_value=-1, max_value=15),
    ),
    target=st.sampled_from(list(Target)),
    order=st.sampled_from(list(DateOrder)),
    decimal_comma=st.booleans(),
    tz=st.sampled_from(["UTC", "Europe/Lisbon", "America/Sao_Paulo", "Pacific/Kiritimati"]),
)
def test_any_cells_under_any_mapping_validate_without_raising(
    cells, columns, target, order, decimal_comma, tz
):
    layout = Layout("csv", Preset.GENERIC, [f"c{i}" for i in range(12)], 1, encoding="utf-8")
    mapping = Mapping(target, columns, None, order, tz, decimal_comma)
    result = rows.validate(RawRow(9, cells), layout=layout, mapping=mapping, resolve=resolve)
    assert_fit_to_store(result, 9)


XLSX_CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=20),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2200, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 1, 1)),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(XLSX_CELL, max_size=8), max_size=12))
def test_any_workbook_is_refused_or_read(upload, sheet_rows):
    book = Workbook()
    for values in sheet_rows:
        book.active.append(values)
    book.save(upload)
    read_everything(upload)


def test_damaged_utf16_and_odd_bytes_do_not_stop_the_reader(upload):
    upload.write_bytes(codecs.BOM_UTF16_LE + "NPS\tDate\r\n9\t2025-05-01\r\n".encode("utf-16-le")
                       + b"\x00\xd8A\x00\r\x00\n\x00" + b"\x41")  # fmt: skip
    read_everything(upload)
