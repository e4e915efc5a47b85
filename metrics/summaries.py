"""The dashboard's page calculations: the period's counts per touchpoint (metrics/read/dashboard.py)
added up and derived with metrics.compute into what the page shows. Pure: no database access.

- :func:`moment_rows`: the touchpoints matching the filters, each with its counts and moment;
- :func:`kpis`: the KPI tiles, with each change against the previous period and its noise;
- :func:`trend_points`: the trend's points;
- :func:`heatmap`: moment score per (stage or journey) x moment of truth;
- :func:`weak_moments`: each journey's weakest and forgettable moments;
- :func:`most_painful`: the moments whose latest pain comments the page shows;
- :func:`recovery_panel`: the follow-ups of the touchpoints matching the filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from journeys.models import Journey, MotStage
from metrics import compute
from metrics.read.recovery import Recovery

if TYPE_CHECKING:
    from metrics.models import RecoveryEffect
    from metrics.read.dashboard import DashboardFilter, TouchpointInfo

PAIN_MOMENTS = 5  # moments whose latest pain comments the page shows
RECOVERY_MOMENTS = 15  # touchpoints in the recovery chart and its table


@dataclass(frozen=True)
class MomentRow:
    """One touchpoint over the period."""

    touchpoint: TouchpointInfo
    counts: compute.Counts
    moment: compute.Moment
    min_sample: int

    # NPS, CSAT and CES per touchpoint only for the CSV: derived when asked.
    @cached_property
    def nps(self) -> compute.Nps:
        return compute.nps(self.counts, min_sample=self.min_sample)

    @cached_property
    def csat(self) -> compute.Csat:
        return compute.csat(self.counts, min_sample=self.min_sample)

    @cached_property
    def ces(self) -> compute.Ces:
        return compute.ces(self.counts, min_sample=self.min_sample)


@dataclass(frozen=True)
class Kpis:
    current: compute.Counts
    previous: compute.Counts | None  # None: all time has no previous period
    nps: compute.Nps
    moment: compute.Moment
    csat: compute.Csat
    ces: compute.Ces
    nps_change: compute.Change | None
    moment_change: compute.Change | None
    csat_change: compute.Change | None
    csat_mean_previous: float | None
    ces_change: compute.Change | None

    @property
    def answers_change(self) -> int | None:
        return None if self.previous is None else self.current.answers - self.previous.answers


@dataclass(frozen=True)
class TrendPoint:
    start: date  # first day of the day, week or month
    counts: compute.Counts
    nps: compute.Nps
    moment: compute.Moment


@dataclass(frozen=True)
class HeatCell:
    row: int  # journey or stage id
    column: str  # MOT stage code, "" for untagged
    counts: compute.Counts
    moment: compute.Moment


@dataclass(frozen=True)
class Heatmap:
    by: str  # "journey" (workspace) or "stage" (one journey): what a row is
    rows: list[tuple[int, str]]  # (id, label) in map order
    columns: list[tuple[str, str]]  # (MOT code, label); "" is "no moment"
    cells: dict[tuple[int, str], HeatCell]

    def cell(self, row: int, column: str) -> HeatCell | None:
        return self.cells.get((row, column))


@dataclass(frozen=True)
class WeakMoments:
    """A journey's weakest moment and its forgettable ones over the period."""

    journey: Journey
    weakest: MomentRow | None
    forgettable: list[MomentRow]


def moment_rows(
    touchpoints: list[TouchpointInfo],
    counts: dict[int, compute.Counts],
    filters: DashboardFilter,
    *,
    min_sample: int,
) -> tuple[list[MomentRow], compute.Counts]:
    """The matching touchpoints with their period numbers (map order), and their total."""
    rows: list[MomentRow] = []
    total = compute.Counts()
    empty = compute.Counts()
    for tp in touchpoints:
        if not filters.matches(tp):
            continue
        now = counts.get(tp.pk, empty)
        total += now
        rows.append(
            MomentRow(
                touchpoint=tp,
                counts=now,
                moment=compute.moment(now, min_sample=min_sample),
                min_sample=min_sample,
            )
        )
    return rows, total


