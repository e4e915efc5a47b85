"""The themes job: ``ThemeCounts`` and ``ThemeTerm`` rows from the answers' comments (a full
rebuild, or the weeks that received answers; definitions in :mod:`metrics.themes`)."""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Response
from journeys.models import Touchpoint
from metrics.themes import MIN_COUNT, frame
from metrics.themes.models import TERMS, TOTAL, ThemeCounts, ThemeRun, ThemeTerm, WorkspaceTheme
from metrics.themes.text import LANGUAGE_CODES, keyword_stems
from mot.sql import Identifiers, Sql, execute, sql

# Answers received this long before the last run's start are read again by the next one: an
# answer committed late (a long import transaction) carries an earlier created_at.
OVERLAP = timedelta(minutes=10)
THEMES_LOCK = 7_310_002  # pg_advisory_xact_lock's first key: one themes writer per workspace
READ_CHUNK = 5_000
WRITE_BATCH = 5_000
PAIN = Experience.PAIN.value
MAX_TERM = 120  # ThemeCounts.term's length: a longer "word" is no theme


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def _week_start(week: date) -> datetime:
    return timezone.make_aware(datetime.combine(week, time.min))


def workspace_keywords(workspace_id: int) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Per language, each workspace theme's row key and keyword stems."""
    compiled: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for theme in WorkspaceTheme.objects.filter(workspace_id=workspace_id):
        for language in LANGUAGE_CODES:
            stems = keyword_stems(language, (theme.keywords or {}).get(language, ""))
            if stems:
                compiled[language].append((theme.key, stems))
    return compiled


def _comments(workspace_id: int, weeks: set[date] | None):
    """(pk, touchpoint, submitted_at, language, comment, experience) of the commented answers
    of the given weeks (all when None)."""
    qs = Response.objects.filter(workspace_id=workspace_id).exclude(comment="")
    if weeks is None:
        yield from _read(qs)
        return
    # Week by week: the (workspace, submitted_at, id) index bounds each range.
    for week in sorted(weeks):
        start, end = _week_start(week), _week_start(week + timedelta(days=7))
        yield from _read(qs.filter(submitted_at__gte=start, submitted_at__lt=end))


def _read(qs):
    fields = ("pk", "touchpoint_id", "submitted_at", "language", "comment", "experience")
    # The language is read in Python (language_of): codes come in any case and form ("PT_br").
    yield from qs.values_list(*fields).iterator(chunk_size=READ_CHUNK)


def count_terms(workspace_id: int, weeks: set[date] | None):
    """The counts of the comments of ``weeks`` (all when None), one frame row per touchpoint,
    week, language and term, and the surface forms seen {(language, term): Counter}."""
    rows = _comments(workspace_id, weeks)
    counted, vocab = frame.count(rows, workspace_keywords(workspace_id))
    return counted, vocab.surfaces


def _vocabulary(surfaces: dict[tuple[str, str], Counter]) -> dict[tuple[str, str], str]:
    """The terms in ``MIN_COUNT`` comments or more, with their label (the most frequent surface
    form; ties: the one seen first)."""
    return {
        key: forms.most_common(1)[0][0]
        for key, forms in surfaces.items()
        if forms.total() >= MIN_COUNT
    }


def _kept(counted, vocab: set[tuple[str, str]], journey_of: dict[int, int]):
    """The rows stored: of a touchpoint still on a map, and of a term that is a count of its
    own (the total, "*", a workspace theme), in the vocabulary, or in MIN_COUNT comments."""
    if counted.empty:
        return counted
    pairs = counted[["language", "term"]].drop_duplicates()
    always = {
        (lang, term)
        for lang, term in zip(pairs["language"], pairs["term"], strict=True)
        if term in (TOTAL, TERMS) or term.startswith("#") or (lang, term) in vocab
    }
    # Hashed column-wise (a Python loop over the rows' pairs took seconds per million rows).
    listed = pd.Series(
        pd.MultiIndex.from_arrays([counted["language"], counted["term"]]).isin(list(always)),
        index=counted.index,
    )
    keep = (
        counted["touchpoint"].isin(list(journey_of))
        & (counted["term"].str.len() <= MAX_TERM)
        & (listed | (counted["pain"] + counted["rest"] >= MIN_COUNT))
    )
    return counted[keep]


