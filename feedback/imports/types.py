"""The records passed between the steps of a file import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from feedback.services import AnswerIn


class Target(StrEnum):
    RESPONSES = "responses"
    ACTIVITIES = "activities"


class Preset(StrEnum):
    GENERIC = "generic"
    QUALTRICS = "qualtrics"
    SURVEYMONKEY = "surveymonkey"
    GOOGLE_FORMS = "google_forms"


class DateOrder(StrEnum):
    """How to read an all-digit date such as 03/04/2025 (ISO dates are always read as ISO)."""

    YMD = "ymd"
    DMY = "dmy"
    MDY = "mdy"


class ImportFileError(Exception):
    """The file as a whole cannot be read (empty, not CSV/XLSX, too many columns…).

    ``args[0]`` is a translated message for the user.
    """


@dataclass(frozen=True)
class Layout:
    """What detection found out about a file; stored with the import job (JSON-serialisable)."""

    kind: str  # "csv" or "xlsx"
    preset: Preset
    columns: list[str]  # one display name per column, header rows merged ("Q1 - Response")
    header_rows: int  # rows before the first data row
    encoding: str | None = None  # csv only: "utf-8", "utf-8-sig", "utf-16", "cp1252"…
    delimiter: str | None = None  # csv only: ",", ";" or "\t"
    decimal_comma: bool = False  # numbers written 1.234,56 / 9,5
    date_order: DateOrder = DateOrder.YMD  # proposed from the data
    timezone: str | None = None  # when the file says (Qualtrics writes it in its third header row)
    # The header's fingerprint (presets.header_signature): a saved mapping is found by it.
    signature: str = ""
    # Per column, how many of the first data rows hold a value: a guess prefers a column that
    # is filled over an empty one of the same name ("Email Address" of an anonymous link).
    filled: list[int] = field(default_factory=list)
    # Columns of free-text questions (Qualtrics says so in its third header row: QID3_TEXT).
    free_text: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Layout:
        return cls(
            **{
                **data,
                "preset": Preset(data["preset"]),
                "date_order": DateOrder(data["date_order"]),
            }
        )


@dataclass(frozen=True)
class Mapping:
    """Which column feeds which field (field name → 0-based column index) plus file-wide choices."""

    target: Target
    columns: dict[str, int]
    touchpoint_id: int | None = None  # one touchpoint for the whole file when no column is mapped
    date_order: DateOrder = DateOrder.YMD
    timezone: str = "UTC"  # for date-times written without an offset
    decimal_comma: bool = False
    # One kind for the whole file's rows when no column says (a complaints export): "" for
    # survey answers. A record kind (feedback.models.Kind) makes every row a record.
    kind: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Mapping:
        return cls(
            **{
                **data,
                "target": Target(data["target"]),
                "columns": {k: int(v) for k, v in data["columns"].items()},
                "date_order": DateOrder(data["date_order"]),
            }
        )


@dataclass(frozen=True)
class ActivityIn:
    """One validated customer activity (a purchase, a renewal…)."""

    customer: str
    external_id: str
    occurred_at: datetime
    kind: str
    value: Decimal | None = None


@dataclass(frozen=True)
class ValidRow:
    line: int  # 1-based line (CSV physical line of the row's start; XLSX sheet row)
    record: AnswerIn | ActivityIn


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the column's display name ("" when the problem is the row as a whole)
    value: str  # the offending value, cut to 200 characters
    reason: str  # translated


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: list = field(default_factory=list)  # str for CSV; str/int/float/datetime/None for XLSX
    # Why reading could not give the row as the header shapes it (too few or too many fields, a
    # quote never closed, a line too long), translated; the row is rejected with this reason.
    problem: str = ""


# Resolves a touchpoint reference from a file cell (id, code or exact title) within the
# workspace: returns the touchpoint id, or raises ValueError with a translated reason.
TouchpointResolver = Callable[[str], int]
