"""One row under a mapping: a valid answer or activity, or every problem of the row at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from feedback.imports import rows
from feedback.imports.types import (
    DateOrder,
    Layout,
    Mapping,
    Preset,
    RawRow,
    RowError,
    Target,
    ValidRow,
)

COLUMNS = ["Touchpoint", "When", "NPS", "CSAT", "Respect", "Comment", "Lang", "Customer", "Id"]
LAYOUT = Layout("csv", Preset.GENERIC, COLUMNS, 1, encoding="utf-8", delimiter=",")
FIELDS = ["touchpoint", "submitted_at", "nps", "csat", "respect", "comment", "language",
          "customer", "external_id"]  # fmt: skip
RESPONSES = Mapping(Target.RESPONSES, {f: i for i, f in enumerate(FIELDS)})
ACTIVITY_COLUMNS = ["Customer", "Date", "Kind", "Value", "Order"]
ACTIVITY_LAYOUT = Layout("csv", Preset.GENERIC, ACTIVITY_COLUMNS, 1, encoding="cp1252")
ACTIVITIES = Mapping(
    Target.ACTIVITIES,
    {"customer": 0, "occurred_at": 1, "kind": 2, "value": 3, "external_id": 4},
)
WHEN = datetime(2025, 5, 1, 10, 22, 33, tzinfo=UTC)


UNKNOWN_TOUCHPOINT = "no touchpoint in this workspace has this id, code or title"


def resolve(text: str) -> int:
    if text in ("checkout", "1"):
        return 1
    raise ValueError(UNKNOWN_TOUCHPOINT)


def answer(*, mapping=RESPONSES, layout=LAYOUT, line=2, **cells):
    values = {
        "touchpoint": "checkout",
        "submitted_at": "2025-05-01T10:22:33Z",
        "nps": "9",
        "external_id": "a-1",
    }
    values.update(cells)
    row = [values.get(f, "") for f in FIELDS]
    return rows.validate(RawRow(line, row), layout=layout, mapping=mapping, resolve=resolve)


def errors(**cells) -> list[tuple[str, str, str]]:
    result = answer(**cells)
    assert isinstance(result, list), result
    return [(e.column, e.value, e.reason) for e in result]


def record(**cells):
    result = answer(**cells)
    assert isinstance(result, ValidRow), result
    return result.record


# --- scores --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "score"),
    [
        ("9", 9),
        (" 9 ", 9),
        ("9.0", 9),
        ("9,0", 9),
        ("10 - Extremely likely", 10),
        ("9 = Very likely", 9),
        ("0 - Not at all likely", 0),
        ("Extremely likely - 10", 10),
        (9, 9),
        (9.0, 9),
        ("", None),
        (None, None),
    ],
)
def test_nps_reads_numbers_and_choice_texts(cell, score):
    assert record(nps=cell, csat="4").nps == score


@pytest.mark.parametrize("cell", ["11", "-1", "9.5", "nine", 9.5, True, "1e1", float("nan")])
def test_nps_outside_whole_numbers_0_to_10_is_refused(cell):
    assert errors(nps=cell) == [("NPS", rows._shown(cell), "must be a whole number from 0 to 10")]


def test_ratings_are_1_to_5():
    assert (record(csat="5", respect="1").csat, record(respect=1).respect) == (5, 1)
    assert errors(csat="0", respect="6") == [
        ("CSAT", "0", "must be a whole number from 1 to 5"),
        ("Respect", "6", "must be a whole number from 1 to 5"),
    ]


def test_ces_is_1_to_7():
    columns = [*COLUMNS, "Effort"]
    layout = Layout("csv", Preset.GENERIC, columns, 1, encoding="utf-8", delimiter=",")
    mapping = Mapping(Target.RESPONSES, {**RESPONSES.columns, "ces": len(FIELDS)})

    def validate(ces: str):
        row = ["checkout", "2025-05-01T10:22:33Z", "9", "", "", "", "", "", "a-1", ces]
        return rows.validate(RawRow(2, row), layout=layout, mapping=mapping, resolve=resolve)

    assert validate("7").record.ces == 7
    assert validate("").record.ces is None
    refused = validate("8")
    assert [(e.column, e.value, e.reason) for e in refused] == [
        ("Effort", "8", "must be a whole number from 1 to 7")
    ]


def test_an_answer_needs_nps_or_csat():
    assert errors(nps="") == [("NPS", "", "needs an NPS or a CSAT score")]
    assert record(nps="", csat="3").csat == 3


# --- every problem at once -----------------------------------------------------------------------


def test_every_problem_of_a_row_is_reported_with_line_column_and_value():
    result = answer(
        line=17, touchpoint="nowhere", nps="12", submitted_at="yesterday", external_id=""
    )
    assert result == [
        RowError(17, "Touchpoint", "nowhere", UNKNOWN_TOUCHPOINT),
        RowError(17, "NPS", "12", "must be a whole number from 0 to 10"),
        RowError(
            17, "When", "yesterday", "is not a date and time we can read, such as 2025-05-01 14:30"
        ),
        RowError(17, "Id", "", "is empty"),
    ]


def test_values_in_errors_are_cut_to_200_characters():
    [(_column, value, _reason)] = errors(nps="9" * 500)
    assert value == "9" * 200


def test_a_row_reading_found_wrong_is_one_error_for_the_line():
    raw = RawRow(40, ["9", "2025-05-01"], problem="this line cannot be read")
    assert rows.validate(raw, layout=LAYOUT, mapping=RESPONSES, resolve=resolve) == [
        RowError(40, "", "", "this line cannot be read")
    ]


# --- touchpoints ---------------------------------------------------------------------------------


def test_each_distinct_touchpoint_text_is_resolved_once():
    calls = []

    def counting(text: str) -> int:
        calls.append(text)
        return resolve(text)

    layout = Layout("csv", Preset.GENERIC, ["Touchpoint", "When", "NPS"], 1)
    mapping = Mapping(Target.RESPONSES, {"touchpoint": 0, "submitted_at": 1, "nps": 2})
    check = rows.validator(layout=layout, mapping=mapping, resolve=counting)
    results = [
        check(RawRow(n, [tp, "2025-05-01", "9"]))
        for n, tp in enumerate(["checkout", "x", "checkout", " checkout ", "x"] * 100, start=2)
    ]
    assert calls == ["checkout", "x"]
    assert [type(r) for r in results[:2]] == [ValidRow, list]


def test_a_file_wide_touchpoint_stands_in_for_a_missing_column_or_blank_cell():
    mapping = Mapping(Target.RESPONSES, {"submitted_at": 1, "nps": 2}, touchpoint_id=42)
    assert record(mapping=mapping).touchpoint_id == 42
    assert errors(touchpoint="") == [("Touchpoint", "", "is empty")]  # no file-wide one
    both = Mapping(RESPONSES.target, RESPONSES.columns, touchpoint_id=42)
    assert record(mapping=both, touchpoint="").touchpoint_id == 42


def test_without_a_touchpoint_the_row_says_so():
    mapping = Mapping(Target.RESPONSES, {"submitted_at": 1, "nps": 2})
    assert [e.reason for e in answer(mapping=mapping)] == [
        "no touchpoint: choose a touchpoint column or one for the whole file"
    ]


# --- text fields ---------------------------------------------------------------------------------


def test_text_fields_are_trimmed_and_limited():
    got = record(comment="  Great\nservice  ", customer=" C-1 ", external_id=" a-1 ")
    assert (got.comment, got.customer, got.external_id) == ("Great\nservice", "C-1", "a-1")
    assert record(customer="").customer is None
    assert record(comment="x" * 10_000).comment == "x" * 10_000
    assert errors(comment="x" * 10_001, customer="c" * 201) == [
        ("Comment", "x" * 200, "is longer than 10000 characters"),
        ("Customer", "c" * 200, "is longer than 200 characters"),
    ]


def test_undecodable_or_nul_text_is_refused_naming_the_encoding():
    assert errors(comment="caf\udce9") == [
        ("Comment", "caf\ufffd", "this line is not valid UTF-8 text")
    ]
    assert errors(customer="a\x00b") == [
        ("Customer", "a\ufffdb", "contains a NUL character; the file may be damaged")
    ]
    latin = Layout("csv", Preset.GENERIC, COLUMNS, 1, encoding="utf-16-le")
    assert answer(layout=latin, nps="9\udc00")[0].reason == "this line is not valid UTF-16 text"


@pytest.mark.parametrize(
    ("cell", "language"), [("PT-BR", "pt"), ("EN", "en"), ("es_ES", "es"), ("", ""), ("ro", "ro")]
)
def test_language_is_a_lowercase_primary_tag(cell, language):
    assert record(language=cell).language == language


@pytest.mark.parametrize("cell", ["Português", "e", "x" * 17, "pt-BR-" + "x" * 20])
def test_language_that_is_no_code_is_refused(cell):
    assert errors(language=cell)[0][2] == "is not a language code such as “en” or “pt-BR”"


def test_an_unmapped_id_is_derived_from_the_row_content():
    mapping = Mapping(Target.RESPONSES, {f: i for i, f in enumerate(FIELDS[:-1])})
    one = record(mapping=mapping, comment="a").external_id
    assert one == record(mapping=mapping, comment="a").external_id
    assert one != record(mapping=mapping, comment="b").external_id
    assert one.startswith("row-")
    assert len(one) == 36
    assert errors(external_id="") == [("Id", "", "is empty")]  # a mapped id column must have one


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "order", "expected"),
    [
        ("2025-05-01T10:22:33Z", DateOrder.YMD, WHEN),
        ("2025-05-01T10:22:33.250+01:00", DateOrder.YMD, WHEN - timedelta(hours=1, seconds=-0.25)),
        ("2025-05-01 10:22:33", DateOrder.YMD, WHEN),  # Qualtrics
        ("2025-05-01", DateOrder.DMY, datetime(2025, 5, 1, tzinfo=UTC)),
        ("05/01/2025 10:22:33 AM", DateOrder.MDY, WHEN),  # SurveyMonkey
        ("05/01/2025 10:22:33 PM", DateOrder.MDY, WHEN + timedelta(hours=12)),
        ("05/01/2025 12:22:33 AM", DateOrder.MDY, WHEN - timedelta(hours=10)),
        ("5/1/2025 10:22:33", DateOrder.MDY, WHEN),  # Google Forms, US
        ("01/05/2025 10:22:33", DateOrder.DMY, WHEN),  # Google Forms, elsewhere
        ("01.05.2025 10:22", DateOrder.DMY, WHEN.replace(second=0)),
        ("01/05/25", DateOrder.DMY, datetime(2025, 5, 1, tzinfo=UTC)),
        ("2025/05/01 11:22:33 AM GMT+1", DateOrder.YMD, WHEN),  # Google Forms download
        ("2025/05/01 7:22:33 AM GMT-3", DateOrder.YMD, WHEN),
        ("2025/05/01 10:22:33 PM GMT+5:30", DateOrder.YMD, WHEN + timedelta(hours=6, minutes=30)),
        (datetime(2025, 5, 1, 10, 22, 33), DateOrder.YMD, WHEN),  # XLSX
        (datetime(2025, 5, 1, 12, 22, 33, tzinfo=timezone(timedelta(hours=2))), "ymd", WHEN),
        (date(2025, 5, 1), DateOrder.YMD, datetime(2025, 5, 1, tzinfo=UTC)),
        (45778.0, DateOrder.YMD, datetime(2025, 5, 1, tzinfo=UTC)),  # an unformatted Excel date
    ],
)
def test_dates_are_read_in_the_common_formats(cell, order, expected):
    mapping = Mapping(RESPONSES.target, RESPONSES.columns, date_order=order)
    assert record(mapping=mapping, submitted_at=cell).submitted_at == expected


def test_dates_without_an_offset_are_in_the_chosen_time_zone():
    mapping = Mapping(RESPONSES.target, RESPONSES.columns, timezone="America/Sao_Paulo")
    got = record(mapping=mapping, submitted_at="2025-05-01 07:22:33").submitted_at
    assert (got, got.tzinfo) == (WHEN, UTC)
    aware = record(mapping=mapping, submitted_at="2025-05-01T10:22:33+00:00")
    assert aware.submitted_at == WHEN


def test_an_unknown_time_zone_is_not_taken_for_utc():
    mapping = Mapping(RESPONSES.target, RESPONSES.columns, timezone="Mars/Olympus")
    assert errors(mapping=mapping, submitted_at="2025-05-01 10:00") == [
        ("When", "2025-05-01 10:00", "unknown time zone “Mars/Olympus”")
    ]
    assert record(mapping=mapping).submitted_at == WHEN  # it had an offset


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1899-12-31", "the year must be between 1900 and 2100"),
        ("2101-01-01T00:00:00", "the year must be between 1900 and 2100"),
        ("13/13/2025", "is not a date and time we can read, such as 2025-05-01 14:30"),
        ("05/01/2025 13:00 PM", "is not a date and time we can read, such as 2025-05-01 14:30"),
        ("", "is empty"),
        (True, "is not a date and time we can read, such as 2025-05-01 14:30"),
    ],
)
def test_impossible_dates_are_refused(cell, reason):
    assert errors(submitted_at=cell) == [("When", rows._shown(cell), reason)]


# --- activities ----------------------------------------------------------------------------------


def activity(value, *, decimal_comma=False, **cells):
    mapping = Mapping(ACTIVITIES.target, ACTIVITIES.columns, decimal_comma=decimal_comma)
    row = [cells.get("customer", "C-1"), cells.get("date", "01/05/2025"), cells.get("kind", "buy")]
    row += [value, cells.get("order", "O-1")]
    return rows.validate(RawRow(2, row), layout=ACTIVITY_LAYOUT, mapping=mapping, resolve=resolve)


@pytest.mark.parametrize(
    ("cell", "comma", "value"),
    [
        ("1.234,56", True, "1234.56"),
        ("1,234.56", False, "1234.56"),
        ("1 234,56 €", True, "1234.56"),
        ("R$ 89,90", True, "89.90"),
        ("9,5", False, "9.50"),  # no thousands separator writes ",5"
        ("0.25", True, "0.25"),
        ("1.234", True, "1234.00"),
        ("1,234", False, "1234.00"),
        ("-12", False, "-12.00"),
        ("999999999999.994", False, "999999999999.99"),
        (12, False, "12.00"),
        (0.1, False, "0.10"),
        ("", False, None),
        (None, False, None),
    ],
)
def test_activity_values_read_both_decimal_conventions(cell, comma, value):
    result = activity(cell, decimal_comma=comma)
    assert result.record.value == (Decimal(value) if value else None)


NOT_AN_AMOUNT = "is not an amount such as 1234.56 or 1.234,56"
TOO_LONG = "has more than 12 digits before the decimal point"


@pytest.mark.parametrize(
    ("cell", "comma", "reason"),
    [
        ("1234,567", False, NOT_AN_AMOUNT),  # "." is the file's decimal point; "," then?
        ("1.2.3", True, NOT_AN_AMOUNT),
        ("abc", True, NOT_AN_AMOUNT),
        ("1e5", False, NOT_AN_AMOUNT),
        ("1234567890123", False, TOO_LONG),
        ("999999999999.995", False, TOO_LONG),  # rounds up to 13 digits
        (float("inf"), False, NOT_AN_AMOUNT),
        (True, False, NOT_AN_AMOUNT),
    ],
)
def test_activity_values_that_are_not_amounts_are_refused(cell, comma, reason):
    [error] = activity(cell, decimal_comma=comma)
    assert (error.column, error.reason) == ("Value", reason)


def test_an_activity_is_read_whole():
    result = activity("89,90", decimal_comma=True)
    assert result == ValidRow(
        2,
        rows.ActivityIn("C-1", "O-1", datetime(2025, 5, 1, tzinfo=UTC), "buy", Decimal("89.90")),
    )


def test_an_activity_needs_customer_date_and_a_short_kind():
    result = activity("1", customer="", date="", kind="k" * 41)
    assert [(e.column, e.reason) for e in result] == [
        ("Customer", "is empty"),
        ("Date", "is empty"),
        ("Kind", "is longer than 40 characters"),
    ]
