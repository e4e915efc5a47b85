"""Service recovery, the read side: the stored follow-up figures summed over a period, and the
stored recovery effect. One query each, whatever the number of follow-ups.

The figures of a period are those of the follow-ups opened in it (the rows' day is the opening
day), as they stand at the last computation; definitions in metrics/engine/recovery.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from metrics.models import RECOVERY_FIGURES as FIGURES
from metrics.models import RecoveryCounts, RecoveryEffect, Scope
from metrics.stats import percent

HOUR = 3600


@dataclass(frozen=True)
class Recovery:
    """The additive follow-up figures of one scope over a period, and what derives from them.

    Times are means (a mean adds up over days, a median would not), in hours. The share
    recovered is of the follow-ups closed with an outcome: recovered ÷ (recovered + not
    recovered); "no action needed" had nothing to recover and is left out of it.
    """

    opened: int = 0
    responded: int = 0
    response_seconds: int = 0
    recovered: int = 0
    not_recovered: int = 0
    no_action: int = 0
    close_seconds: int = 0
    overdue: int = 0

    def __add__(self, other: Recovery) -> Recovery:
        return Recovery(*(getattr(self, f) + getattr(other, f) for f in FIGURES))

    @property
    def closed(self) -> int:
        return self.recovered + self.not_recovered + self.no_action

    @property
    def with_outcome(self) -> int:
        """The n of the share recovered."""
        return self.recovered + self.not_recovered

    @property
    def recovered_share(self) -> float | None:
        return percent(self.recovered, self.with_outcome) if self.with_outcome else None

    @property
    def response_hours(self) -> float | None:
        """Mean hours from opening to the first response, of those responded to."""
        return self.response_seconds / self.responded / HOUR if self.responded else None

    @property
    def close_hours(self) -> float | None:
        """Mean hours from opening to closing, of those closed."""
        return self.close_seconds / self.closed / HOUR if self.closed else None


def _sums() -> dict[str, Sum]:
    return {name: Sum(name, default=0) for name in FIGURES}


def _figures(values: dict) -> Recovery:
    return Recovery(*(int(values[name]) for name in FIGURES))


def recovery_by_touchpoint(
    *, workspace_id: int, journey_id: int | None, start=None, end=None
) -> dict[int, Recovery]:
    """Per touchpoint id, the figures of its follow-ups opened from ``start`` to ``end`` (days,
    both included; all time when either is None): one query. Touchpoints without follow-ups
    are absent."""
    rows = RecoveryCounts.objects.filter(workspace_id=workspace_id, scope=Scope.TOUCHPOINT)
    if journey_id is not None:
        rows = rows.filter(journey_id=journey_id)
    if start is not None and end is not None:
        rows = rows.filter(day__gte=start, day__lte=end)
    values = rows.order_by().values("key").annotate(**_sums())
    return {int(v["key"]): _figures(v) for v in values}


def recovery_by_journey(*, workspace_id: int) -> tuple[Recovery, dict[int, Recovery]]:
    """All time: the workspace's figures and each journey's, by journey id: one query."""
    values = (
        RecoveryCounts.objects.filter(
            workspace_id=workspace_id, scope__in=[Scope.WORKSPACE, Scope.JOURNEY]
        )
        .order_by()
        .values("scope", "key")
        .annotate(**_sums())
    )
    workspace, journeys = Recovery(), {}
    for v in values:
        if v["scope"] == Scope.WORKSPACE:
            workspace = _figures(v)
        else:
            journeys[int(v["key"])] = _figures(v)
    return workspace, journeys


def recovery_effect(*, workspace_id: int, journey_id: int | None) -> RecoveryEffect | None:
    """The stored recovery effect of the journey, or of the workspace (None): one query."""
    rows = RecoveryEffect.objects.filter(workspace_id=workspace_id)
    if journey_id is None:
        return rows.filter(journey__isnull=True).first()
    return rows.filter(journey_id=journey_id).first()


def recovery_effects(*, workspace_id: int) -> dict[int | None, RecoveryEffect]:
    """Every stored recovery effect of the workspace, by journey id (None: the workspace's):
    one query."""
    return {e.journey_id: e for e in RecoveryEffect.objects.filter(workspace_id=workspace_id)}
