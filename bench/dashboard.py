"""Server time of the moment dashboard and of a journey map on the 1,000,000-answer metrics data.

Usage (PostgreSQL, the data of bench/metrics.py, which this script reuses and never edits)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_metrics_e python bench/dashboard.py \\
        [--runs 20] [--warmup 3] [--explain]

The workspace "bench-metrics" of bench/metrics.py (10 journeys x 50 touchpoints, 1,000,000
answers over 18 months, ~100,000 customers) is built by that script's own functions when it is
missing, and its metric rows are computed once (``metrics_recompute(full=True)``) when the
workspace has no all-time or daily workspace rows. A manager of the workspace is added.

Requests go through django.test.Client in this process: the time is the server's (middleware, view,
queries, figures, template), with no network and no browser. Each figure is the median and the 95th
percentile of --runs requests after --warmup ones. Measured: the dashboard of the workspace and of
one journey, with the default period (last 90 days) and with a date filter (a custom 30-day range,
and a year), with a moment-of-truth filter (its trend and previous period read from the matching
touchpoints' rows), and the map page of the same journey. The raw-SQL line is the last 90 days'
touchpoint daily rows summed per touchpoint by hand: what the page would read without the month rows
(it reads those for the whole months of a period and daily rows only for the days around them), so
the ratio holds on a noisy machine. DEBUG is off, as in production. With --explain, PostgreSQL's
plans of the page's read of answers (the latest pain comments) and of that sum are printed.

Goals (issue 6): dashboard median <= 150 ms, map page median <= 100 ms on this 2-core machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_metrics_e")

DASHBOARD_GOAL_MS, MAP_GOAL_MS = 150.0, 100.0
MANAGER_EMAIL = "bench-manager@bench.test"


def _bench_metrics():
    """bench/metrics.py as a module (its folder is not a package; its name would clash)."""
    spec = importlib.util.spec_from_file_location("bench_metrics", HERE / "metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_data(bm, answers: int, customers: int) -> tuple[int, list[int]]:
    """The metrics bench's workspace, answers and metric rows; returns (workspace, journeys)."""
    bm.ensure_database()
    workspace_id, journeys, touchpoints = bm.ensure_map()
    fresh = bm.ensure_customers(workspace_id, customers)
    bm.ensure_answers(workspace_id, touchpoints, answers, fresh)
    from metrics.models import MomentCounts, Scope
    from metrics.services import metrics_recompute

    rows = MomentCounts.objects.filter(workspace_id=workspace_id, scope=Scope.WORKSPACE)
    if fresh or not (rows.filter(day=None).exists() and rows.exclude(day=None).exists()):
        started = time.perf_counter()
        metrics_recompute(workspace_id=workspace_id, full=True)
        print(f"computed the metric rows in {time.perf_counter() - started:.1f} s")
    # Planner statistics as autovacuum would leave them: without them PostgreSQL reads every
    # pain answer of a moment's year to sort them, instead of the newest few by index.
    bm.vacuum()
    return workspace_id, journeys


def ensure_manager(workspace_id: int):
    from django.contrib.auth import get_user_model

    from mot.models import Membership, Role

    user, _ = get_user_model().objects.get_or_create(
        username=MANAGER_EMAIL, defaults={"email": MANAGER_EMAIL, "first_name": "Bench"}
    )
    Membership.objects.get_or_create(
        workspace_id=workspace_id, user=user, defaults={"role": Role.MANAGER}
    )
    return user


PERIOD_SUM = """
SELECT key, SUM(answers), SUM(promoters), SUM(passives), SUM(detractors), SUM(csat_answers),
       SUM(csat_top2), SUM(csat_sum), SUM(ces_answers), SUM(ces_easy), SUM(ces_sum), SUM(glory),
       SUM(neutral), SUM(pain)
FROM metrics_momentcounts
WHERE workspace_id = %(ws)s AND scope = 'touchpoint' AND day >= %(start)s AND day <= %(end)s
GROUP BY key
"""


