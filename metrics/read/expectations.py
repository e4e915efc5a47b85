"""The expectation sums of a period, read from the stored ``ExpectationCounts`` rows: one query,
``SUM`` per touchpoint over the period's days in SQL, whatever the number of answers. Stages,
journeys and the workspace add their touchpoints' sums in Python (metrics/expectations.py says
what is derived from them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.db.models import Sum

from metrics.expectations import Diagnosis, Sums, diagnose
from metrics.models import EXPECTATION_FIELDS, ExpectationCounts
from metrics.read.dashboard import Period


def expectation_sums(
    *,
    workspace_id: int,
    period: Period,
    journey_id: int | None = None,
    touchpoint_ids: Iterable[int] | None = None,
) -> dict[int, Sums]:
    """Per touchpoint id, its sums over the period (all time when the period is); a touchpoint
    without rated answers in it is absent."""
    rows = ExpectationCounts.objects.filter(workspace_id=workspace_id)
    if not period.all_time:
        rows = rows.filter(day__gte=period.start, day__lte=period.end)
    if journey_id is not None:
        rows = rows.filter(journey_id=journey_id)
    if touchpoint_ids is not None:
        rows = rows.filter(touchpoint_id__in=list(touchpoint_ids))
    values = (
        rows.order_by()
        .values("touchpoint_id")
        .annotate(**{f"s_{name}": Sum(name) for name in EXPECTATION_FIELDS})
    )
    return {
        row["touchpoint_id"]: Sums({name: row[f"s_{name}"] for name in EXPECTATION_FIELDS})
        for row in values
    }


def diagnoses(
    sums: Mapping[int, Sums], touchpoint_ids: Iterable[int], *, min_sample: int
) -> dict[int, Diagnosis]:
    """Each touchpoint's diagnosis (no rated answers: every expectation has n = 0).

    Touchpoints without rated answers share one diagnosis of empty sums, computed once: on a map
    of 2,400 touchpoints most have none, and a diagnosis costs its confidence intervals."""
    empty = diagnose(Sums(), min_sample=min_sample)
    return {
        tp: diagnose(found, min_sample=min_sample) if (found := sums.get(tp)) else empty
        for tp in touchpoint_ids
    }


RECENT_DAYS = 90  # the card's and My touchpoints' diagnosis: the last 90 days, today included


def recent_diagnoses(
    *,
    workspace_id: int,
    touchpoint_ids: Iterable[int],
    min_sample: int,
    today: date,
    journey_id: int | None = None,
) -> dict[int, Diagnosis]:
    """Each touchpoint's diagnosis over the last RECENT_DAYS days: one query. A recent window,
    not all time, so a card says what lets customers down now, and the rows read stay a few
    per touchpoint and day of the window whatever the data's age."""
    ids = list(touchpoint_ids)
    sums = expectation_sums(
        workspace_id=workspace_id,
        period=Period.last(RECENT_DAYS, today=today),
        journey_id=journey_id,
        touchpoint_ids=None if journey_id is not None else ids,
    )
    return diagnoses(sums, ids, min_sample=min_sample)
