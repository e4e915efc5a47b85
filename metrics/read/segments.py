"""The dashboard's numbers for one customer segment, aggregated on demand from the answers.

The stored rows (metrics.engine) count every answer of a touchpoint and day, whoever gave it;
a customer's segment can change after its answers were counted (the latest value wins,
feedback.customers), so per-segment rows would go stale without a recompute. These two queries
read the answers of the segment's customers instead, counted exactly as the engine counts them
(``metrics.engine.sql.counting``, survey answers only, days in the current time zone), and
return what ``period_counts`` and ``trend_counts`` return: the page runs the same number of
queries with or without a segment. Their cost grows with the period's answers, not with the
number of rows shown.

``segments_period_counts`` does the same for several segments at once (the map's emotion curve
per persona): one query grouped by touchpoint and segment, whatever the number of segments.
A segment matches its customers' segment case-insensitively, as the dashboard's filter does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from feedback.models import Kind, Response
from metrics import compute
from metrics.engine.sql import counting
from metrics.read.dashboard import Period


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _answers(
    workspace_id: int, journey_id: int | None, segments: Iterable[str]
) -> QuerySet[Response]:
    """The survey answers of the customers in any of the segments (case-insensitive)."""
    match = Q()
    for segment in segments:
        match |= Q(customer__segment__iexact=segment)
    answers = Response.objects.filter(match, workspace_id=workspace_id, kind=Kind.SURVEY_ANSWER)
    if journey_id is not None:
        answers = answers.filter(touchpoint__journey_id=journey_id)
    return answers


def _within(answers: QuerySet[Response], start: date | None, end: date | None):
    if start is not None:
        answers = answers.filter(submitted_at__gte=_start_of(start))
    if end is not None:
        answers = answers.filter(submitted_at__lt=_start_of(end + timedelta(days=1)))
    return answers


def _in_period(answers: QuerySet[Response], period: Period) -> QuerySet[Response]:
    return answers if period.all_time else _within(answers, period.start, period.end)


def _counts(row: dict) -> compute.Counts:
    return compute.Counts(**{k: int(v) for k, v in row.items()})


def segment_period_counts(
    *, workspace_id: int, journey_id: int | None, period: Period, segment: str
) -> dict[int, compute.Counts]:
    """Per touchpoint id, the counts of the segment's answers in the period: one query."""
    answers = _in_period(_answers(workspace_id, journey_id, [segment]), period)
    rows = answers.order_by().values("touchpoint_id").annotate(**counting())
    return {row.pop("touchpoint_id"): _counts(row) for row in rows}


def segments_period_counts(
    *, workspace_id: int, journey_id: int | None, period: Period, segments: Sequence[str]
) -> dict[str, dict[int, compute.Counts]]:
    """Per segment (as given), per touchpoint id, the counts of the segment's answers in the
    period: one query for all the segments, grouped by touchpoint and the customers' segment
    as stored. Stored spellings that differ only in case are added up under the segment they
    match; two given segments that match the same customers both get their answers."""
    wanted = [segment for segment in dict.fromkeys(segments) if segment]
    found: dict[str, dict[int, compute.Counts]] = {segment: {} for segment in wanted}
    if not wanted:
        return found
    answers = _in_period(_answers(workspace_id, journey_id, wanted), period)
    rows = answers.order_by().values("touchpoint_id", "customer__segment").annotate(**counting())
    folded = [(segment.casefold(), segment) for segment in wanted]
    for row in rows:
        touchpoint_id, stored = row.pop("touchpoint_id"), row.pop("customer__segment")
        counts = _counts(row)
        for key, segment in folded:
            if stored.casefold() == key:
                own = found[segment]
                own[touchpoint_id] = own.get(touchpoint_id, compute.Counts()) + counts
    return found


_BUCKETS = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}


def segment_trend_counts(
    *,
    workspace_id: int,
    journey_id: int | None,
    period: Period,
    bucket: str,
    segment: str,
    touchpoint_ids: Iterable[int] | None = None,
) -> tuple[list[tuple[date, compute.Counts]], compute.Counts | None]:
    """As ``metrics.read.dashboard.trend_counts``, for the segment's answers: one query."""
    answers = _answers(workspace_id, journey_id, [segment])
    if touchpoint_ids is not None:
        answers = answers.filter(touchpoint_id__in=list(touchpoint_ids))
    previous = period.previous()
    if period.all_time:
        answers = answers.annotate(current=Value(True))
    else:
        answers = _within(answers, (previous or period).start, period.end).annotate(
            current=Case(
                When(submitted_at__gte=_start_of(period.start), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    rows = (
        answers.order_by()
        .annotate(bucket=_BUCKETS[bucket]("submitted_at"))
        .values("bucket", "current")
        .annotate(**counting())
        .order_by("bucket")
    )
    trend, before = [], compute.Counts()
    for row in rows:
        day = row.pop("bucket")
        day = day.date() if isinstance(day, datetime) else day
        counts = compute.Counts(**{k: int(v) for k, v in row.items() if k != "current"})
        if row["current"]:
            trend.append((day, counts))
        else:
            before += counts
    return trend, (before if previous is not None else None)
