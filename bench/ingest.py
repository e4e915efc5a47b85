"""File import of 1,000,000 answers through the real pipeline, against a raw COPY of the same file.

Usage (PostgreSQL only: the COPY path is what is measured)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_ingest python bench/ingest.py \\
        [--rows 1000000]

The database named in DATABASE_URL (default: mot_bench_ingest) is created if missing, migrated,
and given a workspace "bench-ingest" with one journey of 10 stages x 50 touchpoints. Each run
empties the database's answers, customers and activities first (so its name must contain
"bench"), so that every answer is new to the import.

The file is a generic CSV (touchpoint id, answer id, ISO date, nps, csat, comment, customer),
sorted by date as survey exports are, over ~100,000 customers (one per 10 rows);
data/bench_ingest_<rows>.csv is generated once and reused.

The pipeline runs in a child process, so its peak RSS is its own: reading.detect →
presets.propose_mapping → pipeline.import_path (mode valid_rows, the workspace's resolver,
progress and rejected-rows CSV as a job passes them), commit included.

The raw COPY streams the same file, commit included, into an equivalent table: created
``LIKE feedback_response INCLUDING ALL``, so it has feedback_response's columns (the generated
experience too), CHECK constraints, primary key, unique key (workspace, source, answer id) and
every secondary index as they are — touchpoint+date, customer+date, the explorer's
workspace+date+id and workspace+experience+date, and the comment-search GIN index with its
expression and predicate. It also has feedback_response's three foreign keys (workspace,
touchpoint, customer; deferred, as Django makes them): they are constraints, not indexes, but
feedback_response checks them for every row whoever writes to it, so a table without them
would not be equivalent. The one difference: the file names customers by external id, which a
raw COPY cannot turn into ids, so that column is the external id, indexed with the date and
referencing feedback_customer's (workspace, external id) key; the customers it references are
created beforehand, untimed, where the pipeline creates them itself, timed. The same COPY into
the table without its foreign keys is printed too, to show what they cost.

The ratio pipeline / raw COPY into the equivalent table holds on a noisy machine better than
seconds do. Goals: ratio <= 1.5, peak RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_ingest")

STAGES, PER_STAGE = 10, 50
WORKSPACE_SLUG = "bench-ingest"
JOURNEY_NAME = f"Bench ingest {STAGES}x{PER_STAGE}"
ROWS_PER_CUSTOMER = 10
RATIO_GOAL, RSS_GOAL_MB = 1.5, 500
COMMENTS = [
    "",
    "",
    "",
    "Great service, thank you",
    "The app kept logging me out",
    'Delivery was late; "express" my foot',
    "Muito bom, recomendo",
    "Schnell und freundlich",
    "Could not find the opening hours\non the website",
    "ok",
]


def setup_django():
    from bench.common import setup_postgres

    return setup_postgres("bench/ingest.py")


def ensure_database() -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it is missing."""
    from bench.common import create_database

    create_database(setup_django())


def ensure_workspace() -> tuple[int, list[int]]:
    """The bench workspace and its 500 touchpoints: reused when already there."""
    from django.core.management import call_command
    from django.db import transaction

    from journeys.models import Journey, Stage, Touchpoint
    from mot.models import Workspace

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        workspace, _ = Workspace.objects.get_or_create(
            slug=WORKSPACE_SLUG, defaults={"name": "Bench ingest"}
        )
        journey = Journey.objects.filter(workspace=workspace, name=JOURNEY_NAME).first()
        if journey is not None and journey.touchpoints.count() != STAGES * PER_STAGE:
            journey.delete()
            journey = None
        if journey is None:
            journey = Journey.objects.create(workspace=workspace, name=JOURNEY_NAME)
            stages = Stage.objects.bulk_create(
                [Stage(journey=journey, name=f"Stage {i + 1}", position=i) for i in range(STAGES)]
            )
            Touchpoint.objects.bulk_create(
                [
                    Touchpoint(
                        journey=journey,
                        stage=stage,
                        position=p,
                        title=f"Touchpoint {stage.position + 1}.{p + 1}",
                    )
                    for stage in stages
                    for p in range(PER_STAGE)
                ]
            )
            print(f"built {JOURNEY_NAME} ({STAGES * PER_STAGE} touchpoints)")
    ids = list(journey.touchpoints.order_by("pk").values_list("pk", flat=True))
    return workspace.pk, ids


