"""The feedback explorer's reads: the answers a member filters, one keyset page of them, CSV rows.

Full-text search of comments
----------------------------
On PostgreSQL the search is language-aware per answer: the answer's ``language`` picks the text
search configuration on both sides, ``to_tsvector(cfg, comment) @@ plainto_tsquery(cfg, q)``, so
"entregas" finds "entrega atrasada" in a Portuguese answer. The language is read by its primary
subtag, case-insensitively ("pt", "pt-BR", "pt_br" and "por" are Portuguese): en → english,
pt → portuguese, es → spanish, ro → romanian, any other language → simple (lower-cased words,
no stemming).

An answer with *no* language (files and API calls often leave it out) is searched as if it were
in any of the four: its vector holds the comment stemmed by each configuration, and it matches
when the words match in one of them. Guessing one language would miss the other three, and
'simple' would drop stemming for exactly the comments our customers write in their own languages;
the price is a larger index entry for those answers and, rarely, a match through another
language's stemming.

Migration 0005 builds a GIN index on exactly :data:`VECTOR_SQL`, so the planner can use it;
since migration 0009 the index leaves out the answers without a comment (every import paid for
their entries), so a search also says ``comment <> ''``, which they could never match anyway. A
condition whose query depends on the row cannot use an index, so a search is two conditions: the
vector against the words' queries in every configuration OR-ed together (a constant: the index
finds the candidates), and the vector against the query in the answer's own configuration (a
filter on those candidates, so a word's Portuguese stem never matches a Spanish answer).
``tests/feedback/explorer/test_explorer_search_pg.py`` checks the matches and, with EXPLAIN, the
index.

On SQLite (the embedded mode) a plain fallback: every word must occur in the comment,
case-insensitively (SQLite folds ASCII letters only).

Keyset pagination
-----------------
Newest first by (submitted_at, id), both descending: the id breaks ties between answers given
in the same microsecond, so no answer is skipped or shown twice across pages. A cursor names the
answer a page starts after (Next) or ends before (Previous); it is opaque in the URL and
validated when read back: anything malformed, or a cursor past the end, shows the first page.
"""

from __future__ import annotations

import binascii
import re
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.explorer.themes import CommentCondition, with_theme
from feedback.models import Response
from journeys.models import Touchpoint
from journeys.selectors import NO_MOMENT
from mot.csvsafe import safe_cell

PAGE_SIZE = 50
CSV_CHUNK = 2000

# --- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExplorerFilter:
    """What the explorer shows; every field optional (empty: no filter). Ids are the workspace's
    own: :func:`answers` also scopes to the workspace, so a foreign id finds nothing."""

    q: str = ""
    journey_id: int | None = None
    stage_id: int | None = None
    touchpoint_id: int | None = None
    mot_stage: str = ""  # a MotStage value, NO_MOMENT, or "" for any
    experience: str = ""  # an Experience value or ""
    nps_min: int | None = None
    nps_max: int | None = None
    csat_min: int | None = None
    csat_max: int | None = None
    date_from: date | None = None  # submitted on or after this day (current time zone)
    date_to: date | None = None  # submitted on or before this day
    has_comment: bool = False
    customer: str = ""  # the customer's external id, exactly
    segment: str = ""  # the customer's segment, exactly (case aside)
    source: str = ""
    kind: str = ""  # a Kind value (a survey answer or a kind of record) or ""
    language: str = ""
    theme: str = ""  # a comment theme (feedback.explorer.themes)


