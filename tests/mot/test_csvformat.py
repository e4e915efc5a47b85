"""CSV downloads for the spreadsheet that opens them: a comma or semicolon separator and a point
or comma decimal mark, chosen next to each "Download CSV" and defaulting from the language; the
files read back in pandas with the same settings, and stay formula-safe (mot.csvsafe)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from django.http import QueryDict
from django.utils import translation

from mot.csvformat import CsvFormat, csv_format, default_csv_format
from tests.conftest import login
from tests.feedback.explorer.test_explorer import answer, url
from tests.marked_language import browse_in
from tests.metrics.test_dashboard import EXPORT, URL, tps
from tests.metrics.test_dashboard_formats import MARCH, add_twelve_and_a_half


@pytest.fixture
def twelve_and_a_half(journey):
    return add_twelve_and_a_half(journey)


# --- the dashboard's CSV ---------------------------------------------------------------------


def export_frame(client, query: dict, **read) -> tuple[pd.DataFrame, str]:
    response = client.get(EXPORT, {**MARCH, **query})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return pd.read_csv(io.StringIO(text), **read), text


def test_a_semicolon_csv_with_decimal_commas_reads_back_in_pandas(
    client, manager, twelve_and_a_half
):
    t = tps(twelve_and_a_half)
    t["Reviews"].title = '=HYPERLINK("http://evil.example"); "quoted"'
    t["Reviews"].save()
    login(client, manager)
    frame, text = export_frame(
        client, {"csv_sep": "semicolon", "csv_decimal": "comma"}, sep=";", decimal=","
    )
    checkout = frame[frame["Touchpoint"] == "Checkout"].iloc[0]
    assert checkout["NPS"] == pytest.approx(12.5)
    assert checkout["Pain (%)"] == pytest.approx(12.5)
    assert checkout["Answers"] == 40
    assert "12,5" in text
    assert "12.5" not in text
    # A cell that a spreadsheet would run is still neutralised, and a ";" in it stays inside it.
    assert '\'=HYPERLINK("http://evil.example"); "quoted"' in set(frame["Touchpoint"])
    # The same file with commas and points says the same.
    english, _text = export_frame(client, {"csv_sep": "comma", "csv_decimal": "point"})
    assert english.equals(frame)


@pytest.mark.parametrize(
    ("language", "sep", "decimal"),
    [
        ("en", ",", "."),
        ("pt-br", ";", ","),
        ("pt-pt", ";", ","),
        ("es", ";", ","),
        ("ro", ";", ","),
    ],
)
def test_the_csv_defaults_to_what_excel_expects_in_the_language(
    client, settings, manager, twelve_and_a_half, language, sep, decimal
):
    login(browse_in(client, settings, language), manager)
    frame, _text = export_frame(client, {}, sep=sep, decimal=decimal)
    # The headers are labels in the page's language.
    with translation.override(language):
        touchpoint, nps = translation.gettext("Touchpoint"), translation.gettext("NPS")
    checkout = frame[frame[touchpoint] == "Checkout"].iloc[0]
    assert checkout[nps] == pytest.approx(12.5)
    html = client.get(URL, MARCH).content.decode()
    form = html.split('class="csv-download')[1].split("</form>")[0]
    chosen_sep = "semicolon" if sep == ";" else "comma"
    chosen_decimal = "comma" if decimal == "," else "point"
    assert f'<option value="{chosen_sep}" selected>' in form
    assert f'<option value="{chosen_decimal}" selected>' in form
    # The page's own filters travel with the download.
    assert '<input type="hidden" name="period" value="custom">' in form


# --- the format ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", CsvFormat(",", ".")),
        ("csv_sep=semicolon", CsvFormat(";", ".")),
        ("csv_decimal=comma", CsvFormat(",", ",")),
        ("csv_sep=semicolon&csv_decimal=comma", CsvFormat(";", ",")),
        ("csv_sep=tab&csv_decimal=%3B", CsvFormat(",", ".")),  # unknown: the default
    ],
)
def test_the_query_string_chooses_the_format(query, expected):
    with translation.override("en"):
        assert csv_format(QueryDict(query)) == expected


def test_an_unknown_choice_falls_back_to_the_languages_default():
    with translation.override("pt-br"):
        assert default_csv_format() == CsvFormat(";", ",")
        assert csv_format(QueryDict("csv_sep=tab")) == CsvFormat(";", ",")
        assert csv_format(QueryDict("csv_sep=comma")) == CsvFormat(",", ",")


def test_cells_get_the_decimal_mark_and_stay_formula_safe():
    comma = CsvFormat(";", ",")
    assert comma.cell(12.5) == "12,5"
    assert comma.cell(-2.25) == "-2,25"  # a negative number is a number, not a formula
    assert comma.cell(40) == "40"
    assert comma.cell(True) == "True"
    assert comma.cell("=1+1") == "'=1+1"
    assert comma.cell("3.5 stars") == "3.5 stars"  # text is left as it is
    assert list(comma.lines([["a;b", "1,5"], ["c", ""]])) == ['"a;b";1,5\r\n', "c;\r\n"]


# --- the explorer's CSV ----------------------------------------------------------------------


def test_the_explorer_export_takes_the_separator_and_keeps_its_filters(client, editor, journey):
    t = tps(journey)
    answer(t["Checkout"], nps=3, comment="Lento; muito lento", customer="=1+1", language="pt")
    answer(t["Reviews"], nps=9, comment="Bom", language="pt")
    login(client, editor)
    response = client.get(url("export"), {"csv_sep": "semicolon", "nps_max": "5"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), sep=";", decimal=",", dtype=str)
    assert list(frame["Comment"]) == ["Lento; muito lento"]
    assert list(frame["Customer"]) == ["'=1+1"]
    assert list(frame["NPS"]) == ["3"]
