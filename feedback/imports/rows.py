"""One file row → a validated record, or every problem of the row at once.

This runs once per row of files with millions of rows, so the work that does not depend on the
row (which column feeds which field, time zone, regexes) is done once per (layout, mapping,
resolver) in a `_Plan`, and each distinct touchpoint text is resolved once. Nothing here raises
on a cell's content, whatever its type: problems come back as `RowError`s.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback.customers import Profile, profile_of, profile_problems
from feedback.followups.contact import MAX_CONTACT, clean_contact
from feedback.imports import records
from feedback.imports.reading import as_text
from feedback.imports.types import (
    ActivityIn,
    DateOrder,
    Layout,
    Mapping,
    RawRow,
    RowError,
    Target,
    TouchpointResolver,
    ValidRow,
)
from feedback.models import Kind
from feedback.services import AnswerIn

MAX_VALUE = 200  # characters of an offending value kept in a row error
MAX_COMMENT = 10_000
MAX_ID = 200
# The mapping's customer attribute fields, and the attribute each one sets.
_PROFILE_COLUMNS = {
    "customer_email": "email",
    "customer_name": "name",
    "segment": "segment",
    "country": "country",
    "plan": "plan",
}
MAX_KIND = 40
MAX_AMOUNT_DIGITS = 12  # before the decimal point: Activity.value is 14 digits, 2 of them cents
SCORES = (("nps", 0, 10), ("csat", 1, 5), ("respect", 1, 5), ("solutions", 1, 5),
          ("simplicity", 1, 5), ("responsibility", 1, 5), ("ces", 1, 7))  # fmt: skip
_RESOLVED_CACHE = 10_000  # distinct touchpoint texts remembered; a file of junk stays bounded

_ENCODINGS = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
              "utf-16-be": "UTF-16", "cp1252": "Windows-1252", "latin-1": "Latin-1"}  # fmt: skip
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_SCORE_TEXT = {str(n): n for n in range(11)}
_NUMBER = re.compile(r"([+-]?\d{1,20})(?:[.,](\d{1,20}))?")
_CHOICE = re.compile(
    r"(\d{1,2})\s*(?:[-=:\u2013\u2014.)]\s*|\s+)\D.*"  # "10 - Extremely likely", "9 = Very likely"
    r"|.*?\D\s*[-=:\u2013\u2014]\s*(\d{1,2})",  # "Extremely likely - 10"
    re.DOTALL,
)
_DATE = re.compile(
    r"(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})"
    r"(?:(?:\s+|T|,\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?"
    r"(?:\s*([AaPp])\.?\s?[Mm]\.?)?)?"
    r"(?:\s*(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?|\s*(?:Z|GMT|UTC))?"
)
_LANGUAGE = re.compile(r"([A-Za-z]{2,8})(?:[-_][A-Za-z0-9]{1,8})*")
_AMOUNT_NOISE = re.compile(r"[\s'\u2019]+|^[^\d+\-.,]+|[^\d.,]+$")
_AMOUNT_POINT = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_AMOUNT_COMMA = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?")
_CENT = Decimal("0.01")
_NOT_A_DATE = gettext_lazy("is not a date and time we can read, such as 2025-05-01 14:30")
_NOT_AN_AMOUNT = gettext_lazy("is not an amount such as 1234.56 or 1.234,56")
_TOO_MANY_DIGITS = gettext_lazy("has more than 12 digits before the decimal point")
_AMOUNT_LIMIT = Decimal(10) ** MAX_AMOUNT_DIGITS


def _answer(**values: object) -> AnswerIn:
    # AnswerIn is a frozen dataclass: its __init__ sets each of its 12 fields through
    # object.__setattr__ (2.8 µs, a quarter of a row's validation). Filling the instance's
    # __dict__ makes the same object in 1.1 µs.
    answer = object.__new__(AnswerIn)
    answer.__dict__.update(_ANSWER_DEFAULTS, **values)
    return answer


_ANSWER_DEFAULTS = {
    f.name: f.default for f in dataclasses.fields(AnswerIn) if f.default is not dataclasses.MISSING
}
if hasattr(AnswerIn, "__post_init__") or hasattr(AnswerIn, "__slots__"):  # it checks its values
    _answer = AnswerIn


class _Bad(Exception):
    """A cell's problem; only ever raised and caught inside this module."""

    def __init__(self, reason: str | Promise) -> None:
        self.reason = reason


