"""Touchpoint moments for the journey map and "my touchpoints", read from stored metric rows.

Plain functions returning dataclasses, each one query whatever the number of touchpoints or
answers. The all-time rows (``day`` null) carry the numbers the engine derived; a trend sums the
daily rows of two periods in SQL and derives them with :mod:`metrics.compute`, like every other
reader of the rows.

Rows are read with ``values_list``: the map reads one row per card (2,400 on a large map), and
model instances would cost more than the rest of the page's data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.db.models import BigIntegerField, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast

from journeys.models import Touchpoint
from metrics import compute
from metrics.models import MomentCounts, Scope
from mot.sql import Identifiers, Template, fetch

# The counts and the stored score: the shares follow from the counts (below), and the page
# reads 2,400 of these rows, where every float column read costs more than the division.
_MOMENT_FIELDS = ("key", "glory", "neutral", "pain", "moment_score")


@dataclass(slots=True)
class TouchpointMoment:
    """A touchpoint's all-time moment: read as a :class:`metrics.compute.Moment` (same names,
    so ``compute.weakest`` and ``compute.forgettable`` take it) with the counts behind it (the
    map's bar is drawn from them).

    Not a frozen dataclass like ``compute.Moment``: a frozen one costs six times as much to
    build, and the map builds one per card (2,400 on a large map) within its 100 ms.
    """

    glory: int
    neutral: int
    pain: int
    score: float | None  # glory% - pain%, as the engine stored it
    n: int
    enough: bool

    # Shares as metrics.compute derives them (one division of 100 x count by n, so the same
    # floats as the stored ones).
    @property
    def glory_share(self) -> float | None:
        return 100 * self.glory / self.n if self.n else None

    @property
    def neutral_share(self) -> float | None:
        return 100 * self.neutral / self.n if self.n else None

    @property
    def pain_share(self) -> float | None:
        return 100 * self.pain / self.n if self.n else None


def _moment(row: tuple, min_sample: int) -> TouchpointMoment:
    """As metrics.read.overview.moment_of, on a values_list row: the score the engine derived;
    "enough" against the workspace's minimum sample as it is now, so a page never says "not
    enough answers — 40 of 30" after the minimum was lowered and before the next recompute."""
    _key, glory, neutral, pain, score = row
    n = glory + neutral + pain
    return TouchpointMoment(glory, neutral, pain, score, n, n >= min_sample)


def _touchpoint_rows(**filters):
    return MomentCounts.objects.filter(scope=Scope.TOUCHPOINT, day__isnull=True, **filters)


@dataclass(frozen=True)
class JourneyMoments:
    """The all-time moment of each touchpoint of a journey, and its weakest moment."""

    moments: dict[int, TouchpointMoment]  # touchpoint id -> moment; absent: no answers yet
    weakest: int | None  # touchpoint id (product.md: lowest score among those with enough)

    def of(self, touchpoint_id: int) -> TouchpointMoment | None:
        return self.moments.get(touchpoint_id)


NO_MOMENTS = JourneyMoments(moments={}, weakest=None)


_NAMES = Identifiers(MomentCounts._meta.db_table, "scope", "day", "journey_id", *_MOMENT_FIELDS)
_JOURNEY_ROWS = Template(
    "SELECT {fields} FROM {counts} WHERE {scope} = %s AND {day} IS NULL AND {journey} = %s",
    _NAMES.parts(
        fields=_MOMENT_FIELDS,
        counts=MomentCounts._meta.db_table,
        scope="scope",
        day="day",
        journey="journey_id",
    ),
)


def journey_moments(*, journey_id: int, order: Iterable[int], min_sample: int) -> JourneyMoments:
    """Every touchpoint's all-time moment in the journey: one query.

    ``order`` is the journey's touchpoint ids in map order (stage, then position), so a tie for
    the weakest goes to the earlier touchpoint, as on the dashboards; rows of touchpoints that
    are no longer on the map (deleted since the last recompute) are left out.
    """
    # The journey's all-time touchpoint rows (_touchpoint_rows), by a statement built once per
    # process and prepared: the map's second largest read.
    rows = fetch(_JOURNEY_ROWS(Scope.TOUCHPOINT.value, journey_id), prepared=True)
    min_sample = max(min_sample, 1)  # as compute: no answers is never enough
    found = {int(row[0]): _moment(row, min_sample) for row in rows}
    moments = {pk: found[pk] for pk in order if pk in found}
    return JourneyMoments(moments=moments, weakest=compute.weakest(moments))


def card_moments(*, journey_id: int, touchpoint_id: int, min_sample: int) -> JourneyMoments:
    """One touchpoint's moment and its journey's weakest moment, for a card drawn alone (an htmx
    swap): one query that reads that touchpoint's row and the rows tied for the journey's lowest
    score, each with its place on the map for the tie, instead of every row of the journey.

    Same answer as :func:`journey_moments`: the lowest score among touchpoints on the map with
    enough answers (a row whose touchpoint was deleted since the last recompute is not one),
    a tie going to the earlier touchpoint in map order.
    """
    min_sample = max(min_sample, 1)
    rows = _touchpoint_rows(journey_id=journey_id)
    # The row's touchpoint, by primary key: an index probe per row whatever the planner thinks
    # of the table's size (a row count estimated from stale statistics right after a recompute
    # once turned "key IN (touchpoint ids as text)" into a 2,000 x 2,000 nested loop).
    place = Touchpoint.objects.filter(pk=Cast(OuterRef("key"), output_field=BigIntegerField()))
    # answers == glory + neutral + pain (a constraint of the table): "enough" in SQL.
    enough = rows.filter(Exists(place.filter(journey_id=journey_id)), answers__gte=min_sample)
    lowest = enough.order_by("moment_score").values("moment_score")[:1]
    found = (
        rows.filter(
            Q(key=str(touchpoint_id))
            | Q(pk__in=enough.filter(moment_score=Subquery(lowest)).values("pk"))
        )
        .annotate(
            stage_position=Subquery(place.values("stage__position")[:1]),
            position=Subquery(place.values("position")[:1]),
        )
        .values_list(*_MOMENT_FIELDS, "stage_position", "position")
    )
    own: dict[int, TouchpointMoment] = {}
    candidates = []
    for row in found:
        pk, m = int(row[0]), _moment(row[: len(_MOMENT_FIELDS)], min_sample)
        if pk == touchpoint_id:
            own[pk] = m
        stage_position, position = row[len(_MOMENT_FIELDS) :]
        if stage_position is not None:  # on the map
            candidates.append(((stage_position, position), pk, m))
    candidates.sort(key=lambda c: c[0])  # map order, for the tie
    weakest = compute.weakest({pk: m for _place, pk, m in candidates})
    return JourneyMoments(moments=own, weakest=weakest)


@dataclass(frozen=True)
class TouchpointNumbers:
    """All-time numbers of one touchpoint."""

    moment: TouchpointMoment
    nps: float | None
    nps_margin: float | None
    nps_answers: int  # answers with an NPS value (CSAT-only answers have none)
    nps_enough: bool  # the NPS has the minimum sample on its own answers
    answers: int


def touchpoint_numbers(
    *, workspace_id: int, touchpoint_ids: Collection[int], min_sample: int
) -> dict[int, TouchpointNumbers]:
    """All-time numbers of the given touchpoints that have answers: one query."""
    if not touchpoint_ids:
        return {}
    rows = _touchpoint_rows(
        workspace_id=workspace_id, key__in=[str(pk) for pk in touchpoint_ids]
    ).values_list(*_MOMENT_FIELDS, "nps", "nps_margin", "promoters", "passives", "detractors")
    min_sample = max(min_sample, 1)
    numbers = {}
    for row in rows:
        nps, margin, promoters, passives, detractors = row[len(_MOMENT_FIELDS) :]
        moment = _moment(row[: len(_MOMENT_FIELDS)], min_sample)
        nps_answers = promoters + passives + detractors
        numbers[int(row[0])] = TouchpointNumbers(
            moment=moment,
            nps=nps,
            nps_margin=margin,
            nps_answers=nps_answers,
            nps_enough=nps is not None and nps_answers >= min_sample,
            answers=moment.n,
        )
    return numbers


TREND_DAYS = 30
UP, DOWN, STEADY = "up", "down", "steady"


@dataclass(frozen=True)
class Trend:
    """A touchpoint's moment score in the last ``TREND_DAYS`` days against the days before: the
    change and its 95% margin are :func:`compute.moment_change`'s."""

    recent: compute.Counts
    previous: compute.Counts
    min_sample: int = compute.DEFAULT_MIN_SAMPLE

    @cached_property
    def _change(self) -> compute.Change:
        return compute.moment_change(self.recent, self.previous, min_sample=self.min_sample)

    @property
    def shown(self) -> bool:
        """A direction is only given when both periods have enough answers."""
        return self._change.enough

    @property
    def change(self) -> float | None:
        return self._change.difference if self.shown else None

    @property
    def points(self) -> int | None:
        """The size of the change in whole points (its sign is the direction)."""
        change = self.change
        return None if change is None else abs(round(change))

    @property
    def margin(self) -> float | None:
        c = self._change
        return c.high - c.difference if self.shown and c.difference is not None else None

    @property
    def direction(self) -> str | None:
        """Up or down when the change is beyond its margin of error, else steady."""
        if self.change is None:
            return None
        if not self._change.beyond_noise:
            return STEADY
        return UP if self.change > 0 else DOWN


def trend_periods(today: date, days: int = TREND_DAYS) -> tuple[date, date, date]:
    """(first day of the previous period, first day of the recent one, last day): the recent
    period is the ``days`` days ending today (included), the previous the ``days`` before."""
    recent_start = today - timedelta(days=days - 1)
    return recent_start - timedelta(days=days), recent_start, today


def touchpoint_trends(
    *,
    workspace_id: int,
    touchpoint_ids: Collection[int] | None,
    today: date,
    min_sample: int,
    days: int = TREND_DAYS,
) -> dict[int, Trend]:
    """Each touchpoint's counts over the two periods, summed in SQL from its daily rows: one
    grouped query for all of them (``None``: every touchpoint of the workspace). Touchpoints
    with no answer in either period are absent."""
    if touchpoint_ids is not None and not touchpoint_ids:
        return {}
    keys = {} if touchpoint_ids is None else {"key__in": [str(pk) for pk in touchpoint_ids]}
    first, recent_start, last = trend_periods(today, days)
    recent, previous = Q(day__gte=recent_start), Q(day__lt=recent_start)
    sums = {}
    for field in ("glory", "neutral", "pain"):
        sums[f"recent_{field}"] = Sum(field, filter=recent, default=0)
        sums[f"previous_{field}"] = Sum(field, filter=previous, default=0)
    rows = (
        MomentCounts.objects.filter(
            workspace_id=workspace_id,
            scope=Scope.TOUCHPOINT,
            day__gte=first,
            day__lte=last,
            **keys,
        )
        .order_by()
        .values("key")
        .annotate(**sums)
    )
    trends = {}
    for row in rows:
        periods = []
        for period in ("recent", "previous"):
            glory, neutral, pain = (row[f"{period}_{f}"] for f in ("glory", "neutral", "pain"))
            periods.append(
                compute.Counts(
                    answers=glory + neutral + pain, glory=glory, neutral=neutral, pain=pain
                )
            )
        trends[int(row["key"])] = Trend(*periods, min_sample=min_sample)
    return trends


@dataclass(slots=True)
class StageNumbers:
    """A stage's all-time numbers as the engine stored them (the map's metrics lane)."""

    moment: TouchpointMoment
    nps: float | None
    nps_answers: int
    nps_enough: bool
    csat_share: float | None  # share of 4-5 answers
    csat_answers: int
    csat_enough: bool
    ces_share: float | None  # share of 5-7 answers ("easy")
    ces_answers: int
    ces_enough: bool


def stage_numbers(*, journey_id: int, min_sample: int) -> dict[int, StageNumbers]:
    """Every stage's all-time numbers in a journey, by stage id: one query, nothing computed
    but the "enough" checks against the workspace's minimum sample as it is now."""
    rows = MomentCounts.objects.filter(
        scope=Scope.STAGE, day__isnull=True, journey_id=journey_id
    ).values_list(
        *_MOMENT_FIELDS,
        "nps",
        "promoters",
        "passives",
        "detractors",
        "csat_top2_share",
        "csat_answers",
        "ces_easy_share",
        "ces_answers",
    )
    min_sample = max(min_sample, 1)
    numbers = {}
    for row in rows:
        nps, promoters, passives, detractors, csat_share, csat_answers, ces_share, ces_answers = (
            row[len(_MOMENT_FIELDS) :]
        )
        nps_answers = promoters + passives + detractors
        numbers[int(row[0])] = StageNumbers(
            moment=_moment(row[: len(_MOMENT_FIELDS)], min_sample),
            nps=nps,
            nps_answers=nps_answers,
            nps_enough=nps_answers >= min_sample,
            csat_share=csat_share,
            csat_answers=csat_answers,
            csat_enough=csat_answers >= min_sample,
            ces_share=ces_share,
            ces_answers=ces_answers,
            ces_enough=ces_answers >= min_sample,
        )
    return numbers
