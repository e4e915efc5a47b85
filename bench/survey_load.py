"""Public survey answers under load, over HTTP, against a minimal Django view on the same server.

Usage (PostgreSQL and Redis; wrk on the PATH)::

    apt-get install -y wrk        # Debian's wrk 4.1, with LuaJIT
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mot_bench_survey \\
        REDIS_URL=redis://127.0.0.1:6379/5 python bench/survey_load.py \\
        [--requests 10000] [--connections 16] [--workers CORES] [--runs 3] [--slices 5]

The database named in DATABASE_URL (default: mot_bench_survey) is created if missing, migrated,
and given a workspace "bench-survey" with one journey, one touchpoint and a survey link; its
answers and the reference table are emptied before each run, so its name must contain "bench".
The Redis database in REDIS_URL (default: db 5) is flushed before each run and at the end, so it
must be one of the bench's own (db 0, the default, is refused).

The server is gunicorn on 127.0.0.1, sync workers (as the image runs it), --workers cores by
default, its access log on, under the production settings: DEBUG off, a random SECRET_KEY,
ALLOWED_HOSTS=127.0.0.1, REDIS_URL set (so the survey rate limit counts in Redis and each answer's
metrics recompute is really enqueued, coalesced: no worker runs, the message waits in the bench's
Redis database), behind one trusted TLS proxy as the README deploys it: SECURE_PROXY_SSL_HEADER
and TRUSTED_PROXY_COUNT=1, every request sending X-Forwarded-Proto: https and X-Forwarded-For.
SECURE_SSL_REDIRECT stays on (the requests arrive as https) and CSRF is checked as for https,
Origin header included. The rate limit stays at its default, 20 posts a minute per client: each
client address posts 4 answers, so the limiter counts every post (one Redis EVAL) and
refuses none; a check after the runs posts from one address until it answers 429.
Settings: bench/survey_settings.py (mot.settings with the URLconf bench/survey_urls.py, which is
mot.urls plus the reference view). Gunicorn's log: data/bench_survey_gunicorn.log.

wrk (bench/survey_load.lua) posts --requests answers over --connections connections: each a
distinct, valid answer (its own submission id, generated in Lua; NPS, CSAT and two of the four
expectations; no customer id), posted with the CSRF cookie and token of one GET of the survey
page. wrk runs one thread (see WRK_THREADS), which stops once every answer it sent has been
answered, so the run is bounded by its number of requests, not by time. A success is the
survey's 302 to its thanks page (the redirect is not followed: the POST is what is measured).
Then the stored rows are counted: "lost" is successes without a row, "duplicated" rows beyond
one per success (the same answer stored twice, or an answer stored whose request failed), and
every row must keep the submission id it was sent with.

The reference, measured in the same run on the same server: the same requests to a view that
inserts one row into a simple table (bench_survey_ceiling, created here with raw SQL, unique on
the submission id) and answers 204, through the same middleware and connection settings. It is
the most this server can do for a view that stores a posted answer: the ratio survey / reference
holds on a noisy machine better than requests per second do, the more so as each run alternates
the two in --slices slices (after a warm-up of both), so that both see the same machine while
other processes come and go. The figures printed last are medians over --runs.

Beside each figure: the CPU time the gunicorn workers and the PostgreSQL backends serving them
used per request, read from /proc every 0.2 s (Linux, the database on this machine). Unlike
requests per second it hardly moves with other processes' load, and it shows where a slow path
spends: in the app's Python or in the database.

Goals (issue 13): 0 lost, 0 duplicated, survey POST >= 0.5x the reference and >= 300 answers/s,
on the 2-core development machine (wrk, gunicorn and PostgreSQL share its cores).
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import http.client
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mot_bench_survey")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")

LUA = ROOT / "bench" / "survey_load.lua"
LOG = ROOT / "data" / "bench_survey_gunicorn.log"
WORKSPACE_SLUG = "bench-survey"
JOURNEY_NAME = "Bench survey load"
CEILING_TABLE = "bench_survey_ceiling"  # bench/survey_urls.py writes it
CEILING_PATH = "/bench/ceiling/"
RATE_LIMIT = "20/m"  # the default: the bench's clients stay under it
RATIO_GOAL, RATE_GOAL = 0.5, 300.0
# One wrk thread: a thread that has sent its share leaves reconnected, idle sockets behind (the
# server closes every connection: sync workers do not keep alive), and a sync worker that accepts
# one waits on it until its timeout, 30 s, while the other threads' answers queue behind it.
WRK_THREADS = 1
WRK_INSTALL = "wrk is not installed: apt-get install -y wrk (Debian), or build it from source"


# --- data ------------------------------------------------------------------------------------


def setup_django():
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/survey_load.py measures the production setup: set DATABASE_URL=postgres://")
    return connection


def ensure_database() -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it is missing."""
    connection = setup_django()
    import psycopg
    from psycopg import sql

    params = connection.get_connection_params()
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(f"refusing to empty the answers of {name!r}: use a database named *bench*")
    for key in ("dbname", "cursor_factory", "context"):
        params.pop(key, None)
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def ensure_survey() -> tuple[int, str]:
    """The bench workspace, its one-touchpoint journey and a live survey link: reused."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from feedback.models import SurveyLink
    from journeys.models import Journey, Stage, Touchpoint
    from mot.models import Workspace

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        workspace, _ = Workspace.objects.get_or_create(
            slug=WORKSPACE_SLUG, defaults={"name": "Bench survey"}
        )
        journey, created = Journey.objects.get_or_create(workspace=workspace, name=JOURNEY_NAME)
        if created:
            stage = Stage.objects.create(journey=journey, name="Visit", position=0)
            Touchpoint.objects.create(journey=journey, stage=stage, position=0, title="Checkout")
        touchpoint = journey.touchpoints.order_by("pk").first()
        link = touchpoint.survey_links.filter(revoked_at=None).order_by("pk").first()
        if link is None:
            link = SurveyLink.objects.create(touchpoint=touchpoint)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} ("
            " id bigserial PRIMARY KEY, external_id varchar(64) NOT NULL UNIQUE,"
            " nps smallint, comment text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
    return workspace.pk, link.token


def empty_tables(redis_url: str) -> None:
    """Each run starts from empty tables and an empty Redis database (no pending recompute)."""
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE feedback_response, feedback_followup, feedback_followupevent, "
            f"{CEILING_TABLE}"
        )
    redis.Redis.from_url(redis_url).flushdb()


def count_rows(table: str, where: str, params: list, nonce: str) -> dict:
    """Rows of one run, told apart by the submission id each request also put in its comment."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT comment),"
            " count(*) FILTER (WHERE comment <> 'bench ' || external_id)"
            f" FROM {table} WHERE {where} AND comment LIKE %s",
            [*params, f"bench {nonce}-%"],
        )
        rows, answers, rewritten = cursor.fetchone()
    return {"rows": rows, "answers": answers, "rewritten": rewritten}


