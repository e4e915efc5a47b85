"""Records logged without a score (complaints, interview notes…) count in no metric row: the
full recompute gives the same rows with and without them (metrics.engine reads survey answers
only, and the follow-ups they open stay out of the recovery figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.apps import apps

from feedback.followups.models import FollowUp
from feedback.models import RECORD_KINDS, Activity, Customer, Kind
from feedback.services import AnswerIn, responses_ingest
from metrics.services import metrics_recompute

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
VOLATILE = {"id"}


def _metric_rows() -> dict[str, list]:
    """Every metric table's rows but the themes', without ids and timestamps (a recompute
    stamps them anew)."""
    rows = {}
    for model in apps.get_app_config("metrics").get_models():
        # Runs are bookkeeping; comment themes count records on purpose (their text is what
        # themes read), so their tables are not metrics of survey answers.
        if model.__name__ in {"RecomputeRun", "ThemeRun", "ThemeCounts", "ThemeTerm"}:
            continue
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in VOLATILE and not f.attname.endswith("_at")
        ]
        rows[model.__name__] = sorted(
            (tuple(map(repr, row)) for row in model.objects.values_list(*names)), key=repr
        )
    return rows


def test_records_change_no_metric_row(journey, celery_eager):
    ws = journey.workspace_id
    tps = [tp.pk for stage in journey.stages.all() for tp in stage.touchpoints.all()]
    answers = [
        AnswerIn(
            touchpoint_id=tps[i % len(tps)],
            external_id=f"a{i}",
            submitted_at=T0 + timedelta(days=i),
            nps=(i * 3) % 11,
            respect=1 + i % 5,
            comment="Slow delivery" if i % 2 else "",
            customer=f"c{i % 7}",
        )
        for i in range(60)
    ]
    responses_ingest(workspace_id=ws, source="api", answers=answers)
    for c in Customer.objects.filter(workspace_id=ws):
        Activity.objects.create(
            workspace_id=ws,
            customer=c,
            occurred_at=T0 + timedelta(days=90),
            kind="purchase",
            external_id=f"p{c.pk}",
        )
    metrics_recompute(workspace_id=ws, full=True)
    before = _metric_rows()
    followups_before = FollowUp.objects.count()
    assert before["MomentCounts"], "the survey answers must give metric rows to compare"

    # Records on every touchpoint, of every kind and experience, with customers, before and
    # after the answers' window (which the stored rows carry).
    records = [
        AnswerIn(
            touchpoint_id=tps[i % len(tps)],
            external_id=f"r{i}",
            submitted_at=T0 + timedelta(days=i * 9 - 30),
            comment="The parcel never arrived",
            customer=f"c{i % 9}",
            kind=RECORD_KINDS[i % len(RECORD_KINDS)],
            noted_experience=("glory", "neutral", "pain", "unknown")[i % 4],
        )
        for i in range(24)
    ]
    result = responses_ingest(workspace_id=ws, source="import", answers=records)
    assert result.created == 24
    assert FollowUp.objects.count() > followups_before  # pain records opened follow-ups
    metrics_recompute(workspace_id=ws, full=True)
    assert _metric_rows() == before
    assert Kind.SURVEY_ANSWER not in RECORD_KINDS
