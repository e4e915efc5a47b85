"""Writing validated import records: answers into feedback_response, activities into
feedback_activity, with their customers.

Streaming: ``records`` may be a generator over a million-row file; it is consumed once and
never held in memory. Idempotent and safe under concurrent imports of the same data: a record
is stored once per (workspace, source, external id) for answers and (workspace, external id)
for activities; the first occurrence in the file wins, later ones and those already stored
count as duplicates.

PostgreSQL: the records come in chunks of 50,000, drawn one chunk ahead by a thread of their
own (``feedback.imports.ahead``), so that reading and validating the next chunk overlaps the
server storing this one. Each chunk goes by binary COPY into a temporary staging table (no
indexes), then its customers and its answers are written by one INSERT … SELECT … ON CONFLICT
DO NOTHING each, in key order; chunks are stored in file order, so a later chunk's repeat of
an id is a duplicate. Its touchpoints not seen before are checked first (in the workspace, and
locked against deletion until the caller commits): a foreign one refuses the whole import.

Imports into one workspace take turns (a transaction-scoped advisory lock, held to the caller's
commit): two imports of overlapping files would otherwise take the same keys in different
orders, chunk by chunk, and deadlock. Other writers never share an answer's key (their source
differs). Customers they can share: an API call that creates a customer a running import has
just created waits for the import to commit, as for any uncommitted row; should the call have
created, first, another customer the import reaches later, PostgreSQL finds the deadlock and
fails one of the two: the API batch (safe to replay) or the import (rolled back whole, to be run
again), whichever waited longest. Other databases: batches through
``feedback.services.responses_ingest`` (answers) or a batched equivalent here (activities).

Everything happens in one transaction (a savepoint inside the caller's): nothing is visible
before the caller commits, and a refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.db import connection, transaction
from django.utils.translation import gettext as _

from feedback.customers import (
    Profile,
    customers_get_or_create,
    erased_digest,
    profile_add,
    profiles_apply,
)
from feedback.followups.rules import followups_open, settings_of
from feedback.imports.ahead import chunks_drawn_ahead
from feedback.imports.types import ActivityIn, Target
from feedback.models import Activity, Customer, ErasedCustomer, Response, Source
from feedback.services import AnswerIn, AnswersRefused, responses_ingest
from journeys.models import Journey, Touchpoint
from mot.sql import Identifiers, Sql, sql

PROGRESS_EVERY = 10_000  # records between two on_batch calls
BATCH = 1_000  # records per write on databases without COPY
CHUNK = 50_000  # records per COPY and INSERT on PostgreSQL
IMPORT_LOCK = 0x4D4F5449  # "MOTI": the advisory-lock namespace of import writers
# The tables the import's statements may name.
NAMES = Identifiers(
    *(model._meta.db_table for model in (Response, Customer, Activity, Touchpoint, Journey))
)


class StoreRefused(ValueError):
    """The records cannot be stored (a touchpoint outside the workspace…); nothing was written.

    ``args[0]`` is a translated message for the user.
    """


@dataclass(frozen=True)
class StoreResult:
    created: int
    duplicates: int
    followups: int = 0  # follow-ups the stored answers opened (feedback.followups.rules)


def store_records(
    *,
    workspace_id: int,
    target: Target,
    records: Iterable[AnswerIn | ActivityIn],
    source: str = Source.IMPORT,
    on_batch: Callable[[int], None] | None = None,
) -> StoreResult:
    """Store the records; ``on_batch(n)`` is told the number consumed so far, every ~10,000."""
    counted = _counting(records, on_batch)
    # A savepoint of its own: a refusal or a failure half-way leaves nothing, even if the
    # caller catches the exception and goes on with its transaction.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, workspace_id])
                deferred = _deferred_foreign_keys(cursor)
                if deferred:
                    cursor.execute(f"SET CONSTRAINTS {deferred} IMMEDIATE")
            if target == Target.RESPONSES:
                result = _pg_responses(workspace_id, source, counted)
            else:
                result = _pg_activities(workspace_id, counted)
            if deferred:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET CONSTRAINTS {deferred} DEFERRED")
        elif target == Target.RESPONSES:
            result = _batched_responses(workspace_id, source, counted)
        else:
            result = _batched_activities(workspace_id, counted)
    return result


def _counting(
    records: Iterable[AnswerIn | ActivityIn], on_batch: Callable[[int], None] | None
) -> Iterator[AnswerIn | ActivityIn]:
    if on_batch is None:
        yield from records
        return
    n = 0
    for n, record in enumerate(records, 1):
        yield record
        if n % PROGRESS_EVERY == 0:
            on_batch(n)
    if n % PROGRESS_EVERY:
        on_batch(n)


def _deferred_foreign_keys(cursor) -> str:
    """The deferred foreign keys of the tables an import writes, as SET CONSTRAINTS names them.

    Checked at commit, a million answers' foreign keys are a million checks after the last
    row is read, which nothing overlaps; made immediate for the store, each chunk's checks
    run with its INSERT, while the next chunk is drawn. The same checks, only sooner.
    """
    tables = [m._meta.db_table for m in (Response, Customer, Activity)]
    cursor.execute(
        """
        SELECT string_agg(format('%%I.%%I', n.nspname, c.conname), ', ' ORDER BY c.conname)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = 'f' AND c.condeferred
        """,
        [tables],
    )
    return cursor.fetchone()[0] or ""


def _foreign_touchpoint_message(touchpoint_id: int) -> str:
    return _(
        "Touchpoint %(id)s is not one of this workspace's touchpoints (it may have been "
        "deleted during the import). Nothing was imported."
    ) % {"id": touchpoint_id}


# --- PostgreSQL: COPY into a staging table, then one INSERT … ON CONFLICT DO NOTHING -----------

# Ids are compared byte-wise (COLLATE "C"): the sort that picks each id's first occurrence is
# then a memcmp. (Concurrent imports into one workspace do not deadlock because they take turns:
# see the module's docstring.)
_RESPONSE_STAGING = """
    CREATE TEMP TABLE mot_staging_responses (
        line bigint NOT NULL,
        touchpoint_id bigint NOT NULL,
        external_id text COLLATE "C" NOT NULL,
        submitted_at timestamptz NOT NULL,
        nps smallint,
        csat smallint,
        respect smallint,
        solutions smallint,
        simplicity smallint,
        responsibility smallint,
        ces smallint,
        comment text NOT NULL,
        language text NOT NULL,
        customer text COLLATE "C",
        contact text NOT NULL,
        kind text NOT NULL,
        noted_experience text NOT NULL
    ) ON COMMIT DROP
