"""Expectation diagnostics: hand-computed statistics, property tests of the intervals, the stored
sums (a full rebuild equals the incremental update after new answers) and the period read."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from feedback.models import Response, Source
from journeys.models import Touchpoint
from metrics import engine
from metrics.expectations import Sums, diagnose, rating, separation
from metrics.models import EXPECTATION_FIELDS, EXPECTATIONS, ExpectationCounts
from metrics.read.dashboard import Period
from metrics.read.expectations import expectation_sums
from metrics.stats import mean_ci, t975, wilson_ci
from tests.conftest import login
from tests.metrics.test_dashboard import URL, march, tps


def sums_of(ratings: list[tuple[str, int | None]], expectation: str = "respect") -> Sums:
    """The sums of answers given as (experience, rating of ``expectation``)."""
    values: dict[str, int] = {}
    for experience, value in ratings:
        if value is None:
            continue
        for part, add in (("n", 1), ("sum", value), ("low", int(value <= 2))):
            key = f"{expectation}_{experience}_{part}"
            values[key] = values.get(key, 0) + add
        values[f"{expectation}_squares"] = values.get(f"{expectation}_squares", 0) + value**2
    return Sums(values)


# --- hand-computed -----------------------------------------------------------------------------


def test_mean_and_its_t_interval_by_hand():
    # Ratings 1, 2, 3, 4: mean 2.5, s^2 = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3,
    # t(0.975, 3) = 3.182446305, half = 3.182446305 * sqrt(5/3 / 4) = 2.0541...
    mean, low, high = mean_ci(4, 10, 30)
    half = 3.182446305 * math.sqrt(5 / 12)
    assert mean == 2.5
    assert low == pytest.approx(2.5 - half)
    assert high == pytest.approx(2.5 + half)
    assert half == pytest.approx(2.05426, abs=1e-5)
    assert mean_ci(1, 4, 16) == (4.0, 4.0, 4.0)
    assert mean_ci(0, 0, 0) is None


def test_t_quantiles_against_the_table():
    table = {1: 12.7062, 5: 2.5706, 9: 2.2622, 10: 2.2281, 20: 2.0860, 30: 2.0423, 120: 1.9799}
    for df, value in table.items():
        assert t975(df) == pytest.approx(value, abs=1e-4)


def test_wilson_share_by_hand():
    # x = 3, n = 10, z^2 = 3.8415: centre (3 + 1.9207) / 13.8415 = 0.35550,
    # half 1.96 * sqrt(3 * 7 / 10 + 0.96037) / 13.8415 = 0.24772.
    low, high = wilson_ci(3, 10)
    assert low == pytest.approx(10.78, abs=0.01)
    assert high == pytest.approx(60.32, abs=0.01)
    assert wilson_ci(0, 0) is None


def test_rating_of_a_scope_by_hand():
    sums = sums_of([("pain", 1), ("pain", 2), ("neutral", 3), ("glory", 4), ("glory", None)])
    r = rating(sums, "respect", min_sample=4)
    assert (r.n, r.mean, r.low_share, r.enough) == (4, 2.5, 50.0, True)
    assert (r.low_share_low, r.low_share_high) == pytest.approx(wilson_ci(2, 4))
    assert not rating(sums, "respect", min_sample=5).enough
    empty = rating(sums, "solutions", min_sample=1)
    assert (empty.n, empty.mean, empty.low_share, empty.enough) == (0, None, None, False)


def test_separation_of_pain_from_glory_by_hand():
    # Pain: 7 of 10 rate responsibility low; glory: 1 of 20. 70% - 5% = 65 points.
    sums = sums_of(
        [("pain", 1)] * 7 + [("pain", 4)] * 3 + [("glory", 2)] + [("glory", 5)] * 19,
        "responsibility",
    )
    s = separation(sums, "responsibility", min_sample=10)
    assert (s.pain_low_share, s.glory_low_share, s.difference) == (70.0, 5.0, 65.0)
    # Newcombe's method 10 from the Wilson limits of 7/10 (39.68, 89.22) and 1/20 (0.89, 23.61).
    assert s.low == pytest.approx(65 - math.hypot(70 - 39.678, 23.613 - 5), abs=0.01)
    assert s.high == pytest.approx(65 + math.hypot(89.222 - 70, 5 - 0.889), abs=0.01)
    assert s.enough
    assert not separation(sums, "responsibility", min_sample=11).enough


def test_the_separator_is_the_largest_enough_difference_ties_to_the_first():
    values = {}
    for e, pain_low in (("respect", 3), ("solutions", 8), ("simplicity", 8), ("responsibility", 9)):
        values |= sums_of([("pain", 1)] * pain_low + [("pain", 5)] * (10 - pain_low), e).values
        values |= {f"{e}_glory_n": 10, f"{e}_glory_sum": 50}
    values["responsibility_glory_n"] = 2  # the largest difference, on too few glory answers
    d = diagnose(Sums(values), min_sample=10)
    assert d.separator.expectation == "solutions"  # 80 points, as simplicity: the first wins
    # Low shares: respect 3 of 20, solutions and simplicity 8 of 20, responsibility 9 of 12.
    assert d.weakest.expectation == "responsibility"
    values["responsibility_glory_n"] = 0
    values["responsibility_pain_n"] = 9  # below the minimum sample: out of the running
    assert diagnose(Sums(values), min_sample=10).weakest.expectation == "solutions"
    assert diagnose(Sums(), min_sample=1).separator is None


# --- properties of the intervals ---------------------------------------------------------------


@given(st.integers(0, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_share_inside_0_100(xn):
    x, n = xn
    interval = wilson_ci(x, n)
    if n == 0:
        assert interval is None
        return
    low, high = interval
    assert 0 <= low <= 100 * x / n <= high <= 100


@given(st.lists(st.integers(1, 5), min_size=1, max_size=300))
def test_mean_interval_contains_the_mean_and_narrows_with_spread(ratings):
    n, total, squares = len(ratings), sum(ratings), sum(r * r for r in ratings)
    mean, low, high = mean_ci(n, total, squares)
    assert mean == pytest.approx(total / n)
    assert 1 - 1e-9 <= mean <= 5 + 1e-9
    assert low <= mean <= high
    if len(set(ratings)) == 1:
        assert high - low == pytest.approx(0, abs=1e-9)


@given(st.integers(10, 10_000))
def test_t_quantile_falls_towards_the_normal(df):
    assert 1.959963984540054 < t975(df + 1) < t975(df)


# --- stored sums -------------------------------------------------------------------------------

FIRST = date(2026, 3, 1)


def rated_answers(workspace, touchpoints, count, seed, prefix="a"):
    rnd = random.Random(seed)
    rows = []
    for i in range(count):
        day = FIRST + timedelta(days=rnd.randrange(20))
        ratings = {e: rnd.choice([None, 1, 2, 3, 4, 5]) for e in EXPECTATIONS}
        if rnd.random() < 0.3:
            ratings = dict.fromkeys(EXPECTATIONS)
        rows.append(
            Response(
                workspace=workspace,
                touchpoint=rnd.choice(touchpoints),
                source=Source.API,
                external_id=f"{prefix}{i}",
                submitted_at=datetime.combine(day, time(rnd.randrange(24)), tzinfo=UTC),
                nps=rnd.randint(0, 10),
                **ratings,
            )
        )
    Response.objects.bulk_create(rows)


def stored(workspace_id):
    return {
        (row["touchpoint_id"], row["day"]): tuple(row[f] for f in EXPECTATION_FIELDS)
        for row in ExpectationCounts.objects.filter(workspace_id=workspace_id).values(
            "touchpoint_id", "day", *EXPECTATION_FIELDS
        )
    }


def reference(workspace_id):
    """The sums computed in Python from the answers, row by row."""
    out: dict = {}
    for a in Response.objects.filter(workspace_id=workspace_id):
        if all(getattr(a, e) is None for e in EXPECTATIONS):
            continue
        key = (a.touchpoint_id, a.submitted_at.astimezone(UTC).date())
        values = out.setdefault(key, dict.fromkeys(EXPECTATION_FIELDS, 0))
        for e in EXPECTATIONS:
            v = getattr(a, e)
            if v is None:
                continue
            values[f"{e}_{a.experience}_n"] += 1
            values[f"{e}_{a.experience}_sum"] += v
            values[f"{e}_{a.experience}_low"] += v <= 2
            values[f"{e}_squares"] += v * v
    return {k: tuple(v[f] for f in EXPECTATION_FIELDS) for k, v in out.items()}


@pytest.fixture
def utc(settings):
    settings.TIME_ZONE = "UTC"


def test_full_rebuild_stores_the_reference_sums(db, utc, workspace, journey):
    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    rated_answers(workspace, touchpoints, 300, seed=1)
    engine.recompute_counts(workspace.pk)
    assert stored(workspace.pk) == reference(workspace.pk)
    assert ExpectationCounts.objects.filter(workspace=workspace).exists()


def test_incremental_update_equals_a_full_rebuild(db, utc, workspace, journey):
    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    rated_answers(workspace, touchpoints, 200, seed=2)
    engine.recompute_counts(workspace.pk)
    untouched = ExpectationCounts.objects.filter(workspace=workspace).values_list(
        "pk", "computed_at"
    )
    before = dict(untouched)
    rated_answers(workspace, touchpoints[:1], 15, seed=3, prefix="new")
    engine.update_counts(workspace.pk, journey_ids=[journey.pk])
    incremental = stored(workspace.pk)
    assert incremental == reference(workspace.pk)
    kept = sum(1 for pk, at in untouched if before.get(pk) == at)
    assert kept > 0  # other touchpoints' days were not rewritten
    engine.recompute_counts(workspace.pk)
    assert stored(workspace.pk) == incremental


def stamps(workspace_id):
    return dict(
        ExpectationCounts.objects.filter(workspace_id=workspace_id).values_list("pk", "computed_at")
    )


def test_a_rebuild_counts_again_only_the_days_whose_answers_changed(db, utc, workspace, journey):
    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    rated_answers(workspace, touchpoints, 200, seed=5)
    engine.recompute_counts(workspace.pk)
    before = stamps(workspace.pk)
    # New answers on some days, and every rated answer of one stored day deleted, another
    # day's answers halved: a full rebuild (no incremental update in between).
    rated_answers(workspace, touchpoints[:1], 10, seed=6, prefix="new")
    rated = Response.objects.filter(workspace=workspace).exclude(
        respect=None, solutions=None, simplicity=None, responsibility=None
    )
    emptied, halved = ExpectationCounts.objects.filter(workspace=workspace).order_by("pk")[:2]
    for row, keep in ((emptied, 0), (halved, 1)):
        day = rated.filter(touchpoint_id=row.touchpoint_id, submitted_at__date=row.day)
        Response.objects.filter(pk__in=list(day.values_list("pk", flat=True)[keep:])).delete()
    engine.recompute_counts(workspace.pk)
    assert stored(workspace.pk) == reference(workspace.pk)
    after = stamps(workspace.pk)
    assert emptied.pk not in after
    kept = [pk for pk, at in after.items() if before.get(pk) == at]
    if connection.vendor == "postgresql":  # SQLite, the embedded default, writes every row
        assert 0 < len(kept) < len(before) - 1  # the unchanged days' rows were not written again
    fresh = {(r.touchpoint_id, r.day): (r.rated, r.rated_ids) for r in
             ExpectationCounts.objects.filter(workspace=workspace)}  # fmt: skip
    expected: dict = {}
    for answer in rated:
        key = (answer.touchpoint_id, answer.submitted_at.date())
        n, ids = expected.get(key, (0, 0))
        expected[key] = (n + 1, ids + answer.pk)
    assert fresh == expected


def test_a_rebuild_recounts_rows_without_a_fingerprint(db, utc, workspace, journey, monkeypatch):
    """Rows stored before the fingerprint (0, 0) or with wrong sums and a wrong fingerprint are
    counted again, both below and past CHANGED_DAYS_LIMIT (every row merged from the answers)."""
    from metrics.engine import expectations as engine_expectations

    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    rated_answers(workspace, touchpoints, 150, seed=7)
    for limit in (engine_expectations.CHANGED_DAYS_LIMIT, 0):
        monkeypatch.setattr(engine_expectations, "CHANGED_DAYS_LIMIT", limit)
        engine.recompute_counts(workspace.pk)
        ExpectationCounts.objects.filter(workspace=workspace).update(
            rated=0, rated_ids=0, respect_pain_n=99
        )
        engine.recompute_counts(workspace.pk)
        assert stored(workspace.pk) == reference(workspace.pk)


def test_period_read_sums_the_days(db, utc, workspace, journey, django_assert_num_queries):
    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    rated_answers(workspace, touchpoints, 200, seed=4)
    engine.recompute_counts(workspace.pk)
    period = Period(FIRST + timedelta(days=5), FIRST + timedelta(days=9))
    with django_assert_num_queries(1):
        sums = expectation_sums(workspace_id=workspace.pk, period=period)
    expected: dict = {}
    for (tp, day), values in reference(workspace.pk).items():
        if period.start <= day <= period.end:
            total = expected.setdefault(tp, [0] * len(values))
            expected[tp] = [a + b for a, b in zip(total, values, strict=True)]
    assert {tp: [s.get(f) for f in EXPECTATION_FIELDS] for tp, s in sums.items()} == expected
    everything = expectation_sums(workspace_id=workspace.pk, period=Period())
    assert (
        sum(s.n("respect") for s in everything.values())
        == Response.objects.filter(workspace=workspace, respect__isnull=False).count()
    )


def test_every_way_of_reading_sums_agrees(db, utc, workspace, journey, django_assert_num_queries):
    """The prepared statements (a workspace or a journey, a period or all time) and the ORM's
    (a list of touchpoints) read the same sums."""
    touchpoints = list(Touchpoint.objects.filter(journey=journey))
    rated_answers(workspace, touchpoints, 200, seed=9)
    engine.recompute_counts(workspace.pk)
    ids = [tp.pk for tp in touchpoints]
    for period in (Period(), Period(FIRST + timedelta(days=3), FIRST + timedelta(days=11))):
        listed = expectation_sums(workspace_id=workspace.pk, period=period, touchpoint_ids=ids)
        assert listed
        for journey_id in (None, journey.pk):
            with django_assert_num_queries(1):
                read = expectation_sums(
                    workspace_id=workspace.pk, period=period, journey_id=journey_id
                )
            assert {tp: s.values for tp, s in read.items()} == {
                tp: s.values for tp, s in listed.items()
            }


# --- the dashboard -----------------------------------------------------------------------------


def add_expectations(tp, day, ratings: list[tuple[str, dict[str, int]]]) -> None:
    """One stored day of a touchpoint's expectation sums, from answers given as (experience,
    {expectation: rating})."""
    values = dict.fromkeys(EXPECTATION_FIELDS, 0)
    for experience, rated in ratings:
        for e, v in rated.items():
            values[f"{e}_{experience}_n"] += 1
            values[f"{e}_{experience}_sum"] += v
            values[f"{e}_{experience}_low"] += v <= 2
            values[f"{e}_squares"] += v * v
    ExpectationCounts.objects.create(
        workspace_id=tp.journey.workspace_id,
        journey_id=tp.journey_id,
        touchpoint=tp,
        day=day,
        computed_at=datetime(2026, 4, 1, tzinfo=UTC),
        **values,
    )


@pytest.fixture
def diagnosed(journey):
    """Checkout: 10 pain answers, 7 rating responsibility low (and respect 4), 20 glory, 1 low
    on responsibility; Reviews: 3 answers (too few)."""
    t = tps(journey)
    checkout = (
        [("pain", {"respect": 4, "responsibility": 1})] * 7
        + [("pain", {"respect": 4, "responsibility": 4})] * 3
        + [("glory", {"respect": 5, "responsibility": 2})]
        + [("glory", {"respect": 5, "responsibility": 5})] * 19
    )
    add_expectations(t["Checkout"], date(2026, 3, 5), checkout)
    add_expectations(t["Checkout"], date(2026, 1, 5), [("pain", {"respect": 1})] * 50)  # before
    add_expectations(t["Reviews"], date(2026, 3, 6), [("glory", {"respect": 5})] * 3)
    journey.workspace.min_sample = 10
    journey.workspace.save(update_fields=["min_sample"])
    return t


def test_the_dashboard_diagnoses_the_period_by_hand(diagnosed, journey):
    panel = march(journey).expectations
    assert [row.moment.touchpoint.title for row in panel.rows] == ["Reviews", "Checkout"]
    checkout = panel.rows[1].diagnosis
    # Responsibility: 8 low of 30 (26.7%); mean (7*1 + 3*4 + 2 + 19*5) / 30 = 116/30.
    r = checkout.rating("responsibility")
    assert (r.n, r.low_share, r.mean) == (30, pytest.approx(100 * 8 / 30), pytest.approx(116 / 30))
    s = checkout.separator
    assert (s.expectation, s.difference) == ("responsibility", pytest.approx(65.0))
    assert panel.scope.separator.expectation == "responsibility"  # Reviews has no pain answers
    assert not panel.rows[0].diagnosis.rating("respect").enough  # 3 of 10


def test_the_dashboard_page_shows_the_heatmap_table_and_headline(
    client, manager, diagnosed, journey
):
    login(client, manager)
    query = {"journey": journey.pk, "period": "custom", "date_from": "2026-03-02",
             "date_to": "2026-03-31"}  # fmt: skip
    html = client.get(URL, query).content.decode()
    figure = html.split('id="chart-expectations"')[1].split("</figure>")[0]
    # 65 points, Newcombe's interval as in test_separation_of_pain_from_glory_by_hand.
    assert "let down most on <strong>Responsibility</strong> (+65 points" in figure
    assert "95%: 29 to 85)" in figure  # 29.42 and 84.66
    assert 'id="figure-expectations"' in figure
    table = figure.split('id="table-expectations"')[1]
    assert f"?touchpoint={diagnosed['Checkout'].pk}&amp;date_from=2026-03-02" in table
    assert '27% <span class="sub">(95%: 14 to 44) · mean 3.87 · n=30</span>' in table
    assert "not enough data (3 of 10)" in table


def test_the_expectations_figure_is_valid_plotly(diagnosed, journey):
    import plotly.graph_objects as go

    from metrics.dashboard.expectations import expectations_figure

    panel = march(journey).expectations
    figure = expectations_figure(panel, {diagnosed["Checkout"].pk: "/link"})
    go.Figure(figure)
    heat = figure["data"][0]
    assert heat["z"][1][3] == pytest.approx(100 * 8 / 30)
    assert heat["z"][0] == [None, None, None, None]  # Reviews: 3 ratings of 10
    assert heat["customdata"][1][0][4] == "/link"
    assert expectations_figure(type(panel)([], 0, panel.scope), {}) is None


def test_the_card_says_what_lets_customers_down_over_90_days(client, staff, journey):
    from django.utils import timezone

    t = tps(journey)
    journey.workspace.min_sample = 10
    journey.workspace.save(update_fields=["min_sample"])
    today = timezone.localdate()
    pain = [("pain", {"responsibility": 1})] * 7 + [("pain", {"responsibility": 4})] * 3
    glory = [("glory", {"responsibility": 2})] + [("glory", {"responsibility": 5})] * 19
    add_expectations(t["Checkout"], today, pain + glory)
    add_expectations(t["Checkout"], today - timedelta(days=90), [("glory", {"respect": 1})] * 40)
    add_expectations(t["Reviews"], today, [("glory", {"respect": 5})] * 3)
    login(client, staff)
    html = client.get(f"/w/acme/journeys/{journey.pk}/").content.decode()
    card = html.split(f'id="tp-{t["Checkout"].pk}"')[1].split("</details>")[0]
    assert (
        "<summary>Customers in pain are let down on Responsibility "
        "(+65 points, 95%: 29 to 85)</summary>"
    ) in card
    assert "Responsibility: 27% rated 1 or 2 (95%: 14 to 44), mean 3.9, n=30" in card
    assert "Respect: not enough data (0 of 10)" in card  # the day 90 days ago is outside
    reviews = html.split(f'id="tp-{t["Reviews"].pk}"')[1].split("</li>")[0]
    assert "Expectations: not enough data (3 of 10 ratings)" in reviews
    product = html.split(f'id="tp-{t["Product page"].pk}"')[1].split('class="card"')[0]
    assert "card-why" not in product
    # A card swapped alone draws the same.
    alone = client.get(f"/w/acme/touchpoints/{t['Checkout'].pk}/", headers={"HX-Request": "true"})
    assert "let down on Responsibility" in alone.content.decode()


def test_diagnoses_without_the_unrated_leave_them_out():
    from metrics.read.expectations import diagnoses

    rated = Sums({"respect_glory_n": 3, "respect_glory_sum": 15})
    every = diagnoses({1: rated}, [1, 2, 3], min_sample=10)
    assert sorted(every) == [1, 2, 3]
    assert every[2].rated == every[3].rated == 0
    only = diagnoses({1: rated}, [1, 2, 3], min_sample=10, unrated=False)
    assert list(only) == [1]
    assert only[1] == every[1]


def test_my_touchpoints_names_each_ones_weakest_expectation(client, staff, journey):
    from django.utils import timezone

    t = tps(journey)
    Touchpoint.objects.filter(journey=journey).update(owner=staff)
    journey.workspace.min_sample = 10
    journey.workspace.save(update_fields=["min_sample"])
    today = timezone.localdate()
    # Checkout: simplicity 6 of 12 low (50%), respect 2 of 12; Reviews: 4 ratings of 10.
    add_expectations(
        t["Checkout"],
        today,
        [("pain", {"simplicity": 1, "respect": 2})] * 2
        + [("neutral", {"simplicity": 2, "respect": 4})] * 4
        + [("glory", {"simplicity": 5, "respect": 5})] * 6,
    )
    add_expectations(t["Reviews"], today, [("glory", {"respect": 5})] * 4)
    login(client, staff)
    html = client.get("/w/acme/my-touchpoints/").content.decode()
    checkout = html.split(f'id="owned-{t["Checkout"].pk}"')[1].split("</tbody>")[0]
    cell = checkout.split('class="owned-expectation">')[1].split("</td>")[0]
    assert "<strong>Simplicity</strong>" in cell
    low, high = wilson_ci(6, 12)
    assert f"50% rated 1 or 2 (95%: {low:.0f} to {high:.0f}) of 12" in cell
    reviews = html.split(f'id="owned-{t["Reviews"].pk}"')[1].split("</tbody>")[0]
    assert "Not enough data — 4 of 10" in reviews
    product = html.split(f'id="owned-{t["Product page"].pk}"')[1].split("</tbody>")[0]
    assert '<td class="owned-expectation"><span class="hint">—</span>' in product