def new_weeks(workspace_id: int, since: datetime) -> set[date]:
    """The weeks of the commented answers received since ``since``."""
    received = (
        Response.objects.filter(workspace_id=workspace_id, created_at__gte=since)
        .exclude(comment="")
        .values_list("submitted_at", flat=True)
    )
    return {week_of(timezone.localtime(at).date()) for at in received.iterator(READ_CHUNK)}


COLUMNS = (
    "workspace_id",
    "journey_id",
    "touchpoint_id",
    "week",
    "language",
    "term",
    "pain",
    "rest",
    "examples",
)


# The temporary table a PostgreSQL run writes its rows to first (dropped at its commit).
FRESH_TABLE = "metrics_tmp_themecounts"
NAMES = Identifiers(ThemeCounts._meta.db_table, FRESH_TABLE, *COLUMNS)
IDENTITY = ("touchpoint_id", "week", "language", "term")  # one row each in a workspace
VALUES = ("journey_id", "pain", "rest", "examples")


def _csv(rows: pd.DataFrame) -> str:
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False)
    return buffer.getvalue()


def _copy(rows: pd.DataFrame, table: Sql, parts: dict) -> None:
    # An empty term (the total's row) is an empty string, not NULL.
    statement = sql(
        "COPY {table} ({columns}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL (term))",
        table=table,
        columns=parts["columns"],
    )
    with connection.cursor() as cursor, cursor.copy(statement.text) as copy:
        copy.write(_csv(rows))


def _replace(workspace_id: int, weeks: set[date] | None, rows: pd.DataFrame) -> None:
    """The workspace's rows (of ``weeks``; all when None) become ``rows``. On PostgreSQL they
    are copied as CSV (half a million rows in seconds; bulk_create spends minutes building and
    quoting them). A run of some weeks deletes their rows and copies the fresh ones in. A full
    run copies its rows into a temporary table, then merges them: a stored row whose values
    changed or that is gone is deleted, a changed or new fresh row is inserted, the others
    (most, run after run) stay. Inserting every row again into the indexed table cost most of
    a full run."""
    old = ThemeCounts.objects.filter(workspace_id=workspace_id)
    if weeks is not None:
        old = old.filter(week__in=sorted(weeks))
    if connection.vendor != "postgresql":
        old._raw_delete(old.db)  # derived rows, nothing refers to them: no cascade to collect
        ThemeCounts.objects.bulk_create(
            [
                ThemeCounts(
                    **{**dict(zip(COLUMNS, row, strict=True)), "examples": json.loads(row[-1])}
                )
                for row in rows.itertuples(index=False, name=None)
            ],
            batch_size=WRITE_BATCH,
        )
        return
    parts = {
        "stored": NAMES[ThemeCounts._meta.db_table],
        "fresh": NAMES[FRESH_TABLE],
        "columns": NAMES.each("{name}", COLUMNS),
        "f_columns": NAMES.each("f.{name}", COLUMNS),
        "d_columns": NAMES.each("d.{name}", COLUMNS),
        "same_key": NAMES.each("s.{name} = f.{name}", IDENTITY, " AND "),
        "s_values": NAMES.each("s.{name}", VALUES),
        "f_values": NAMES.each("f.{name}", VALUES),
    }
    if weeks is not None:
        # A few weeks' rows: deleted and copied again costs less than the merge's steps.
        old._raw_delete(old.db)
        _copy(rows, parts["stored"], parts)
        return
    # Dropped first too: a caller's transaction (a test's) may hold an earlier run's.
    execute(sql("DROP TABLE IF EXISTS {fresh}", **parts))
    execute(
        sql(
            "CREATE TEMPORARY TABLE {fresh} ON COMMIT DROP AS "
            "SELECT {columns} FROM {stored} WITH NO DATA",
            **parts,
        )
    )
    _copy(rows, parts["fresh"], parts)
    execute(sql("ANALYZE {fresh}", **parts))
    # One hash join on the rows' identity (touchpoint, week, language, term: one row each)
    # finds the stored rows to delete (changed or gone) and the fresh ones to insert (changed
    # or new); two anti-joins on every column, the JSON of examples included, took longer
    # (24.5 s against 19.8 s for 2,000,000 unchanged rows, both at load 8-10 on 2 cores).
    execute(
        sql(
            "WITH stored AS (SELECT s.* FROM {stored} s WHERE s.workspace_id = %s), "
            "diff AS (SELECT s.id AS old_id, {f_columns} FROM stored s FULL JOIN {fresh} f "
            "ON {same_key} WHERE s.id IS NULL OR f.touchpoint_id IS NULL "
            "OR ({s_values}) IS DISTINCT FROM ({f_values})), "
            "gone AS (DELETE FROM {stored} s USING diff d WHERE s.id = d.old_id) "
            "INSERT INTO {stored} ({columns}) SELECT {d_columns} FROM diff d "
            "WHERE d.touchpoint_id IS NOT NULL",
            workspace_id,
            **parts,
        )
    )