def filter_touchpoints(*, workspace_id: int) -> list[Touchpoint]:
    """The workspace's touchpoints with their journey and stage, for the filter choices: one
    query gives the journey, stage and touchpoint selects."""
    return list(
        Touchpoint.objects.filter(journey__workspace_id=workspace_id)
        .select_related("journey", "stage")
        .only("pk", "title", "journey__name", "journey__archived", "stage__name")
        .order_by("journey__name", "journey_id", "stage__position", "position", "pk")
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def answers(*, workspace_id: int, filters: ExplorerFilter) -> QuerySet[Response]:
    """The workspace's answers that match ``filters``, newest first."""
    f = filters
    qs = Response.objects.filter(workspace_id=workspace_id)
    if f.journey_id is not None:
        qs = qs.filter(touchpoint__journey_id=f.journey_id)
    if f.stage_id is not None:
        qs = qs.filter(touchpoint__stage_id=f.stage_id)
    if f.touchpoint_id is not None:
        qs = qs.filter(touchpoint_id=f.touchpoint_id)
    if f.mot_stage == NO_MOMENT:
        qs = qs.filter(touchpoint__mot_stage="")
    elif f.mot_stage:
        qs = qs.filter(touchpoint__mot_stage=f.mot_stage)
    if f.experience:
        qs = qs.filter(experience=f.experience)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    for name, lookup in (
        ("nps_min", "nps__gte"),
        ("nps_max", "nps__lte"),
        ("csat_min", "csat__gte"),
        ("csat_max", "csat__lte"),
    ):
        if (value := getattr(f, name)) is not None:
            qs = qs.filter(**{lookup: value})
    if f.date_from is not None:
        qs = qs.filter(submitted_at__gte=_start_of(f.date_from))
    if f.date_to is not None:
        qs = qs.filter(submitted_at__lt=_start_of(f.date_to + timedelta(days=1)))
    if f.has_comment:
        qs = qs.exclude(comment="")
    if f.customer:
        qs = qs.filter(customer__external_id=f.customer)
    if f.segment:
        qs = qs.filter(customer__segment__iexact=f.segment)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.language:
        qs = qs.filter(_language_matches(f.language))
    if f.q.strip():
        qs = _search(qs, f.q)
    if f.theme.strip():
        qs = with_theme(
            qs, f.theme, workspace_id=workspace_id, vector_sql=VECTOR_SQL, language_sql=_KEY
        )
    return qs.order_by("-submitted_at", "-pk")


# --- full-text search ---------------------------------------------------------------------------


def _language_matches(code: str) -> Q:
    """A language and its regional variants: "pt" finds pt, pt-br and pt-pt; "pt-br" only itself.

    Survey answers store the language the page was shown in (pt-br, pt-pt since the interface
    has both), files and older answers often the bare "pt".
    """
    code = code.strip().replace("_", "-")
    return (
        Q(language__iexact=code)
        | Q(language__istartswith=f"{code}-")
        | Q(language__istartswith=f"{code}_")
        | Q(language__iexact=code.replace("-", "_"))
    )


# (configuration, the language codes that pick it); anything else but "" uses 'simple'.
CONFIGS = (
    ("english", ("en", "eng")),
    ("portuguese", ("pt", "por")),
    ("spanish", ("es", "spa")),
    ("romanian", ("ro", "ron", "rum")),
)
_KEY = "lower(split_part(replace({language}, '_', '-'), '-', 1))"


def _by_language(language: str, per_config: str, *, unknown: str, other: str) -> str:
    key = _KEY.format(language=language)
    whens = " ".join(
        f"WHEN {key} IN ({', '.join(repr(code) for code in codes)}) "
        f"THEN {per_config.format(cfg=cfg)}"
        for cfg, codes in CONFIGS
    )
    return f"CASE {whens} WHEN {key} = '' THEN {unknown} ELSE {other} END"


def _any_of(template: str, configs: tuple[str, ...]) -> str:
    return "(" + " || ".join(template.format(cfg=cfg) for cfg in configs) + ")"


_FOUR = tuple(cfg for cfg, _codes in CONFIGS)
_VECTOR = "to_tsvector('{cfg}'::regconfig, {{comment}})"
_QUERY = "plainto_tsquery('{cfg}'::regconfig, %s)"

# The comment's vector in the answer's configuration. Migration 0005 indexes exactly this
# expression (with the bare column names); change both together.
VECTOR_SQL = _by_language(
    "{language}",
    _VECTOR,
    unknown=_any_of(_VECTOR, _FOUR),
    other=_VECTOR.format(cfg="simple"),
)
# The words' query in every configuration: constant, so the GIN index can find candidates.
ANY_QUERY_SQL = _any_of(_QUERY, (*_FOUR, "simple"))
# The words' query in the answer's own configuration: exact, checked on the candidates.
ROW_QUERY_SQL = _by_language(
    "{language}", _QUERY, unknown=_any_of(_QUERY, _FOUR), other=_QUERY.format(cfg="simple")
)


class CommentMatches(CommentCondition):
    """``comment`` matches ``words`` in the answer's language (PostgreSQL only)."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words

    def as_sql(self, compiler, connection, **extra):
        language, comment = self.columns(compiler)
        vector = VECTOR_SQL.replace("{language}", language).replace("{comment}", comment)
        row_query = ROW_QUERY_SQL.replace("{language}", language)
        # An empty comment matches nothing; saying so lets the planner use the index, which
        # leaves those answers out (migration 0009).
        sql = f"({comment} <> '' AND ({vector}) @@ {ANY_QUERY_SQL} AND ({vector}) @@ ({row_query}))"
        return sql, [self.words] * sql.count("%s")


def _search(qs: QuerySet[Response], words: str) -> QuerySet[Response]:
    if connection.vendor == "postgresql":
        return qs.filter(CommentMatches(words))
    condition = Q()
    for word in words.split()[:20]:
        condition &= Q(comment__icontains=word)
    return qs.filter(condition)


# --- keyset pages -------------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"([ab])(-?\d{1,17})\.(\d{1,18})")


@dataclass(frozen=True)
class Cursor:
    submitted_at: datetime
    pk: int
    before: bool = False  # the page that ends just before this answer (Previous)

    def encode(self) -> str:
        micros = (self.submitted_at - EPOCH) // timedelta(microseconds=1)
        raw = f"{'b' if self.before else 'a'}{micros}.{self.pk}"
        return urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        """The cursor in ``token``, or None for anything that is not one of ours."""
        if not token or len(token) > 64:
            return None
        try:
            raw = urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            return None
        match = _CURSOR.fullmatch(raw)
        if match is None:
            return None
        try:
            at = EPOCH + timedelta(microseconds=int(match[2]))
        except OverflowError:
            return None
        return cls(submitted_at=at, pk=int(match[3]), before=match[1] == "b")


@dataclass(frozen=True)
class AnswerPage:
    answers: list[Response]
    next_cursor: str  # "" on the last page
    previous_cursor: str  # "" on the first page


def _with_rows(qs: QuerySet[Response]) -> QuerySet[Response]:
    return qs.select_related("touchpoint__journey", "touchpoint__stage", "customer").only(
        "submitted_at",
        "nps",
        "csat",
        "experience",
        "comment",
        "language",
        "source",
        "kind",
        "touchpoint",
        "touchpoint__title",
        "touchpoint__mot_stage",
        "touchpoint__owner",
        "touchpoint__journey",
        "touchpoint__journey__name",
        "touchpoint__journey__workspace",
        "touchpoint__stage",
        "touchpoint__stage__name",
        "customer",
        "customer__external_id",
        "customer__segment",
        "customer__email",
        "customer__name",
    )


def _cursor_at(answer: Response, *, before: bool) -> str:
    return Cursor(answer.submitted_at, answer.pk, before).encode()


def answer_page(
    *, queryset: QuerySet[Response], cursor: Cursor | None, size: int = PAGE_SIZE
) -> AnswerPage:
    """One page of ``queryset`` (from :func:`answers`) at ``cursor``: one query, two when the
    cursor points past the end (a stale or edited link), which falls back to the first page."""
    qs = _with_rows(queryset)
    if cursor is None:
        rows = list(qs.order_by("-submitted_at", "-pk")[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return AnswerPage(rows, _cursor_at(rows[-1], before=False) if more else "", "")
    at, pk = cursor.submitted_at, cursor.pk
    if cursor.before:
        # The rows just newer than the cursor, oldest first, then turned round.
        rows = list(
            qs.filter(submitted_at__gte=at)
            .filter(Q(submitted_at__gt=at) | Q(submitted_at=at, pk__gt=pk))
            .order_by("submitted_at", "pk")[: size + 1]
        )
        more = len(rows) > size
        rows = rows[:size][::-1]
        if not rows:
            return answer_page(queryset=queryset, cursor=None, size=size)
        previous = _cursor_at(rows[0], before=True) if more else ""
        return AnswerPage(rows, _cursor_at(rows[-1], before=False), previous)
    # The redundant ``submitted_at <= at`` lets the (workspace, submitted_at, id) index bound
    # the scan; the OR alone would not.
    rows = list(
        qs.filter(submitted_at__lte=at)
        .filter(Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lt=pk))
        .order_by("-submitted_at", "-pk")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    if not rows:
        return answer_page(queryset=queryset, cursor=None, size=size)
    return AnswerPage(
        rows,
        _cursor_at(rows[-1], before=False) if more else "",
        _cursor_at(rows[0], before=True),
    )


# --- CSV export ---------------------------------------------------------------------------------

CSV_COLUMNS = (
    ("submitted_at", _("Submitted at")),
    ("touchpoint__journey__name", _("Journey")),
    ("touchpoint__stage__name", _("Stage")),
    ("touchpoint__title", _("Touchpoint")),
    ("touchpoint__code", _("Touchpoint code")),
    ("touchpoint__mot_stage", _("Moment of truth")),
    ("nps", _("NPS")),
    ("csat", _("CSAT")),
    ("respect", _("Respect")),
    ("solutions", _("Solutions")),
    ("simplicity", _("Simplicity")),
    ("responsibility", _("Responsibility")),
    ("experience", _("Experience")),
    ("comment", _("Comment")),
    ("customer__external_id", _("Customer")),
    ("customer__segment", _("Segment")),
    ("customer__country", _("Country")),
    ("customer__plan", _("Plan")),
    ("language", _("Language")),
    ("source", _("Source")),
    ("kind", _("Kind")),
    ("external_id", _("Answer id")),
)
# Personal data: only in the files of roles that may read it (mot.policy READ_PERSONAL_DATA).
CSV_PERSONAL_COLUMNS = (
    ("customer__email", _("Customer's e-mail")),
    ("customer__name", _("Customer's name")),
)


def csv_rows(
    *,
    queryset: QuerySet[Response],
    cell: Callable[[object], str] = safe_cell,
    personal: bool = False,
) -> Iterator[list[str]]:
    """The header, then one row per answer of ``queryset``, read in chunks so memory stays flat.

    Codes (moment, experience, source) are exported as stored, so a file sorts and filters the
    same in every language; every text cell is neutralised for spreadsheets (mot.csvsafe) by
    ``cell``, which also writes the file's decimal mark (mot.csvformat). ``personal`` adds
    the customers' e-mail and name, for the roles that may read them.
    """
    columns = (*CSV_COLUMNS, *CSV_PERSONAL_COLUMNS) if personal else CSV_COLUMNS
    yield [cell(str(label)) for _field, label in columns]
    fields = [name for name, _label in columns]
    for row in queryset.values_list(*fields).iterator(chunk_size=CSV_CHUNK):
        yield [
            cell(timezone.localtime(value) if isinstance(value, datetime) else value)
            for value in row
        ]