def ensure_file(rows: int, touchpoints: list[int]) -> Path:
    """The generic CSV of `rows` answers; generated once per size (and touchpoint ids)."""
    path = ROOT / "data" / f"bench_ingest_{rows}_{touchpoints[0]}.csv"
    if path.exists():
        return path
    path.parent.mkdir(exist_ok=True)
    rnd = random.Random(20260504)
    customers = max(1, rows // ROWS_PER_CUSTOMER)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    step = timedelta(days=365) / rows
    t0 = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["touchpoint", "answer id", "date", "nps", "csat", "comment", "customer"])
        for i in range(rows):
            nps = rnd.randint(0, 10) if rnd.random() < 0.9 else None
            csat = rnd.randint(1, 5) if nps is None or rnd.random() < 0.6 else None
            out.writerow(
                [
                    rnd.choice(touchpoints),
                    f"R{i + 1:08d}",
                    (start + i * step).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "" if nps is None else nps,
                    "" if csat is None else csat,
                    rnd.choice(COMMENTS),
                    f"C{rnd.randrange(customers):07d}",
                ]
            )
    tmp.rename(path)
    print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    return path


def empty_answers() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS {RAW_TABLE}; "
            "TRUNCATE feedback_response, feedback_activity, feedback_customer, "
            "feedback_followup, feedback_followupevent"
        )
        cursor.execute("VACUUM ANALYZE feedback_response")
        cursor.execute("VACUUM ANALYZE feedback_customer")
        cursor.execute("CHECKPOINT")  # neither measure pays for the other's dirty pages


RAW_TABLE = "bench_raw_response"