def validate(
    raw: RawRow, *, layout: Layout, mapping: Mapping, resolve: TouchpointResolver
) -> ValidRow | list[RowError]:
    return validator(layout=layout, mapping=mapping, resolve=resolve)(raw)


_last: tuple | None = None


def validator(*, layout: Layout, mapping: Mapping, resolve: TouchpointResolver):
    """`validate` with its arguments bound, for a loop over a whole file."""
    global _last
    last = _last
    if (
        last is not None
        and (last[0] is layout or last[0] == layout)
        and (last[1] is mapping or last[1] == mapping)
        and last[2] == resolve  # == so that a fresh bound method of the same object matches
    ):
        return last[3]
    check = _Plan(layout, mapping, resolve).check
    _last = (layout, mapping, resolve, check)
    return check


class _Plan:
    def __init__(self, layout: Layout, mapping: Mapping, resolve: TouchpointResolver) -> None:
        columns = {f: i for f, i in mapping.columns.items() if type(i) is int and i >= 0}
        self.names, self.mapping, self.resolve = layout.columns, mapping, resolve
        self.tp, self.id = columns.get("touchpoint", -1), columns.get("external_id", -1)
        self.customer, self.comment = columns.get("customer", -1), columns.get("comment", -1)
        self.language, self.kind = columns.get("language", -1), columns.get("kind", -1)
        self.value = columns.get("value", -1)
        self.contact = columns.get("contact", -1)
        # What a row says of its customer: read only when one of these columns is mapped.
        self.profile = [(f, columns[f]) for f in _PROFILE_COLUMNS if f in columns]
        self.columns, self.file_kind = columns, mapping.kind  # records: feedback.imports.records
        self.when_field = "submitted_at" if mapping.target == Target.RESPONSES else "occurred_at"
        self.when = columns.get(self.when_field, -1)
        self.scores = [(f, columns[f], lo, hi) for f, lo, hi in SCORES if f in columns]
        self.score_at = columns.get("nps", columns.get("csat", -1))
        self.resolved: dict[str, int | str] = {}
        self.languages: dict[str, str | None] = {}
        self.encoding = _ENCODINGS.get(layout.encoding or "", (layout.encoding or "").upper())
        self.tz_problem, self.tz = "", UTC
        if mapping.timezone not in ("UTC", "Etc/UTC", ""):
            try:
                self.tz = ZoneInfo(mapping.timezone)
            except Exception:  # the caller checks the name; an unknown one must not pass as UTC
                self.tz_problem = _("unknown time zone “%(tz)s”") % {"tz": mapping.timezone}
        self.check = self.responses if mapping.target == Target.RESPONSES else self.activities

    def responses(self, raw: RawRow) -> ValidRow | list[RowError]:
        cells, line = raw.cells, raw.line
        if raw.problem:  # reading found the row's shape wrong: its cells are not the columns
            return [RowError(line, "", "", raw.problem)]
        errors: list[RowError] = []
        touchpoint = self._touchpoint(cells, line, errors)  # outside the net: resolver errors
        try:
            n = len(cells)
            scores = {}
            for field, i, low, high in self.scores:
                if i < n and (v := cells[i]) is not None:
                    try:
                        scores[field] = _score(v, low, high)
                    except _Bad as bad:
                        errors.append(self._error(line, i, v, self._reason(v, bad)))
                        scores[field] = -1  # reported already; not "missing" as well
            kind = self._kind(cells, line, errors)
            if (
                kind == Kind.SURVEY_ANSWER
                and scores.get("nps") is None
                and scores.get("csat") is None
            ):
                reason = _("needs an NPS or a CSAT score")
                errors.append(self._error(line, self.score_at, "", reason))
            submitted_at = self._datetime(cells, line, errors)
            comment = self._text(self.comment, "comment", cells, line, errors, MAX_COMMENT)
            record = self._record(kind, scores, comment, cells, line, errors)
            language = self._language(cells, line, errors)
            customer = self._text(self.customer, "customer", cells, line, errors, MAX_ID)
            external_id = self._external_id(cells, line, errors)
            contact = self._contact(cells, line, errors) if self.contact >= 0 else ""
            profile = self._profile(cells, line, errors) if self.profile and customer else None
            if errors:
                return errors
            answer = _answer(touchpoint_id=touchpoint, external_id=external_id,
                             submitted_at=submitted_at, comment=comment, language=language,
                             customer=customer or None, contact=contact, profile=profile,
                             **scores, **record)  # fmt: skip
            return ValidRow(line, answer)
        except Exception:  # a safety net: a cell we failed to foresee must not stop the file
            return [*errors, RowError(line, "", "", _("this row cannot be read"))]

    def activities(self, raw: RawRow) -> ValidRow | list[RowError]:
        cells, line = raw.cells, raw.line
        if raw.problem:  # reading found the row's shape wrong: its cells are not the columns
            return [RowError(line, "", "", raw.problem)]
        errors: list[RowError] = []
        try:
            customer = self._text(self.customer, "customer", cells, line, errors, MAX_ID, True)
            occurred_at = self._datetime(cells, line, errors)
            kind = self._text(self.kind, "kind", cells, line, errors, MAX_KIND, True)
            value = None
            if 0 <= (i := self.value) < len(cells):
                try:
                    value = _amount(cells[i], self.mapping.decimal_comma)
                except _Bad as bad:
                    errors.append(self._error(line, i, cells[i], self._reason(cells[i], bad)))
            external_id = self._external_id(cells, line, errors)
            if errors:
                return errors
            return ValidRow(line, ActivityIn(customer, external_id, occurred_at, kind, value))
        except Exception:  # as above
            return [*errors, RowError(line, "", "", _("this row cannot be read"))]

    def _kind(self, cells: list, line: int, errors: list[RowError]) -> str | None:
        if not self.file_kind and "record_kind" not in self.columns:
            return Kind.SURVEY_ANSWER  # the common file: no cell to read
        text = records.cell_text(cells, i := self.columns.get("record_kind", -1))
        kind = records.kind_of(text, self.file_kind)
        if kind is None:
            errors.append(self._error(line, i, text, records.unknown_kind()))
        return kind

    def _record(self, kind, scores, comment, cells, line, errors) -> dict:
        """A record's own fields (kind, noted experience), its problems added to ``errors``."""
        if kind in (None, Kind.SURVEY_ANSWER):
            return {}
        for field, reason in records.record_reasons(scores, comment):
            errors.append(self._error(line, self.columns.get(field, -1), "", reason))
        text = records.cell_text(cells, i := self.columns.get("noted_experience", -1))
        noted = records.noted_of(text)
        if noted is None:
            errors.append(self._error(line, i, text, records.unknown_noted()))
        return {"kind": kind, "noted_experience": noted or ""}

    def _error(self, line: int, index: int, value: object, reason: str) -> RowError:
        if 0 <= index < len(self.names):
            column = self.names[index]
        else:
            column = _("Column %(n)d") % {"n": index + 1} if index >= 0 else ""
        return RowError(line, column, _shown(value), str(reason))

    def _reason(self, value: object, bad: _Bad) -> str:
        # Damaged text explains a failed number or date better than the format does.
        if isinstance(value, str) and _BAD_TEXT.search(value):
            return self._bad_text_reason(value)
        return bad.reason

    def _bad_text_reason(self, text: str) -> str:
        if "\x00" in text:
            return _("contains a NUL character; the file may be damaged")
        return _("this line is not valid %(encoding)s text") % {"encoding": self.encoding}

    def _touchpoint(self, cells: list, line: int, errors: list[RowError]) -> int:
        i = self.tp
        text = as_text(cells[i]) if 0 <= i < len(cells) else ""
        if not text:
            if self.mapping.touchpoint_id is not None:
                return self.mapping.touchpoint_id
            reason = _("is empty") if i >= 0 else _("no touchpoint: choose a touchpoint column "
                                                    "or one for the whole file")  # fmt: skip
            errors.append(self._error(line, i, "", reason))
            return 0
        found = self.resolved.get(text)
        if found is None:
            if len(text) > MAX_ID:
                found = _("is longer than %(max)d characters") % {"max": MAX_ID}
            elif _BAD_TEXT.search(text):
                found = self._bad_text_reason(text)
            else:
                try:
                    found = self.resolve(text)
                except ValueError as exc:
                    found = str(exc.args[0]) if exc.args else _("unknown touchpoint")
            if len(self.resolved) < _RESOLVED_CACHE:
                self.resolved[text] = found
        if type(found) is str:
            errors.append(self._error(line, i, text, found))
            return 0
        return found

    def _text(self, i: int, field: str, cells: list, line: int, errors: list[RowError],
              limit: int, required: bool = False) -> str:  # fmt: skip
        if i < 0:
            if required:
                errors.append(_no_column(line, field))
            return ""
        value = cells[i] if i < len(cells) else None
        text = value.strip() if type(value) is str else as_text(value)
        if not text:
            if required:
                errors.append(self._error(line, i, "", _("is empty")))
        elif len(text) > limit:
            reason = _("is longer than %(max)d characters") % {"max": limit}
            errors.append(self._error(line, i, text, reason))
        elif _BAD_TEXT.search(text):
            errors.append(self._error(line, i, text, self._bad_text_reason(text)))
        return text

    def _profile(self, cells: list, line: int, errors: list[RowError]) -> Profile | None:
        """The row's customer attributes; a bad one is the row's error, an empty one is none."""
        values = {}
        for field, i in self.profile:
            value = cells[i] if i < len(cells) else None
            values[_PROFILE_COLUMNS[field]] = (
                value.strip() if type(value) is str else as_text(value)
            )
        problems = profile_problems(**values)
        if problems:
            at = {_PROFILE_COLUMNS[f]: i for f, i in self.profile}
            for field, reason in problems:
                i = at[field]
                errors.append(self._error(line, i, values[field], reason))
            return None
        return profile_of(**values)

    def _contact(self, cells: list, line: int, errors: list[RowError]) -> str:
        before = len(errors)
        text = self._text(self.contact, "contact", cells, line, errors, MAX_CONTACT)
        if len(errors) > before:  # too long or damaged: said already
            return ""
        try:
            return clean_contact(text)
        except ValueError as exc:
            errors.append(self._error(line, self.contact, text, str(exc.args[0])))
            return ""

    def _language(self, cells: list, line: int, errors: list[RowError]) -> str:
        i = self.language
        text = as_text(cells[i]) if 0 <= i < len(cells) else ""
        if not text:
            return ""
        language = self.languages.get(text)
        if language is None:
            m = _LANGUAGE.fullmatch(text) if len(text) <= 16 else None
            language = m[1].lower() if m else ""
            if len(self.languages) < 1000:
                self.languages[text] = language
        if not language:
            reason = _("is not a language code such as “en” or “pt-BR”")
            errors.append(self._error(line, i, text, reason))
        return language

    def _external_id(self, cells: list, line: int, errors: list[RowError]) -> str:
        if self.id < 0:
            # Derived from the content, so importing the same file again finds the same ids.
            joined = "\x1f".join(c if type(c) is str else as_text(c) for c in cells)
            digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
            return "row-" + digest[:32]
        return self._text(self.id, "external_id", cells, line, errors, MAX_ID, True)

    def _datetime(self, cells: list, line: int, errors: list[RowError]) -> datetime:
        if (i := self.when) < 0:
            errors.append(_no_column(line, self.when_field))
            return _EPOCH
        value = cells[i] if i < len(cells) else None
        try:
            when = _datetime(value, self.mapping.date_order)
            if when is None:
                raise _Bad(_("is empty"))
            if when.tzinfo is None:
                if self.tz_problem:
                    raise _Bad(self.tz_problem)
                when = when.replace(tzinfo=self.tz)
            return when.astimezone(UTC)
        except _Bad as bad:
            errors.append(self._error(line, i, value, self._reason(value, bad)))
            return _EPOCH


