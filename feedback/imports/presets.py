"""What a file's header says: which survey tool wrote it, its column names, a proposed mapping.

Qualtrics, SurveyMonkey and Google Forms each export in a fixed shape; recognising the shape lets
us merge their multi-row headers into one readable name per column and map their metadata
columns (ids, dates, e-mails) without asking. Any other file is matched on its header names,
in English, Portuguese, Spanish and Romanian, case- and accent-insensitively.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback.imports.types import DateOrder, Layout, Preset, Target

MAX_NAME = 200  # a display name is shown in error reports; question texts can be paragraphs


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise | str
    required: bool = False
    help: Promise | str = ""


_SCORE_HELP = _("A whole number; “9”, “9.0” and “10 - Extremely likely” all read as numbers.")
_RATING_HELP = _("A whole number from 1 to 5.")

FIELDS: dict[Target, list[FieldSpec]] = {
    Target.RESPONSES: [
        FieldSpec(
            "touchpoint",
            _("Touchpoint"),
            help=_("The touchpoint's id, code or exact title. Or choose one for the whole file."),
        ),
        FieldSpec(
            "external_id",
            _("Answer id"),
            help=_(
                "Keeps a re-imported file from adding answers twice. "
                "Without it, an id is derived from each row's content."
            ),
        ),
        FieldSpec(
            "submitted_at",
            _("Answered at"),
            required=True,
            help=_("Dates and times without a time zone are read in the time zone you choose."),
        ),
        FieldSpec("nps", _("NPS (0-10)"), help=_("Each answer needs an NPS or a CSAT score.")),
        FieldSpec("csat", _("CSAT (1-5)"), help=_SCORE_HELP),
        FieldSpec("respect", _("Respect (1-5)"), help=_RATING_HELP),
        FieldSpec("solutions", _("Solutions (1-5)"), help=_RATING_HELP),
        FieldSpec("simplicity", _("Simplicity (1-5)"), help=_RATING_HELP),
        FieldSpec("responsibility", _("Responsibility (1-5)"), help=_RATING_HELP),
        FieldSpec("comment", _("Comment"), help=_("Up to 10,000 characters.")),
        FieldSpec("language", _("Language"), help=_("A language code such as “en” or “pt-BR”.")),
        FieldSpec("customer", _("Customer"), help=_("The customer's id or e-mail address.")),
        FieldSpec(
            "contact",
            _("Contact"),
            help=_("An e-mail or phone the customer agreed to be contacted at, for follow-ups."),
        ),
    ],
    Target.ACTIVITIES: [
        FieldSpec("customer", _("Customer"), required=True, help=_("The customer's id or e-mail.")),
        FieldSpec(
            "external_id",
            _("Activity id"),
            help=_("An order or transaction id. Without it, one is derived from the row."),
        ),
        FieldSpec("occurred_at", _("Happened at"), required=True),
        FieldSpec("kind", _("Kind"), required=True, help=_("Such as “purchase” or “renewal”.")),
        FieldSpec("value", _("Value"), help=_("An amount such as 1234.56 or 1.234,56.")),
    ],
}

# Normalised (see `normalize`) words and phrases that name each field. Phrases of four or more
# letters also match the start of a word inside a longer header ("recomend" in "recomendaria").
_DATE = (
    "date", "datetime", "timestamp", "data", "data hora", "fecha", "fecha hora", "marca temporal",
    "carimbo de data hora", "marcaj de timp", "created", "created at",
)  # fmt: skip
_CUSTOMER = (
    "customer", "customer id", "client", "client id", "cliente", "id cliente", "id client",
    "email", "e mail", "email address", "correo", "user id", "account",
)  # fmt: skip
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "touchpoint": (
        "touchpoint", "touchpoint code", "touchpoint id", "touch point", "ponto de contacto",
        "ponto de contato", "punto de contacto", "punct de contact", "moment of truth",
    ),
    "external_id": (
        "id", "external id", "response id", "answer id", "respondent id", "record id",
        "submission id", "id resposta", "id respuesta", "id raspuns",
    ),
    "submitted_at": (
        *_DATE, "submitted", "submitted at", "submission date", "answered at", "response date",
        "end date", "recorded date", "completed", "data resposta", "fecha respuesta",
    ),
    "nps": (
        "nps", "net promoter", "recommend", "recomend", "recoman", "likely to recommend",
        "likelihood", "probabilidade", "probabilidad",
    ),
    "csat": ("csat", "satisfaction", "satisfied", "satisfacao", "satisfaccion", "satisfactie",
             "satisfeito", "satisfecho", "multumit"),
    "respect": ("respect", "respeito", "respeto"),
    "solutions": ("solution", "solutions", "solucao", "solucoes", "solucion", "solutie", "solutii"),
    "simplicity": ("simplicity", "simple", "simplicidade", "simplicidad", "simplitate", "ease"),
    "responsibility": ("responsibility", "responsabilidade", "responsabilidad", "responsabilitate"),
    "comment": (
        "comment", "comments", "comentario", "comentarios", "comentariu", "comentarii", "why",
        "por que", "porque", "de ce", "reason", "motivo", "motiv", "feedback", "observac",
        "remarks", "open ended response",
    ),
    "language": ("language", "lang", "locale", "idioma", "lingua", "limba", "user language"),
    "customer": _CUSTOMER,
    "contact": ("contact", "may we contact you", "phone", "phone number", "telephone",
                "telefone", "telefono", "telefon", "contacto", "contato"),
    "occurred_at": (*_DATE, "occurred", "occurred at", "purchase date", "order date"),
    "kind": ("kind", "type", "activity", "event", "tipo", "tip", "evento", "eveniment"),
    "value": (
        "value", "amount", "total", "revenue", "price", "valor", "montante", "importe", "monto",
        "valoare", "suma", "sum",
    ),
}  # fmt: skip
_ACTIVITY_IDS = ("order", "order id", "transaction", "transaction id", "activity id", "invoice",
                 "pedido", "encomenda", "factura", "fatura", "comanda")  # fmt: skip
# Words that disqualify a header for a field although a synonym matches ("Start Date").
_NOT = {
    "submitted_at": ("start", "inicio", "birth", "nascimento", "nacimiento", "nastere"),
    "occurred_at": ("birth", "nascimento", "nacimiento", "nastere"),
    "external_id": ("customer", "client", "collector", "touchpoint", "user"),
    "contact": ("ponto", "punto", "punct", "touch", "center", "centre", "channel"),
}

_GOOGLE_TIMESTAMP = {"timestamp", "carimbo de data hora", "marca temporal", "marcaj de timp"}
_QUALTRICS_META = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
}  # fmt: skip
_MONKEY_META = {
    "respondent id", "collector id", "start date", "end date", "ip address", "email address",
    "first name", "last name",
}  # fmt: skip

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")


def normalize(text: str) -> str:
    """ "Endereço de e-mail" → "endereco de e mail"; "ResponseId" → "response id"."""
    text = _CAMEL.sub(" ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", text).strip()


# --- recognising a file's shape ----------------------------------------------------------------


# The continents and oceans of canonical IANA names ("Europe/Lisbon"): this leaves out the tz
# database's one-word and legacy names ("Factory", "localtime", "W-SU", "US/Eastern") and Etc/.
_ZONE_AREAS = frozenset(
    [
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ]
)


def _listed_zones() -> frozenset[str] | None:
    """The zones the tz database lists by country (its ``zone.tab``: "Europe/Amsterdam" and
    "Asia/Kolkata", not the legacy links "Asia/Calcutta" or "Europe/Kiev"), when the system
    ships that table."""
    for root in zoneinfo.TZPATH:
        path = Path(root) / "zone.tab"
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return frozenset(line.split("\t")[2] for line in lines if line and line[0] != "#")
    return None


def _canonical_zones() -> frozenset[str]:
    listed = _listed_zones()
    return frozenset(
        {
            name
            for name in zoneinfo.available_timezones()
            if "/" in name
            and name.split("/", 1)[0] in _ZONE_AREAS
            and (listed is None or name in listed)
        }
        | {"UTC"}
    )


# Read once: listing the zones scans the tz database on disk.
TIME_ZONES = _canonical_zones()
UNKNOWN_TIME_ZONE = _(
    "Choose a time zone from the list: a place such as Europe/Lisbon or America/Denver, or UTC "
    "(legacy names such as US/Eastern or W-SU are not offered)."
)


def identify(rows: list[list[str]]) -> tuple[Preset, int]:
    """The preset and the number of header rows, from the file's first rows (as stripped text)."""
    first = rows[0]
    if len(rows) >= 3 and any(c.casefold() == "responseid" for c in first):
        imports = [c for c in rows[2] if c]
        if imports and all(_is_import_id(c) for c in imports):
            return Preset.QUALTRICS, 3
    names = [normalize(c) for c in first]
    if "respondent id" in names:
        at = names.index("respondent id")
        second = rows[1] if len(rows) > 1 else []
        sub_headers = (at >= len(second) or not second[at]) and any(second)
        return Preset.SURVEYMONKEY, 2 if sub_headers else 1
    if names and names[0] in _GOOGLE_TIMESTAMP:
        return Preset.GOOGLE_FORMS, 1
    return Preset.GENERIC, 1