# --- server ----------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.survey_settings",
        PYTHONPATH=str(ROOT),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=redis_url,
        SECURE_PROXY_SSL_HEADER="true",
        TRUSTED_PROXY_COUNT="1",
        SURVEY_RATE_LIMIT=RATE_LIMIT,
    )
    return env


class Server:
    """gunicorn in a session of its own: stopped (master, then its group) whatever happens."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env, self.workers, self.port = env, workers, free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        LOG.parent.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        cmd = [
            sys.executable, "-m", "gunicorn", "mot.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--no-control-socket", "--access-logfile", "-", "--chdir", str(ROOT),
        ]  # fmt: skip
        self.log = open(LOG, "w")  # closed in __exit__
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"gunicorn exited with status {self.proc.returncode}")
            with contextlib.suppress(OSError):
                status, _, _ = http_request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            time.sleep(0.2)
        self.fail(f"gunicorn did not answer /healthz within {timeout:.0f} s")

    def worker_timeouts(self) -> int:
        """Workers killed for hanging since the server started: a run with any is not valid."""
        return LOG.read_text(errors="replace").count("WORKER TIMEOUT")

    def fail(self, message: str) -> None:
        self.stop()
        tail = LOG.read_text(errors="replace").splitlines()[-30:] if LOG.exists() else []
        sys.exit("\n".join([message + f"; the end of {LOG}:", *tail]))

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # the master stops its workers gracefully
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this bench started
            self.proc.wait()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log.close()


def http_request(
    port: int, method: str, path: str, headers: dict | None = None, body: str | None = None
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class _Form(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag in ("input", "textarea") and attrs.get("name"):
            self.fields.setdefault(attrs["name"], {"tag": tag, **attrs})


def read_form(port: int, token: str) -> tuple[str, str]:
    """GET the survey page as a respondent would: the CSRF cookie and the form's token, after
    checking that the form still has the fields the Lua script posts."""
    status, headers, body = http_request(
        port, "GET", f"/s/{token}/", {"X-Forwarded-For": "10.255.0.1"}
    )
    if status != 200:
        sys.exit(f"GET /s/{token}/ answered {status}")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", ""))
    form = _Form()
    form.feed(body)
    expected = {"csrfmiddlewaretoken", "submission", "customer", "nps", "csat", "comment"}
    missing = expected - form.fields.keys()
    if cookie is None or missing:
        sys.exit(f"the survey page changed: no CSRF cookie or no fields {sorted(missing)}")
    submission = form.fields["submission"]
    if submission.get("type") != "hidden" or uuid.UUID(submission.get("value", "")).version != 4:
        sys.exit("the survey form's submission id is no longer a hidden UUID")
    return cookie.group(1), form.fields["csrfmiddlewaretoken"]["value"]


# --- CPU -------------------------------------------------------------------------------------


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) the process has used, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter(threading.Thread):
    """CPU used by the gunicorn workers and by the PostgreSQL backends serving them, sampled
    every 0.2 s, so a backend replaced midway (CONN_MAX_AGE) is counted nearly in full. Other
    engineers' processes are not counted: CPU per request holds on a busy machine."""

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        from django.db import connection

        self.master_pid, self.halt, self.running = master_pid, threading.Event(), False
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context"):
            params.pop(key, None)
        self.params = params
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_backend = cursor.fetchone()[0]  # the bench's, counting rows
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}

    def sample(self, db) -> None:
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children")
        keys = [("app", int(pid)) for pid in children.read_text().split()]
        backends = db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid NOT IN (pg_backend_pid(), %s)",
            [self.own_backend],
        ).fetchall()
        keys += [("db", pid) for (pid,) in backends]
        for key in keys:
            cpu = _cpu_of(key[1])
            if cpu is not None:
                # Processes there from the start count from now; later ones (a new backend)
                # count in full, their connection's setup included.
                self.first.setdefault(key, cpu if not self.running else 0.0)
                self.last[key] = cpu

    def run(self) -> None:
        import psycopg

        with psycopg.connect(autocommit=True, **self.params) as db:
            while not self.halt.wait(0.2):
                self.sample(db)
            self.sample(db)

    def __enter__(self) -> CpuMeter:
        import psycopg

        with psycopg.connect(autocommit=True, **self.params) as db:
            self.sample(db)
        self.running = True
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.halt.set()
        self.join()

    def seconds(self, kind: str) -> float:
        return sum(v - self.first[k] for k, v in self.last.items() if k[0] == kind)


