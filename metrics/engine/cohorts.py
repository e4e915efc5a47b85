"""Retention and moment impact: the cohort rows, churn and repurchase, and per touchpoint the
later retention of customers whose answer there was glory against pain.

The activity and answers are loaded in one query each (on PostgreSQL packed by the database into
one binary value that numpy reads at once; the ORM elsewhere) and computed in pandas and
:mod:`metrics.compute`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import LiteralString

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, Func, QuerySet, Value, When
from django.utils import timezone

from feedback.experience import Experience
from feedback.models import Activity, Kind, Response
from metrics import compute
from metrics.models import MomentImpact, RetentionCohort, RetentionSummary
from mot.models import Workspace
from mot.sql import Identifiers, compiled, fetch, join, sql

IMPACT_WINDOW_DAYS = 90
IMPACT_CODES = {Experience.GLORY: 1, Experience.PAIN: 2}  # how impact loads the experience
CHURN_WINDOW_DAYS = 90

# The columns _load reads, by the names the frames give them, and how PostgreSQL packs each type
# into its fixed-width binary form.
LOADED = Identifiers(
    "customer",
    "occurred_at",
    "touchpoint_id",
    "submitted_at",
    "experience",
    "pk",
    "answer",
    "outcome",
)
PACKED: dict[str, LiteralString] = {
    "int8": "int8send(CAST({column} AS int8))",
    "float8": "float8send(CAST({column} AS float8))",
}


def _epoch(field: str) -> Func:
    """The timestamp as seconds since 1970, computed by the database: hundreds of thousands of
    numbers load far faster than as many Python datetimes."""
    if connection.vendor == "postgresql":
        template = "date_part('epoch', %(expressions)s)"  # a float8, not EXTRACT's numeric
    else:  # SQLite keeps UTC text; julianday keeps the fraction of a second
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
    return Func(F(field), template=template, output_field=FloatField())


def _times(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds.astype("float64"), unit="s", utc=True).dt.round("ms")


def _load(rows: QuerySet, columns: dict[str, str]) -> pd.DataFrame:
    """The rows of a values_list() queryset as a frame; ``columns`` names them and gives each
    one's type, "int8" or "float8" (none may be NULL). On PostgreSQL the database packs every
    row into a fixed-width binary record (``int8send``, ``float8send``) and all of them into one
    value (``string_agg``), which numpy reads in one call: a Python object per row, or per row of
    a COPY, would cost seconds for the hundreds of thousands of rows retention and impact read."""
    if connection.vendor != "postgresql":
        return pd.DataFrame.from_records(
            list(rows.iterator(chunk_size=20_000)), columns=list(columns)
        )
    record = join(
        " || ", [sql(PACKED[kind], column=LOADED[name]) for name, kind in columns.items()]
    )
    (data,) = fetch(
        sql(
            "SELECT string_agg({record}, ''::bytea) FROM ({rows}) AS q ({names})",
            record=record,
            rows=compiled(rows),
            names=LOADED.each("{name}", columns),
        )
    )[0]
    dtypes = {"int8": (">i8", "int64"), "float8": (">f8", "float64")}
    packed = np.dtype([(name, dtypes[kind][0]) for name, kind in columns.items()])
    values = np.frombuffer(bytes(data or b""), dtype=packed)
    return pd.DataFrame(
        {name: values[name].astype(dtypes[kind][1]) for name, kind in columns.items()}
    )


def activity_frame(workspace_id: int) -> tuple[pd.DataFrame, str]:
    """(customer, occurred_at) of every activity, or of every answer with a customer when the
    workspace records no activity (product.md: retention falls back to responses)."""
    activities = Activity.objects.filter(workspace_id=workspace_id)
    if activities.exists():
        records = activities.annotate(t=_epoch("occurred_at")).values_list("customer_id", "t")
        basis = "activities"
    else:
        records = (
            Response.objects.filter(
                workspace_id=workspace_id, customer__isnull=False, kind=Kind.SURVEY_ANSWER
            )
            .annotate(t=_epoch("submitted_at"))
            .values_list("customer_id", "t")
        )
        basis = "responses"
    frame = _load(records, {"customer": "int8", "occurred_at": "float8"})
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
        RetentionCohort.objects.bulk_create([RetentionCohort(**row) for row in rows])
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


def impact_answers(
    workspace_id: int, *, activity: tuple[pd.DataFrame, str] | None = None, now=None
) -> tuple[pd.DataFrame, str]:
    """The answers moment impact (and the recovery effect) count, and the basis of their return:
    of each customer at each touchpoint, the latest answer, when it was glory or pain, with
    ``retained``: whether the customer was active again within IMPACT_WINDOW_DAYS after it.

    Only answers given at least IMPACT_WINDOW_DAYS before ``now`` count: a more recent answer
    has not had its whole window yet, and counting it as "not back" would bias the rates.
    Columns: touchpoint_id, customer, submitted_at, experience (IMPACT_CODES), pk, retained.
    """
    frame, basis = activity or activity_frame(workspace_id)
    now = now or timezone.now()
    window = timedelta(days=IMPACT_WINDOW_DAYS)
    # The experience as a number, so that every column loads as one: glory 1, pain 2, else 0.
    code = Case(
        *(When(experience=e, then=Value(c)) for e, c in IMPACT_CODES.items()), default=Value(0)
    )
    answers = _load(
        Response.objects.filter(
            workspace_id=workspace_id,
            customer__isnull=False,
            submitted_at__lte=now - window,
            kind=Kind.SURVEY_ANSWER,
        )
        .annotate(t=_epoch("submitted_at"), code=code)
        .values_list("touchpoint_id", "customer_id", "t", "code", "pk"),
        {
            "touchpoint_id": "int8",
            "customer": "int8",
            "submitted_at": "float8",
            "experience": "int8",
            "pk": "int8",
        },
    )
    if answers.empty:
        return answers.assign(retained=pd.Series(dtype=bool)), basis
    answers["submitted_at"] = _times(answers["submitted_at"])
    # The latest answer of each customer at each touchpoint, whatever it was; then only the
    # glory and pain ones (a pain answer followed by a neutral one is in neither group).
    latest = answers.sort_values(["submitted_at", "pk"]).drop_duplicates(
        ["touchpoint_id", "customer"], keep="last"
    )
    latest = latest[latest["experience"].isin(IMPACT_CODES.values())]
    if latest.empty:
        return latest.assign(retained=pd.Series(dtype=bool)), basis
    if not frame.empty:
        frame = frame.assign(occurred_at=pd.to_datetime(frame["occurred_at"], utc=True))
    return latest.assign(retained=_retained(latest, frame)), basis


def recompute_impact(
    workspace_id: int,
    *,
    activity: tuple[pd.DataFrame, str] | None = None,
    answers: tuple[pd.DataFrame, str] | None = None,
) -> int:
    """Per touchpoint: of the customers whose latest answer there was glory (pain), how many were
    active again within IMPACT_WINDOW_DAYS after it (:func:`impact_answers`, or ``answers`` when
    the caller has them already)."""
    latest, basis = answers or impact_answers(workspace_id, activity=activity)
    now = timezone.now()
    rows: list[dict] = []
    if not latest.empty:
        counts = latest.pivot_table(
            index="touchpoint_id",
            columns="experience",
            values="retained",
            aggfunc=["count", "sum"],
            fill_value=0,
        )
        min_sample = Workspace.objects.values_list("min_sample", flat=True).get(pk=workspace_id)

        def cell(kind: str, experience: str, touchpoint_id) -> int:
            column = (kind, IMPACT_CODES[experience])
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
        MomentImpact.objects.bulk_create([MomentImpact(**row) for row in rows])
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