"""
_RESPONSE_COPY = """
    COPY mot_staging_responses (line, touchpoint_id, external_id, submitted_at, nps, csat,
        respect, solutions, simplicity, responsibility, ces, comment, language, customer,
        contact, kind, noted_experience)
    FROM STDIN (FORMAT BINARY)
"""
# Where the customer id stands in a staged row: the COPY's column order above.
_STAGED_CUSTOMER = [
    name.strip() for name in _RESPONSE_COPY.split("(", 1)[1].split(")", 1)[0].split(",")
].index("customer")
_RESPONSE_TYPES = [
    "int8", "int8", "text", "timestamptz", *["int2"] * 7, *["text"] * 6
]  # fmt: skip
_ACTIVITY_STAGING = """
    CREATE TEMP TABLE mot_staging_activities (
        line bigint NOT NULL,
        external_id text COLLATE "C" NOT NULL,
        customer text COLLATE "C" NOT NULL,
        occurred_at timestamptz NOT NULL,
        kind text NOT NULL,
        value numeric(14, 2)
    ) ON COMMIT DROP
"""
_ACTIVITY_COPY = """
    COPY mot_staging_activities (line, external_id, customer, occurred_at, kind, value)
    FROM STDIN (FORMAT BINARY)
"""
_ACTIVITY_TYPES = ["int8", "text", "text", "timestamptz", "text", "numeric"]


def _copy_chunk(cursor, copy_sql: str, types: list[str], chunk: list[tuple]) -> None:
    """COPY one chunk of rows into staging. Binary: no text formatting on our side, no
    parsing on the server's."""
    with cursor.copy(copy_sql) as copy:
        copy.set_types(types)
        write_row = copy.write_row
        for row in chunk:
            write_row(row)


