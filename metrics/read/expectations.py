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
from mot.sql import Identifiers, Template, fetch

_NAMES = Identifiers(
    ExpectationCounts._meta.db_table,
    "touchpoint_id",
    "workspace_id",
    "journey_id",
    "day",
    *EXPECTATION_FIELDS,
)


_IDENTIFIERS = _NAMES.parts(
    table=ExpectationCounts._meta.db_table,
    touchpoint="touchpoint_id",
    workspace="workspace_id",
    journey="journey_id",
    day="day",
)


def _names() -> dict:
    return {**_IDENTIFIERS(), "sums": _NAMES.each("SUM({name})", EXPECTATION_FIELDS)}


# The statement of expectation_sums without a list of touchpoints, by whether it is bounded to
# a period and to a journey: its text (forty sums) is built once per process, not by the ORM on
# every map and dashboard (which took 2.5 ms a page, more than running it).
_SELECT = "SELECT {touchpoint}, {sums} FROM {table} WHERE {workspace} = %s"
_SUMS = {  # (bounded to a period, to a journey)
    (False, False): Template(_SELECT + " GROUP BY {touchpoint}", _names),
    (True, False): Template(
        _SELECT + " AND {day} >= %s AND {day} <= %s GROUP BY {touchpoint}", _names
    ),
    (False, True): Template(_SELECT + " AND {journey} = %s GROUP BY {touchpoint}", _names),
    (True, True): Template(
        _SELECT + " AND {day} >= %s AND {day} <= %s AND {journey} = %s GROUP BY {touchpoint}",
        _names,
    ),
}


def expectation_sums(
    *,
    workspace_id: int,
    period: Period,
    journey_id: int | None = None,
    touchpoint_ids: Iterable[int] | None = None,
) -> dict[int, Sums]:
    """Per touchpoint id, its sums over the period (all time when the period is); a touchpoint
    without rated answers in it is absent."""
    if touchpoint_ids is None:
        args: list = [workspace_id]
        if not period.all_time:
            args += [period.start, period.end]
        if journey_id is not None:
            args.append(journey_id)
        statement = _SUMS[(not period.all_time, journey_id is not None)](*args)
        return {
            row[0]: Sums(dict(zip(EXPECTATION_FIELDS, row[1:], strict=True)))
            for row in fetch(statement, prepared=True)
        }
    # A list of touchpoints (a card, My touchpoints): the ORM says "IN (…)" on every database.
    rows = ExpectationCounts.objects.filter(
        workspace_id=workspace_id, touchpoint_id__in=list(touchpoint_ids)
    )
    if not period.all_time:
        rows = rows.filter(day__gte=period.start, day__lte=period.end)
    if journey_id is not None:
        rows = rows.filter(journey_id=journey_id)
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
    sums: Mapping[int, Sums],
    touchpoint_ids: Iterable[int],
    *,
    min_sample: int,
    unrated: bool = True,
) -> dict[int, Diagnosis]:
    """Each touchpoint's diagnosis (no rated answers: every expectation has n = 0); without
    ``unrated``, only those of the touchpoints with rated answers (a map's cards say nothing of
    the others, and 2,400 of them need not each be asked).

    Touchpoints without rated answers share one diagnosis of empty sums, computed once: on a map
    of 2,400 touchpoints most have none, and a diagnosis costs its confidence intervals."""
    if not unrated:
        return {
            tp: diagnose(found, min_sample=min_sample)
            for tp in touchpoint_ids
            if (found := sums.get(tp))
        }
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
    unrated: bool = True,
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
    return diagnoses(sums, ids, min_sample=min_sample, unrated=unrated)
