"""The themes job: ``ThemeCounts`` and ``ThemeTerm`` rows from the answers' comments (a full
rebuild, or the weeks that received answers; definitions in :mod:`metrics.themes`)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Response
from journeys.models import Touchpoint
from metrics.themes import EXAMPLES, MIN_COUNT
from metrics.themes.models import TERMS, TOTAL, ThemeCounts, ThemeRun, ThemeTerm, WorkspaceTheme
from metrics.themes.text import LANGUAGE_CODES, keyword_stems, language_of, terms
from mot.sql import execute, sql

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
    """The counts of the comments of ``weeks`` (all when None): {(touchpoint, week, language,
    term): [pain, rest, the latest pain answers' (submitted_at, pk), newest first]} and the
    surface forms seen {(language, term): Counter}."""
    themes = workspace_keywords(workspace_id)
    # Identical comments at one touchpoint in one week are tokenised once.
    groups: dict[tuple, list] = {}
    for pk, tp, at, code, comment, experience in _comments(workspace_id, weeks):
        language = language_of(code)
        if not language:
            continue
        week = week_of(timezone.localtime(at).date())
        key = (tp, week, language, experience == PAIN, comment)
        group = groups.get(key)
        if group is None:
            group = groups[key] = [0, []]
        group[0] += 1
        if experience == PAIN:
            _note(group[1], [(at, pk)])
    counts: dict[tuple, list] = {}
    surfaces: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for (tp, week, language, pain, comment), (n, latest) in groups.items():
        found = terms(language, comment)
        keys = [TOTAL, *(term for term, _surface in found)]
        stems = {term for term, _surface in found}
        keys += [key for key, wanted in themes.get(language, ()) if wanted & stems]
        for term, surface in found:
            surfaces[(language, term)][surface] += n
        if found:
            row = counts.get((tp, week, language, TERMS))
            if row is None:
                row = counts[(tp, week, language, TERMS)] = [0, 0, []]
            row[0 if pain else 1] += n * len(found)
        for term in keys:
            row = counts.get((tp, week, language, term))
            if row is None:
                row = counts[(tp, week, language, term)] = [0, 0, []]
            row[0 if pain else 1] += n
            if latest:
                _note(row[2], latest)
    return counts, surfaces


def _note(latest: list, found: list) -> None:
    """Keep in ``latest`` the EXAMPLES newest of it and ``found`` (in place, newest first)."""
    latest.extend(found)
    latest.sort(reverse=True)
    del latest[EXAMPLES:]


def _vocabulary(surfaces: dict[tuple[str, str], Counter]) -> dict[tuple[str, str], str]:
    """The terms in ``MIN_COUNT`` comments or more, with their label (the most frequent surface
    form; ties: the one seen first)."""
    return {
        key: forms.most_common(1)[0][0]
        for key, forms in surfaces.items()
        if forms.total() >= MIN_COUNT
    }


def _kept(term: str, language: str, pain: int, rest: int, vocab) -> bool:
    if term in (TOTAL, TERMS) or term.startswith("#"):
        return True
    return (language, term) in vocab or pain + rest >= MIN_COUNT


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


def _write(rows: list[tuple]) -> None:
    """Insert the rows: with COPY on PostgreSQL (a million rows in seconds; the ORM's
    bulk_create spends minutes building and quoting them), through the ORM on SQLite."""
    if connection.vendor != "postgresql":
        ThemeCounts.objects.bulk_create(
            [ThemeCounts(**dict(zip(COLUMNS, row, strict=True))) for row in rows],
            batch_size=WRITE_BATCH,
        )
        return
    statement = f"COPY {ThemeCounts._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            # In COPY's text format the server parses each value: the ids as JSON text.
            copy.write_row((*row[:-1], json.dumps(row[-1])))


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
        kept = [
            (key, value)
            for key, value in counts.items()
            if key[0] in journey_of
            and len(key[3]) <= MAX_TERM
            and _kept(key[3], key[2], value[0], value[1], vocab_keep)
        ]
        rows = [
            (
                workspace_id,
                journey_of[tp],
                tp,
                week,
                language,
                term,
                pain,
                rest,
                [pk for _at, pk in latest] if term not in (TOTAL, TERMS) else [],
            )
            for (tp, week, language, term), (pain, rest, latest) in kept
        ]
        old = ThemeCounts.objects.filter(workspace_id=workspace_id)
        if weeks is not None:
            old = old.filter(week__in=sorted(weeks))
        old._raw_delete(old.db)  # derived rows, nothing refers to them: no cascade to collect
        _write(rows)
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