# For the bulk statements: sorting a chunk's staged rows (a whole file's activities) and hashing
# their customers spill to disk at the default 4 MB of work memory, and JIT-compiling them costs
# more than it saves. Set for the rest of the transaction (SET LOCAL): the import's.
_BULK_SETTINGS = ("SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off")


def _tune_for_bulk(cursor) -> None:
    for statement in _BULK_SETTINGS:
        cursor.execute(statement)


def _execute(cursor, statement: Sql) -> None:
    cursor.execute(statement.text, statement.params)


def _insert_customers(cursor, workspace_id: int, staging: Sql, blocked: Iterable[str] = ()) -> None:
    """Create the staged customers not stored yet, except ``blocked`` (erased customers' ids:
    their answers are stored without a customer)."""
    # Sorted: a chunk locks its customer keys in one order.
    _execute(
        cursor,
        sql(
            """
            INSERT INTO {customer} (workspace_id, external_id, created_at)
            SELECT %s, customer, now()
            FROM (SELECT DISTINCT customer FROM {staging} WHERE customer IS NOT NULL) s
            WHERE NOT customer = ANY(%s)
            ORDER BY customer
            ON CONFLICT (workspace_id, external_id) DO NOTHING
            """,
            workspace_id,
            sorted(blocked),
            customer=NAMES[Customer._meta.db_table],
            staging=staging,
        ),
    )


def _erased_among(workspace_id: int, erasures: bool, customers: Iterable[str | None]) -> set[str]:
    """Which of these customer ids an admin erased (none to look up in a workspace without
    erasures: the common import pays nothing)."""
    if not erasures:
        return set()
    digests = {erased_digest(workspace_id, c): c for c in set(customers) if c}
    found = ErasedCustomer.objects.filter(workspace_id=workspace_id, digest__in=digests)
    return {digests[d] for d in found.values_list("digest", flat=True)}


def _lock_touchpoints(cursor, workspace_id: int, wanted: set[int]) -> None:
    """Refuse the import unless every touchpoint in ``wanted`` is the workspace's.

    The resolver already scoped touchpoints to the workspace; this re-check also catches one
    deleted since, and FOR KEY SHARE keeps the ones found from being deleted before the
    caller commits the answers that reference them.
    """
    _execute(
        cursor,
        sql(
            """
            SELECT t.id FROM {touchpoint} t JOIN {journey} j ON j.id = t.journey_id
            WHERE t.id = ANY(%s) AND j.workspace_id = %s
            ORDER BY t.id
            FOR KEY SHARE OF t
            """,
            sorted(wanted),
            workspace_id,
            touchpoint=NAMES[Touchpoint._meta.db_table],
            journey=NAMES[Journey._meta.db_table],
        ),
    )
    foreign = sorted(wanted - {row[0] for row in cursor.fetchall()})
    if foreign:
        raise StoreRefused(_foreign_touchpoint_message(foreign[0]))