def _lock(workspace_id: int) -> None:
    if connection.vendor == "postgresql":
        execute(sql("SELECT pg_advisory_xact_lock(%s, %s)", THEMES_LOCK, workspace_id))


def recompute_themes(workspace_id: int, *, full: bool = False) -> int:
    """Rebuild the workspace's theme rows (``full``, or when never computed) or those of the
    weeks that received answers since the last run. Returns the number of rows written."""
    started = timezone.now()
    run, _created = ThemeRun.objects.get_or_create(workspace_id=workspace_id)
    weeks = None
    if not full and run.seen_until is not None:
        weeks = new_weeks(workspace_id, run.seen_until - OVERLAP)
        if not weeks:
            ThemeRun.objects.filter(pk=run.pk).update(seen_until=started, finished_at=started)
            return 0
    journey_of = dict(
        Touchpoint.objects.filter(journey__workspace_id=workspace_id).values_list(
            "pk", "journey_id"
        )
    )
    with transaction.atomic():
        _lock(workspace_id)
        counts, surfaces = count_terms(workspace_id, weeks)
        vocab = _vocabulary(surfaces)
        stored = ThemeTerm.objects.filter(workspace_id=workspace_id)
        if weeks is not None:
            known = {(lang, term) for lang, term in stored.values_list("language", "term")}
            # A window adds the terms its own rows keep; the labels stay those of the full run.
            vocab = {k: v for k, v in vocab.items() if k not in known}
            vocab_keep = known | set(vocab)
        else:
            stored.delete()
            vocab_keep = set(vocab)
        kept = _kept(counts, vocab_keep, journey_of)
        plain = ~kept["term"].isin([TOTAL, TERMS])
        rows = pd.DataFrame(
            {
                "workspace_id": workspace_id,
                "journey_id": kept["touchpoint"].map(journey_of),
                "touchpoint_id": kept["touchpoint"],
                "week": kept["week"],
                "language": kept["language"],
                "term": kept["term"],
                "pain": kept["pain"].astype("int64"),
                "rest": kept["rest"].astype("int64"),
                "examples": kept["examples"].where(plain, "[]"),
            },
            columns=list(COLUMNS),
        )
        _replace(workspace_id, weeks, rows)
        ThemeTerm.objects.bulk_create(
            [
                ThemeTerm(
                    workspace_id=workspace_id,
                    language=language,
                    term=term,
                    label=label[:200],
                )
                for (language, term), label in vocab.items()
                if len(term) <= MAX_TERM
            ],
            batch_size=WRITE_BATCH,
        )
        done = timezone.now()
        update = {"seen_until": started, "finished_at": done}
        if weeks is None:
            update["full_at"] = done
        ThemeRun.objects.filter(pk=run.pk).update(**update)
    return len(rows)
