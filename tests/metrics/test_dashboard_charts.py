"""The dashboard's plotly figures: valid for plotly (the page skips validation for speed, so this
is where it happens), honest about small samples, and escaping what people typed."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import pytest
from django.utils import timezone

from journeys.models import MotStage, Touchpoint
from metrics.dashboard import tables
from metrics.dashboard.figures import (
    cohort_figure,
    curve_figure,
    heatmap_figure,
    impact_figure,
    trend_figure,
)
from metrics.models import MomentImpact, RetentionCohort
from tests.metrics.test_dashboard import add_day, march, tps


@pytest.fixture
def data(journey):
    t = tps(journey)
    t["Reviews"].title = "<b>Reviews</b> & more"
    t["Reviews"].save()
    add_day(t["Reviews"], date(2026, 3, 3), promoters=30, passives=5, detractors=5)
    add_day(t["Product page"], date(2026, 3, 10), promoters=5, passives=5, detractors=25)
    add_day(t["Checkout"], date(2026, 3, 17), promoters=3)  # too few
    for title, diff in (("Reviews", 12.5), ("Checkout", 30.0)):
        MomentImpact.objects.create(
            workspace_id=journey.workspace_id, touchpoint=t[title], basis="activities",
            window_days=90, glory_n=40, glory_retained=30, pain_n=40, pain_retained=20,
            difference=diff, low=diff - 20, high=diff + 10, enough=True,
            computed_at=timezone.now(),
        )  # fmt: skip
    for offset, active in enumerate([50, 25]):
        RetentionCohort.objects.create(
            workspace_id=journey.workspace_id, cohort=date(2026, 1, 1), offset=offset,
            customers=50, active=active, share=2.0 * active, basis="activities",
            computed_at=timezone.now(),
        )  # fmt: skip
    return march(journey, granularity="week")


def figures(data) -> dict[str, dict | None]:
    heat_links = {key: f"/answers/?cell={key[0]}" for key in data.heatmap.cells}
    return {
        "trend": trend_figure(data.trend),
        "heatmap": heatmap_figure(data.heatmap, heat_links, "No moment"),
        "curve": curve_figure(data.moments, data.weakest),
        "impact": impact_figure(data.impacts),
        "cohort": cohort_figure(data.cohorts, data.min_sample),
    }


def test_every_figure_is_valid_plotly(data):
    for name, figure in figures(data).items():
        assert figure is not None, name
        go.Figure(figure)  # raises on any property plotly does not know


def test_scores_below_the_minimum_sample_are_gaps_not_points(data):
    curve = figures(data)["curve"]["data"][0]
    titles = [m.touchpoint.title for m in data.moments]
    checkout = titles.index("Checkout")
    assert curve["y"][checkout] is None  # 3 answers: no point on the curve
    assert curve["y"][titles.index("Product page")] == pytest.approx(100 * (5 - 25) / 35)
    trend = figures(data)["trend"]["data"]
    nps = next(t for t in trend if t.get("name") == "NPS")
    assert nps["y"] == [pytest.approx(62.5), pytest.approx(-100 * 20 / 35), None]


def test_the_weakest_moment_is_marked_on_the_curve(data):
    assert data.weakest.touchpoint.title == "Product page"
    notes = figures(data)["curve"]["layout"]["annotations"]
    marked = [a for a in notes if a.get("text") == "Weakest moment"]
    assert len(marked) == 1
    assert marked[0]["x"] == [m.touchpoint.title for m in data.moments].index("Product page")


def test_heatmap_cells_carry_their_counts_and_answers_link(data, journey):
    heat = figures(data)["heatmap"]["data"][0]
    fmot = [code for code, _label in data.heatmap.columns].index(MotStage.FMOT)
    buy = [label for _id, label in data.heatmap.rows].index("Buy")
    n, glory, neutral, pain, link = heat["customdata"][buy][fmot]
    buy_id = Touchpoint.objects.get(title="Product page").stage_id
    assert (n, link) == (35, f"/answers/?cell={buy_id}")
    assert (glory, neutral, pain) == (
        pytest.approx(100 * 5 / 35),
        pytest.approx(100 * 5 / 35),
        pytest.approx(100 * 25 / 35),
    )
    assert heat["z"][buy][fmot] == pytest.approx(100 * (5 - 25) / 35)


def test_typed_text_is_escaped_for_plotly(data):
    curve = figures(data)["curve"]
    assert "&lt;b&gt;Reviews&lt;/b&gt; &amp; more" in curve["layout"]["xaxis"]["ticktext"]
    assert "<b>Reviews</b>" not in str(curve)


def test_impact_puts_the_costliest_moment_on_top(data):
    bars = figures(data)["impact"]["data"][0]
    assert bars["y"][-1] == "Checkout"  # plotly draws the last bar at the top
    assert bars["error_x"]["arrayminus"][-1] == pytest.approx(20)


def test_nothing_to_draw_gives_no_figure(journey):
    empty = march(journey)
    assert all(figure is None for figure in figures(empty).values())


def test_small_cohorts_are_left_out_of_the_retention_chart(journey):
    RetentionCohort.objects.create(
        workspace_id=journey.workspace_id, cohort=date(2026, 2, 1), offset=0, customers=29,
        active=29, share=100.0, basis="activities", computed_at=timezone.now(),
    )  # fmt: skip
    assert cohort_figure(RetentionCohort.objects.all(), 30) is None
    table = tables.cohort_table(RetentionCohort.objects.all())
    assert [(r.month, r.customers, r.shares) for r in table["rows"]] == [
        (date(2026, 2, 1), 29, ["100%"])
    ]
    assert table["rows"][0].cells == '<td class="num">100%</td>'


def test_tables_hold_the_same_numbers_as_the_charts(data):
    rows = {r.moment.touchpoint.title: r for r in tables.curve_table(data.moments, data.weakest)}
    assert rows["Product page"].score == "-57.1"  # (5 - 25) / 35
    assert rows["Product page"].shares == "14% · 14% · 71%"
    assert rows["Product page"].weakest
    assert rows["Checkout"].score == ""  # 3 answers: the page says "not enough answers"
    assert not rows["Checkout"].weakest
    trend = tables.trend_table(data.trend)
    nps = trend_figure(data.trend)["data"][2]
    assert trend[0].nps == f"62.5 ± {data.trend[0].nps.margin:.1f}"
    assert nps["y"][0] == pytest.approx(62.5)
    assert trend[2].nps == ""


def test_heatmap_table_cells_link_their_answers_and_flag_small_samples(data):
    links = {key: f"/answers/?cell={key[0]}&mot={key[1]}" for key in data.heatmap.cells}
    table = tables.heatmap_table(data.heatmap, links, "No moment", data.min_sample)
    rows = dict(table["rows"])
    fmot = [code for code, _label in data.heatmap.columns].index(MotStage.FMOT)
    buy_id = Touchpoint.objects.get(title="Product page").stage_id
    cells = rows["Buy"].split("</td>")
    score = '<a href="/answers/?cell={}&amp;mot=fmot">-57.1</a> <span class="sub">n=35</span>'
    assert cells[fmot] == "<td>" + score.format(buy_id)
    # Checkout (untagged, 3 answers) is in the last column; the other moments have none.
    assert cells[-2] == (
        f'<td><a href="/answers/?cell={buy_id}&amp;mot="><span class="not-enough">'
        "not enough answers — 3 of 30</span></a>"
    )
    assert cells.count("<td>—") == len(data.heatmap.columns) - 2
    assert table["columns"][-1] == "No moment"