# --- load ------------------------------------------------------------------------------------


def run_wrk(server: Server, wrk: str, mode: str, path: str, args, csrf: tuple[str, str]) -> dict:
    """One bounded wrk run; returns its figures and the nonce its submission ids start with."""
    port = server.port
    nonce = secrets.token_hex(4)
    per_thread = math.ceil(args.requests / WRK_THREADS)
    cmd = [
        wrk, "-t", str(WRK_THREADS), "-c", str(args.connections),
        "-d", f"{args.max_seconds}s", "--timeout", "30s", "-s", str(LUA),
        f"http://127.0.0.1:{port}{path}", "--",
        mode, csrf[0], csrf[1], f"https://127.0.0.1:{port}", nonce, str(per_thread),
    ]  # fmt: skip
    finished, output, result = 0, [], None
    with CpuMeter(server.proc.pid) as cpu:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
        try:
            for line in proc.stdout:
                output.append(line)
                if line.startswith("survey_load: thread done"):
                    finished += 1
                    if finished == WRK_THREADS:
                        proc.send_signal(signal.SIGINT)  # wrk would otherwise sleep out its -d
                elif line.startswith("survey_load: result "):
                    result = dict(kv.split("=") for kv in line.split()[2:])
                elif line.startswith("survey_load: unexpected"):
                    print("   ", line.strip())
        finally:
            if proc.poll() is None and result is None:  # interrupted: wrk must not outlive us
                proc.send_signal(signal.SIGINT)
            proc.wait()
    if result is None:
        sys.exit(f"wrk printed no result (status {proc.returncode}):\n{''.join(output)}")
    figures = {k: int(v) for k, v in result.items()}
    figures["nonce"] = nonce
    figures["unanswered"] = figures["sent"] - figures["ok"] - figures["bad"]
    figures["per_s"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["app_ms"] = cpu.seconds("app") / max(1, figures["requests"]) * 1000
    figures["db_ms"] = cpu.seconds("db") / max(1, figures["requests"]) * 1000
    if finished < WRK_THREADS:
        print(
            f"    wrk stopped at its {args.max_seconds} s limit, {figures['unanswered']} unanswered"
        )
    return figures


def combine(slices: list[dict]) -> dict:
    """One figure from a run's slices: counts and times summed, so the rate is the requests over
    the time they took; CPU per request weighted by requests; latency percentiles, which do not
    add up, the median of the slices' own. Then lost: successes without a row; duplicated: rows
    beyond one per success."""
    counted = ("sent", "ok", "bad", "unanswered", "requests", "duration_us", "rows", "answers")
    total = {key: sum(f[key] for f in slices) for key in (*counted, "rewritten")}
    total["per_s"] = total["requests"] / (total["duration_us"] / 1e6)
    for key in ("app_ms", "db_ms"):
        total[key] = sum(f[key] * f["requests"] for f in slices) / max(1, total["requests"])
    for key in ("p50_us", "p99_us"):
        total[key] = statistics.median(f[key] for f in slices)
    total["lost"] = max(0, total["ok"] - total["answers"])
    total["duplicated"] = (total["rows"] - total["answers"]) + max(
        0, total["answers"] - total["ok"]
    )
    return total


def limiter_check(port: int, token: str, csrf: tuple[str, str]) -> str:
    """Posts from one address until the limiter refuses one: proof it was on during the runs."""
    limit = int(RATE_LIMIT.split("/")[0])
    for n in range(1, 2 * limit + 2):
        ident = str(uuid.uuid4())
        status, _, _ = http_request(
            port,
            "POST",
            f"/s/{token}/",
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf[0]}",
                "Origin": f"https://127.0.0.1:{port}",
                "X-Forwarded-For": "10.255.255.1",
            },
            urlencode({"csrfmiddlewaretoken": csrf[1], "submission": ident, "nps": 9}),
        )
        if status == 429:
            return f"on: post {n} from one address answered 429 (limit {RATE_LIMIT})"
        if status != 302:
            return f"unexpected: post {n} from one address answered {status}"
    return f"OFF: {2 * limit + 1} posts from one address, none refused"