def kpis(current: compute.Counts, previous: compute.Counts | None, *, min_sample: int) -> Kpis:
    changes = (None, None, None, None)
    mean_before = None
    if previous is not None:
        changes = tuple(
            change(current, previous, min_sample=min_sample)
            for change in (
                compute.nps_change,
                compute.moment_change,
                compute.csat_change,
                compute.ces_change,
            )
        )
        mean_before = compute.csat(previous, min_sample=min_sample).mean
    return Kpis(
        current=current,
        previous=previous,
        nps=compute.nps(current, min_sample=min_sample),
        moment=compute.moment(current, min_sample=min_sample),
        csat=compute.csat(current, min_sample=min_sample),
        ces=compute.ces(current, min_sample=min_sample),
        nps_change=changes[0],
        moment_change=changes[1],
        csat_change=changes[2],
        csat_mean_previous=mean_before,
        ces_change=changes[3],
    )


def trend_points(trend: list[tuple[date, compute.Counts]], *, min_sample: int) -> list[TrendPoint]:
    """Each day's, week's or month's counts with its NPS and moment score, oldest first."""
    return [
        TrendPoint(
            start,
            c,
            compute.nps(c, min_sample=min_sample),
            compute.moment(c, min_sample=min_sample),
        )
        for start, c in trend
    ]


MOT_COLUMNS = [*MotStage.choices, ("", None)]  # None: labelled by the caller ("no moment")


def heatmap(moments: list[MomentRow], *, by_stage: bool, min_sample: int) -> Heatmap:
    """Moment score per (stage or journey) x MOT stage, summed from the touchpoints."""
    rows: dict[int, str] = {}
    sums: dict[tuple[int, str], compute.Counts] = {}
    for m in moments:
        tp = m.touchpoint
        key = tp.stage_id if by_stage else tp.journey_id
        rows.setdefault(key, tp.stage_name if by_stage else tp.journey.name)
        cell = (key, tp.mot_stage)
        sums[cell] = sums.get(cell, compute.Counts()) + m.counts
    cells = {
        key: HeatCell(key[0], key[1], c, compute.moment(c, min_sample=min_sample))
        for key, c in sums.items()
        if c.answers
    }
    columns = [(code, str(label) if label else "") for code, label in MOT_COLUMNS]
    return Heatmap("stage" if by_stage else "journey", list(rows.items()), columns, cells)


def weak_moments(moments: list[MomentRow]) -> list[WeakMoments]:
    """Each journey's weakest and forgettable moments (compute.weakest, compute.forgettable),
    in map order so a tie goes to the earlier touchpoint."""
    by_journey: dict[int, dict[int, MomentRow]] = {}
    for m in moments:
        by_journey.setdefault(m.touchpoint.journey_id, {})[m.touchpoint.pk] = m
    result = []
    for rows in by_journey.values():
        scores = {pk: m.moment for pk, m in rows.items()}
        weakest = compute.weakest(scores)
        result.append(
            WeakMoments(
                journey=next(iter(rows.values())).touchpoint.journey,
                weakest=rows[weakest] if weakest is not None else None,
                forgettable=[rows[pk] for pk in compute.forgettable(scores)],
            )
        )
    return result


def most_painful(moments: list[MomentRow], limit: int = PAIN_MOMENTS) -> list[MomentRow]:
    """The moments with the most pain answers in the period (map order breaks ties)."""
    painful = [m for m in moments if m.counts.pain]
    return sorted(painful, key=lambda m: -m.counts.pain)[:limit]


@dataclass(frozen=True)
class RecoveryRow:
    touchpoint: TouchpointInfo
    figures: Recovery


@dataclass(frozen=True)
class RecoveryPanel:
    """The follow-ups opened in the period on the touchpoints matching the filters: their
    total, the touchpoints with the most of them (at most RECOVERY_MOMENTS, ``left_out`` the
    others with follow-ups), and the stored recovery effect of the journey or workspace."""

    total: Recovery
    rows: list[RecoveryRow]
    left_out: int
    effect: RecoveryEffect | None


def recovery_panel(
    touchpoints: list[TouchpointInfo],
    figures: dict[int, Recovery],
    effect: RecoveryEffect | None,
    limit: int = RECOVERY_MOMENTS,
) -> RecoveryPanel:
    """``touchpoints`` (those matching the filters, in map order) with their ``figures``."""
    rows = [RecoveryRow(tp, figures[tp.pk]) for tp in touchpoints if tp.pk in figures]
    total = sum((r.figures for r in rows), Recovery())
    rows.sort(key=lambda r: -r.figures.opened)  # stable: map order among equals
    return RecoveryPanel(total, rows[:limit], max(len(rows) - limit, 0), effect)
