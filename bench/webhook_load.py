"""Signed webhook deliveries under load, over HTTP: the Typeform intake (or, with
``--target signed``, the Standard Webhooks intake), as bench/survey_load.py measures the survey.

Usage (PostgreSQL and Redis; wrk on the PATH)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_webhook \\
        REDIS_URL=redis://127.0.0.1:6379/6 python bench/webhook_load.py \\
        [--target typeform|signed] [--requests 4000] [--connections 16] [--workers CORES] [--runs 3]

The database (its name must contain "bench") is created if missing, migrated, and given a
workspace "bench-webhook" with one touchpoint, a Typeform intake mapped to it and a signed
intake; its answers are emptied before each run. The Redis database (default db 6, never 0) is
flushed before each run and at the end. The server is bench/survey_load.py's: gunicorn sync
workers under the production settings behind one trusted TLS proxy.

LuaJIT has no HMAC, so each run's deliveries are built and signed here first (a Typeform body
with an NPS, a CSAT, a comment and a hidden customer id, each its own submission token; or MOT's
answer JSON with its Standard Webhooks headers, signed at most a minute before it is sent) and
written to a file bench/webhook_load.lua reads; wrk (one thread, --connections connections) posts
each once. A success is a 200 saying "stored". Then the rows are counted: "lost" is successes
without a row, "duplicated" rows beyond one per success. Last, a tenth of the run's deliveries
are sent again (as a sender retries): each must answer "duplicate" and store nothing.

Goal (issue 18): >= 200 deliveries/s with 0 lost and 0 duplicated, on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_webhook")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")

from bench.survey_load import (  # noqa: E402 - after the environment's defaults
    WRK_INSTALL,
    CpuMeter,
    Server,
    ensure_database,
    http_request,
    server_env,
)

LUA = ROOT / "bench" / "webhook_load.lua"
BODIES = ROOT / "data" / "bench_webhook_bodies.txt"
WORKSPACE_SLUG = "bench-webhook"
RATE_GOAL = 200.0
MAPPING = {"nps": "nps", "csat": "csat", "comment": "comment", "hidden:customer": "customer"}


def ensure_intakes() -> tuple[int, dict]:
    """The bench workspace, its touchpoint and its two intakes (secrets rotated each time)."""
    from django.core.management import call_command
    from django.db import transaction

    from feedback.hooks.models import Intake, IntakeKind, new_standard_secret
    from journeys.models import Journey, Stage, Touchpoint
    from mot.models import Workspace

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        workspace, _ = Workspace.objects.get_or_create(
            slug=WORKSPACE_SLUG, defaults={"name": "Bench webhook"}
        )
        journey, created = Journey.objects.get_or_create(workspace=workspace, name="Bench hooks")
        if created:
            stage = Stage.objects.create(journey=journey, name="Visit", position=0)
            Touchpoint.objects.create(journey=journey, stage=stage, position=0, title="Delivery")
        touchpoint = journey.touchpoints.order_by("pk").first()
        intakes = {}
        for kind in IntakeKind.values:
            intake, _ = Intake.objects.update_or_create(
                workspace=workspace,
                kind=kind,
                name=f"bench {kind}",
                defaults={"touchpoint": touchpoint, "mapping": MAPPING},
            )
            intake.secret = (
                secrets.token_urlsafe(32) if kind == "typeform" else new_standard_secret()
            )
            intake.save(update_fields=["secret"])
            intakes[kind] = intake
    return workspace.pk, intakes


def typeform_body(token: str, n: int) -> dict:
    now = datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")
    answer = lambda ref, kind, value: {  # noqa: E731
        "type": kind,
        kind: value,
        "field": {"id": ref, "type": "opinion_scale", "ref": ref},
    }
    return {
        "event_id": f"ev-{token}",
        "event_type": "form_response",
        "form_response": {
            "form_id": "bench",
            "token": token,
            "landed_at": now,
            "submitted_at": now,
            "hidden": {"customer": f"c{n % 500}"},
            "definition": {"id": "bench", "title": "Bench", "fields": []},
            "answers": [
                answer("nps", "number", n % 11),
                answer("csat", "number", n % 5 + 1),
                answer("comment", "text", f"bench {token}"),
            ],
        },
    }


def write_deliveries(target: str, intake, nonce: str, count: int) -> list[tuple[dict, bytes]]:
    """Sign ``count`` distinct deliveries into BODIES for the Lua script; returns them too."""
    from standardwebhooks.webhooks import Webhook

    from feedback.hooks.intake import typeform_signature

    out = []
    for n in range(count):
        token = f"{nonce}-{n:07d}"
        if target == "typeform":
            raw = json.dumps(typeform_body(token, n), separators=(",", ":")).encode()
            headers = {"Typeform-Signature": typeform_signature(intake.secret, raw)}
        else:
            body = {
                "external_id": token,
                "touchpoint": intake.touchpoint_id,
                "submitted_at": datetime.now(tz=UTC).isoformat(),
                "nps": n % 11,
                "comment": f"bench {token}",
                "customer": f"c{n % 500}",
            }
            raw = json.dumps(body, separators=(",", ":")).encode()
            when = datetime.now(tz=UTC)
            headers = {
                "webhook-id": f"msg-{token}",
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": Webhook(intake.secret).sign(f"msg-{token}", when, raw),
            }
        out.append((headers, raw))
    BODIES.parent.mkdir(exist_ok=True)
    with BODIES.open("w") as f:
        for headers, raw in out:
            head = "|".join(f"{k}: {v}" for k, v in headers.items())
            f.write(f"{head}\t{raw.decode()}\n")
    return out


def run_wrk(server: Server, wrk: str, path: str, args) -> dict:
    cmd = [
        wrk,
        "-t",
        "1",
        "-c",
        str(args.connections),
        "-d",
        f"{args.max_seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{server.port}{path}",
        "--",
        str(BODIES),
        str(args.requests),
    ]
    result, output = None, []
    with CpuMeter(server.proc.pid) as cpu:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
        try:
            for line in proc.stdout:
                output.append(line)
                if line.startswith("webhook_load: thread done"):
                    proc.send_signal(signal.SIGINT)
                elif line.startswith("webhook_load: result "):
                    result = dict(kv.split("=") for kv in line.split()[2:])
                elif line.startswith("webhook_load: unexpected"):
                    print("   ", line.strip()[:300])
        finally:
            if proc.poll() is None and result is None:
                proc.send_signal(signal.SIGINT)
            proc.wait()
    if result is None:
        sys.exit(f"wrk printed no result (status {proc.returncode}):\n{''.join(output)}")
    f = {k: int(v) for k, v in result.items()}
    f["per_s"] = f["requests"] / (f["duration_us"] / 1e6)
    f["app_ms"] = cpu.seconds("app") / max(1, f["requests"]) * 1000
    f["db_ms"] = cpu.seconds("db") / max(1, f["requests"]) * 1000
    return f


def count_rows(workspace_id: int, source: str, nonce: str) -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM feedback_response"
            " WHERE workspace_id = %s AND source = %s AND external_id LIKE %s",
            [workspace_id, source, f"{nonce}-%"],
        )
        return cursor.fetchone()


def replay(port: int, path: str, deliveries: list[tuple[dict, bytes]]) -> tuple[int, int]:
    """Send deliveries again, as a retrying sender does: (answered duplicate, answered other)."""
    duplicate = other = 0
    for headers, raw in deliveries:
        status, _, body = http_request(
            port,
            "POST",
            path,
            {"Content-Type": "application/json", "X-Forwarded-For": "10.9.0.2", **headers},
            raw.decode(),
        )
        if status == 200 and json.loads(body).get("outcome") == "duplicate":
            duplicate += 1
        else:
            other += 1
    return duplicate, other


def empty(redis_url: str, workspace_id: int) -> None:
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM feedback_followup WHERE workspace_id = %s; "
            "DELETE FROM feedback_response WHERE workspace_id = %s",
            [workspace_id, workspace_id],
        )
    redis.Redis.from_url(redis_url).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=["typeform", "signed"], default="typeform")
    parser.add_argument("--requests", type=int, default=4000, help="deliveries per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn workers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-seconds", type=int, default=600, help="wrk's time limit")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit(WRK_INSTALL)
    redis_url = os.environ["REDIS_URL"]
    if urlsplit(redis_url).path.strip("/") in ("", "0"):
        sys.exit(f"refusing to flush {redis_url}: name a Redis database of the bench's own (/6)")
    ensure_database()
    from django.db import connection

    from feedback.models import Source

    workspace_id, intakes = ensure_intakes()
    intake = intakes[args.target]
    source = Source.TYPEFORM if args.target == "typeform" else Source.WEBHOOK
    path = f"/hooks/{args.target}/{intake.token}/"
    print(
        f"target {args.target} ({path}); wrk 1 thread x {args.connections} connections, "
        f"{args.requests:,} deliveries per run; gunicorn {args.workers} sync workers; "
        f"{os.cpu_count()} cores; database {connection.settings_dict['NAME']}, {redis_url}"
    )
    runs = []
    try:
        with Server(server_env(redis_url), args.workers) as server:
            for n in range(1, args.runs + 1):
                empty(redis_url, workspace_id)
                nonce = secrets.token_hex(4)
                deliveries = write_deliveries(args.target, intake, nonce, args.requests)
                load = os.getloadavg()[0]
                f = run_wrk(server, wrk, path, args)
                rows, distinct = count_rows(workspace_id, source, nonce)
                f["lost"] = max(0, f["ok"] - distinct)
                f["duplicated"] = (rows - distinct) + max(0, distinct - f["ok"])
                again = deliveries[::10]
                f["replayed_dup"], f["replayed_other"] = replay(server.port, path, again)
                rows_after, _ = count_rows(workspace_id, source, nonce)
                f["duplicated"] += rows_after - rows
                print(
                    f"run {n}: load {load:.2f}; {f['per_s']:.0f} deliveries/s, p50 "
                    f"{f['p50_us'] / 1000:.1f} ms, p99 {f['p99_us'] / 1000:.1f} ms; sent "
                    f"{f['sent']:,} ok {f['ok']:,} failed {f['sent'] - f['ok']}"
                    f"; rows {rows:,}; lost {f['lost']}, duplicated {f['duplicated']}; replayed "
                    f"{len(again)}: {f['replayed_dup']} duplicate, {f['replayed_other']} other; "
                    f"CPU per request: worker {f['app_ms']:.2f} ms, backend {f['db_ms']:.2f} ms"
                )
                if server.worker_timeouts():
                    server.fail("a gunicorn worker hung (WORKER TIMEOUT): the run is not valid")
                runs.append(f)
    finally:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        BODIES.unlink(missing_ok=True)

    per_s = statistics.median(r["per_s"] for r in runs)
    lost = sum(r["lost"] for r in runs)
    duplicated = sum(r["duplicated"] for r in runs)
    failed = sum(r["sent"] - r["ok"] for r in runs)
    replay_bad = sum(r["replayed_other"] for r in runs)
    print(
        f"\nmedian of {len(runs)} runs: {per_s:.0f} deliveries/s, p50 "
        f"{statistics.median(r['p50_us'] for r in runs) / 1000:.1f} ms, p99 "
        f"{statistics.median(r['p99_us'] for r in runs) / 1000:.1f} ms; CPU per request: worker "
        f"{statistics.median(r['app_ms'] for r in runs):.2f} ms, backend "
        f"{statistics.median(r['db_ms'] for r in runs):.2f} ms"
    )
    print(
        f"all runs: lost {lost}, duplicated {duplicated}, failed {failed}, "
        f"replays not answered as duplicates {replay_bad}"
    )
    met = {
        f">= {RATE_GOAL:.0f} deliveries/s": per_s >= RATE_GOAL,
        "0 lost": lost == 0,
        "0 duplicated": duplicated == 0 and replay_bad == 0,
    }
    print("goal: " + "; ".join(f"{k} — {'met' if ok else 'NOT met'}" for k, ok in met.items()))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server is stopped too
    main()
