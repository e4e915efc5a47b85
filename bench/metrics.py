"""Metric recomputes over 1,000,000 answers, against a hand-written GROUP BY on the same data.

Usage (PostgreSQL only: production's database, and the engine's COPY path)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_metrics python bench/metrics.py \\
        [--answers 1000000] [--customers 100000] [--followups 100000] [--runs 3] [--profile]

The database named in DATABASE_URL (default: mot_bench_metrics; its name must contain "bench",
because a change of size empties its answers) is created if missing, migrated, and given a
workspace "bench-metrics": 10 journeys x 5 stages x 10 touchpoints (500; MOT stages cycling,
a sixth untagged), --customers customers with ~3 purchases each over 18 months, and --answers
answers over the same 18 months (90% with a customer; NPS only, CSAT only, or both; half with
the four expectations and a comment; a skewed number of answers per touchpoint), and
--followups follow-ups of pain answers with their timelines (see ensure_followups). Everything
goes in with COPY into the real tables and is reused by the next run when the sizes match.

Measured, each in a child process of its own so that its peak RSS (the child's high-water mark,
VmHWM from /proc/self/status, Django and pandas included; not getrusage's ru_maxrss, which
inherits through exec the bench process's own peak from generating the data) is the
recompute's and not the bench's:

(a) the full recompute ``metrics.services.metrics_recompute(workspace_id=…, full=True)``
    (moment counts of every scope and day, retention, moment impact), --runs times; the time
    of each engine step is recorded by wrapping the engine's functions;
(a') the same full recompute without its recovery steps (the follow-ups' figures and the
    recovery effect: RECOVERY_STEPS replaced by no-ops in the child), --runs times,
    alternating with (a); the recovery's extra cost is (a) - (a'), and its share of (a') is
    the goal's ratio;
(b) a hand-written ``GROUP BY touchpoint_id`` with the same conditional counts on
    feedback_response (median of 5), and the ratio (a) / (b); the same query grouped by
    touchpoint and day, which is what the engine needs for its daily rows, is shown too;
(c) a 1,000-answer batch through ``feedback.services.responses_ingest`` into one journey (as an
    API batch would land: the journey is noted as pending; the recompute task a deployment
    would enqueue is taken to be already waiting, so none runs inside the ingest), then
    ``metrics_recompute(workspace_id=…)`` of that pending journey, timed, --runs times;
(d) the comment themes' job (metrics/themes/engine.py, its own task on the metrics queue, so
    never inside (a) or (c): the children replace its request by a no-op): a full run, --runs
    times, then --runs batches of 1,000 answers (half with a comment), each followed by the
    job's incremental run (the weeks that received answers).

Half of the generated answers (COMMENTED) carry the four expectation ratings and a comment of
one to three phrases in Portuguese, Spanish, Romanian or English (pain phrases mostly with
NPS 0-6), a third of them with a rare word of a long tail.

Goals on this 2-core machine: full <= 10 s, peak RSS < 1 GB, incremental <= 1 s, recovery's
extra cost <= 20 % of the full recompute without it (issue 14). With
--profile, the first full run also prints cProfile's top functions.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this file's folder comes first on sys.path and "metrics" would be this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_metrics")

WORKSPACE_SLUG = "bench-metrics"
JOURNEYS, STAGES, PER_STAGE = 10, 5, 10
MONTHS = 18
SEED = 20261123
BATCH = 1000
FULL_GOAL_S, RSS_GOAL_MB, INCREMENTAL_GOAL_S = 10.0, 1024, 1.0
RECOVERY_GOAL = 0.20  # recovery's extra cost, as a share of the full recompute without it
RECOVERY_STEPS = ("recompute_recovery", "recompute_recovery_effect")
COMMENTED = 0.5  # the share of answers with the four ratings and a comment (issue 17's goal)
# Comment phrases per language and experience; a comment is one to three of them, sometimes
# with a word of a long synthetic tail (names, order numbers: the rare words of real text).
PHRASES = {
    "pt": (
        ["entrega atrasada", "ninguém me avisou", "esperei demasiado tempo", "o estafeta foi rude",
         "a encomenda chegou danificada", "reembolso ainda não chegou", "muito complicado"],
        ["atendimento rápido e simpático", "tudo muito simples", "resolveram o meu problema",
         "vou recomendar aos amigos", "produto excelente"],
    ),
    "es": (
        ["entrega retrasada", "nadie me avisó", "esperé demasiado tiempo", "el agente fue grosero",
         "el paquete llegó dañado", "el reembolso no llega", "demasiado complicado"],
        ["rápido y amable", "todo fue sencillo", "resolvieron mi problema", "lo recomendaré",
         "producto excelente"],
    ),
    "ro": (
        ["livrare întârziată", "nimeni nu m-a anunțat", "am așteptat prea mult",
         "curierul a fost nepoliticos", "coletul a ajuns deteriorat", "rambursarea întârzie",
         "prea complicat"],
        ["rapid și amabil", "totul a fost simplu", "mi-au rezolvat problema", "vă recomand",
         "produs excelent"],
    ),
    "en": (
        ["late delivery", "nobody told me", "waited far too long", "the courier was rude",
         "the parcel arrived damaged", "still no refund", "too complicated"],
        ["fast and friendly", "everything was simple", "they solved my problem",
         "will recommend you", "excellent product"],
    ),
}  # fmt: skip
LANGUAGE_WEIGHTS = {"pt": 0.4, "es": 0.2, "ro": 0.2, "en": 0.2}
RARE_WORDS = 50_000


def comments_for(rng, nps, commented):
    """Comments and languages for the answers (empty where not ``commented``): pain answers
    (NPS 0-6) mostly pick pain phrases, the others mostly praise."""
    import numpy as np

    n = len(nps)
    languages = np.array(list(LANGUAGE_WEIGHTS))
    language = rng.choice(len(languages), n, p=list(LANGUAGE_WEIGHTS.values()))
    pain = rng.random(n) < np.where(nps <= 6, 0.85, 0.1)
    parts = rng.integers(1, 4, n)
    picks = rng.integers(0, 1 << 30, (n, 3))
    rare = np.where(rng.random(n) < 0.3, rng.zipf(1.3, n) % RARE_WORDS, -1)
    texts = np.full(n, "", dtype=object)
    for i in np.flatnonzero(commented):
        pool = PHRASES[languages[language[i]]][0 if pain[i] else 1]
        text = ", ".join(pool[picks[i, k] % len(pool)] for k in range(parts[i]))
        texts[i] = f"{text} (ref{rare[i]:x}q)" if rare[i] >= 0 else text
    return texts, np.where(commented, languages[language], "")


def setup_django():
    from bench.common import setup_postgres

    return setup_postgres("bench/metrics.py")


def ensure_database() -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it is missing."""
    from bench.common import create_database

    create_database(setup_django())


