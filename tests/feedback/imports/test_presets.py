"""Survey tools' exports, byte for byte as the tools write them: detected, mapped and parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from feedback.imports import presets, reading, rows, sniffing, streaming
from feedback.imports.types import (
    ActivityIn,
    DateOrder,
    Layout,
    Mapping,
    Preset,
    RowError,
    Target,
    ValidRow,
)
from feedback.services import AnswerIn

FIXTURES = Path(__file__).parent / "fixtures"
TOUCHPOINTS = {"checkout": 1, "tp-del": 2}


def resolve(text: str) -> int:
    """A touchpoint by id or (case-insensitive) code, like feedback.touchpoint_refs."""
    if text.isdigit():
        return int(text)
    try:
        return TOUCHPOINTS[text.lower()]
    except KeyError:
        raise ValueError("unknown touchpoint") from None


def parse(path, layout: Layout, target=Target.RESPONSES, **choices) -> list:
    mapping = Mapping(
        target=target,
        columns=presets.propose_mapping(layout, target),
        date_order=layout.date_order,
        decimal_comma=layout.decimal_comma,
        **choices,
    )
    with streaming.open_rows(path, layout) as stream:
        return [rows.validate(r, layout=layout, mapping=mapping, resolve=resolve) for r in stream]


def named(layout: Layout, target=Target.RESPONSES) -> dict[str, str]:
    """The proposed mapping with column names, which read better in a failing assert."""
    return {f: layout.columns[i] for f, i in presets.propose_mapping(layout, target).items()}


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_qualtrics_export():
    path = FIXTURES / "qualtrics.csv"
    layout = reading.detect(path)
    assert (layout.preset, layout.header_rows, layout.encoding) == (
        Preset.QUALTRICS,
        3,
        "utf-8-sig",
    )
    assert layout.timezone == "America/Denver"  # from the recorded date's ImportId cell
    assert layout.columns[16:19] == [
        "UserLanguage",
        "Q1 - How likely is it that you would recommend Acme to a friend or colleague?",
        "Q1_NPS_GROUP - How likely is it that you would recommend Acme to a friend or colleague?"
        " - Group",
    ]
    assert presets.propose_mapping(layout, Target.RESPONSES) == {
        "external_id": 8,
        "submitted_at": 7,
        "customer": 12,  # ExternalReference before RecipientEmail
        "language": 16,
        "nps": 17,  # Q1, not its Q1_NPS_GROUP sibling
        "comment": 19,
        "respect": 20,
        "solutions": 21,
        "simplicity": 22,
        "responsibility": 23,
        "touchpoint": 24,
    }
    # The ImportId row says its dates are in America/Denver (UTC-6 in May).
    assert parse(path, layout, timezone="America/Denver") == [
        ValidRow(
            4,
            AnswerIn(
                touchpoint_id=1,
                external_id="R_1AbCdEfGhIjKlMn",
                submitted_at=at(2025, 5, 1, 16, 22, 34),
                nps=9,
                respect=4,
                solutions=5,
                simplicity=4,
                responsibility=4,
                comment="Friendly staff, quick answers",
                language="en",
                customer="CUST-001",
            ),
        ),
        ValidRow(
            5,
            AnswerIn(
                touchpoint_id=2,
                external_id="R_2XyZaBcDeFgHiJk",
                submitted_at=at(2025, 5, 3, 0, 4, 41),
                nps=3,
                respect=2,
                solutions=1,
                responsibility=2,
                comment="Esperei demasiado.\r\nNinguém me ligou de volta.",
                language="pt",
                customer="CUST-002",
            ),
        ),
        ValidRow(  # line 7: the comment above spans lines 5 and 6
            7,
            AnswerIn(
                touchpoint_id=1,
                external_id="R_3QrStUvWxYzAbCd",
                submitted_at=at(2025, 5, 3, 14, 1, 16),
                nps=10,
                respect=5,
                solutions=5,
                simplicity=5,
                responsibility=5,
                language="es",
            ),
        ),
    ]


def test_qualtrics_customer_falls_back_to_recipient_email():
    layout = Layout("csv", Preset.QUALTRICS, ["ResponseId", "RecipientEmail", "Q5"], 3)
    assert presets.propose_mapping(layout, Target.RESPONSES) == {
        "external_id": 0,
        "customer": 1,
    }


def test_surveymonkey_export():
    path = FIXTURES / "surveymonkey.csv"
    layout = reading.detect(path)
    assert (layout.preset, layout.header_rows, layout.date_order) == (
        Preset.SURVEYMONKEY,
        2,
        DateOrder.MDY,
    )
    assert layout.columns[8:] == [
        "Custom Data 1",
        "How likely is it that you would recommend Acme to a friend or colleague? - Response",
        "What is the main reason for your score? - Open-Ended Response",
        "Overall, how satisfied or dissatisfied are you with Acme? - Response",
        "Which touchpoint is this about? - Response",
        # the question's text carried over to its second answer column
        "Which touchpoint is this about? - Other (please specify)",
    ]
    assert presets.propose_mapping(layout, Target.RESPONSES) == {
        "external_id": 0,
        "submitted_at": 3,  # End Date
        "customer": 5,  # Email Address
        "nps": 9,
        "comment": 10,
        "csat": 11,
        "touchpoint": 12,
    }
    assert parse(path, layout) == [
        ValidRow(
            3,
            AnswerIn(
                touchpoint_id=1,
                external_id="114211151234",
                submitted_at=at(2025, 5, 1, 10, 22, 33),
                nps=10,
                csat=5,
                comment="Quick, friendly service",
                customer="ana@example.com",
            ),
        ),
        ValidRow(
            4,
            AnswerIn(
                touchpoint_id=2,
                external_id="114211159876",
                submitted_at=at(2025, 5, 13, 14, 5, 9),
                nps=6,
                csat=3,
                comment="Too slow",
            ),
        ),
        ValidRow(
            5,
            AnswerIn(
                touchpoint_id=2,
                external_id="114211160001",
                submitted_at=at(2025, 5, 15, 0, 0, 30),  # 12:00:30 AM
                nps=0,
                csat=1,
                customer="joe@example.com",
            ),
        ),
    ]


def test_google_forms_download():
    path = FIXTURES / "google_forms.csv"
    layout = reading.detect(path)
    assert (layout.preset, layout.header_rows) == (Preset.GOOGLE_FORMS, 1)
    assert named(layout) == {
        "submitted_at": "Timestamp",
        "customer": "Email Address",
        "nps": "How likely are you to recommend us to a friend?",
        "csat": "How satisfied are you with our service?",
        "comment": "Any comments?",
    }
    parsed = parse(path, layout, touchpoint_id=7)  # one touchpoint for the whole file
    first, second, third = (p.record for p in parsed)
    assert [p.line for p in parsed] == [2, 3, 4]
    assert first == AnswerIn(
        touchpoint_id=7,
        external_id=first.external_id,
        submitted_at=at(2025, 5, 1, 9, 22, 33),  # 10:22:33 AM GMT+1
        nps=9,
        csat=4,
        comment="Great",
        customer="ana@example.com",
    )
    assert (second.submitted_at, second.nps, second.csat) == (at(2025, 5, 2, 15, 5, 9), 6, None)
    # No id column: ids come from the rows' content, so a re-import finds the same ones, and a
    # form sent twice within the same second reads as the duplicate it is.
    assert first.external_id.startswith("row-")
    assert len(first.external_id) == 36
    assert first.external_id != second.external_id == third.external_id
    assert [p.record.external_id for p in parse(path, layout, touchpoint_id=7)] == [
        first.external_id,
        second.external_id,
        third.external_id,
    ]


def test_google_forms_sheet_in_portuguese():
    path = FIXTURES / "google_forms_pt.csv"
    layout = reading.detect(path)
    assert (layout.preset, layout.date_order) == (Preset.GOOGLE_FORMS, DateOrder.DMY)
    assert named(layout) == {
        "submitted_at": "Carimbo de data/hora",
        "customer": "Endereço de e-mail",
        "nps": "Qual a probabilidade de nos recomendar a um amigo?",
        "comment": "Porquê?",
        "touchpoint": "Ponto de contacto",
    }
    parsed = parse(path, layout, timezone="America/Sao_Paulo")
    assert [(p.line, p.record.touchpoint_id, p.record.submitted_at) for p in parsed] == [
        (2, 1, at(2025, 5, 1, 13, 22, 33)),
        (3, 2, at(2025, 5, 13, 21, 5, 9)),
    ]
    assert parsed[1].record.comment == "Demorou, mas resolveu"


def test_portuguese_excel_csv_of_purchases():
    path = FIXTURES / "compras_cp1252.csv"
    layout = reading.detect(path)
    assert (layout.encoding, layout.delimiter, layout.decimal_comma, layout.date_order) == (
        "cp1252",
        ";",
        True,
        DateOrder.DMY,
    )
    assert layout.columns[3:] == ["Valor (€)", "Nº encomenda", "Observações"]
    assert presets.propose_mapping(layout, Target.ACTIVITIES) == {
        "customer": 0,
        "occurred_at": 1,
        "kind": 2,
        "value": 3,
        "external_id": 4,
    }
    assert parse(path, layout, Target.ACTIVITIES, timezone="Europe/Lisbon") == [
        ValidRow(
            2,
            ActivityIn(
                "João Conceição", "ENC-001", at(2025, 5, 1, 9, 22), "compra", Decimal("1234.56")
            ),
        ),
        ValidRow(
            3,
            ActivityIn("Ana Simões", "ENC-002", at(2025, 5, 12, 23), "renovação", Decimal("89.90")),
        ),
        ValidRow(
            4,
            ActivityIn("Lúcia Araújo", "ENC-003", at(2025, 5, 14, 8), "compra", Decimal("12.00")),
        ),
    ]


def test_excel_unicode_text_in_romanian():
    path = FIXTURES / "excel_unicode.txt"
    layout = reading.detect(path)
    assert (layout.preset, layout.encoding, layout.delimiter) == (Preset.GENERIC, "utf-16", "\t")
    assert named(layout) == {
        "submitted_at": "Data",
        "customer": "Client",
        "touchpoint": "Punct de contact",
        "nps": "Cât de probabil este să ne recomandați? (0-10)",
        "comment": "Comentariu",
        "language": "Limba",
    }
    parsed = parse(path, layout, timezone="Europe/Bucharest")
    assert [(p.line, p.record.nps, p.record.language, p.record.comment) for p in parsed] == [
        (2, 8, "ro", "Foarte bine, mulțumesc"),
        (3, 4, "ro", "Livrare întârziată;\r\nnimeni nu a sunat"),
    ]
    assert parsed[0].record.submitted_at == at(2025, 5, 1, 7, 22)


def test_xlsx_with_typed_cells(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Touchpoint", "Submitted at", "NPS", "CSAT", "Comment", "Customer ID"])
    sheet.append(["checkout", datetime(2025, 5, 1, 10, 22, 33), 9, 4.0, "Fine", 1234])
    sheet.append([])
    sheet.append(["TP-DEL", datetime(2025, 5, 2), 6.5, None, None, "C-2"])
    sheet.append([2, "2025-05-03 08:00", "10", "", "Multi\nline", None])
    path = tmp_path / "answers.csv"  # the name lies; the content decides
    book.save(path)

    layout = reading.detect(path)
    assert (layout.kind, layout.preset, layout.header_rows, layout.encoding) == (
        "xlsx",
        Preset.GENERIC,
        1,
        None,
    )
    assert presets.propose_mapping(layout, Target.RESPONSES) == {
        "touchpoint": 0,
        "submitted_at": 1,
        "nps": 2,
        "csat": 3,
        "comment": 4,
        "customer": 5,
    }
    first, second, third = parse(path, layout)
    assert first == ValidRow(
        2,
        AnswerIn(
            touchpoint_id=1,
            external_id=first.record.external_id,
            submitted_at=at(2025, 5, 1, 10, 22, 33),
            nps=9,
            csat=4,
            comment="Fine",
            customer="1234",
        ),
    )
    assert second == [RowError(4, "NPS", "6.5", "must be a whole number from 0 to 10")]
    assert (third.line, third.record.touchpoint_id, third.record.nps) == (5, 2, 10)
    assert third.record.comment == "Multi\nline"


def test_generic_headers_in_spanish_with_accents():
    columns = ["Fecha", "ID Cliente", "Punto de contacto", "¿Nos recomendaría?", "Comentario"]
    layout = Layout("csv", Preset.GENERIC, columns, 1)
    assert presets.propose_mapping(layout, Target.RESPONSES) == {
        "submitted_at": 0,
        "customer": 1,
        "touchpoint": 2,
        "nps": 3,
        "comment": 4,
    }


def test_generic_headers_prefer_the_end_date_and_skip_unknown_columns():
    columns = ["id", "Start Date", "End Date", "Customer Id", "Store", "Why?", "CSAT"]
    layout = Layout("csv", Preset.GENERIC, columns, 1)
    assert named(layout) == {
        "external_id": "id",
        "submitted_at": "End Date",
        "customer": "Customer Id",
        "comment": "Why?",
        "csat": "CSAT",
    }


def test_fields_say_what_is_required():
    required = {t: [f.name for f in fields if f.required] for t, fields in presets.FIELDS.items()}
    assert required == {
        Target.RESPONSES: ["submitted_at"],
        Target.ACTIVITIES: ["customer", "occurred_at", "kind"],
    }
    assert [f.name for f in presets.FIELDS[Target.RESPONSES]][:3] == [
        "touchpoint",
        "external_id",
        "submitted_at",
    ]
    assert all(str(f.label) for fields in presets.FIELDS.values() for f in fields)


@pytest.mark.parametrize(
    ("cells", "preset", "order"),
    [
        (["2025-05-01 10:00", "2025-05-13"], Preset.GENERIC, DateOrder.YMD),
        (["01/05/2025", "13/05/2025"], Preset.GENERIC, DateOrder.DMY),
        (["05/01/2025", "05/13/2025"], Preset.GENERIC, DateOrder.MDY),
        (["01/05/2025", "02/05/2025"], Preset.GENERIC, DateOrder.DMY),
        (["05/01/2025 10:22:33 AM"], Preset.SURVEYMONKEY, DateOrder.MDY),
        (["5/1/2025 10:22:33"], Preset.GOOGLE_FORMS, DateOrder.MDY),
        (["01/05/2025 10:22:33"], Preset.GOOGLE_FORMS, DateOrder.DMY),
        (["13.05.2025"], Preset.SURVEYMONKEY, DateOrder.DMY),  # the data wins over the tool
    ],
)
def test_date_order_is_proposed_from_the_sample(cells, preset, order):
    assert sniffing.sniff_date_order(cells, preset) is order


@pytest.mark.parametrize(
    ("cells", "comma"),
    [
        (["9,5", "1.234,56", "10"], True),
        (["9.5", "1,234.56"], False),
        (["1.234", "1,234", "10"], False),  # ambiguous alone: no evidence either way
        (["39.7392", "0,5"], False),
    ],
)
def test_decimal_comma_is_proposed_from_the_sample(cells, comma):
    assert sniffing.sniff_decimal_comma(cells) is comma


def test_only_qualtrics_files_name_a_time_zone_and_a_bad_one_is_ignored():
    header = [["ResponseId"], ["Response ID"], ['{"ImportId":"_recordId","timeZone":"Mars/Base"}']]
    assert presets.qualtrics_timezone(header) is None
    header[2] = ['{"ImportId":"startDate","timeZone":"Z"}']
    assert presets.qualtrics_timezone(header) == "UTC"
    assert reading.detect(FIXTURES / "google_forms.csv").timezone is None


# --- better guesses: free-text questions, filled columns, the header's signature ---------------


def test_qualtrics_free_text_question_is_proposed_as_the_comment():
    """Its text names no comment ("Tell us about your visit…"); its import id, QID3_TEXT, says
    it is a free-text question, and it is the first after the NPS question. The text box of a
    choice (QID2_4_TEXT) and a later free-text question (the job title) are not."""
    path = FIXTURES / "qualtrics_text_entry.csv"
    layout = reading.detect(path)
    assert (layout.preset, layout.header_rows, layout.timezone) == (
        Preset.QUALTRICS,
        3,
        "Europe/Lisbon",
    )
    assert [layout.columns[i] for i in layout.free_text] == [
        "Q3 - Tell us about your visit: what should we keep doing, and what could we do better?",
        "Q4 - What is your job title?",
    ]
    assert named(layout) == {
        "external_id": "ResponseId",
        "submitted_at": "RecordedDate",
        "customer": "ExternalReference",
        "language": "UserLanguage",
        "nps": "Q1 - How likely is it that you would recommend Acme to a friend or colleague?",
        "comment": layout.columns[layout.free_text[0]],
    }
    parsed = parse(path, layout, touchpoint_id=1)
    assert [(p.record.nps, p.record.comment, p.record.customer) for p in parsed] == [
        (10, "Quick checkout and the staff knew the products well.", "CUST-101"),
        (4, "A fila era enorme e só havia uma caixa aberta.", "CUST-102"),
        (8, "", None),
    ]


def test_qualtrics_free_text_question_named_as_a_comment_wins():
    layout = Layout(
        "csv",
        Preset.QUALTRICS,
        ["ResponseId", "Q1", "Q1_NPS_GROUP", "Q2 - Your role", "Q3 - Any other comments?"],
        3,
        free_text=[3, 4],
    )
    assert presets.propose_mapping(layout, Target.RESPONSES)["comment"] == 4


def test_qualtrics_export_without_free_text_ids_keeps_guessing_by_name():
    """A layout detected before free-text questions were recorded (an older job) still guesses."""
    layout = Layout("csv", Preset.QUALTRICS, ["ResponseId", "Q2 - Why did you give that score?"], 3)
    assert presets.propose_mapping(layout, Target.RESPONSES)["comment"] == 1


def test_surveymonkey_web_link_takes_the_customer_from_custom_data():
    """A web-link collector leaves Email Address empty; Custom Data 1 holds the customer."""
    path = FIXTURES / "surveymonkey_weblink.csv"
    layout = reading.detect(path)
    assert layout.filled[5] == 0  # Email Address
    assert layout.filled[8] == 3  # Custom Data 1
    assert named(layout)["customer"] == "Custom Data 1"
    parsed = parse(path, layout)
    assert [p.record.customer for p in parsed] == ["CUST-201", "CUST-202", "CUST-203"]


def test_qualtrics_customer_skips_an_empty_external_reference():
    layout = Layout(
        "csv",
        Preset.QUALTRICS,
        ["ResponseId", "ExternalReference", "RecipientEmail", "Q1", "Q1_NPS_GROUP"],
        3,
        filled=[3, 0, 3, 3, 3],
    )
    assert presets.propose_mapping(layout, Target.RESPONSES)["customer"] == 2


def test_a_filled_column_is_preferred_over_an_empty_one_of_the_same_name():
    layout = Layout("csv", Preset.GENERIC, ["Email", "Date", "NPS", "Customer"], 1)
    assert presets.propose_mapping(layout, Target.RESPONSES)["customer"] == 0
    filled = Layout("csv", Preset.GENERIC, layout.columns, 1, filled=[0, 5, 5, 5])
    assert presets.propose_mapping(filled, Target.RESPONSES)["customer"] == 3


def test_the_header_signature_is_stable_and_tells_exports_apart(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("Answer ID,Touchpoint,Date,NPS\nx1,CHK,2026-01-01,9\n", encoding="utf-8")
    # The same export's next file: other rows, other case and accents, a trailing separator.
    b.write_text("answer id;touchpoint;date;nps;\nx9;CHK;2026-02-01;3;\n", encoding="utf-8")
    first, second = reading.detect(a), reading.detect(b)
    assert first.signature == second.signature
    assert len(first.signature) == 64
    other = tmp_path / "c.csv"
    other.write_text("Answer ID,Touchpoint,Date,CSAT\nx1,CHK,2026-01-01,4\n", encoding="utf-8")
    assert reading.detect(other).signature != first.signature
    header = [["Respondent ID", "NPS"]]
    assert presets.header_signature(Preset.SURVEYMONKEY, header) != presets.header_signature(
        Preset.GENERIC, header
    )
