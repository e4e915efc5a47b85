"""What a file's header says: which survey tool wrote it, its column names, a proposed mapping.

Qualtrics, SurveyMonkey and Google Forms each export in a fixed shape; recognising the shape lets
us merge their multi-row headers into one readable name per column and map their metadata
columns (ids, dates, e-mails) without asking. Any other file is matched on its header names,
in English, Portuguese, Spanish and Romanian, case- and accent-insensitively.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback.imports.sniffing import TIME_ZONES
from feedback.imports.types import Layout, Preset, Target

MAX_NAME = 200  # a display name is shown in error reports; question texts can be paragraphs


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise | str
    required: bool = False
    help: Promise | str = ""


# The tool that wrote a file, as the import pages name it.
TOOL_LABELS: dict[str, Promise | str] = {
    Preset.QUALTRICS: "Qualtrics",
    Preset.SURVEYMONKEY: "SurveyMonkey",
    Preset.GOOGLE_FORMS: "Google Forms",
    Preset.GENERIC: _("a spreadsheet or another tool"),
}


def tool_label(preset: str | None) -> Promise | str:
    return TOOL_LABELS.get(preset or "", TOOL_LABELS[Preset.GENERIC])


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
        FieldSpec(
            "ces",
            _("Customer effort, CES (1-7)"),
            help=_("A whole number from 1 (strongly disagree) to 7 (strongly agree)."),
        ),
        FieldSpec("comment", _("Comment"), help=_("Up to 10,000 characters.")),
        FieldSpec("language", _("Language"), help=_("A language code such as “en” or “pt-BR”.")),
        FieldSpec("customer", _("Customer"), help=_("The customer's id or e-mail address.")),
        FieldSpec(
            "contact",
            _("Contact"),
            help=_("An e-mail or phone the customer agreed to be contacted at, for follow-ups."),
        ),
        FieldSpec(
            "customer_email",
            _("Customer's e-mail"),
            help=_("Personal data: shown only to the roles that may act on answers."),
        ),
        FieldSpec(
            "customer_name",
            _("Customer's name"),
            help=_("Personal data: shown only to the roles that may act on answers."),
        ),
        FieldSpec(
            "segment",
            _("Segment"),
            help=_(
                "Such as “Families” or “Business”: personas and filters use it. A column "
                "such as SurveyMonkey's “Custom Data 1” can carry it."
            ),
        ),
        FieldSpec("country", _("Country"), help=_("A two-letter code such as “PT” or “BR”.")),
        FieldSpec("plan", _("Plan"), help=_("Such as “Free” or “Premium”.")),
        FieldSpec(
            "record_kind",
            _("Record kind"),
            help=_(
                "Survey answer, complaint, interview note, social post or call note. A record "
                "has text and no score. Or choose one kind for the whole file."
            ),
        ),
        FieldSpec(
            "noted_experience",
            _("Experience of a record"),
            help=_("Glory, neutral, pain or unknown (the default), as the record's author saw it."),
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
    "ces": ("ces", "customer effort", "effort score", "esforco", "esfuerzo", "efort"),
    "comment": (
        "comment", "comments", "comentario", "comentarios", "comentariu", "comentarii", "why",
        "por que", "porque", "de ce", "reason", "motivo", "motiv", "feedback", "observac",
        "remarks", "open ended response",
    ),
    "language": ("language", "lang", "locale", "idioma", "lingua", "limba", "user language"),
    "customer": _CUSTOMER,
    "customer_email": ("customer email", "customer e mail", "client email", "email cliente"),
    "customer_name": ("customer name", "client name", "full name", "nome cliente",
                      "nombre cliente", "nume client"),
    "segment": ("segment", "customer segment", "segmento", "segmento cliente"),
    "country": ("country", "country code", "pais", "tara"),
    "plan": ("plan", "plano", "subscription", "subscription plan", "tier"),
    "contact": ("contact", "may we contact you", "phone", "phone number", "telephone",
                "telefone", "telefono", "telefon", "contacto", "contato"),
    "occurred_at": (*_DATE, "occurred", "occurred at", "purchase date", "order date"),
    "kind": ("kind", "type", "activity", "event", "tipo", "tip", "evento", "eveniment"),
    # Exact names only: "type" or "experience" alone head other columns in survey exports.
    "record_kind": ("record kind", "record type", "kind of record"),
    "noted_experience": ("noted experience", "record experience"),
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


def header_signature(preset: Preset, header: list[list[str]]) -> str:
    """A fingerprint of an export's columns, the same for every file of that export: the tool
    and the header rows, each cell normalised (case, accents, punctuation) and the empty cells
    a header may end with left out. Hashed, so it is short and says nothing of the questions."""
    rows = []
    for row in header:
        cells = [normalize(c) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        rows.append("\x1f".join(cells))
    text = "\x1e".join([preset.value, *rows])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _qualtrics_ids(header: list[list[str]]) -> list[dict | None]:
    """The third header row of a Qualtrics export, one ``{"ImportId": …}`` object a column."""
    found: list[dict | None] = []
    for cell in header[2] if len(header) > 2 else []:
        try:
            data = json.loads(cell) if cell.startswith("{") else None
        except ValueError:
            data = None
        found.append(data if isinstance(data, dict) else None)
    return found


# A free-text question's answer ("QID3_TEXT"); not the text box of a choice ("QID4_5_TEXT").
_FREE_TEXT = re.compile(r"QID\d+_TEXT")


def qualtrics_free_text(header: list[list[str]]) -> list[int]:
    """The columns of a Qualtrics export's free-text questions, by their import ids."""
    return [
        index
        for index, data in enumerate(_qualtrics_ids(header))
        if data is not None
        and isinstance(data.get("ImportId"), str)
        and _FREE_TEXT.fullmatch(data["ImportId"])
    ]