def _no_column(line: int, field: str) -> RowError:
    return RowError(line, "", "", _("no column is chosen for “%(f)s”") % {"f": field})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _shown(value: object) -> str:
    return _BAD_TEXT.sub("\ufffd", as_text(value)[:MAX_VALUE])


def _score(value: object, low: int, high: int) -> int | None:
    number = -1  # stays out of range (low is never negative) unless the cell reads as a number
    if type(value) is str:
        number = _SCORE_TEXT.get(value, -1)
        if number < 0:
            if not (text := value.strip()):
                return None
            if m := _NUMBER.fullmatch(text):
                number = int(m[1]) if not (m[2] or "0").strip("0") else -1  # 9.0 but not 9.5
            elif len(text) < 200 and (m := _CHOICE.fullmatch(text)):
                number = int(m[1] or m[2])
    elif type(value) is int:
        number = value
    elif type(value) is float and value.is_integer():
        number = int(value)
    if low <= number <= high:
        return number
    raise _Bad(_whole_number(low, high))


def _whole_number(low: int, high: int) -> str:
    return _("must be a whole number from %(low)d to %(high)d") % {"low": low, "high": high}


def _datetime(value: object, order: DateOrder) -> datetime | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if len(text) >= 10 and text[4] == "-":
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                when = _parse_date(text, order)
        else:
            when = _parse_date(text, order)
    elif isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime(value.year, value.month, value.day)
    elif value is None:
        return None
    elif type(value) in (int, float) and 1 <= value < 73051:  # an Excel day number up to 2100
        from openpyxl.utils.datetime import from_excel

        when = from_excel(value)
    else:
        raise _Bad(_NOT_A_DATE)
    if not 1900 <= when.year <= 2100:
        raise _Bad(_("the year must be between 1900 and 2100"))
    return when