def ensure_map() -> tuple[int, list[int], list[int]]:
    """The bench workspace and its 10 journeys of 50 touchpoints: reused when already there.
    Returns (workspace id, journey ids, touchpoint ids in map order)."""
    from django.core.management import call_command
    from django.db import transaction

    from journeys.models import Journey, MotStage, Stage, Touchpoint
    from mot.models import Workspace

    call_command("migrate", verbosity=0, interactive=False)
    mots = [*MotStage.values, ""]
    with transaction.atomic():
        workspace, _ = Workspace.objects.get_or_create(
            slug=WORKSPACE_SLUG, defaults={"name": "Bench metrics"}
        )
        journeys = list(Journey.objects.filter(workspace=workspace).order_by("pk"))
        shape_ok = len(journeys) == JOURNEYS and all(
            j.touchpoints.count() == STAGES * PER_STAGE for j in journeys
        )
        if not shape_ok:
            Journey.objects.filter(workspace=workspace).delete()  # answers go with them
            journeys = []
            for j in range(JOURNEYS):
                journey = Journey.objects.create(workspace=workspace, name=f"Journey {j + 1}")
                stages = Stage.objects.bulk_create(
                    [
                        Stage(journey=journey, name=f"Stage {s + 1}", position=s)
                        for s in range(STAGES)
                    ]
                )
                Touchpoint.objects.bulk_create(
                    [
                        Touchpoint(
                            journey=journey,
                            stage=stage,
                            position=p,
                            title=f"Touchpoint {j + 1}.{stage.position + 1}.{p + 1}",
                            mot_stage=mots[(stage.position * PER_STAGE + p) % len(mots)],
                        )
                        for stage in stages
                        for p in range(PER_STAGE)
                    ]
                )
                journeys.append(journey)
            print(f"built {JOURNEYS} journeys x {STAGES * PER_STAGE} touchpoints")
    touchpoints = list(
        Touchpoint.objects.filter(journey__workspace=workspace)
        .order_by("journey_id", "stage__position", "position")
        .values_list("pk", flat=True)
    )
    return workspace.pk, [j.pk for j in journeys], touchpoints


# --- data --------------------------------------------------------------------------------------


