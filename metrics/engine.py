"""Computing the stored metric rows of a workspace from its answers and activities.

The heavy counting happens in the database: one ``GROUP BY touchpoint, day`` with conditional
counts (``COUNT(*) FILTER (WHERE …)`` on PostgreSQL, ``CASE`` on SQLite — the ORM writes either).
pandas then adds those counts up into the other scopes (stage, MOT stage, journey, workspace) and
all time; :mod:`metrics.compute` derives the numbers. Counts are additive, so a journey's rows can
be recomputed alone and the workspace rows re-added from the journeys' rows.

Writes replace a set of rows inside one transaction; readers see the old set or the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import date, datetime, timedelta

import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, F, FloatField, Func, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Activity, Response
from journeys.models import Touchpoint
from metrics import compute
from metrics.models import (
    MomentCounts,
    MomentImpact,
    RetentionCohort,
    RetentionSummary,
    Scope,
)
from mot.models import Workspace

COUNT_FIELDS = [f.name for f in fields(compute.Counts)]
IMPACT_WINDOW_DAYS = 90
CHURN_WINDOW_DAYS = 90

Progress = Callable[[float], None]


def _counting() -> dict:
    """The conditional counts of one group of answers, named as compute.Counts fields."""
    return {
        "answers": Count("id"),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "passives": Count("id", filter=Q(nps__gte=7, nps__lte=8)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
        "csat_answers": Count("id", filter=Q(csat__isnull=False)),
        "csat_top2": Count("id", filter=Q(csat__gte=4)),  # top-2 box of 1 to 5
        "csat_sum": Sum("csat", default=0),
        "glory": Count("id", filter=Q(experience=Experience.GLORY)),
        "neutral": Count("id", filter=Q(experience=Experience.NEUTRAL)),
        "pain": Count("id", filter=Q(experience=Experience.PAIN)),
    }


def daily_touchpoint_counts(workspace_id: int, journey_ids: Iterable[int] | None) -> pd.DataFrame:
    """One row per touchpoint and day that has answers, with the counts."""
    answers = Response.objects.filter(workspace_id=workspace_id)
    if journey_ids is not None:
        answers = answers.filter(touchpoint__journey_id__in=list(journey_ids))
    rows = (
        answers.annotate(day=TruncDate("submitted_at"))
        .order_by()
        .values("touchpoint_id", "day")
        .annotate(**_counting())
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["touchpoint_id", "day", *COUNT_FIELDS])
    return frame


def _touchpoints(workspace_id: int, journey_ids: Iterable[int] | None) -> pd.DataFrame:
    tps = Touchpoint.objects.filter(journey__workspace_id=workspace_id)
    if journey_ids is not None:
        tps = tps.filter(journey_id__in=list(journey_ids))
    return pd.DataFrame.from_records(
        list(tps.values_list("pk", "stage_id", "journey_id", "mot_stage")),
        columns=["touchpoint_id", "stage_id", "journey_id", "mot_stage"],
    )


DERIVED = [
    "nps",
    "nps_margin",
    "csat_top2_share",
    "csat_mean",
    "glory_share",
    "neutral_share",
    "pain_share",
    "moment_score",
    "enough",
]
COLUMNS = ["scope", "journey_id", "key", "day", *COUNT_FIELDS, *DERIVED]


def _scope_rows(
    frame: pd.DataFrame, *, scope: str, key_column: str | None, journey_column: str | None
) -> pd.DataFrame:
    """Daily rows and one all-time row per key of the scope, summed from the frame."""
    keys = [c for c in (journey_column, key_column) if c]
    daily = frame.groupby([*keys, "day"], sort=False)[COUNT_FIELDS].sum().reset_index()
    totals = frame.groupby(keys, sort=False)[COUNT_FIELDS].sum().reset_index()
    totals["day"] = None
    both = pd.concat([daily.astype({"day": object}), totals], ignore_index=True)
    both["scope"] = str(scope)
    both["key"] = both[key_column].astype(str) if key_column else ""
    if journey_column is None:
        both["journey_id"] = None
    return both


def _derive(row: dict, min_sample: int) -> dict:
    counts = compute.Counts(**{name: int(row[name]) for name in COUNT_FIELDS})
    nps = compute.nps(counts, min_sample=min_sample)
    csat = compute.csat(counts, min_sample=min_sample)
    moment = compute.moment(counts, min_sample=min_sample)
    row.update(
        nps=nps.score,
        nps_margin=nps.margin,
        csat_top2_share=csat.top2_share,
        csat_mean=csat.mean,
        glory_share=moment.glory_share,
        neutral_share=moment.neutral_share,
        pain_share=moment.pain_share,
        moment_score=moment.score,
        enough=moment.enough,
    )
    return row


def _with_derived(frame: pd.DataFrame, min_sample: int) -> pd.DataFrame:
    """The derived numbers on the all-time rows (day is null); daily rows keep nulls there."""
    frame = frame.reset_index(drop=True)
    for name in DERIVED:
        frame[name] = None
    frame["enough"] = False
    all_time = frame.index[frame["day"].isna()]
    derived = [_derive(frame.loc[i, COUNT_FIELDS].to_dict(), min_sample) for i in all_time]
    if derived:
        frame.loc[all_time, DERIVED] = pd.DataFrame(derived, index=all_time)[DERIVED]
    return frame


def journey_rows(frame: pd.DataFrame, touchpoints: pd.DataFrame) -> pd.DataFrame:
    """Rows of the touchpoint, stage, MOT stage (within its journey) and journey scopes."""
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    joined = frame.merge(touchpoints, on="touchpoint_id", how="inner")
    parts = []
    for scope, column in (
        (Scope.TOUCHPOINT, "touchpoint_id"),
        (Scope.STAGE, "stage_id"),
        (Scope.MOT_STAGE, "mot_stage"),
    ):
        part = joined[["journey_id", column, "day", *COUNT_FIELDS]].rename(
            columns={column: "key_value"}
        )
        parts.append(
            _scope_rows(part, scope=scope, key_column="key_value", journey_column="journey_id")
        )
    journeys = _scope_rows(
        joined[["journey_id", "day", *COUNT_FIELDS]],
        scope=Scope.JOURNEY,
        key_column=None,
        journey_column="journey_id",
    )
    journeys["key"] = journeys["journey_id"].astype(str)
    parts.append(journeys)
    rows = pd.concat(parts, ignore_index=True)
    return rows[["scope", "journey_id", "key", "day", *COUNT_FIELDS]]


# --- writing ----------------------------------------------------------------------------------


def _insert(model, rows: pd.DataFrame | list[dict]) -> None:
    """Insert plain rows fast: COPY of a CSV that pandas writes on PostgreSQL, one executemany
    elsewhere. Model instances and per-value preparation would cost more than the database's
    work for the hundreds of thousands of rows a recompute can write."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    if frame.empty:
        return
    columns = list(frame.columns)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data = frame.to_csv(index=False, header=False, na_rep="\\N")
            sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            with cursor.cursor.copy(sql) as copy:
                copy.write(data)
            return
        fields = [model._meta.get_field(c.removesuffix("_id")) for c in columns]
        memo: dict = {}

        def prepared(field, value):
            # Numbers, text and None go as they are; dates and datetimes through the field,
            # once per distinct value (most are the same computed_at/day over and over).
            if value is None or (isinstance(value, float) and pd.isna(value)):
                return None
            if isinstance(value, int | float | str):
                return value
            if hasattr(value, "item"):  # a numpy scalar
                return value.item()
            key = (field.attname, value)
            if key not in memo:
                memo[key] = field.get_db_prep_save(value, connection)
            return memo[key]

        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
            [
                [prepared(f, v) for f, v in zip(fields, values, strict=True)]
                for values in frame.itertuples(index=False, name=None)
            ],
        )