def raw_period_sum(workspace_id: int, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.utils import timezone

    end = timezone.localdate()
    params = {"ws": workspace_id, "end": end, "start": end - timedelta(days=89)}
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(PERIOD_SUM, params)
            rows = cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(rows)


def explain(workspace_id: int, journey_id: int) -> None:
    """PostgreSQL's plans of the pain comments (the page's only read of answers) and of the
    period sum, as the page runs them."""
    from django.db import connection
    from django.utils import timezone

    from metrics.dashboard.page import dashboard
    from metrics.read import dashboard as d
    from metrics.summaries import most_painful
    from mot.models import Workspace

    period = d.Period.last(90, today=timezone.localdate())
    workspace = Workspace.objects.get(pk=workspace_id)
    data = dashboard(
        workspace=workspace,
        journeys=d.workspace_journeys(workspace_id=workspace_id),
        journey=None,
        filters=d.DashboardFilter(period=period),
    )
    painful = [m.touchpoint.pk for m in most_painful(data.moments)]
    with connection.execute_wrapper(_explaining):
        d.pain_comments(workspace_id=workspace_id, touchpoint_ids=painful, period=period)
        d.period_counts(workspace_id=workspace_id, journey_id=None, period=period)
        d.period_counts(workspace_id=workspace_id, journey_id=journey_id, period=period)


def _explaining(execute, sql, params, many, context):
    cursor = context["cursor"].cursor  # the driver's own: the wrapper would come back here
    if sql.lstrip().upper().startswith("SELECT"):
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\n" + sql[:160] + " …")
        print("\n".join(row[0] for row in cursor.fetchall()))
    return execute(sql, params, many, context)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--explain", action="store_true", help="print the plans of the reads")
    args = parser.parse_args()

    bm = _bench_metrics()  # sets up sys.path and Django's settings module like bench/metrics.py
    from bench.common import measure, p95

    workspace_id, journeys = ensure_data(bm, args.answers, args.customers)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from feedback.models import Response
    from metrics.models import MomentCounts, Scope
    from mot.models import Workspace

    settings.DEBUG = False  # as in production: no per-query logging
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    slug = Workspace.objects.get(pk=workspace_id).slug
    journey_id = journeys[len(journeys) // 2]
    client = Client()
    client.force_login(ensure_manager(workspace_id), backend="mot.auth.EmailOrUsernameBackend")
    end = timezone.localdate()
    month = f"period=custom&date_from={end - timedelta(days=29)}&date_to={end}"
    dashboard = f"/w/{slug}/dashboard/"
    goal = DASHBOARD_GOAL_MS
    pages = [
        ("dashboard, workspace, last 90 days (default)", dashboard, goal),
        ("dashboard, workspace, custom 30 days", f"{dashboard}?{month}", goal),
        ("dashboard, workspace, last 365 days", f"{dashboard}?period=365", goal),
        ("dashboard, workspace, ZMOT touchpoints only", f"{dashboard}?mot_stage=zmot", goal),
        ("dashboard, journey, last 90 days", f"{dashboard}?journey={journey_id}", goal),
        ("dashboard, journey, custom 30 days", f"{dashboard}?journey={journey_id}&{month}", goal),
        ("journey map page", f"/w/{slug}/journeys/{journey_id}/", MAP_GOAL_MS),
    ]  # fmt: skip
    for label, url, _limit in pages:
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{label}: {url} answered {response.status_code}")

    answers = Response.objects.filter(workspace_id=workspace_id).count()
    daily = MomentCounts.objects.filter(
        workspace_id=workspace_id, scope=Scope.TOUCHPOINT, day__isnull=False
    ).count()
    print(
        f"\nMOT dashboard bench: {answers:,} answers, {daily:,} touchpoint-day rows, PostgreSQL "
        f"({connection.settings_dict['NAME']}); {args.runs} requests after {args.warmup}, in ms"
    )
    print(f"{'page':<48}{'median':>9}{'p95':>9}{'goal':>8}")
    results = []
    for label, url, limit in pages:
        times = measure(lambda url=url: client.get(url), runs=args.runs, warmup=args.warmup)
        median = statistics.median(times)
        results.append((label, median, limit))
        print(f"{label:<48}{median:>9.1f}{p95(times):>9.1f}{limit:>8.0f}")
    raw_ms, raw_rows = raw_period_sum(workspace_id, runs=max(args.runs, 5))
    print(f"{'raw SQL: 90 daily rows summed per touchpoint':<48}{raw_ms:>9.1f}"
          f"   ({raw_rows} rows)")  # fmt: skip
    default = results[0][1]
    print(f"ratio dashboard (workspace, default) / raw SQL: {default / raw_ms:.1f}x")
    if args.explain:
        explain(workspace_id, journey_id)
    missed = [label for label, median, limit in results if median > limit]
    print("goals: " + ("all met" if not missed else "MISSED for " + "; ".join(missed)))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