def _is_import_id(cell: str) -> bool:
    if not cell.startswith("{"):
        return False
    try:
        data = json.loads(cell)
    except ValueError:
        return False
    return isinstance(data, dict) and "ImportId" in data


def qualtrics_timezone(header: list[list[str]]) -> str | None:
    """The time zone Qualtrics names for its dates (``{"ImportId":"recordedDate","timeZone":…}``),
    the recorded date's first; ``Z`` means UTC."""
    found = []
    for cell in header[2] if len(header) > 2 else []:
        try:
            data = json.loads(cell) if cell.startswith("{") else None
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("timeZone"), str):
            zone = "UTC" if data["timeZone"] in ("Z", "UTC") else data["timeZone"]
            if zone in TIME_ZONES:
                found.append((data.get("ImportId") != "recordedDate", zone))
    return min(found)[1] if found else None


def column_names(preset: Preset, header: list[list[str]], count: int) -> list[str]:
    """One display name per column: header rows merged, cleaned, cut, never empty, unique."""
    top = _padded(header[0] if header else [], count)
    if preset is Preset.QUALTRICS:
        texts = _padded(header[1], count)
        names = [_qualtrics_name(i, t) for i, t in zip(top, texts, strict=True)]
    elif preset is Preset.SURVEYMONKEY and len(header) > 1:
        names, carried = [], ""
        for above, below in zip(top, _padded(header[1], count), strict=True):
            # A question's text spans its answer columns, written once above the first of them.
            carried = above or (carried if below else "")
            names.append(f"{carried} - {below}" if carried and below else carried or below)
    else:
        names = top
    seen: set[str] = set()
    unique = []
    for n, name in enumerate(names, start=1):
        name = " ".join(_CONTROL.sub(" ", name).split())[:MAX_NAME]
        name = name or gettext("Column %(n)d") % {"n": n}
        candidate, copy = name, 1
        while candidate.casefold() in seen:
            copy += 1
            candidate = f"{name} ({copy})"
        seen.add(candidate.casefold())
        unique.append(candidate)
    return unique