def _pg_responses(workspace_id: int, source: str, records: Iterable[AnswerIn]) -> StoreResult:
    # What the file says of its customers, merged in file order (the later line's non-empty
    # values win), applied once every answer is stored. Filled by the thread drawing chunks,
    # read after it is done.
    profiles: dict[str, Profile] = {}

    def staged_rows(records: Iterable[AnswerIn]) -> Iterator[tuple]:
        for line, a in enumerate(records):
            if a.profile is not None and a.customer:
                profile_add(profiles, a.customer, a.profile)
            yield (
                line,
                a.touchpoint_id,
                a.external_id,
                a.submitted_at,
                a.nps,
                a.csat,
                a.respect,
                a.solutions,
                a.simplicity,
                a.responsibility,
                a.ces,
                a.comment,
                a.language,
                a.customer or None,
                a.contact,
                a.kind,
                a.noted_experience,
            )

    rows = staged_rows(records)
    # DISTINCT ON keeps each id's first line in the chunk; ON CONFLICT skips ids already
    # stored, by an earlier chunk or an earlier import.
    insert = sql(
        """
        INSERT INTO {response} (workspace_id, touchpoint_id, customer_id, source,
            external_id, submitted_at, nps, csat, respect, solutions, simplicity,
            responsibility, ces, comment, language, contact, kind, noted_experience, created_at)
        SELECT DISTINCT ON (s.external_id)
            %s, s.touchpoint_id, c.id, %s, s.external_id, s.submitted_at, s.nps, s.csat,
            s.respect, s.solutions, s.simplicity, s.responsibility, s.ces, s.comment, s.language,
            s.contact, s.kind, s.noted_experience, now()
        FROM mot_staging_responses s
        LEFT JOIN {customer} c ON c.workspace_id = %s AND c.external_id = s.customer
        ORDER BY s.external_id, s.line
        ON CONFLICT (workspace_id, source, external_id) DO NOTHING
        RETURNING id
        """,
        workspace_id,
        str(source),
        workspace_id,
        response=NAMES[Response._meta.db_table],
        customer=NAMES[Customer._meta.db_table],
    )
    staged = created = opened = 0
    checked: set[int] = set()
    rule = settings_of(workspace_id)  # once for the whole file
    erasures = ErasedCustomer.objects.filter(workspace_id=workspace_id).exists()
    blocked: set[str] = set()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
        cursor.execute(_RESPONSE_STAGING)
        _tune_for_bulk(cursor)
        with chunks_drawn_ahead(rows, CHUNK) as chunks:
            for chunk in chunks:
                touchpoints = {row[1] for row in chunk} - checked
                if touchpoints:
                    _lock_touchpoints(cursor, workspace_id, touchpoints)
                    checked |= touchpoints
                erased = _erased_among(
                    workspace_id, erasures, (row[_STAGED_CUSTOMER] for row in chunk)
                )
                blocked |= erased
                _copy_chunk(cursor, _RESPONSE_COPY, _RESPONSE_TYPES, chunk)
                staged += len(chunk)
                del chunk  # in staging now, while the thread draws the next one
                _insert_customers(cursor, workspace_id, sql("mot_staging_responses"), erased)
                _execute(cursor, insert)
                stored = [row[0] for row in cursor.fetchall()]
                created += len(stored)
                if stored:
                    # The answers this chunk stored, named by their id range (50,000 ids in
                    # an IN list cost the server more than the insert): imports into the
                    # workspace take turns, and other writers use another source, so no
                    # other answer of this source lies in between. One already stored (a
                    # re-import) had its chance to open a follow-up when it first arrived.
                    chunk_answers = Response.objects.filter(
                        source=source, pk__range=(min(stored), max(stored))
                    )
                    opened += followups_open(
                        workspace_id=workspace_id, answers=chunk_answers, rule=rule
                    )
                cursor.execute("TRUNCATE mot_staging_responses")
        # Also dropped at commit; dropping now lets the caller store twice in one transaction.
        cursor.execute("DROP TABLE mot_staging_responses")
    profiles_apply(workspace_id, {c: p for c, p in profiles.items() if c not in blocked})
    return StoreResult(created=created, duplicates=staged - created, followups=opened)


