"""CSV cells a spreadsheet would run as a formula are neutralised; the rest stay as they are."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from mot.csvsafe import safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "value",
    ["Great service", "", "a = b", "email@example.com", "it's fine", " =leading space", "9"],
)
def test_other_text_is_left_as_it_is(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (-5, "-5"),
        (-2.5, "-2.5"),
        (Decimal("-19.90"), "-19.90"),
        (7, "7"),
        (True, "True"),
        (date(2026, 5, 1), "2026-05-01"),
        (datetime(2026, 5, 1, 9, 30, tzinfo=UTC), "2026-05-01T09:30:00+00:00"),
    ],
)
def test_numbers_and_dates_are_written_plainly(value, expected):
    assert safe_cell(value) == expected
