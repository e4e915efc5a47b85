"""Server time of My follow-ups and the team queue at 1,000,000 answers and 100,000 follow-ups.

Usage (PostgreSQL, the production database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_followups python bench/followups.py \\
        [--runs 30] [--warmup 3] [--answers 1000000] [--followups 100000] [--rebuild] [--explain]

The database named in DATABASE_URL (its name must contain "bench") is created when missing and
migrated, and given a workspace "bench-followups": 10 journeys x 50 touchpoints, 20 staff members
owning 10 touchpoints each (the other 300 unowned), a manager, and --answers answers over the last
year written by one INSERT … SELECT over generate_series (no ORM loop, no Python rows). Every
tenth answer has a follow-up, --followups in all, written the same way: one in five still open
or in progress (some of them overdue), the rest closed, some after their due date; nine in ten
assigned to one of the staff members, the rest in the workspace's queue. Running again reuses
the data when its size matches, else (or with --rebuild) writes it anew.

Requests go through django.test.Client in this process (DEBUG off, as in production): the time
is the server's (middleware, view, queries, template), with no network and no browser; the
median and the 95th percentile of --runs requests after --warmup ones. Measured: one staff
member's My follow-ups (every active follow-up assigned to them or on their touchpoints, up to
the page's 500), and the manager's team queue (its counts per assignee and per touchpoint over
all 100,000, and its first 200 rows), unfiltered and filtered. The raw-SQL line reads the same
rows by hand (the list's join and order, with a LIMIT, and for the team queue its two GROUP BYs),
so the ratio holds on a noisy machine. With --explain, PostgreSQL's plans of those reads.

Goals (issue 14): My follow-ups and the team queue median <= 100 ms on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_followups")

SLUG = "bench-followups"
JOURNEYS, PER_JOURNEY, STAGES = 10, 50, 5
STAFF, OWNED_EACH = 20, 10
GOAL_MS = 100.0


def ensure_world(answers: int, followups: int, rebuild: bool) -> tuple[int, list[int], int]:
    """The workspace, its members and map, answers and follow-ups of the asked size; returns
    (workspace id, staff membership ids, manager membership id)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction

    from journeys.models import Journey, Stage, Touchpoint
    from mot.models import Membership, Role, Workspace

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    with transaction.atomic():
        workspace, _ = Workspace.objects.get_or_create(slug=SLUG, defaults={"name": "Bench"})
        people = [(Role.MANAGER, "manager")] + [(Role.STAFF, f"staff{i:02d}") for i in range(STAFF)]
        members = []
        for role, name in people:
            email = f"{name}@{SLUG}.test"
            user, _ = User.objects.get_or_create(
                username=email, defaults={"email": email, "first_name": name.title()}
            )
            member, _ = Membership.objects.get_or_create(
                workspace=workspace, user=user, defaults={"role": role}
            )
            members.append(member)
        manager, staff = members[0], members[1:]
        if (
            Touchpoint.objects.filter(journey__workspace=workspace).count()
            != JOURNEYS * PER_JOURNEY
        ):
            Journey.objects.filter(workspace=workspace).delete()
            for j in range(JOURNEYS):
                journey = Journey.objects.create(workspace=workspace, name=f"Journey {j:02d}")
                stages = Stage.objects.bulk_create(
                    Stage(journey=journey, name=f"Stage {s}", position=s) for s in range(STAGES)
                )
                Touchpoint.objects.bulk_create(
                    Touchpoint(
                        journey=journey,
                        stage=stages[t % STAGES],
                        position=t // STAGES,
                        title=f"Touchpoint {j:02d}-{t:02d}",
                    )
                    for t in range(PER_JOURNEY)
                )
        touchpoints = list(Touchpoint.objects.filter(journey__workspace=workspace).order_by("pk"))
        for i, tp in enumerate(touchpoints):
            owner = staff[i // OWNED_EACH] if i < STAFF * OWNED_EACH else None
            if tp.owner_id != (owner.pk if owner else None):
                Touchpoint.objects.filter(pk=tp.pk).update(owner=owner)
    _ensure_rows(workspace.pk, [tp.pk for tp in touchpoints], [m.pk for m in staff], answers,
                 followups, rebuild)  # fmt: skip
    return workspace.pk, [m.pk for m in staff], manager.pk


def _ensure_rows(
    workspace_id: int,
    touchpoints: list[int],
    staff: list[int],
    answers: int,
    followups: int,
    rebuild: bool,
) -> None:
    from django.db import connection, transaction

    from feedback.followups.models import FollowUp, FollowUpEvent
    from feedback.models import Response

    rows = FollowUp.objects.filter(workspace_id=workspace_id)
    have = (Response.objects.filter(workspace_id=workspace_id).count(), rows.count())
    if have == (answers, followups) and not rebuild:
        return
    every = max(answers // followups, 1)
    print(f"writing {answers:,} answers and {followups:,} follow-ups …", flush=True)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        FollowUpEvent.objects.filter(followup__workspace_id=workspace_id).delete()
        cursor.execute("DELETE FROM feedback_followup WHERE workspace_id = %s", [workspace_id])
        cursor.execute("DELETE FROM feedback_response WHERE workspace_id = %s", [workspace_id])
        # Answers over the last year, one in three a pain answer with a comment.
        cursor.execute(
            """
            INSERT INTO feedback_response (workspace_id, touchpoint_id, source, external_id,
                submitted_at, nps, csat, comment, language, contact, created_at)
            SELECT %(ws)s, (%(tps)s::bigint[])[1 + ((g / 7) %% %(ntp)s)], 'api', 'bench-' || g,
                now() - (g %% 365) * interval '1 day' - (g %% 1440) * interval '1 minute',
                CASE WHEN g %% 3 = 0 THEN g %% 7 ELSE 7 + g %% 4 END, NULL,
                CASE WHEN g %% 3 = 0 THEN 'The parcel came late and nobody told me ' || g
                     ELSE '' END,
                'en', '', now()
            FROM generate_series(1, %(n)s) AS g
            """,
            {"ws": workspace_id, "tps": touchpoints, "ntp": len(touchpoints), "n": answers},
        )
        # Every tenth answer's follow-up: one in five active (due around today: some
        # overdue), the rest closed a few days after opening (some after their due date).
        cursor.execute(
            """
            INSERT INTO feedback_followup (workspace_id, response_id, touchpoint_id,
                assignee_id, due_on, status, root_cause, version, created_at, updated_at,
                closed_at)
            SELECT r.workspace_id, r.id, r.touchpoint_id,
                CASE WHEN r.id %% 10 = 9 THEN NULL
                     ELSE (%(staff)s::bigint[])[1 + ((r.id / %(every)s) %% %(nstaff)s)] END,
                CASE WHEN (r.id / %(every)s) %% 5 = 0
                     THEN current_date - 5 + ((r.id / %(every)s) %% 11)::int
                     ELSE (r.submitted_at + interval '2 days')::date END,
                CASE WHEN (r.id / %(every)s) %% 5 = 0
                     THEN (CASE WHEN r.id %% 2 = 0 THEN 'open' ELSE 'in_progress' END)
                     ELSE (ARRAY['recovered', 'not_recovered', 'no_action'])[1 + r.id %% 3]
                END,
                '', 1, r.submitted_at, r.submitted_at,
                CASE WHEN (r.id / %(every)s) %% 5 = 0 THEN NULL
                     ELSE r.submitted_at + (1 + r.id %% 4) * interval '1 day' END
            FROM feedback_response r
            WHERE r.workspace_id = %(ws)s AND r.id %% %(every)s = 0
            ORDER BY r.id
            LIMIT %(n)s
            """,
            {
                "ws": workspace_id,
                "staff": staff,
                "nstaff": len(staff),
                "every": every,
                "n": followups,
            },
        )
        cursor.execute(
            "UPDATE feedback_followup SET closed_late = true"
            " WHERE workspace_id = %s AND closed_at::date > due_on",
            [workspace_id],
        )
    # As autovacuum would have by then: statistics, and the visibility map index-only reads need.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE feedback_response")
        cursor.execute("VACUUM ANALYZE feedback_followup")
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)


# The rows each page shows, read by hand: the follow-up, its answer, touchpoint, journey and
# assignee, overdue first, then by due date (among active follow-ups the same order as by due
# date alone, which is how one would write it).
ROWS = """
SELECT f.id, f.status, f.due_on, f.version, f.assignee_id, r.nps, r.csat, r.comment,
       t.title, t.owner_id, j.name, u.first_name, u.last_name, u.email,
       (f.status IN ('open', 'in_progress') AND f.due_on < current_date) AS overdue
FROM feedback_followup f
JOIN feedback_response r ON r.id = f.response_id
JOIN journeys_touchpoint t ON t.id = f.touchpoint_id
JOIN journeys_journey j ON j.id = t.journey_id
LEFT JOIN mot_membership m ON m.id = f.assignee_id
LEFT JOIN auth_user u ON u.id = m.user_id
WHERE f.workspace_id = %(ws)s AND f.status IN ('open', 'in_progress') {mine}
ORDER BY f.due_on, f.id
LIMIT %(limit)s
"""
MINE = "AND (f.assignee_id = %(me)s OR t.owner_id = %(me)s)"
OWNER_COUNTS = """
SELECT assignee_id, count(*) FILTER (WHERE status IN ('open', 'in_progress')),
       count(*) FILTER (WHERE status IN ('open', 'in_progress') AND due_on < current_date),
       count(*) FILTER (WHERE (status IN ('open', 'in_progress') AND due_on < current_date)
                        OR closed_late)
FROM feedback_followup
WHERE workspace_id = %(ws)s AND (status IN ('open', 'in_progress') OR closed_late)
GROUP BY assignee_id
"""
TOUCHPOINT_COUNTS = """
SELECT c.touchpoint_id, t.title, j.name, c.active, c.overdue
FROM (
    SELECT touchpoint_id, count(*) AS active,
           count(*) FILTER (WHERE due_on < current_date) AS overdue
    FROM feedback_followup
    WHERE workspace_id = %(ws)s AND status IN ('open', 'in_progress')
    GROUP BY touchpoint_id
) c
JOIN journeys_touchpoint t ON t.id = c.touchpoint_id
JOIN journeys_journey j ON j.id = t.journey_id
ORDER BY c.active DESC, t.title, c.touchpoint_id
LIMIT 50
"""


def raw_reads(statements: list[str], params: dict, runs: int) -> tuple[float, list[int]]:
    """Median time of running the statements one after the other, and their row counts."""
    from django.db import connection

    times, counts = [], []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            counts = []
            for statement in statements:
                cursor.execute(statement, params)
                counts.append(len(cursor.fetchall()))
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), counts