def _stamp(rows: pd.DataFrame, workspace_id: int, now: datetime, window: dict) -> pd.DataFrame:
    rows["workspace_id"] = workspace_id
    rows["computed_at"] = now
    rows["window_start"] = window["first"]
    rows["window_end"] = window["last"]
    return rows


def _window(workspace_id: int) -> dict:
    return Response.objects.filter(workspace_id=workspace_id).aggregate(
        first=Min("submitted_at"), last=Max("submitted_at")
    )


def _lock_workspace_metrics(workspace_id: int) -> None:
    """One metrics writer per workspace at a time, held to the end of the transaction, taken
    before reading, so a run that read older data can never commit after a newer one. On
    PostgreSQL an advisory lock (nothing else waits on it); SQLite runs one writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [METRICS_LOCK, workspace_id])


METRICS_LOCK = 0x4D4F54  # "MOT": the advisory-lock namespace of metric writers


def recompute_counts(
    workspace_id: int, *, journey_ids: Iterable[int] | None = None, progress: Progress | None = None
) -> int:
    """Replace the moment-count rows of the given journeys (all when None) and the workspace-wide
    rows, in one transaction. Returns the number of rows written."""
    progress = progress or (lambda fraction: None)
    journeys = None if journey_ids is None else sorted(set(journey_ids))
    with transaction.atomic():
        _lock_workspace_metrics(workspace_id)
        if connection.vendor == "postgresql":
            # The day-by-touchpoint grouping of a million answers spills to disk at the
            # default 4 MB; this transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        min_sample = Workspace.objects.values_list("min_sample", flat=True).get(pk=workspace_id)
        frame = daily_touchpoint_counts(workspace_id, journeys)
        progress(0.4)
        rows = journey_rows(frame, _touchpoints(workspace_id, journeys))
        rows = _with_derived(rows, min_sample)
        progress(0.6)
        now = timezone.now()
        window = _window(workspace_id)
        rows = _stamp(rows, workspace_id, now, window)
        stale = MomentCounts.objects.filter(workspace_id=workspace_id)
        if journeys is not None:
            stale = stale.filter(Q(journey_id__in=journeys) | Q(journey__isnull=True))
        stale.delete()
        _insert(MomentCounts, rows)
        workspace_rows = _workspace_rows(workspace_id)
        workspace_rows = _stamp(
            _with_derived(workspace_rows, min_sample), workspace_id, now, window
        )
        _insert(MomentCounts, workspace_rows)
    progress(0.8)
    return len(rows) + len(workspace_rows)


def _workspace_rows(workspace_id: int) -> pd.DataFrame:
    """Workspace and workspace-wide MOT stage rows, added up from the stored journey-level rows
    (inside the writing transaction, so they match the journey rows just written)."""
    stored = MomentCounts.objects.filter(workspace_id=workspace_id, journey__isnull=False)
    rows: list[dict] = []
    sums = {name: Sum(name) for name in COUNT_FIELDS}
    for scope, key_field, source_scope in (
        (Scope.WORKSPACE, None, Scope.JOURNEY),
        (Scope.MOT_STAGE, "key", Scope.MOT_STAGE),
    ):
        group = ["day", key_field] if key_field else ["day"]
        for values in stored.filter(scope=source_scope).order_by().values(*group).annotate(**sums):
            rows.append(
                {
                    "scope": scope,
                    "journey_id": None,
                    "key": values.get("key", "") if key_field else "",
                    "day": values["day"],
                    **{name: int(values[name]) for name in COUNT_FIELDS},
                }
            )
    return pd.DataFrame(rows, columns=["scope", "journey_id", "key", "day", *COUNT_FIELDS])


# --- retention and moment impact ---------------------------------------------------------------


def _epoch(field: str) -> Func:
    """The timestamp as seconds since 1970, computed by the database: hundreds of thousands of
    numbers load far faster than as many Python datetimes."""
    if connection.vendor == "postgresql":
        template = "EXTRACT(EPOCH FROM %(expressions)s)"
    else:  # SQLite keeps UTC text; julianday keeps the fraction of a second
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
    return Func(F(field), template=template, output_field=FloatField())


def _times(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds.astype("float64"), unit="s", utc=True).dt.round("ms")


def activity_frame(workspace_id: int) -> tuple[pd.DataFrame, str]:
    """(customer, occurred_at) of every activity, or of every answer with a customer when the
    workspace records no activity (product.md: retention falls back to responses)."""
    activities = Activity.objects.filter(workspace_id=workspace_id)
    if activities.exists():
        records = activities.annotate(t=_epoch("occurred_at")).values_list("customer_id", "t")
        basis = "activities"
    else:
        records = (
            Response.objects.filter(workspace_id=workspace_id, customer__isnull=False)
            .annotate(t=_epoch("submitted_at"))
            .values_list("customer_id", "t")
        )
        basis = "responses"
    frame = pd.DataFrame.from_records(
        list(records.iterator(chunk_size=20_000)), columns=["customer", "occurred_at"]
    )
    if not frame.empty:
        frame["occurred_at"] = _times(frame["occurred_at"])
    return frame, basis


def recompute_retention(
    workspace_id: int,
    *,
    as_of: date | None = None,
    activity: tuple[pd.DataFrame, str] | None = None,
) -> int:
    """``activity`` is :func:`activity_frame`'s result when the caller has it already."""
    frame, basis = activity or activity_frame(workspace_id)
    now = timezone.now()
    as_of = as_of or timezone.localdate(now)
    rows: list[dict] = []
    summary = None
    if not frame.empty:
        occurred = pd.to_datetime(frame["occurred_at"], utc=True)
        months = pd.DataFrame(
            {
                "customer": frame["customer"],
                "month": occurred.dt.tz_localize(None).dt.to_period("M"),
            }
        )
        cohorts = compute.retention_cohorts(months)
        rows = [
            {
                "workspace_id": workspace_id,
                "cohort": row.cohort.start_time.date(),
                "offset": int(row.offset),
                "customers": int(row.customers),
                "active": int(row.active),
                "share": float(row.share),
                "basis": basis,
                "computed_at": now,
            }
            for row in cohorts.itertuples(index=False)
        ]
        summary = compute.churn_and_repurchase(
            pd.DataFrame({"customer": frame["customer"], "occurred_at": occurred}),
            as_of=as_of,
            window_days=CHURN_WINDOW_DAYS,
        )
    with transaction.atomic():
        RetentionCohort.objects.filter(workspace_id=workspace_id).delete()
        _insert(RetentionCohort, rows)
        RetentionSummary.objects.filter(workspace_id=workspace_id).delete()
        if summary is not None:
            RetentionSummary.objects.create(
                workspace_id=workspace_id,
                basis=basis,
                window_days=summary["window_days"],
                as_of=summary["as_of"],
                base_customers=summary["churn_base"],
                churned=summary["churned"],
                churn_share=summary["churn"],
                window_customers=summary["repurchase_base"],
                repurchased=summary["repurchased"],
                repurchase_share=summary["repurchase"],
                computed_at=now,
            )
    return len(rows)


