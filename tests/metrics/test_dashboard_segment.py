"""The dashboard filtered by customer segment: the segment's answers, counted on demand exactly
as the metrics engine counts stored rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from feedback.customers import profile_of
from feedback.models import Response
from feedback.services import AnswerIn, responses_ingest
from journeys.models import Touchpoint
from metrics.dashboard.page import dashboard
from metrics.engine.counts import recompute_counts
from metrics.read.dashboard import DashboardFilter, Period, workspace_journeys
from tests.conftest import login

TODAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 2), TODAY)


def _ingest(workspace, journey):
    tps = list(Touchpoint.objects.filter(journey=journey).order_by("pk"))
    answers = []
    for i in range(60):
        segment = "Families" if i % 3 else "Business"
        when = datetime(2026, 2, 20, 12, tzinfo=UTC) + timedelta(days=i % 40, hours=i)
        answers.append(
            AnswerIn(
                touchpoint_id=tps[i % len(tps)].pk,
                external_id=f"a{i}",
                submitted_at=when,
                nps=(i * 7) % 11,
                csat=(i % 5) + 1 if i % 2 else None,
                comment="Too slow" if i % 4 == 0 else "",
                customer=f"c{i % 9}-{segment}",
                profile=profile_of(segment=segment),
            )
        )
    responses_ingest(
        workspace_id=workspace.pk, source="api", answers=answers, request_metrics=False
    )


def _numbers(data):
    return (
        {m.touchpoint.pk: m.counts for m in data.moments},
        data.kpis.current,
        data.kpis.previous,
        [(p.start, p.counts) for p in data.trend],
        {p.moment.touchpoint.pk: [a.pk for a in p.answers] for p in data.pain},
    )


def _march(journey, **filters):
    return dashboard(
        workspace=journey.workspace,
        journeys=workspace_journeys(workspace_id=journey.workspace_id),
        journey=None,
        filters=DashboardFilter(period=MARCH, **filters),
    )


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
def test_a_segment_counts_as_the_stored_rows_of_its_answers_alone(workspace, journey, granularity):
    _ingest(workspace, journey)
    filtered = _numbers(_march(journey, segment="families", granularity=granularity))
    # The same answers alone, through the engine's stored rows.
    Response.objects.filter(customer__segment="Business").delete()
    recompute_counts(workspace.pk)
    alone = _numbers(_march(journey, granularity=granularity))
    assert filtered == alone
    assert sum(c.answers for c in filtered[0].values()) > 0


def test_the_page_says_which_parts_the_segment_filters(client, manager, workspace, journey):
    _ingest(workspace, journey)
    login(client, manager)
    page = client.get("/w/acme/dashboard/", {"segment": "Families"}).content.decode()
    assert "Customer segment: Families" in page
    assert "count only the answers of its customers" in page
    assert "count only the answers" not in client.get("/w/acme/dashboard/").content.decode()


def test_several_segments_in_one_query_count_as_each_alone(
    workspace, journey, django_assert_num_queries
):
    from metrics.read.segments import segment_period_counts, segments_period_counts

    _ingest(workspace, journey)
    with django_assert_num_queries(1):
        both = segments_period_counts(
            workspace_id=workspace.pk,
            journey_id=journey.pk,
            period=MARCH,
            segments=["families", "BUSINESS", "nobody"],
        )
    for segment in ("families", "BUSINESS"):
        alone = segment_period_counts(
            workspace_id=workspace.pk, journey_id=journey.pk, period=MARCH, segment=segment
        )
        assert both[segment] == alone
        assert sum(c.answers for c in alone.values()) > 0
    assert both["nobody"] == {}