def _padded(row: list[str], count: int) -> list[str]:
    return (row + [""] * count)[:count]


def _qualtrics_name(column_id: str, text: str) -> str:
    if not text or column_id in _QUALTRICS_META or normalize(text) == normalize(column_id):
        return column_id
    return f"{column_id} - {text}"


# --- what the data looks like -------------------------------------------------------------------

_COMMA_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,})")
_POINT_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,})")
_SHORT_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")


def sniff_decimal_comma(cells: Iterable[object]) -> bool:
    """Whether sample cells write numbers as 9,5 or 1.234,56 more often than as 9.5."""
    comma = point = 0
    for cell in cells:
        if isinstance(cell, str) and len(cell) < 40:
            if _COMMA_NUMBER.fullmatch(cell):
                comma += 1
            elif _POINT_NUMBER.fullmatch(cell):
                point += 1
    return comma > point


def sniff_date_order(cells: Iterable[object], preset: Preset) -> DateOrder:
    """How to read 03/04/2025 in this file, from the sample's unambiguous dates."""
    day_first = month_first = ambiguous = 0
    unpadded = False
    for cell in cells:
        if not isinstance(cell, str) or not (m := _SHORT_DATE.match(cell)):
            continue
        first, second = int(m[1]), int(m[2])
        if first > 12:
            day_first += 1
        elif second > 12:
            month_first += 1
        else:
            ambiguous += 1
            unpadded = unpadded or len(m[1]) == 1 or len(m[2]) == 1
    if day_first or month_first:
        return DateOrder.DMY if day_first >= month_first else DateOrder.MDY
    if preset is Preset.SURVEYMONKEY:
        return DateOrder.MDY
    if ambiguous:
        # Google Forms in US English writes 5/1/2025; locales that put the day first pad it.
        if preset is Preset.GOOGLE_FORMS and unpadded:
            return DateOrder.MDY
        return DateOrder.DMY
    return DateOrder.YMD