def cpu_per_request(f: dict) -> float:
    return f["app_ms"] + f["db_ms"]


def print_run(label: str, f: dict) -> None:
    print(
        f"  {label:<10}{f['per_s']:>9.0f}/s  p50 {f['p50_us'] / 1000:>6.1f} ms  "
        f"p99 {f['p99_us'] / 1000:>6.1f} ms  sent {f['sent']:,}  ok {f['ok']:,}  "
        f"failed {f['bad'] + f['unanswered']}  rows {f['rows']:,}  lost {f['lost']}  "
        f"duplicated {f['duplicated']}  ids rewritten {f['rewritten']}"
    )
    print(
        f"  {'':<10}CPU per request: gunicorn worker {f['app_ms']:.2f} ms, "
        f"PostgreSQL backend {f['db_ms']:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="answers per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn workers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--slices", type=int, default=5, help="each run alternates reference and survey slices"
    )
    parser.add_argument("--warmup", type=int, default=500, help="requests of each kind first")
    parser.add_argument("--max-seconds", type=int, default=900, help="wrk's time limit")
    args = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit(WRK_INSTALL)
    redis_url = os.environ["REDIS_URL"]
    if urlsplit(redis_url).path.strip("/") in ("", "0"):
        sys.exit(f"refusing to flush {redis_url}: name a Redis database of the bench's own (/5)")
    ensure_database()
    from django.db import connection

    from feedback.models import Source

    workspace_id, token = ensure_survey()
    survey_path = f"/s/{token}/"
    print(
        f"wrk {WRK_THREADS} threads x {args.connections} connections, {args.requests:,} answers "
        f"of each kind per run in {args.slices} alternating slices; gunicorn {args.workers} sync "
        f"workers; {os.cpu_count()} cores; "
        f"database {connection.settings_dict['NAME']}, {redis_url}"
    )

    runs = []
    env = server_env(redis_url)
    try:
        with Server(env, args.workers) as server:
            csrf = read_form(server.port, token)
            warm = argparse.Namespace(**{**vars(args), "requests": args.warmup})
            run_wrk(server, wrk, "ceiling", CEILING_PATH, warm, csrf)
            run_wrk(server, wrk, "survey", survey_path, warm, csrf)
            where = "workspace_id = %s AND source = %s"
            kinds = {
                "ceiling": (CEILING_PATH, CEILING_TABLE, "TRUE", []),
                "survey": (
                    survey_path,
                    "feedback_response",
                    where,
                    [workspace_id, Source.SURVEY_LINK],
                ),
            }
            per_slice = argparse.Namespace(
                **{**vars(args), "requests": math.ceil(args.requests / args.slices)}
            )
            for n in range(1, args.runs + 1):
                empty_tables(redis_url)
                load = os.getloadavg()[0]
                slices = {kind: [] for kind in kinds}
                for _ in range(args.slices):  # alternating, so both see the same machine
                    for kind, (path, table, where, params) in kinds.items():
                        f = run_wrk(server, wrk, kind, path, per_slice, csrf)
                        f.update(count_rows(table, where, params, f["nonce"]))
                        slices[kind].append(f)
                ceiling, survey = combine(slices["ceiling"]), combine(slices["survey"])
                ratio = survey["per_s"] / ceiling["per_s"]
                cpu_ratio = cpu_per_request(ceiling) / cpu_per_request(survey)
                print(
                    f"run {n}: load average {load:.2f} before it; survey / reference {ratio:.2f}x "
                    f"(by CPU per request, worker and backend: {cpu_ratio:.2f}x)"
                )
                print_run("reference", ceiling)
                print_run("survey", survey)
                if server.worker_timeouts():
                    server.fail("a gunicorn worker hung (WORKER TIMEOUT): the run is not valid")
                runs.append(
                    {
                        "ratio": ratio,
                        "cpu_ratio": cpu_ratio,
                        "load": load,
                        "ceiling": ceiling,
                        "survey": survey,
                    }
                )
            limiter = limiter_check(server.port, token, csrf)
    finally:
        import redis

        redis.Redis.from_url(redis_url).flushdb()

    def median(key: str, of: str = "survey") -> float:
        return statistics.median(r[of][key] for r in runs)

    ratio = statistics.median(r["ratio"] for r in runs)
    per_s = median("per_s")
    lost = sum(r["survey"]["lost"] for r in runs)
    duplicated = sum(r["survey"]["duplicated"] for r in runs)
    rewritten = sum(r["survey"]["rewritten"] for r in runs)
    failed = sum(r["survey"]["bad"] + r["survey"]["unanswered"] for r in runs)
    print(f"\nmedians of {len(runs)} runs (load average before each: "
          + ", ".join(f"{r['load']:.2f}" for r in runs) + ")")  # fmt: skip
    print(f"  survey / reference        {ratio:.2f}x   (runs: "
          + ", ".join(f"{r['ratio']:.2f}" for r in runs) + ")")  # fmt: skip
    print(f"  by CPU per request        {statistics.median(r['cpu_ratio'] for r in runs):.2f}x   "
          "(the reference's gunicorn worker + PostgreSQL backend CPU / the survey's)")  # fmt: skip
    print(f"  survey POST               {per_s:.0f} answers/s, p50 {median('p50_us') / 1000:.1f} "
          f"ms, p99 {median('p99_us') / 1000:.1f} ms")  # fmt: skip
    print(f"  reference (one INSERT)    {median('per_s', 'ceiling'):.0f} req/s, p50 "
          f"{median('p50_us', 'ceiling') / 1000:.1f} ms, p99 "
          f"{median('p99_us', 'ceiling') / 1000:.1f} ms")  # fmt: skip
    print(f"  CPU per request, survey:    gunicorn worker {median('app_ms'):.2f} ms, PostgreSQL "
          f"backend {median('db_ms'):.2f} ms")  # fmt: skip
    print(f"  CPU per request, reference: gunicorn worker {median('app_ms', 'ceiling'):.2f} ms, "
          f"PostgreSQL backend {median('db_ms', 'ceiling'):.2f} ms")  # fmt: skip
    print(f"  survey answers lost {lost}, duplicated {duplicated}, ids rewritten {rewritten}, "
          f"failed requests {failed} (all runs)")  # fmt: skip
    print(f"  rate limiter: {limiter}")
    met = {
        "0 lost": lost == 0,
        "0 duplicated": duplicated == 0 and rewritten == 0,
        f">= {RATIO_GOAL}x the reference": ratio >= RATIO_GOAL,
        f">= {RATE_GOAL:.0f} answers/s": per_s >= RATE_GOAL,
    }
    print("goal: " + "; ".join(f"{k} — {'met' if ok else 'NOT met'}" for k, ok in met.items()))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server is stopped too
    main()
