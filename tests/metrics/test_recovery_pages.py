"""Service recovery on the dashboard (a tile, a chart with its table, the filters) and on the
Metrics page, from the hand-computed follow-ups of tests/metrics/conftest.py (``worked``).
The pages' pinned query counts include these reads: tests/metrics/test_dashboard.py and
test_views.py."""

from __future__ import annotations

import json
from datetime import date

import plotly.graph_objects as go
import pytest
from django.utils import timezone

from journeys.models import Channel
from metrics import engine
from metrics.dashboard.page import dashboard
from metrics.dashboard.recovery import recovery_figure
from metrics.models import RecoveryEffect
from metrics.read.dashboard import DashboardFilter, Period, workspace_journeys
from metrics.templatetags.recovery import duration
from tests.conftest import login

DASHBOARD = "/w/acme/dashboard/"
MAY_4_5 = {"period": "custom", "date_from": "2026-05-04", "date_to": "2026-05-05"}


def _effect(journey, *, enough: bool = True, **fields) -> RecoveryEffect:
    values = {
        "recovered_n": 40, "recovered_returned": 30, "other_n": 50, "other_returned": 25,
        "not_recovered_n": 20, "difference": 25.0, "low": 6.5, "high": 41.2,
    }  # fmt: skip
    values.update(fields)
    return RecoveryEffect.objects.create(
        workspace_id=journey.workspace_id, journey=journey, basis="activities", window_days=90,
        enough=enough, computed_at=timezone.now(), **values,
    )  # fmt: skip


@pytest.fixture
def computed(journey, worked):
    engine.recompute_recovery(journey.workspace_id, today=date(2026, 5, 20))
    return worked


def _part(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}"', 1)[1].split("</div>", 1)[0]


def test_the_tile_shows_the_share_recovered_and_the_effect(client, manager, journey, computed):
    _effect(journey)
    login(client, manager)

    html = client.get(DASHBOARD, {"journey": journey.pk, **MAY_4_5}).content.decode()

    tile = _part(html, "kpi-recovery")
    assert "50.0 %" in tile  # A recovered of A and B; D needed no action
    assert "recovered: 1 of 2 follow-ups closed with an outcome" in tile
    assert "+25.0 points" in tile
    assert "95%: 6.5 to 41.2" in tile


def test_the_chart_and_its_table_count_the_follow_ups_opened_in_the_period(
    client, manager, journey, computed
):
    reviews, _checkout = computed
    login(client, manager)

    html = client.get(DASHBOARD, {"journey": journey.pk, **MAY_4_5}).content.decode()

    assert _part(html, "recovery-opened").startswith(">4<")  # A, B, C, D; E opened May 6
    assert "4.0 h" in _part(html, "recovery-response")  # (2 + 4 + 6) / 3
    assert "32.0 h" in _part(html, "recovery-close")  # (24 + 48 + 24) / 3
    assert _part(html, "recovery-overdue").startswith(">1<")  # C
    figure = json.loads(html.split('id="figure-recovery"', 1)[1].split(">", 1)[1].split("<")[0])
    bars = {
        trace["name"]: dict(zip(trace["y"], trace["x"], strict=True)) for trace in figure["data"]
    }
    assert bars["Recovered"] == {"Checkout": 0, "Reviews": 1}
    assert bars["Not recovered"] == {"Checkout": 0, "Reviews": 1}
    assert bars["No action needed"] == {"Checkout": 1, "Reviews": 0}
    assert bars["Open or in progress"] == {"Checkout": 0, "Reviews": 1}
    table = html.split('id="table-recovery"', 1)[1].split("</table>", 1)[0]
    reviews_row = table.split(f"#tp-{reviews.pk}", 1)[1].split("</tr>", 1)[0]
    assert "3.0 h" in reviews_row  # A at 2 h, B at 4 h
    assert "36.0 h" in reviews_row  # A at 24 h, B at 48 h
    assert "50 %" in reviews_row


def test_the_channel_filter_keeps_its_touchpoints_follow_ups(journey, computed):
    reviews, _checkout = computed
    assert reviews.channel == Channel.REVIEW_SITE
    data = dashboard(
        workspace=journey.workspace,
        journeys=workspace_journeys(workspace_id=journey.workspace_id),
        journey=None,
        filters=DashboardFilter(period=Period(), channel=Channel.REVIEW_SITE),
    )
    assert [r.touchpoint.pk for r in data.recovery.rows] == [reviews.pk]
    assert data.recovery.total.opened == 3
    go.Figure(recovery_figure(data.recovery))  # valid for plotly


def test_a_period_without_follow_ups_says_so(client, manager, journey, computed):
    login(client, manager)
    html = client.get(DASHBOARD, {"period": "30"}).content.decode()
    assert "No follow-ups opened in this period." in html
    assert 'id="figure-recovery"' not in html
    assert "Recovery effect: not computed yet." in html


def test_an_effect_under_the_minimum_sample_is_not_a_number(client, manager, journey, computed):
    _effect(journey, enough=False, recovered_n=4, other_n=12, difference=30.0)
    login(client, manager)
    html = client.get(DASHBOARD, {"journey": journey.pk, **MAY_4_5}).content.decode()
    tile = _part(html, "kpi-recovery")
    assert "not enough data — 4 recovered and 12 other pain customers, of 30 each" in tile
    assert "+30.0" not in tile


def test_the_metrics_page_shows_the_workspace_and_each_journey(client, manager, journey, computed):
    _effect(journey)
    login(client, manager)

    html = client.get("/w/acme/metrics/").content.decode()

    row = html.split('id="recovery-workspace"', 1)[1].split("</tr>", 1)[0]
    assert ">5<" in row
    assert "5.5 h" in row  # (2 + 4 + 6 + 10) / 4
    assert "32.0 h" in row  # (24 + 48 + 24) / 3
    assert "50.0 %" in row
    assert "—" in row  # no workspace effect stored
    journey_row = html.split(f"?journey={journey.pk}#chart-recovery", 1)[1].split("</tr>", 1)[0]
    assert "+25.0 points" in journey_row


@pytest.mark.parametrize(
    ("hours", "text"),
    [(None, "—"), (0.24, "0.2 h"), (47.94, "47.9 h"), (48, "2.0 days"), (80, "3.3 days")],
)
def test_durations_read_in_hours_then_days(hours, text):
    assert duration(hours) == text