def recompute_impact(workspace_id: int, *, activity: tuple[pd.DataFrame, str] | None = None) -> int:
    """Per touchpoint: of the customers whose latest answer there was glory (pain), how many were
    active again within IMPACT_WINDOW_DAYS after it.

    Only answers given at least IMPACT_WINDOW_DAYS before the computation count: a more recent
    answer has not had its whole window yet, and counting it as "not back" would bias the rates.
    """
    frame, basis = activity or activity_frame(workspace_id)
    now = timezone.now()
    window = timedelta(days=IMPACT_WINDOW_DAYS)
    answers = pd.DataFrame.from_records(
        list(
            Response.objects.filter(
                workspace_id=workspace_id, customer__isnull=False, submitted_at__lte=now - window
            )
            .annotate(t=_epoch("submitted_at"))
            .values_list("touchpoint_id", "customer_id", "t", "experience", "pk")
            .iterator(chunk_size=20_000)
        ),
        columns=["touchpoint_id", "customer", "submitted_at", "experience", "pk"],
    )
    rows: list[dict] = []
    if not answers.empty:
        answers["submitted_at"] = _times(answers["submitted_at"])
        # The latest answer of each customer at each touchpoint, whatever it was; then only the
        # glory and pain ones (a pain answer followed by a neutral one is in neither group).
        latest = answers.sort_values(["submitted_at", "pk"]).drop_duplicates(
            ["touchpoint_id", "customer"], keep="last"
        )
        latest = latest[latest["experience"].isin([Experience.GLORY, Experience.PAIN])]
    if not answers.empty and not latest.empty:
        if not frame.empty:
            frame = frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"], utc=True))
        latest = latest.assign(retained=_retained(latest, frame))
        counts = latest.pivot_table(
            index="touchpoint_id",
            columns="experience",
            values="retained",
            aggfunc=["count", "sum"],
            fill_value=0,
        )
        min_sample = Workspace.objects.values_list("min_sample", flat=True).get(pk=workspace_id)

        def cell(kind: str, experience: str, touchpoint_id) -> int:
            column = (kind, experience)
            return int(counts.at[touchpoint_id, column]) if column in counts.columns else 0

        for touchpoint_id in counts.index:
            result = compute.impact(
                cell("count", Experience.GLORY, touchpoint_id),
                cell("sum", Experience.GLORY, touchpoint_id),
                cell("count", Experience.PAIN, touchpoint_id),
                cell("sum", Experience.PAIN, touchpoint_id),
                min_sample=min_sample,
            )
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "touchpoint_id": int(touchpoint_id),
                    "basis": basis,
                    "window_days": IMPACT_WINDOW_DAYS,
                    "glory_n": result.glory_n,
                    "glory_retained": result.glory_retained,
                    "pain_n": result.pain_n,
                    "pain_retained": result.pain_retained,
                    "difference": result.difference,
                    "low": result.low,
                    "high": result.high,
                    "enough": result.enough,
                    "computed_at": now,
                }
            )
    with transaction.atomic():
        MomentImpact.objects.filter(workspace_id=workspace_id).delete()
        _insert(MomentImpact, rows)
    return len(rows)


def _retained(latest: pd.DataFrame, activity: pd.DataFrame) -> pd.Series:
    """Whether each answer's customer was active in (answered, answered + window]."""
    if activity.empty:
        return pd.Series(False, index=latest.index)
    events = activity.sort_values("occurred_at")
    merged = pd.merge_asof(
        latest.sort_values("submitted_at").reset_index(),
        events.rename(columns={"occurred_at": "next_at"}),
        left_on="submitted_at",
        right_on="next_at",
        by="customer",
        direction="forward",
        allow_exact_matches=False,
    ).set_index("index")
    window = timedelta(days=IMPACT_WINDOW_DAYS)
    hit = merged["next_at"].notna() & (merged["next_at"] - merged["submitted_at"] <= window)
    return hit.reindex(latest.index, fill_value=False)