def _pg_activities(workspace_id: int, records: Iterable[ActivityIn]) -> StoreResult:
    rows = (
        (line, a.external_id, a.customer, a.occurred_at, a.kind, a.value)
        for line, a in enumerate(records)
    )
    staged = 0
    erasures = ErasedCustomer.objects.filter(workspace_id=workspace_id).exists()
    blocked: set[str] = set()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(_ACTIVITY_STAGING)
        with chunks_drawn_ahead(rows, CHUNK) as chunks:
            for chunk in chunks:
                blocked |= _erased_among(workspace_id, erasures, (row[2] for row in chunk))
                _copy_chunk(cursor, _ACTIVITY_COPY, _ACTIVITY_TYPES, chunk)
                staged += len(chunk)
        if staged:
            # Activities are few next to answers: one statement each for the whole file.
            _tune_for_bulk(cursor)
            _insert_customers(cursor, workspace_id, sql("mot_staging_activities"), blocked)
            _execute(
                cursor,
                sql(
                    """
                    INSERT INTO {activity} (workspace_id, customer_id, occurred_at, kind, value,
                        external_id)
                    SELECT DISTINCT ON (s.external_id)
                        %s, c.id, s.occurred_at, s.kind, s.value, s.external_id
                    FROM mot_staging_activities s
                    JOIN {customer} c ON c.workspace_id = %s AND c.external_id = s.customer
                    ORDER BY s.external_id, s.line
                    ON CONFLICT (workspace_id, external_id) DO NOTHING
                    """,
                    workspace_id,
                    workspace_id,
                    activity=NAMES[Activity._meta.db_table],
                    customer=NAMES[Customer._meta.db_table],
                ),
            )
            created = cursor.rowcount
        else:
            created = 0
        cursor.execute("DROP TABLE mot_staging_activities")
    return StoreResult(created=created, duplicates=staged - created)


# --- Other databases (SQLite): batches ------------------------------------------------------


def _batches(records: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _batched_responses(workspace_id: int, source: str, records: Iterable[AnswerIn]) -> StoreResult:
    created = duplicates = opened = 0
    rule = settings_of(workspace_id)  # once for the whole file
    for batch in _batches(records):
        try:
            result = responses_ingest(
                workspace_id=workspace_id,
                source=source,
                answers=batch,
                request_metrics=False,
                rule=rule,
            )
        except AnswersRefused as refused:
            bad = next((p for p in refused.problems if p.field == "touchpoint"), None)
            if bad is not None:
                raise StoreRefused(
                    _foreign_touchpoint_message(batch[bad.index].touchpoint_id)
                ) from refused
            raise StoreRefused("; ".join(refused.messages)) from refused
        created += result.created
        duplicates += result.duplicates
        opened += result.followups
    return StoreResult(created=created, duplicates=duplicates, followups=opened)


def _batched_activities(workspace_id: int, records: Iterable[ActivityIn]) -> StoreResult:
    created = duplicates = 0
    for batch in _batches(records):
        already = set(
            Activity.objects.filter(
                workspace_id=workspace_id, external_id__in={a.external_id for a in batch}
            ).values_list("external_id", flat=True)
        )
        fresh: dict[str, ActivityIn] = {}
        for activity in batch:  # the first occurrence wins
            if activity.external_id in already or activity.external_id in fresh:
                duplicates += 1
            else:
                fresh[activity.external_id] = activity
        if not fresh:
            continue
        customers = customers_get_or_create(workspace_id, {a.customer for a in fresh.values()})
        Activity.objects.bulk_create(
            [
                Activity(
                    workspace_id=workspace_id,
                    customer_id=customers[a.customer],
                    occurred_at=a.occurred_at,
                    kind=a.kind,
                    value=a.value,
                    external_id=a.external_id,
                )
                for a in fresh.values()
            ],
            ignore_conflicts=True,  # a concurrent import may store the same activity meanwhile
        )
        stored = Activity.objects.filter(
            workspace_id=workspace_id, external_id__in=fresh.keys()
        ).count()
        created += stored
        duplicates += len(fresh) - stored
    return StoreResult(created=created, duplicates=duplicates)
