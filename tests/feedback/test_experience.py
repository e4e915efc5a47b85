"""The experience thresholds exist twice (feedback/experience.py): as a Python function and as the
database expression behind Response.experience. They must agree on every possible answer."""

from __future__ import annotations

from datetime import UTC, datetime

from feedback.experience import Experience, experience_of
from feedback.models import Response, Source
from journeys.models import Touchpoint


def test_stored_experience_matches_the_python_thresholds_on_every_answer(journey):
    tp = Touchpoint.objects.filter(journey=journey).first()
    pairs = [
        (nps, csat)
        for nps in [None, *range(11)]
        for csat in [None, *range(1, 6)]
        if nps is not None or csat is not None
    ]
    Response.objects.bulk_create(
        [
            Response(
                workspace=journey.workspace,
                touchpoint=tp,
                source=Source.API,
                external_id=f"{nps}-{csat}",
                submitted_at=datetime(2026, 3, 1, tzinfo=UTC),
                nps=nps,
                csat=csat,
            )
            for nps, csat in pairs
        ]
    )
    stored = {
        (r.nps, r.csat): r.experience for r in Response.objects.filter(workspace=journey.workspace)
    }
    assert len(stored) == len(pairs) == 71
    assert stored == {pair: experience_of(*pair).value for pair in pairs}
    # product.md's table, spot-checked: NPS wins over CSAT when both are given.
    assert stored[(9, 1)] == Experience.GLORY
    assert stored[(6, 5)] == Experience.PAIN
    assert stored[(None, 4)] == Experience.NEUTRAL