def _parse_date(text: str, order: DateOrder) -> datetime:
    m = _DATE.fullmatch(text) if len(text) <= 64 else None
    if m is None:
        raise _Bad(_NOT_A_DATE)
    a, _sep, b, c, hour, minute, second, fraction, half, sign, off_h, off_m = m.groups()
    if len(a) == 4:
        year, month, day = a, b, c
    elif len(c) in (2, 4):
        # A year-first order cannot read 03/04/2025; most of the world reads it day first.
        month, day = (a, b) if order == DateOrder.MDY else (b, a)
        year = c if len(c) == 4 else str(2000 + int(c) if int(c) < 70 else 1900 + int(c))
    else:
        raise _Bad(_NOT_A_DATE)
    h = int(hour or 0)
    if half:
        if not 1 <= h <= 12:
            raise _Bad(_NOT_A_DATE)
        h = h % 12 + (12 if half in "Pp" else 0)
    tz = None
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        if offset >= timedelta(hours=24):
            raise _Bad(_NOT_A_DATE)
        tz = timezone(-offset if sign == "-" else offset)
    elif text.endswith(("Z", "GMT", "UTC")):
        tz = UTC
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        return datetime(int(year), int(month), int(day), h, int(minute or 0), int(second or 0),
                        micro, tzinfo=tz)  # fmt: skip
    except ValueError:
        raise _Bad(_NOT_A_DATE) from None