def create_raw_table(workspace_id: int, *, foreign_keys: bool) -> None:
    """The table the raw COPY fills: feedback_response's own definition, so it cannot drift.

    ``LIKE feedback_response INCLUDING ALL`` copies the columns (the generated ``experience``
    included), the CHECK constraints, the primary key, the unique key and every secondary
    index — the explorer's btree indexes and the comment-search GIN index, expression and
    predicate as they are. The one change: the file names a customer by its external id,
    which a raw COPY cannot turn into feedback_customer's id, so the table keeps that id as
    text (indexed with the date as ``customer_id`` is). With ``foreign_keys`` it also gets
    feedback_response's three foreign keys, deferred as Django makes them: workspace,
    touchpoint, and customer — by (workspace, external id), which feedback_customer's unique
    key serves, for customers created beforehand.
    """
    from django.db import connection

    ws = int(workspace_id)
    statements = [
        f"DROP TABLE IF EXISTS {RAW_TABLE}",
        f"CREATE TABLE {RAW_TABLE} (LIKE feedback_response INCLUDING ALL)",
        f"ALTER TABLE {RAW_TABLE} DROP COLUMN customer_id",  # and its index
        f"ALTER TABLE {RAW_TABLE} ADD COLUMN customer varchar(200)",
        f"CREATE INDEX {RAW_TABLE}_customer ON {RAW_TABLE} (customer, submitted_at)",
        f"ALTER TABLE {RAW_TABLE} ALTER workspace_id SET DEFAULT {ws}, "
        "ALTER source SET DEFAULT 'import', ALTER language SET DEFAULT '', "
        "ALTER contact SET DEFAULT '', ALTER created_at SET DEFAULT now()",
    ]
    if foreign_keys:
        deferred = "DEFERRABLE INITIALLY DEFERRED"
        statements += [
            f"ALTER TABLE {RAW_TABLE} ADD FOREIGN KEY (workspace_id) "
            f"REFERENCES mot_workspace (id) {deferred}",
            f"ALTER TABLE {RAW_TABLE} ADD FOREIGN KEY (touchpoint_id) "
            f"REFERENCES journeys_touchpoint (id) {deferred}",
            f"ALTER TABLE {RAW_TABLE} ADD FOREIGN KEY (workspace_id, customer) "
            f"REFERENCES feedback_customer (workspace_id, external_id) {deferred}",
        ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create_customers(workspace_id: int, rows: int) -> None:
    """Every customer the file can name (untimed: the raw COPY's foreign key needs them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO feedback_customer (workspace_id, external_id, created_at) "
            "SELECT %s, 'C' || lpad(n::text, 7, '0'), now() FROM generate_series(0, %s - 1) n",
            [workspace_id, max(1, rows // ROWS_PER_CUSTOMER)],
        )
        cursor.execute("VACUUM ANALYZE feedback_customer")


def raw_copy(path: Path, workspace_id: int, *, foreign_keys: bool) -> tuple[float, int]:
    """Seconds to COPY the file into the equivalent table, commit included; rows copied."""
    from django.db import connection, transaction

    create_raw_table(workspace_id, foreign_keys=foreign_keys)
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        copy_sql = (
            f"COPY {RAW_TABLE} (touchpoint_id, external_id, submitted_at, nps, csat, "
            "comment, customer) FROM STDIN WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (comment))"
        )
        with open(path, "rb") as f, cursor.cursor.copy(copy_sql) as copy:
            while block := f.read(1 << 20):
                copy.write(block)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {RAW_TABLE}")
        copied = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {RAW_TABLE}")
    return seconds, copied


def child_import(path: str, workspace_id: int) -> None:
    """Run in a process of its own: the pipeline as a job runs it; prints a JSON line."""
    setup_django()
    from django.db import transaction

    from feedback.imports import pipeline, presets, reading
    from feedback.imports.types import Mapping, Target
    from feedback.models import ImportMode
    from feedback.touchpoint_refs import TouchpointRefs

    resolve = TouchpointRefs(workspace_id)
    reports: list[tuple[float, float]] = []

    def progress(fraction: float) -> None:
        reports.append((fraction, time.perf_counter()))

    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as rejected:
        start = time.perf_counter()
        # An outer transaction of our own, only to time the commit apart.
        with transaction.atomic():
            layout = reading.detect(path)
            mapping = Mapping(
                target=Target.RESPONSES, columns=presets.propose_mapping(layout, Target.RESPONSES)
            )
            outcome = pipeline.import_path(
                workspace_id=workspace_id,
                path=path,
                layout=layout,
                mapping=mapping,
                mode=ImportMode.VALID_ROWS,
                dry_run=False,
                resolve=resolve,
                progress=progress,
                rejected=rejected,
            )
            stored = time.perf_counter()
        seconds = time.perf_counter() - start
    # The pipeline reports READ_SHARE once the last row is read: chunks were stored meanwhile,
    # the rest is storing the last one.
    read = next(t for f, t in reversed(reports) if f == pipeline.READ_SHARE)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "read": read - start,
                "last_chunk": stored - read,
                "commit": start + seconds - stored,
                "rows": outcome.rows,
                "created": outcome.created,
                "duplicates": outcome.duplicates,
                "rejected": outcome.rejected,
                "progress_reports": len(reports),
                "mapping": mapping.columns,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def pipeline_import(path: Path, workspace_id: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child-import", str(path), "--workspace", str(workspace_id)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        child_import(args.child_import, args.workspace)
        return 0

    ensure_database()
    from django.db import connection

    workspace_id, touchpoints = ensure_workspace()
    path = ensure_file(args.rows, touchpoints)

    empty_answers()
    create_customers(workspace_id, args.rows)
    raw_seconds, copied = raw_copy(path, workspace_id, foreign_keys=True)
    assert copied == args.rows, copied
    empty_answers()
    connection.close()  # the child's transaction must not wait on ours
    result = pipeline_import(path, workspace_id)
    assert result["created"] == args.rows, result
    assert result["rejected"] == 0, result
    empty_answers()
    no_fk_seconds, copied = raw_copy(path, workspace_id, foreign_keys=False)
    assert copied == args.rows, copied

    n = args.rows
    ratio = result["seconds"] / raw_seconds
    rss = result["maxrss_mb"]
    own_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nMOT ingest bench: {n:,} answers, {len(touchpoints)} touchpoints, "
        f"{max(1, n // ROWS_PER_CUSTOMER):,} customers, PostgreSQL "
        f"({connection.settings_dict['NAME']}), file {path.stat().st_size / 1e6:.0f} MB"
    )
    lines = [
        ("raw COPY: equivalent table (indexes, checks, FKs)", raw_seconds),
        ("pipeline: detect, validate, store, commit", result["seconds"]),
        ("  read + validate, earlier chunks stored meanwhile", result["read"]),
        ("  store the last chunk (COPY, INSERT … SELECT)", result["last_chunk"]),
        ("  commit", result["commit"]),
        ("raw COPY: the same table without its foreign keys", no_fk_seconds),
    ]
    print(f"{'measure':<52}{'seconds':>9}{'rows/s':>11}")
    for name, seconds in lines:
        # Rows per second only for whole measures: a step's share has no rate of its own.
        rate = "" if name.startswith(" ") else f"{n / seconds:,.0f}"
        print(f"{name:<52}{seconds:>9.1f}{rate:>11}")
    print(
        f"ratio pipeline / raw COPY into the equivalent table: {ratio:.2f} (goal <= {RATIO_GOAL})"
    )
    print(
        f"ratio pipeline / raw COPY without foreign keys: {result['seconds'] / no_fk_seconds:.2f}"
    )
    print(f"peak RSS: pipeline process {rss:.0f} MB (goal < {RSS_GOAL_MB}), bench {own_rss:.0f} MB")
    print(f"progress reports: {result['progress_reports']}; mapping: {result['mapping']}")
    met = ratio <= RATIO_GOAL and rss < RSS_GOAL_MB
    print("goals met" if met else "goals NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