# --- proposing a mapping -------------------------------------------------------------------------


def propose_mapping(layout: Layout, target: Target) -> dict[str, int]:
    """Field name → column index, for the fields whose column the header names clearly."""
    fixed: dict[str, int] = {}
    skip: set[int] = set()
    fields = [f.name for f in FIELDS[target]]
    if target is Target.RESPONSES:
        if layout.preset is Preset.QUALTRICS:
            fixed, skip = _qualtrics(layout.columns)
        elif layout.preset is Preset.SURVEYMONKEY:
            fixed, skip = _surveymonkey(layout.columns)
        elif layout.preset is Preset.GOOGLE_FORMS:
            fixed, skip = _google_forms(layout.columns)
            fields.remove("external_id")  # its rows carry no id; one is derived from each row
    wanted = [f for f in fields if f not in fixed]
    return fixed | _by_name(layout.columns, wanted, skip | set(fixed.values()), target)


def _by_name(
    columns: list[str], fields: list[str], taken: set[int], target: Target
) -> dict[str, int]:
    candidates = []
    for index, column in enumerate(columns):
        if index in taken:
            continue
        name = normalize(column)
        for order, field in enumerate(fields):
            synonyms = _SYNONYMS[field]
            if field == "external_id" and target is Target.ACTIVITIES:
                synonyms = synonyms + _ACTIVITY_IDS
            score = _match(name, synonyms, _NOT.get(field, ()))
            if score:
                candidates.append((-score, order, index, field))
    chosen: dict[str, int] = {}
    used: set[int] = set()
    for _score, _order, index, field in sorted(candidates):
        if field not in chosen and index not in used:
            chosen[field] = index
            used.add(index)
    return chosen


def _match(name: str, synonyms: tuple[str, ...], excluded: tuple[str, ...]) -> int:
    if not name or any(re.search(rf"\b{word}", name) for word in excluded):
        return 0
    best = 0
    for synonym in synonyms:
        if name == synonym:
            return 1000
        # Short words ("id", "nps") only as whole words; longer ones also as word beginnings.
        tail = "" if len(synonym) >= 4 else r"\b"
        if re.search(rf"\b{re.escape(synonym)}{tail}", name):
            best = max(best, 100 + len(synonym))
    return best


def _column(names: list[str], *wanted: str) -> int | None:
    for want in wanted:
        for index, name in enumerate(names):
            if name == want:
                return index
    return None


def _fixed(**found: int | None) -> dict[str, int]:
    return {field: index for field, index in found.items() if index is not None}


def _qualtrics(columns: list[str]) -> tuple[dict[str, int], set[int]]:
    ids = [c.split(" - ", 1)[0] for c in columns]
    nps = next(
        (i for i, c in enumerate(ids) if f"{c}_NPS_GROUP" in ids and not c.endswith("_NPS_GROUP")),
        None,
    )
    fixed = _fixed(
        external_id=_column(ids, "ResponseId"),
        submitted_at=_column(ids, "RecordedDate"),
        customer=_column(ids, "ExternalReference", "RecipientEmail"),
        language=_column(ids, "UserLanguage"),
        nps=nps,
    )
    skip = {
        i
        for i, c in enumerate(ids)
        if c in _QUALTRICS_META or c.startswith("Q_") or c.endswith(("_NPS_GROUP", "_DO"))
    }
    return fixed, skip


def _surveymonkey(columns: list[str]) -> tuple[dict[str, int], set[int]]:
    names = [normalize(c) for c in columns]
    fixed = _fixed(
        external_id=_column(names, "respondent id"),
        submitted_at=_column(names, "end date"),
        customer=_column(names, "email address", "custom data 1"),
    )
    skip = {i for i, n in enumerate(names) if n in _MONKEY_META or n.startswith("custom data")}
    return fixed, skip


def _google_forms(columns: list[str]) -> tuple[dict[str, int], set[int]]:
    names = [normalize(c) for c in columns]
    email = next((i for i, n in enumerate(names) if re.search(r"\be ?mail\b|\bcorreo\b", n)), None)
    return _fixed(submitted_at=0, customer=email), set()