def _copy_frame(cursor, table: str, frame, *, not_null: tuple[str, ...] = ()) -> None:
    """Stream a DataFrame into a table with COPY (CSV), 100,000 rows at a time."""
    columns = ", ".join(frame.columns)
    options = "FORMAT csv"
    if not_null:  # an empty CSV field is NULL unless told otherwise
        options += f", FORCE_NOT_NULL ({', '.join(not_null)})"
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH ({options})") as copy:
        for start in range(0, len(frame), 100_000):
            buffer = io.StringIO()
            frame.iloc[start : start + 100_000].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())


def _span() -> tuple[datetime, datetime]:
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - timedelta(days=round(MONTHS * 30.44)), end


def ensure_customers(workspace_id: int, customers: int) -> bool:
    """Customers and their activities; regenerated (with the answers) when the count differs.
    Returns whether they were regenerated."""
    import numpy as np
    import pandas as pd
    from django.db import connection, transaction

    from feedback.models import Activity, Customer

    have = Customer.objects.filter(workspace_id=workspace_id).count()
    if have == customers and Activity.objects.filter(workspace_id=workspace_id).exists():
        return False
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The bench database holds this workspace only (its name says bench, checked above).
        cursor.execute("TRUNCATE feedback_response, feedback_activity, feedback_customer CASCADE")
    rng = np.random.default_rng(SEED)
    first, last = _span()
    seconds = int((last - first).total_seconds())
    now = pd.Timestamp(datetime.now(UTC))
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_frame(
            cursor,
            "feedback_customer",
            pd.DataFrame(
                {
                    "workspace_id": workspace_id,
                    "external_id": [f"C{i:07d}" for i in range(customers)],
                    "created_at": now,
                }
            ),
        )
        cursor.execute(
            "SELECT id FROM feedback_customer WHERE workspace_id = %s ORDER BY external_id",
            [workspace_id],
        )
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        # ~3 purchases each: the first anywhere in the span, the others after it.
        per_customer = 1 + rng.poisson(2, customers)
        owner = np.repeat(np.arange(customers), per_customer)
        start = rng.integers(0, seconds, customers)
        offset = rng.random(len(owner)) * (seconds - start[owner])
        offset[np.r_[0, np.cumsum(per_customer)[:-1]]] = 0  # each customer's first purchase
        at = pd.Timestamp(first) + pd.to_timedelta(start[owner] + offset.astype(np.int64), "s")
        _copy_frame(
            cursor,
            "feedback_activity",
            pd.DataFrame(
                {
                    "workspace_id": workspace_id,
                    "customer_id": ids[owner],
                    "occurred_at": at,
                    "kind": "purchase",
                    "value": np.round(rng.uniform(5, 200, len(owner)), 2),
                    "external_id": [f"A{i:08d}" for i in range(len(owner))],
                }
            ),
        )
    print(
        f"generated {customers:,} customers and {len(owner):,} activities in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return True


def ensure_answers(workspace_id: int, touchpoints: list[int], answers: int, fresh: bool) -> bool:
    """The imported answers: reused when there are exactly `answers` of them. Returns whether
    they were regenerated."""
    import numpy as np
    import pandas as pd
    from django.db import connection, transaction

    from feedback.models import Customer, Response, Source

    mine = Response.objects.filter(workspace_id=workspace_id)
    # Batches of an earlier run's incremental measure (c) go, so every run measures the same.
    mine.exclude(source=Source.IMPORT).delete()
    # Data from before the four expectations were generated is regenerated too.
    rated = mine.filter(respect__isnull=False).exists()
    if not fresh and rated and mine.count() == answers:
        return False
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE feedback_response CASCADE")
    rng = np.random.default_rng(SEED + 1)
    n_tp = len(touchpoints)
    # A skewed number of answers per touchpoint, and a mood of its own (its mean NPS).
    weights = rng.lognormal(0, 1, n_tp)
    mood = rng.uniform(4.5, 9.5, n_tp)
    tp = rng.choice(n_tp, answers, p=weights / weights.sum())
    first, last = _span()
    stamp = np.sort(rng.integers(0, int((last - first).total_seconds()), answers))
    has_nps = rng.random(answers) < 0.85
    nps = np.clip(np.rint(rng.normal(mood[tp], 2.5)), 0, 10).astype(np.int64)
    has_csat = ~has_nps | (rng.random(answers) < 0.5)
    csat = np.clip(np.rint(nps / 2.5 + rng.normal(1, 0.8, answers)), 1, 5).astype(np.int64)
    customer_ids = np.array(
        Customer.objects.filter(workspace_id=workspace_id)
        .order_by("external_id")
        .values_list("pk", flat=True),
        dtype=np.int64,
    )
    customer = customer_ids[rng.integers(0, len(customer_ids), answers)]
    with_customer = rng.random(answers) < 0.9
    commented = rng.random(answers) < COMMENTED
    comment, language = comments_for(rng, np.where(has_nps, nps, 2 * csat - 2), commented)
    # The commented answers carry the four expectations too (1-5, following the answer's NPS),
    # as a survey link's answers do (issue 17).
    expectations = {
        name: np.clip(np.rint(nps / 2.5 + rng.normal(0.5, 1.0, answers)), 1, 5).astype(np.int64)
        for name in ("respect", "solutions", "simplicity", "responsibility")
    }
    frame = pd.DataFrame(
        {
            "workspace_id": workspace_id,
            "touchpoint_id": np.asarray(touchpoints, dtype=np.int64)[tp],
            "customer_id": pd.array(np.where(with_customer, customer, 0), dtype="Int64"),
            "source": Source.IMPORT.value,
            "external_id": [f"B{i:08d}" for i in range(answers)],
            "submitted_at": pd.Timestamp(first) + pd.to_timedelta(stamp, "s"),
            "nps": pd.array(np.where(has_nps, nps, 0), dtype="Int64"),
            "csat": pd.array(np.where(has_csat, csat, 0), dtype="Int64"),
            "comment": comment,
            "language": language,
            **{
                name: pd.array(np.where(commented, values, 0), dtype="Int64")
                for name, values in expectations.items()
            },
            # Received when submitted, as from a survey link: the themes job's incremental run
            # (d) then sees only its batch as new.
            "created_at": pd.Timestamp(first) + pd.to_timedelta(stamp, "s"),
        }
    )
    frame.loc[~with_customer, "customer_id"] = pd.NA
    frame.loc[~has_nps, "nps"] = pd.NA
    frame.loc[~has_csat, "csat"] = pd.NA
    for name in expectations:
        frame.loc[~commented, name] = pd.NA
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_frame(cursor, "feedback_response", frame, not_null=("comment", "language"))
    print(f"generated {answers:,} answers in {time.perf_counter() - started:.1f} s")
    return True


def ensure_followups(workspace_id: int, followups: int, fresh: bool) -> None:
    """``followups`` follow-ups of distinct pain answers, opened up to an hour after the answer,
    with their timelines: reused when there are exactly that many.

    Their states spread as a working team's would: of those opened more than two weeks ago 90 %
    are closed, of the recent ones 40 %; closed ones are half recovered, a quarter not recovered,
    a quarter no action needed, closed after about 3 days (exponential); active ones are half
    open, half in progress. Due two working days after opening. The timeline: a first response
    (a note or a status change, after about 8 hours) for 85 % of the worked ones and 30 % of the
    open ones, and a status change at closing: about 1.8 events per follow-up. Each follow-up's
    first_response_at is the earlier of its two, as the services store it.
    """
    import numpy as np
    import pandas as pd
    from django.db import connection, transaction

    from feedback.followups.models import FollowUp

    have = FollowUp.objects.filter(workspace_id=workspace_id).count()
    if not fresh and have == followups:
        return
    started = time.perf_counter()
    rng = np.random.default_rng(SEED + 2)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE feedback_followup CASCADE")
        cursor.execute(
            "SELECT id, touchpoint_id, submitted_at FROM feedback_response "
            "WHERE workspace_id = %s AND experience = 'pain' ORDER BY id",
            [workspace_id],
        )
        pain = pd.DataFrame(cursor.fetchall(), columns=["response_id", "touchpoint_id", "at"])
    picked = pain.iloc[np.sort(rng.choice(len(pain), min(followups, len(pain)), replace=False))]
    n = len(picked)
    now = pd.Timestamp(datetime.now(UTC))
    opened = pd.DatetimeIndex(pd.to_datetime(picked["at"], utc=True)) + pd.to_timedelta(
        rng.integers(0, 3600, n), "s"
    )
    old = (now - opened) > pd.Timedelta(days=14)
    closed = rng.random(n) < np.where(old, 0.9, 0.4)
    outcome = rng.choice(["recovered", "not_recovered", "no_action"], n, p=[0.5, 0.25, 0.25])
    active = rng.choice(["open", "in_progress"], n)
    status = np.where(closed, outcome, active)
    closed_at = opened + pd.to_timedelta(rng.exponential(3 * 86400, n).astype(np.int64), "s")
    closed_at = closed_at.where(closed_at < now, now)
    days = opened.tz_convert(None).to_numpy().astype("datetime64[D]")
    due = np.busday_offset(days, 2, roll="forward")
    worked = status != "open"
    responded = rng.random(n) < np.where(worked, 0.85, 0.3)
    first_at = opened + pd.to_timedelta(rng.exponential(8 * 3600, n).astype(np.int64), "s")
    first_kind = np.where(rng.random(n) < 0.5, "note", "status")
    # The earlier of the timeline's two responses (the closing status change is one too), as
    # the services store it: NaT when there is neither.
    first_response = pd.concat(
        [pd.Series(first_at).where(responded), pd.Series(closed_at).where(closed)], axis=1
    ).min(axis=1)
    frame = pd.DataFrame(
        {
            "workspace_id": workspace_id,
            "response_id": picked["response_id"].to_numpy(),
            "touchpoint_id": picked["touchpoint_id"].to_numpy(),
            "status": status,
            "due_on": pd.to_datetime(due).date,
            "root_cause": "",
            "version": 1,
            "created_at": opened,
            "updated_at": now,
            "closed_at": pd.Series(closed_at).where(closed, pd.NaT).to_numpy(),
            "first_response_at": first_response.to_numpy(),
        }
    )
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_frame(cursor, "feedback_followup", frame, not_null=("root_cause",))
        cursor.execute(
            "SELECT id FROM feedback_followup WHERE workspace_id = %s ORDER BY response_id",
            [workspace_id],
        )
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
        events = pd.concat(
            [
                pd.DataFrame(
                    {
                        "followup_id": ids[responded],
                        "kind": first_kind[responded],
                        "note": np.where(first_kind[responded] == "note", "Called back", ""),
                        "to_status": np.where(first_kind[responded] == "status", "in_progress", ""),
                        "created_at": first_at[responded],
                    }
                ),
                pd.DataFrame(
                    {
                        "followup_id": ids[closed],
                        "kind": "status",
                        "note": "",
                        "to_status": status[closed],
                        "created_at": closed_at[closed],
                    }
                ),
            ],
            ignore_index=True,
        ).assign(from_status="", root_cause="")
        _copy_frame(
            cursor,
            "feedback_followupevent",
            events,
            not_null=("note", "from_status", "to_status", "root_cause"),
        )
    print(
        f"generated {n:,} follow-ups and {len(events):,} timeline events in "
        f"{time.perf_counter() - started:.1f} s"
    )


ANSWER_TABLES = (
    "feedback_response",
    "feedback_activity",
    "feedback_customer",
    "feedback_followup",
    "feedback_followupevent",
)
METRIC_TABLES = (
    "metrics_momentcounts",
    "metrics_monthcounts",
    "metrics_retentioncohort",
    "metrics_retentionsummary",
    "metrics_momentimpact",
    "metrics_recoverycounts",
    "metrics_recoveryeffect",
    "metrics_recomputerun",
)


def vacuum(tables=ANSWER_TABLES + METRIC_TABLES) -> None:
    """VACUUM ANALYZE and a checkpoint, once before the first measure: the freshly generated
    tables get their statistics and leave no dead rows to the runs (a full recompute vacuums
    the counts table itself; where autovacuum is off, as on this machine, dead rows would
    otherwise pile up from run to run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")


# --- (b) the hand-written SQL ------------------------------------------------------------------

RAW_COUNTS = """
    count(*),
    count(*) FILTER (WHERE nps >= 9),
    count(*) FILTER (WHERE nps BETWEEN 7 AND 8),
    count(*) FILTER (WHERE nps <= 6),
    count(csat),
    count(*) FILTER (WHERE csat >= 4),
    coalesce(sum(csat), 0),
    count(*) FILTER (WHERE experience = 'glory'),
    count(*) FILTER (WHERE experience = 'neutral'),
    count(*) FILTER (WHERE experience = 'pain')
"""
RAW_BY_TOUCHPOINT = f"""
    SELECT touchpoint_id, {RAW_COUNTS}
    FROM feedback_response WHERE workspace_id = %s GROUP BY touchpoint_id
"""
RAW_BY_TOUCHPOINT_DAY = f"""
    SELECT touchpoint_id, (submitted_at AT TIME ZONE 'UTC')::date AS day, {RAW_COUNTS}
    FROM feedback_response WHERE workspace_id = %s GROUP BY 1, 2
"""


def raw_sql(query: str, workspace_id: int, runs: int = 5) -> tuple[float, int]:
    """Median seconds of `runs` executions (rows fetched), after one warm-up; and the rows."""
    from django.db import connection

    times = []
    rows = 0
    with connection.cursor() as cursor:
        for i in range(runs + 1):
            start = time.perf_counter()
            cursor.execute(query, [workspace_id])
            rows = len(cursor.fetchall())
            if i:
                times.append(time.perf_counter() - start)
    return statistics.median(times), rows


# --- (a) and (c), in a child process -----------------------------------------------------------

STEPS = [  # engine functions timed by wrapping, when the engine has them
    "_rebuild_journeys",
    "_update_in_place",
    "_changed_pairs",
    "_rewrite_pairs",
    "_workspace_daily",
    "_refresh_months",
    "tidy_counts",
    "_all_time",
    "rebuild_expectations",
    "_changed_days",
    "rewrite_expectation_days",
    "recompute_counts",
    "update_counts",
    "_load",
    "activity_frame",
    "recompute_retention",
    "_retained",
    "impact_answers",
    "recompute_impact",
    "recompute_recovery",
    "recompute_recovery_effect",
]


def _wrap_steps() -> dict[str, list[float]]:
    """Wrap the engine's functions to add up their time and calls (nested steps count in both:
    recompute_counts includes _rebuild_journeys, recompute_retention its activity_frame)."""
    import functools

    from django.db import connections
    from django.db.models.query import QuerySet

    from metrics import compute, engine
    from metrics.engine import cohorts, counts, expectations, recovery

    spent: dict[str, list[float]] = {}

    def wrap(owner, name: str, label: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return
        spent.setdefault(label, [0.0, 0])

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label][0] += time.perf_counter() - start
                spent[label][1] += 1

        setattr(owner, name, functools.wraps(original)(timed))

    # A step is wrapped where it is defined (the calls inside its module go through it) and
    # where the package re-exports it (the services' calls): each call goes through one wrapper.
    for name in STEPS:
        for owner in (engine, counts, expectations, cohorts, recovery):
            wrap(owner, name, name)
    for name in ("retention_cohorts", "churn_and_repurchase"):
        wrap(compute, name, f"compute.{name}")
    # What the engine's functions do not show: rows deleted through the ORM (retention, impact),
    # and the commits, where PostgreSQL runs the deferred foreign-key checks of those tables.
    wrap(QuerySet, "delete", "db: QuerySet.delete (old rows)")
    wrap(connections["default"], "commit", "db: commit (deferred FK checks)")
    return spent


def _rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM of /proc/self/status where there is one, since
    getrusage's ru_maxrss carries over through exec the peak of the process that forked us."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, workspace_id: int, journey_id: int, run: int, profile: bool) -> None:
    """Run in a process of its own; prints one JSON line."""
    setup_django()
    import pandas  # noqa: F401  (imported before the baseline, as the engine imports it)
    from django.db import connection

    from metrics import engine, services
    from metrics.models import MomentCounts, RecomputeRun
    from metrics.services import metrics_recompute

    # The themes job is its own task: timed on its own (mode "themes"), never inside a recompute
    # (tasks run in-process without REDIS_URL).
    services.themes_request = lambda **kwargs: False
    connection.ensure_connection()
    result: dict = {"mode": mode, "baseline_rss_mb": _rss_mb()}
    if mode in THEMES_MODES:
        themes_child(mode, workspace_id, journey_id, run, result)
        return
    if mode == "full-without-recovery":
        for name in RECOVERY_STEPS:
            setattr(engine, name, lambda *args, **kwargs: 0)
    if mode == "incremental":
        result.update(_ingest_batch(workspace_id, journey_id, run))
        result["pending"] = RecomputeRun.objects.get(workspace_id=workspace_id).pending_journeys
    spent = _wrap_steps()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = time.perf_counter()
    did = metrics_recompute(workspace_id=workspace_id, full=mode != "incremental")
    result["seconds"] = time.perf_counter() - start
    if profiler is not None:
        import pstats

        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(35)
        result["profile"] = text.getvalue()
    assert did, "nothing was pending"
    result["maxrss_mb"] = _rss_mb()
    result["steps"] = {k: v for k, v in spent.items() if v[1]}
    result["rows"] = MomentCounts.objects.filter(workspace_id=workspace_id).count()
    print(json.dumps(result, default=str))


THEMES_MODES = ("themes", "themes-incremental")


def themes_child(mode: str, workspace_id: int, journey_id: int, run: int, result: dict) -> None:
    """The themes job, full or after a batch of 1,000 answers (half with a comment)."""
    from metrics.themes import engine as themes_engine
    from metrics.themes.models import ThemeCounts, ThemeTerm

    if mode == "themes-incremental":
        result.update(_ingest_batch(workspace_id, journey_id, run, commented=True))
    start = time.perf_counter()
    result["written"] = themes_engine.recompute_themes(workspace_id, full=mode == "themes")
    result["seconds"] = time.perf_counter() - start
    result["maxrss_mb"] = _rss_mb()
    result["rows"] = ThemeCounts.objects.filter(workspace_id=workspace_id).count()
    result["terms"] = ThemeTerm.objects.filter(workspace_id=workspace_id).count()
    print(json.dumps(result, default=str))


def _ingest_batch(workspace_id: int, journey_id: int, run: int, commented: bool = False) -> dict:
    """1,000 answers into one journey through the one ingestion path, as an API batch (with
    ``commented``, half of them with a comment, as in the generated answers)."""
    import random

    from django.core.cache import cache

    from feedback.models import Source
    from feedback.services import AnswerIn, responses_ingest
    from journeys.models import Touchpoint
    from metrics import services

    rnd = random.Random(SEED + run)
    touchpoints = list(
        Touchpoint.objects.filter(journey_id=journey_id).values_list("pk", flat=True)
    )
    now = datetime.now(UTC)
    import numpy as np

    rng = np.random.default_rng(SEED + 100 + run)
    texts, languages = comments_for(
        rng, rng.integers(0, 11, BATCH), rng.random(BATCH) < (COMMENTED if commented else 0)
    )
    answers = [
        AnswerIn(
            touchpoint_id=rnd.choice(touchpoints),
            external_id=f"{'themes-' if commented else ''}inc-{run}-{i}",
            submitted_at=now - timedelta(seconds=rnd.randrange(86_400)),
            nps=rnd.randint(0, 10),
            csat=rnd.randint(1, 5) if rnd.random() < 0.5 else None,
            customer=f"C{rnd.randrange(1000):07d}",
            comment=str(texts[i]),
            language=str(languages[i]),
        )
        for i in range(BATCH)
    ]
    # A recompute task is taken to be waiting already (a burst of batches): this batch only
    # adds its journey to the pending work, as in production, and no eager task runs here.
    cache.add(services._pending_key(workspace_id), 1, timeout=3600)
    start = time.perf_counter()
    outcome = responses_ingest(workspace_id=workspace_id, source=Source.API, answers=answers)
    assert outcome.created == BATCH, outcome
    return {"ingest_seconds": time.perf_counter() - start}


def run_child(mode: str, workspace_id: int, journey_id: int, run: int, profile: bool) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--workspace", str(workspace_id)]
    command += ["--journey", str(journey_id), "--run", str(run)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode:
        sys.exit(f"the {mode} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="full and incremental runs each")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first full and incremental runs"
    )
    parser.add_argument(
        "--child",
        choices=["full", "full-without-recovery", "incremental", *THEMES_MODES],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--workspace", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--journey", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workspace, args.journey, args.run, args.profile)
        return 0

    ensure_database()
    from django.db import connection

    from feedback.followups.models import FollowUp, FollowUpEvent
    from feedback.models import Activity, Response

    workspace_id, journeys, touchpoints = ensure_map()
    fresh = ensure_customers(workspace_id, args.customers)
    fresh = ensure_answers(workspace_id, touchpoints, args.answers, fresh) or fresh
    ensure_followups(workspace_id, args.followups, fresh)
    vacuum()
    activities = Activity.objects.filter(workspace_id=workspace_id).count()
    followups = FollowUp.objects.filter(workspace_id=workspace_id).count()
    events = FollowUpEvent.objects.filter(followup__workspace_id=workspace_id).count()
    journey_id = journeys[len(journeys) // 2]

    raw_seconds, raw_rows = raw_sql(RAW_BY_TOUCHPOINT, workspace_id)
    raw_day_seconds, raw_day_rows = raw_sql(RAW_BY_TOUCHPOINT_DAY, workspace_id)
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]

    fulls, bare, incrementals = [], [], []
    for i in range(args.runs):  # alternating, so that load on the machine hits both alike
        for mode, runs in (("full", fulls), ("full-without-recovery", bare)):
            # No VACUUM between runs: a full recompute vacuums the counts table itself.
            connection.close()  # the children must not wait on this process
            runs.append(run_child(mode, workspace_id, journey_id, i, args.profile and i == 0))
    themes_full, themes_inc = [], []
    for i in range(args.runs):
        connection.close()
        themes_full.append(run_child("themes", workspace_id, journey_id, i, False))
    for i in range(args.runs):
        connection.close()
        themes_inc.append(run_child("themes-incremental", workspace_id, journey_id, i, False))
    for i in range(args.runs):
        connection.close()
        incrementals.append(
            run_child("incremental", workspace_id, journey_id, i, args.profile and i == 0)
        )

    full_s = statistics.median(r["seconds"] for r in fulls)
    bare_s = statistics.median(r["seconds"] for r in bare)
    recovery_share = (full_s - bare_s) / bare_s
    rss = max(r["maxrss_mb"] for r in fulls)
    base = min(r["baseline_rss_mb"] for r in fulls)
    inc_s = statistics.median(r["seconds"] for r in incrementals)
    inc_rss = max(r["maxrss_mb"] for r in incrementals)
    ratio = full_s / raw_seconds

    print(
        f"\nMOT metrics bench: {args.answers:,} answers, {len(touchpoints)} touchpoints in "
        f"{len(journeys)} journeys, {args.customers:,} customers, {activities:,} activities, "
        f"PostgreSQL ({connection.settings_dict['NAME']}); {args.runs} runs each, medians"
    )
    print(f"autovacuum {autovacuum}; VACUUM ANALYZE of the tables once before the first run")
    print(f"{'measure':<58}{'seconds':>9}")
    print(
        f"{'(b) raw SQL: GROUP BY touchpoint, ' + str(raw_rows) + ' rows':<58}{raw_seconds:>9.3f}"
    )
    label = f"    raw SQL: GROUP BY touchpoint, day, {raw_day_rows:,} rows"
    print(f"{label:<58}{raw_day_seconds:>9.3f}")
    print(f"{'(a) full recompute (metrics_recompute full=True)':<58}{full_s:>9.2f}")
    print(f"{'    runs':<58}" + " ".join(f"{r['seconds']:.2f}" for r in fulls))
    print("    engine steps (median run; a nested step is inside its caller's time too):")
    for name, (seconds, calls) in _median_run(fulls)["steps"].items():
        print(f"      {name:<40}{calls:>9,} calls{seconds:>9.2f}")
    print(f"    rows stored: {fulls[0]['rows']:,}")
    print(f"{'(a) without the recovery steps':<58}{bare_s:>9.2f}")
    print(f"{'    runs':<58}" + " ".join(f"{r['seconds']:.2f}" for r in bare))
    print(
        f"    recovery's extra cost: {full_s - bare_s:.2f} s, {100 * recovery_share:.1f} % of the "
        f"full recompute without it ({followups:,} follow-ups, {events:,} timeline events)"
    )
    own = statistics.median(
        sum(r["steps"].get(name, [0.0])[0] for name in RECOVERY_STEPS) for r in fulls
    )
    print(
        f"    the recovery steps' own time in (a): {own:.2f} s, {100 * own / bare_s:.1f} % of (a') "
        "(less noisy than the difference of two medians)"
    )
    print(f"{'(c) incremental recompute, one journey after ' + str(BATCH) + ' answers':<58}"
          f"{inc_s:>9.2f}")  # fmt: skip
    print(f"{'    runs':<58}" + " ".join(f"{r['seconds']:.2f}" for r in incrementals))
    print(f"    pending before it: journeys {incrementals[0]['pending']}; the batch's ingest "
          f"took {incrementals[0]['ingest_seconds']:.2f} s")  # fmt: skip
    print("    engine steps (median run):")
    for name, (seconds, calls) in _median_run(incrementals)["steps"].items():
        print(f"      {name:<40}{calls:>9,} calls{seconds:>9.2f}")
    commented = Response.objects.filter(workspace_id=workspace_id).exclude(comment="").count()
    themes_s = statistics.median(r["seconds"] for r in themes_full)
    print(f"{'(d) themes job, full (its own task)':<58}{themes_s:>9.2f}")
    print(f"{'    runs':<58}" + " ".join(f"{r['seconds']:.2f}" for r in themes_full))
    print(
        f"    {commented:,} comments; rows stored: {themes_full[-1]['rows']:,} theme counts, "
        f"{themes_full[-1]['terms']:,} vocabulary terms; peak RSS "
        f"{max(r['maxrss_mb'] for r in themes_full):.0f} MB"
    )
    themes_inc_s = statistics.median(r["seconds"] for r in themes_inc)
    print(
        f"{'(d) themes job after ' + str(BATCH) + ' answers (their weeks)':<58}{themes_inc_s:>9.2f}"
    )
    print(f"{'    runs':<58}" + " ".join(f"{r['seconds']:.2f}" for r in themes_inc))
    print(f"ratio full recompute / raw GROUP BY touchpoint: {ratio:.0f}x")
    print(
        f"peak RSS (child process, VmHWM): full {rss:.0f} MB (goal < "
        f"{RSS_GOAL_MB}; {base:.0f} MB of it before the recompute: Django, pandas), "
        f"incremental {inc_rss:.0f} MB"
    )
    if args.profile:
        print("\ncProfile of the first full run (cumulative):\n" + fulls[0]["profile"])
        print("cProfile of the first incremental run:\n" + incrementals[0]["profile"])
    goals = [
        ("full <= 10 s", full_s <= FULL_GOAL_S),
        ("RSS < 1 GB", rss < RSS_GOAL_MB),
        ("incremental <= 1 s", inc_s <= INCREMENTAL_GOAL_S),
        ("recovery <= 20 % of full", recovery_share <= RECOVERY_GOAL),
    ]
    print("goals: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in goals))
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
