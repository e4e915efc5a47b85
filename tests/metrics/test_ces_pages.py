"""CES (Customer Effort Score, 1-7) from the answers to every page that shows CSAT: answers
stored, the engine run, and the pages read; the expectations are computed by hand below.

Reviews (stage Research), 2026-03-05: 30 answers, CES 7, 6, 5, 4, 1 six times each:
easy (5-7) 18 of 30 = 60 %, mean 6 x 23 / 30 = 4.6.
Reviews, 2026-02-10 (the period before March 2-31): 30 answers, CES 5, 1, 1, 1, 2 six times:
easy 6 of 30 = 20 %, mean 60 / 30 = 2.0; March against it: +40 points.
Product page (stage Buy), 2026-01-15 (in neither period): 3 answers, CES 7.
All time, the workspace: 63 CES answers, easy 27 = 42.857 %, mean 219 / 63 = 3.476.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from feedback.models import Customer, Response, Source
from journeys.models import LaneKind, Touchpoint
from journeys.services.lanes import lane_create
from metrics import engine
from tests.conftest import login

DASHBOARD = "/w/acme/dashboard/"
EXPORT = "/w/acme/dashboard/export/"
OVERVIEW = "/w/acme/metrics/"
MARCH = {"period": "custom", "date_from": "2026-03-02", "date_to": "2026-03-31"}


def _answers(tp: Touchpoint, day: date, ces_values: list[int | None], name: str, customer=None):
    return [
        Response(
            workspace_id=tp.journey.workspace_id,
            touchpoint=tp,
            source=Source.API,
            external_id=f"{name}-{i}",
            submitted_at=datetime.combine(day, time(12), tzinfo=UTC),
            nps=9,
            ces=value,
            customer=customer,
        )
        for i, value in enumerate(ces_values)
    ]


@pytest.fixture
def answered(journey):
    t = {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}
    family = Customer.objects.create(
        workspace_id=journey.workspace_id, external_id="c-1", segment="Families"
    )
    Response.objects.bulk_create(
        [
            *_answers(t["Reviews"], date(2026, 3, 5), [7, 6, 5, 4, 1] * 6, "mar", family),
            *_answers(t["Reviews"], date(2026, 2, 10), [5, 1, 1, 1, 2] * 6, "feb"),
            *_answers(t["Product page"], date(2026, 1, 15), [7, 7, 7], "jan"),
            # Without CES: counted in the answers and the moment, never in CES.
            *_answers(t["Checkout"], date(2026, 3, 6), [None, None], "none"),
        ]
    )
    engine.recompute_counts(journey.workspace_id)
    return journey


def _tile(html: str) -> str:
    return html.split('id="kpi-ces"')[1].split("</div>")[0]


def test_the_dashboard_tile_shows_the_period_s_ces_and_its_change(client, manager, answered):
    login(client, manager)
    html = client.get(DASHBOARD, {"journey": answered.pk, **MARCH}).content.decode()
    tile = _tile(html)
    assert "60.0 %" in tile
    assert "mean 4.60 of 7 · 30 CES answers" in tile
    assert "+40.0" in tile  # 60 % against 20 %
    assert "beyond noise" in tile


def test_a_segment_s_dashboard_counts_its_own_ces_answers(client, manager, answered):
    # Only March's answers belong to a customer of the segment: the same 60 %, and no CES
    # answers in the previous period.
    login(client, manager)
    html = client.get(DASHBOARD, {**MARCH, "segment": "Families"}).content.decode()
    tile = _tile(html)
    assert "60.0 %" in tile
    assert "mean 4.60 of 7 · 30 CES answers" in tile
    assert "No answers in the previous period." in tile


def test_under_the_minimum_sample_the_tile_says_not_enough(client, manager, answered):
    login(client, manager)
    period = {"period": "custom", "date_from": "2026-01-15", "date_to": "2026-01-15"}
    tile = _tile(client.get(DASHBOARD, period).content.decode())
    assert "not enough answers — 3 of 30" in tile
    assert "3 CES answers" in tile
    assert "%" not in tile


def test_the_csv_has_each_touchpoint_s_ces(client, manager, answered):
    login(client, manager)
    response = client.get(EXPORT, {"journey": answered.pk, **MARCH})
    rows = {
        r["Touchpoint"]: r
        for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    reviews = rows["Reviews"]
    assert (reviews["CES 5-7 (%)"], reviews["CES mean (1-7)"], reviews["CES answers"]) == (
        "60.0",
        "4.6",
        "30",
    )
    assert (rows["Checkout"]["CES 5-7 (%)"], rows["Checkout"]["CES answers"]) == ("", "0")


def test_the_overview_shows_the_all_time_ces(client, manager, answered):
    login(client, manager)
    html = client.get(OVERVIEW).content.decode()
    shown = html.split('id="kpi-ces">')[1].split("</dd>")[0]
    assert "42.9 %" in shown  # 27 of 63
    assert "mean 3.48 of 7" in shown  # 219 / 63


def test_the_overview_flags_too_few_ces_answers(client, manager, journey):
    tp = Touchpoint.objects.get(journey=journey, title="Reviews")
    # 40 answers, enough for the moment score, but only 5 carry a CES.
    Response.objects.bulk_create(_answers(tp, date(2026, 3, 5), [6] * 5 + [None] * 35, "few"))
    engine.recompute_counts(journey.workspace_id)
    login(client, manager)
    html = client.get(OVERVIEW).content.decode()
    shown = html.split('id="kpi-ces">')[1].split("</dd>")[0]
    assert "not enough answers — 5 of 30" in shown
    assert "%" not in shown


def test_the_map_s_metrics_lane_shows_each_stage_s_ces(client, editor, answered):
    research, buy = answered.stages.order_by("position")
    lane_create(actor=editor, journey=answered, kind=LaneKind.METRICS)
    login(client, editor)
    url = reverse("journeys:map", kwargs={"ws": "acme", "pk": answered.pk})
    html = client.get(url).content.decode()
    cells = dict(
        re.findall(r'<div class="lane-cell metric-cell" data-stage-id="(\d+)">(.*?)</div>', html)
    )
    # Research: 60 CES answers, 24 easy (18 + 6) = 40 %.
    assert "<dt>CES (5–7)</dt><dd>40%</dd>" in cells[str(research.pk)]
    # Buy: the Product page's 3 CES answers (Checkout's 2 answers have none).
    assert "<dt>CES (5–7)</dt><dd>3 answers, fewer than 30</dd>" in cells[str(buy.pk)]


def test_the_dashboard_s_pain_comments_show_the_answer_s_ces(client, manager, journey):
    tp = Touchpoint.objects.get(journey=journey, title="Reviews")
    hard, silent = _answers(tp, date(2026, 3, 5), [2, None], "pain")
    hard.nps, hard.comment = 3, "Could not find the returns form"
    silent.nps, silent.comment = 1, "Slow"
    Response.objects.bulk_create([hard, silent])
    engine.recompute_counts(journey.workspace_id)
    login(client, manager)
    html = client.get(DASHBOARD, MARCH).content.decode()
    assert "Could not find the returns form</q>" in html
    assert re.search(r"returns form</q> <span class=\"sub\">[^<]* · NPS 3 · CES 2</span>", html)
    assert re.search(r"Slow</q> <span class=\"sub\">[^<]* · NPS 1</span>", html)
