"""The moment-turn alert: managers hear when a touchpoint's moment score drops.

After each recompute (metrics.services.metrics_recompute) every touchpoint's moment score over
the last 30 days is set against the 30 days before, with the test My touchpoints and the
dashboard use: a drop counts only beyond the 95 % margin of error of the difference, with
enough answers in both periods (metrics.compute.moment_change). A touchpoint's state is kept
(:class:`metrics.models.MomentTurn`), so the managers and admins are told once when it turns
from not dropped to dropped — not after every nightly run while it stays down — and again
only after it has recovered and dropped anew.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback.hooks import events
from journeys.models import Touchpoint
from metrics import compute
from metrics.models import MomentTurn
from metrics.read.moments import DOWN, TREND_DAYS, Trend, touchpoint_trends
from mot.models import Workspace
from mot.notifications.models import Kind
from mot.notifications.services import Entry, notifications_record, workspace_watchers


def _params(touchpoint: Touchpoint, trend: Trend, min_sample: int) -> dict:
    change = compute.moment_change(trend.recent, trend.previous, min_sample=min_sample)
    return {
        "touchpoint": touchpoint.title,
        "journey": touchpoint.journey.name,
        "current": change.current,
        "previous": change.previous,
        "change": change.difference,
        "margin": trend.margin,
        "days": TREND_DAYS,
    }


def moment_turns_alert(*, workspace_id: int, today: date | None = None) -> list[int]:
    """Update each touchpoint's dropped state and tell the workspace's managers and admins of
    those that turned down now; returns their ids."""
    today = today or timezone.localdate()
    min_sample = Workspace.objects.filter(pk=workspace_id).values_list("min_sample", flat=True)
    min_sample = min_sample.first()
    if min_sample is None:
        return []
    trends = touchpoint_trends(
        workspace_id=workspace_id, touchpoint_ids=None, today=today, min_sample=min_sample
    )
    down = {pk: trend for pk, trend in trends.items() if trend.direction == DOWN}
    now = timezone.now()
    with transaction.atomic():
        states = {
            state.touchpoint_id: state
            for state in MomentTurn.objects.select_for_update().filter(workspace_id=workspace_id)
        }
        recovered = [s.pk for pk, s in states.items() if s.dropped and pk not in down]
        if recovered:
            MomentTurn.objects.filter(pk__in=recovered).update(dropped=False, changed_at=now)
        candidates = [pk for pk in down if not (pk in states and states[pk].dropped)]
        if not candidates:
            return []
        touchpoints = {
            tp.pk: tp
            for tp in Touchpoint.objects.filter(
                pk__in=candidates,
                journey__workspace_id=workspace_id,
                journey__archived=False,
            ).select_related("journey__workspace")
        }
        turned = sorted(pk for pk in candidates if pk in touchpoints)
        again = [states[pk] for pk in turned if pk in states]
        for state in again:
            state.dropped, state.turns, state.changed_at = True, state.turns + 1, now
        MomentTurn.objects.bulk_update(again, ["dropped", "turns", "changed_at"])
        MomentTurn.objects.bulk_create(
            [
                MomentTurn(
                    workspace_id=workspace_id, touchpoint_id=pk, dropped=True, turns=1,
                    changed_at=now,
                )
                for pk in turned
                if pk not in states
            ]
        )  # fmt: skip
        turns = {state.touchpoint_id: state.turns for state in again}
        watchers = workspace_watchers(workspace_id=workspace_id)
        entries = []
        for pk in turned:
            tp = touchpoints[pk]
            params = _params(tp, down[pk], min_sample)
            link = reverse(
                "journeys:map", kwargs={"ws": tp.journey.workspace.slug, "pk": tp.journey_id}
            )
            entries += [
                Entry(
                    recipient_id=member,
                    dedupe_key=f"moment-turn:{pk}:{turns.get(pk, 1)}",
                    params=params,
                    link=link,
                )
                for member in watchers
            ]
        notifications_record(workspace_id=workspace_id, kind=Kind.MOMENT_TURN, entries=entries)
        # The same turn to the workspace's webhooks (moment.alert), once it has committed.
        events.moment_alerts(
            workspace_id=workspace_id, turns={pk: turns.get(pk, 1) for pk in turned}
        )
    return turned