def explain(statements: list[str], params: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            print("\n" + "\n".join(row[0] for row in cursor.fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="write the data anew")
    parser.add_argument("--explain", action="store_true", help="print the plans of the reads")
    args = parser.parse_args()

    from bench.common import create_database, measure, p95, setup_postgres

    connection = setup_postgres("bench/followups.py")
    create_database(connection)
    workspace_id, staff, manager = ensure_world(args.answers, args.followups, args.rebuild)

    from django.conf import settings
    from django.test import Client

    from feedback.followups.models import ACTIVE, FollowUp
    from feedback.followups.views import LIST_LIMIT, TEAM_LIMIT
    from mot.models import Membership

    settings.DEBUG = False  # as in production: no per-query logging
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    me = staff[0]
    clients = {}
    for key, pk in (("staff", me), ("manager", manager)):
        clients[key] = Client()
        user = Membership.objects.get(pk=pk).user
        clients[key].force_login(user, backend="mot.auth.EmailOrUsernameBackend")
    base = f"/w/{SLUG}/follow-ups/"
    pages = [
        ("My follow-ups (staff)", "staff", base, "data-followup="),
        ("My follow-ups, overdue only", "staff", base + "?overdue=on", "data-followup="),
        ("team queue (manager)", "manager", base + "team/", "data-followup="),
        ("team queue, one assignee", "manager", f"{base}team/?owner={me}", "data-followup="),
        ("team queue, SLA breaches", "manager", base + "team/?breach=on&status=all", ""),
        ("team queue, unassigned", "manager", base + "team/?owner=none", ""),
    ]
    shown = {}
    for label, who, url, marker in pages:
        response = clients[who].get(url)
        if response.status_code != 200:
            sys.exit(f"{label}: {url} answered {response.status_code}")
        shown[label] = response.content.decode().count(marker) if marker else None

    rows = FollowUp.objects.filter(workspace_id=workspace_id)
    print(
        f"\nMOT follow-ups bench: {args.answers:,} answers, {rows.count():,} follow-ups "
        f"({rows.filter(status__in=ACTIVE).count():,} active), PostgreSQL "
        f"({connection.settings_dict['NAME']}); {args.runs} requests after {args.warmup}, in ms"
    )
    print(f"{'page':<32}{'rows':>6}{'median':>9}{'p95':>9}{'goal':>7}")
    results = {}
    for label, who, url, _marker in pages:
        client = clients[who]
        times = measure(lambda c=client, u=url: c.get(u), runs=args.runs, warmup=args.warmup)
        results[label] = statistics.median(times)
        count = "" if shown[label] is None else shown[label]
        print(f"{label:<32}{count:>6}{results[label]:>9.1f}{p95(times):>9.1f}{GOAL_MS:>7.0f}")

    mine_sql = [ROWS.format(mine=MINE)]
    team_sql = [ROWS.format(mine=""), OWNER_COUNTS, TOUCHPOINT_COUNTS]
    runs = max(args.runs, 5)
    mine_ms, mine_rows = raw_reads(mine_sql, {"ws": workspace_id, "me": me, "limit": LIST_LIMIT},
                                   runs)  # fmt: skip
    team_ms, team_rows = raw_reads(team_sql, {"ws": workspace_id, "limit": TEAM_LIMIT}, runs)
    print(f"{'raw SQL: My follow-ups rows':<32}{mine_rows[0]:>6}{mine_ms:>9.1f}")
    print(f"{'raw SQL: team rows + counts':<32}{team_rows[0]:>6}{team_ms:>9.1f}")
    mine_ratio = results["My follow-ups (staff)"] / mine_ms
    team_ratio = results["team queue (manager)"] / team_ms
    print(f"ratio My follow-ups / raw SQL: {mine_ratio:.1f}x; team queue / raw SQL: "
          f"{team_ratio:.1f}x")  # fmt: skip
    if args.explain:
        explain(mine_sql, {"ws": workspace_id, "me": me, "limit": LIST_LIMIT})
        explain(team_sql, {"ws": workspace_id, "limit": TEAM_LIMIT})
    missed = [label for label, median in results.items() if median > GOAL_MS]
    print("goals: " + ("all met" if not missed else "MISSED for " + "; ".join(missed)))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
