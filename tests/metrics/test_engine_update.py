"""update_counts: after new answers, only the (touchpoint, day) rows whose answers changed are
rewritten, with the rows they add up to, and the result equals a full rebuild and the
independent reference (tests/metrics/test_engine_reference.py) on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from feedback.models import Response, Source
from journeys.models import Touchpoint
from metrics import engine
from metrics.engine import counts
from metrics.models import MomentCounts
from tests.metrics.test_engine_reference import (
    COUNTS,
    DAILY_SCOPES,
    DAYS,
    DERIVED,
    FIRST_DAY,
    KEY,
    MIN_SAMPLE,
    all_fields,
    build,
    mismatches,
    reference_rows,
    stored_rows,
)


@pytest.fixture
def globex(other_workspace):
    build(other_workspace, seed=98, answers=120)
    engine.recompute_counts(other_workspace.pk)
    return other_workspace


def stamps(workspace_id: int) -> dict[tuple, tuple]:
    """(id, computed_at) of every stored row, by its key."""
    rows = MomentCounts.objects.filter(workspace_id=workspace_id).values_list(
        "scope", "journey_id", "key", "day", "pk", "computed_at"
    )
    return {(s, j, k, d): (pk, at) for s, j, k, d, pk, at in rows}


def answer(workspace, tp: Touchpoint, at: datetime, name: str, *, nps=None, csat=None, ces=None):
    return Response(
        workspace=workspace,
        touchpoint=tp,
        source=Source.API,
        external_id=name,
        submitted_at=at,
        nps=nps,
        csat=csat,
        ces=ces,
    )


@pytest.mark.parametrize("seed", [11, 12])
def test_new_answers_rewrite_only_their_days_and_match_a_rebuild(db, workspace, globex, seed):
    answered = build(workspace, seed)
    engine.recompute_counts(workspace.pk)
    before, other_before = stamps(workspace.pk), all_fields(globex.pk)
    values_before = stored_rows(workspace.pk)
    rnd = random.Random(seed)
    tp = rnd.choice(answered)
    # Two answers on one day inside the data, one on a day after it (a new day for every scope
    # of the journey and the workspace), one a second before midnight.
    inside = FIRST_DAY + timedelta(days=DAYS // 2)
    after = FIRST_DAY + timedelta(days=DAYS + 2)
    Response.objects.bulk_create(
        [
            answer(
                workspace, tp, datetime.combine(inside, time(9), tzinfo=UTC), "n1", nps=10, ces=7
            ),
            answer(
                workspace, tp, datetime.combine(inside, time(10), tzinfo=UTC), "n2", csat=1, ces=2
            ),
            answer(
                workspace, tp, datetime.combine(after, time(12), tzinfo=UTC), "n3", nps=3, ces=5
            ),
            answer(
                workspace,
                tp,
                datetime.combine(after, time(23, 59, 59), tzinfo=UTC),
                "n4",
                nps=8,
            ),
        ]
    )

    written = engine.update_counts(workspace.pk, journey_ids=[tp.journey_id])

    stored = stored_rows(workspace.pk)
    assert mismatches(stored, reference_rows(workspace.pk, MIN_SAMPLE)) == []
    # The counts that changed: the touchpoint's, the journey's and the workspace's on the two
    # days and all time; its stage's and its MOT stage's (in the journey and workspace-wide)
    # all time.
    counts_changed = {
        k
        for k, row in stored.items()
        if {n: row[n] for n in COUNTS}
        != {n: values_before.get(k, dict.fromkeys(COUNTS, 0))[n] for n in COUNTS}
    }
    assert counts_changed == {
        (scope, journey, key, day)
        for scope, journey, key in [
            ("touchpoint", tp.journey_id, str(tp.pk)),
            ("stage", tp.journey_id, str(tp.stage_id)),
            ("mot_stage", tp.journey_id, tp.mot_stage),
            ("journey", tp.journey_id, str(tp.journey_id)),
            ("mot_stage", None, tp.mot_stage),
            ("workspace", None, ""),
        ]
        for day in (inside, after, None)
        if day is None or scope in DAILY_SCOPES
    }
    # Rewritten (a new id or computed_at): only rows of the journey and the workspace-wide ones,
    # of those two days or all time; the touchpoint rows of other touchpoints are kept.
    now = stamps(workspace.pk)
    rewritten = {k for k in now if k not in before or now[k] != before[k]}
    assert {(k[1], k[3]) for k in rewritten} <= {
        (journey, day) for journey in (tp.journey_id, None) for day in (inside, after, None)
    }
    assert {k for k in rewritten if k[0] == "touchpoint" and k[3] is not None} == {
        ("touchpoint", tp.journey_id, str(tp.pk), day) for day in (inside, after)
    }
    # All-time rows: the journey's and the workspace-wide ones are rewritten, others kept.
    all_time = {k for k in rewritten if k[3] is None}
    assert all_time == {k for k in now if k[3] is None and k[1] in (tp.journey_id, None)}
    assert written == len(rewritten)
    assert all_fields(globex.pk) == other_before

    # A rebuild of everything gives the same values (the rows update_counts left alone keep the
    # data window of their last computation; the rebuild gives every row today's).
    values = [*KEY, *COUNTS, *DERIVED]
    updated = stored_rows(workspace.pk, values)
    engine.recompute_counts(workspace.pk)
    assert stored_rows(workspace.pk, values) == updated


def test_nothing_new_rewrites_no_daily_row(db, workspace):
    answered = build(workspace, seed=13)
    engine.recompute_counts(workspace.pk)
    before = stamps(workspace.pk)

    engine.update_counts(workspace.pk, journey_ids=[answered[0].journey_id])

    now = stamps(workspace.pk)
    assert {k: v for k, v in now.items() if k[3] is not None} == {
        k: v for k, v in before.items() if k[3] is not None
    }
    assert now.keys() == before.keys()


def test_answers_gone_from_a_day_remove_its_rows(db, workspace):
    answered = build(workspace, seed=14)
    engine.recompute_counts(workspace.pk)
    tp = answered[0]
    gone = Response.objects.filter(touchpoint=tp).order_by("submitted_at").first()
    day = timezone.localdate(gone.submitted_at)
    Response.objects.filter(touchpoint=tp, pk=gone.pk).delete()

    engine.update_counts(workspace.pk, journey_ids=[tp.journey_id])

    assert mismatches(stored_rows(workspace.pk), reference_rows(workspace.pk, MIN_SAMPLE)) == []
    left = Response.objects.filter(touchpoint=tp)
    if not [r for r in left if timezone.localdate(r.submitted_at) == day]:
        assert ("touchpoint", tp.journey_id, str(tp.pk), day) not in stored_rows(workspace.pk)


def test_days_follow_the_current_time_zone(db, workspace):
    """Answers a second either side of midnight in São Paulo (UTC-3) land on their local days,
    in the rows written and in the answer ranges read for the changed days."""
    with timezone.override("America/Sao_Paulo"):
        answered = build(workspace, seed=15)
        engine.recompute_counts(workspace.pk)
        tp = answered[-1]
        local_midnight = timezone.make_aware(datetime(2026, 3, 3, 0, 0))
        Response.objects.bulk_create(
            [
                answer(workspace, tp, local_midnight - timedelta(seconds=1), "tz1", nps=9),
                answer(workspace, tp, local_midnight, "tz2", nps=0),
            ]
        )

        engine.update_counts(workspace.pk, journey_ids=[tp.journey_id])

        stored = stored_rows(workspace.pk)
        assert mismatches(stored, reference_rows(workspace.pk, MIN_SAMPLE)) == []


def test_many_changed_days_rebuild_the_journey(db, workspace, monkeypatch):
    answered = build(workspace, seed=16)
    engine.recompute_counts(workspace.pk)
    tp = answered[0]
    Response.objects.bulk_create(
        [
            answer(workspace, tp, datetime(2026, 3, 1 + d, 12, tzinfo=UTC), f"m{d}", nps=d)
            for d in range(DAYS)
        ]
    )
    monkeypatch.setattr(counts, "CHANGED_PAIRS_LIMIT", 2)
    rebuild = counts._rebuild_journeys
    calls = []
    monkeypatch.setattr(
        counts, "_rebuild_journeys", lambda *a, **k: calls.append(a) or rebuild(*a, **k)
    )

    engine.update_counts(workspace.pk, journey_ids=[tp.journey_id])

    assert len(calls) == 1
    assert mismatches(stored_rows(workspace.pk), reference_rows(workspace.pk, MIN_SAMPLE)) == []
    workspace_row = MomentCounts.objects.get(workspace=workspace, scope="workspace", day=None)
    assert workspace_row.answers == Response.objects.filter(workspace=workspace).count()
    assert {n: getattr(workspace_row, n) for n in COUNTS}["answers"] == workspace_row.answers