def qualtrics_timezone(header: list[list[str]]) -> str | None:
    """The time zone Qualtrics names for its dates (``{"ImportId":"recordedDate","timeZone":…}``),
    the recorded date's first; ``Z`` means UTC."""
    found = []
    for data in _qualtrics_ids(header):
        if data is not None and isinstance(data.get("timeZone"), str):
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


# --- proposing a mapping -------------------------------------------------------------------------


def propose_mapping(layout: Layout, target: Target) -> dict[str, int]:
    """Field name → column index, for the fields whose column the header names clearly."""
    fixed: dict[str, int] = {}
    skip: set[int] = set()
    fields = [f.name for f in FIELDS[target]]
    if target is Target.RESPONSES:
        if layout.preset is Preset.QUALTRICS:
            fixed, skip = _qualtrics(layout)
            if layout.free_text:  # the comment is one of its free-text questions, or none
                fields.remove("comment")
        elif layout.preset is Preset.SURVEYMONKEY:
            fixed, skip = _surveymonkey(layout)
        elif layout.preset is Preset.GOOGLE_FORMS:
            fixed, skip = _google_forms(layout.columns)
            fields.remove("external_id")  # its rows carry no id; one is derived from each row
    wanted = [f for f in fields if f not in fixed]
    return fixed | _by_name(layout, wanted, skip | set(fixed.values()), target)


def _empty(layout: Layout, index: int) -> bool:
    """Whether the column held nothing in the file's first rows (unknown for older layouts)."""
    return index < len(layout.filled) and layout.filled[index] == 0


def _filled_first(layout: Layout, *indices: int | None) -> int | None:
    """The first of these columns that holds values in the file's first rows."""
    return next((i for i in indices if i is not None and not _empty(layout, i)), None)


def _by_name(layout: Layout, fields: list[str], taken: set[int], target: Target) -> dict[str, int]:
    candidates = []
    for index, column in enumerate(layout.columns):
        if index in taken:
            continue
        name = normalize(column)
        for order, field in enumerate(fields):
            synonyms = _SYNONYMS[field]
            if field == "external_id" and target is Target.ACTIVITIES:
                synonyms = synonyms + _ACTIVITY_IDS
            score = _match(name, synonyms, _NOT.get(field, ()))
            if score:
                candidates.append((-score, _empty(layout, index), order, index, field))
    chosen: dict[str, int] = {}
    used: set[int] = set()
    for _score, _empty_column, _order, index, field in sorted(candidates):
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


def _qualtrics(layout: Layout) -> tuple[dict[str, int], set[int]]:
    ids = [c.split(" - ", 1)[0] for c in layout.columns]
    nps = next(
        (i for i, c in enumerate(ids) if f"{c}_NPS_GROUP" in ids and not c.endswith("_NPS_GROUP")),
        None,
    )
    fixed = _fixed(
        external_id=_column(ids, "ResponseId"),
        submitted_at=_column(ids, "RecordedDate"),
        customer=_filled_first(
            layout, _column(ids, "ExternalReference"), _column(ids, "RecipientEmail")
        ),
        language=_column(ids, "UserLanguage"),
        nps=nps,
        comment=_qualtrics_comment(layout, nps),
    )
    skip = {
        i
        for i, c in enumerate(ids)
        if c in _QUALTRICS_META or c.startswith("Q_") or c.endswith(("_NPS_GROUP", "_DO"))
    }
    return fixed, skip


def _qualtrics_comment(layout: Layout, nps: int | None) -> int | None:
    """The free-text question that is the comment: the one whose text says so ("Why…",
    "Comments"), else the first after the NPS question (its "why"), else the first."""
    questions = layout.free_text
    if not questions:
        return None
    named = [
        (score, -i)
        for i in questions
        if (score := _match(normalize(layout.columns[i]), _SYNONYMS["comment"], ()))
    ]
    if named:
        return -max(named)[1]
    after = [i for i in questions if nps is not None and i > nps]
    return (after or questions)[0]


def _surveymonkey(layout: Layout) -> tuple[dict[str, int], set[int]]:
    names = [normalize(c) for c in layout.columns]
    # A web-link collector leaves "Email Address" empty; the customer's id then comes in a
    # custom variable, "Custom Data 1".
    fixed = _fixed(
        external_id=_column(names, "respondent id"),
        submitted_at=_column(names, "end date"),
        customer=_filled_first(
            layout, _column(names, "email address"), _column(names, "custom data 1")
        ),
    )
    skip = {i for i, n in enumerate(names) if n in _MONKEY_META or n.startswith("custom data")}
    return fixed, skip


def _google_forms(columns: list[str]) -> tuple[dict[str, int], set[int]]:
    names = [normalize(c) for c in columns]
    email = next((i for i, n in enumerate(names) if re.search(r"\be ?mail\b|\bcorreo\b", n)), None)
    return _fixed(submitted_at=0, customer=email), set()