def _amount(value: object, decimal_comma: bool) -> Decimal | None:
    if type(value) is str:
        text = _AMOUNT_NOISE.sub("", value)
        if not text:
            if value.strip():
                raise _Bad(_NOT_AN_AMOUNT)
            return None
        amount = _parse_amount(text, decimal_comma)
    elif type(value) is int:
        amount = Decimal(value)
    elif type(value) is float and math.isfinite(value):
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal) and value.is_finite():
        amount = value
    elif value is None:
        return None
    else:
        raise _Bad(_NOT_AN_AMOUNT)
    if abs(amount) >= _AMOUNT_LIMIT:
        raise _Bad(_TOO_MANY_DIGITS)
    amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if abs(amount) >= _AMOUNT_LIMIT:  # 999999999999.999 rounds up to 13 digits
        raise _Bad(_TOO_MANY_DIGITS)
    return amount


def _parse_amount(text: str, decimal_comma: bool) -> Decimal:
    comma, point = text.rfind(","), text.rfind(".")
    if comma >= 0 and point >= 0:  # both: the last one separates the decimals
        first, other = (_AMOUNT_COMMA if comma > point else _AMOUNT_POINT), None
    elif decimal_comma:
        first, other = _AMOUNT_COMMA, _AMOUNT_POINT
    else:
        first, other = _AMOUNT_POINT, _AMOUNT_COMMA
    m = first.fullmatch(text)
    if m is None and other is not None:
        # The other separator is fine where it cannot be a thousands separator ("9,5", "0.25").
        m = other.fullmatch(text)
        if m is not None and m[3] is not None and len(m[3]) == 3:
            m = None
    if m is None:
        raise _Bad(_NOT_AN_AMOUNT)
    sign, whole, cents = m[1], m[2].replace(",", "").replace(".", ""), (m[3] or "0")[:20]
    if len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS:
        raise _Bad(_TOO_MANY_DIGITS)
    return Decimal(f"{sign}{whole}.{cents}")
