"""Hand-computed fixtures for every function in metrics.compute (the arithmetic is in comments)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from metrics.compute import (
    DEFAULT_MIN_SAMPLE,
    Ces,
    Change,
    Counts,
    Csat,
    Moment,
    Nps,
    ces,
    ces_change,
    churn_and_repurchase,
    csat,
    csat_change,
    difference_ci,
    forgettable,
    impact,
    moment,
    moment_change,
    net_score_change,
    nps,
    nps_change,
    retention_cohorts,
    weakest,
)
from tests.metrics import counts_from_answers

# --- Counts ---------------------------------------------------------------------------------


def test_counts_add_field_by_field():
    a = Counts(answers=3, promoters=1, passives=1, detractors=1, glory=1, neutral=1, pain=1)
    b = Counts(answers=2, csat_answers=2, csat_top2=1, csat_sum=7, glory=1, pain=1)
    b += Counts(ces_answers=2, ces_easy=1, ces_sum=9)
    assert a + b == Counts(
        answers=5,
        promoters=1,
        passives=1,
        detractors=1,
        csat_answers=2,
        csat_top2=1,
        csat_sum=7,
        ces_answers=2,
        ces_easy=1,
        ces_sum=9,
        glory=2,
        neutral=1,
        pain=2,
    )
    assert (a + b).nps_answers == 3


def test_counts_total_sums_days_and_is_zero_for_none():
    days = [Counts(answers=1, glory=1), Counts(answers=2, pain=2), Counts(answers=4, neutral=4)]
    assert Counts.total(days) == Counts(answers=7, glory=1, neutral=4, pain=2)
    assert Counts.total(iter(days)) == Counts.total(days)  # any iterable, read once
    assert Counts.total([]) == Counts()


def test_counts_refuse_negative_values():
    with pytest.raises(ValueError, match="pain"):
        Counts(pain=-1)


def test_counts_from_answers_follows_experience_thresholds():
    # (nps, csat): NPS decides when present; CSAT 5 glory, 3-4 neutral, 1-2 pain otherwise.
    c = counts_from_answers([(10, 1), (7, None), (6, 5), (None, 5), (None, 3), (None, 2)])
    assert c == Counts(
        answers=6,
        promoters=1,
        passives=1,
        detractors=1,
        csat_answers=5,
        csat_top2=2,  # the two 5s
        csat_sum=1 + 5 + 5 + 3 + 2,
        glory=2,  # nps 10, csat-only 5
        neutral=2,  # nps 7, csat-only 3
        pain=2,  # nps 6 (its csat 5 is ignored), csat-only 2
    )


# --- NPS ------------------------------------------------------------------------------------


def test_nps_of_ten_answers_by_hand():
    # 5 promoters, 2 passives, 3 detractors: p = 0.5, d = 0.3, NPS = (0.5 - 0.3) * 100 = 20.00.
    # margin = 1.96 * sqrt((0.5 + 0.3 - 0.2**2) / 10) * 100 = 1.96 * sqrt(0.076) * 100
    #        = 1.959964 * 0.275681 * 100 = 54.03
    result = nps(Counts(answers=10, promoters=5, passives=2, detractors=3))
    assert result.score == 20.0
    assert round(result.margin, 2) == 54.03
    assert (result.promoters, result.passives, result.detractors, result.n) == (5, 2, 3, 10)
    assert result.enough is False


def test_nps_enough_from_thirty_answers():
    # 30 answers: 15 promoters, 9 passives, 6 detractors -> (15 - 6) / 30 * 100 = 30.00;
    # margin = 1.96 * sqrt((0.5 + 0.2 - 0.3**2) / 30) * 100 = 1.96 * sqrt(0.020333) * 100 = 27.95
    result = nps(Counts(answers=30, promoters=15, passives=9, detractors=6))
    assert result.score == 30.0
    assert round(result.margin, 2) == 27.95
    assert result.enough is True
    assert nps(Counts(answers=29, promoters=15, passives=8, detractors=6)).enough is False


def test_nps_min_sample_is_a_parameter():
    c = Counts(answers=10, promoters=5, passives=2, detractors=3)
    assert nps(c, min_sample=10).enough is True
    assert nps(c, min_sample=11).enough is False
    assert DEFAULT_MIN_SAMPLE == 30


def test_nps_all_promoters_has_zero_margin():
    # The product formula is the normal margin: with no spread it is 0, hence the sample flag.
    result = nps(Counts(answers=40, promoters=40))
    assert (result.score, result.margin, result.enough) == (100.0, 0.0, True)
    assert nps(Counts(answers=40, detractors=40)).score == -100.0


def test_nps_counts_only_answers_with_an_nps_value():
    # 4 answers, 2 of them CSAT-only: NPS is over the 2 NPS answers.
    result = nps(counts_from_answers([(9, None), (3, 4), (None, 5), (None, 1)]))
    assert (result.n, result.score) == (2, 0.0)


# --- CSAT -----------------------------------------------------------------------------------


def test_csat_top2_share_and_mean_by_hand():
    # values 5, 5, 4, 4, 4, 4, 3, 1: top-2 = 6 of 8 = 75.00%, mean = 30 / 8 = 3.75
    c = counts_from_answers([(None, v) for v in (5, 5, 4, 4, 4, 4, 3, 1)])
    result = csat(c)
    assert (result.top2_share, result.mean, result.n, result.enough) == (75.0, 3.75, 8, False)
    assert csat(c, min_sample=8).enough is True


def test_csat_min_sample_at_29_and_30():
    assert csat(Counts(csat_answers=29, csat_top2=20, csat_sum=116)).enough is False
    assert csat(Counts(csat_answers=30, csat_top2=20, csat_sum=120)).enough is True


# --- CES ------------------------------------------------------------------------------------


def test_ces_mean_and_easy_share_by_hand():
    # values 7, 6, 5, 4, 1: easy (5-7) = 3 of 5 = 60%; mean = 23 / 5 = 4.6
    c = counts_from_answers([(9, None, 7), (8, None, 6), (None, 4, 5), (7, 3, 4), (2, 1, 1)])
    assert (c.ces_answers, c.ces_easy, c.ces_sum) == (5, 3, 23)
    result = ces(c)
    assert result.easy_share == pytest.approx(60.0)
    assert result.mean == pytest.approx(4.6)
    assert (result.n, result.enough) == (5, False)
    assert ces(c, min_sample=5).enough is True


def test_ces_four_is_not_easy_and_five_is():
    # The neutral midpoint of the 7-point scale is not "easy"; the first agree step is.
    assert ces(counts_from_answers([(9, None, 4)])).easy_share == 0.0
    assert ces(counts_from_answers([(9, None, 5)])).easy_share == 100.0


def test_ces_counts_only_answers_with_a_ces_value():
    # Four answers, two with a CES (2 and 7): n = 2, easy 1 of 2 = 50%, mean 9 / 2 = 4.5; the
    # answers without CES still count in the answers and the moment.
    c = counts_from_answers([(10, None, 2), (0, None), (None, 5), (9, 4, 7)])
    assert c.answers == 4
    assert ces(c, min_sample=2) == Ces(50.0, 4.5, 2, True)


def test_ces_min_sample_at_29_and_30_on_its_own_answers():
    # 100 answers, but only 29 with a CES: not enough, exactly as CSAT counts its own answers.
    many = {"answers": 100, "glory": 100, "promoters": 100}
    assert ces(Counts(**many, ces_answers=29, ces_easy=20, ces_sum=150)).enough is False
    assert ces(Counts(**many, ces_answers=30, ces_easy=20, ces_sum=150)).enough is True
    assert ces(Counts(**many, ces_answers=29), min_sample=29).enough is True


def test_ces_change_uses_newcombes_interval_of_the_easy_shares():
    # The same proportions as the CSAT test below (80 of 100 against 50 of 100): 30 points,
    # 95% from 16.91 to 41.70.
    change = ces_change(
        Counts(answers=100, ces_answers=100, ces_easy=80, ces_sum=560),
        Counts(answers=100, ces_answers=100, ces_easy=50, ces_sum=450),
    )
    assert (change.current, change.previous) == (80, 50)
    assert change.difference == pytest.approx(30)
    assert change.low == pytest.approx(16.91, abs=0.02)
    assert change.high == pytest.approx(41.70, abs=0.02)
    assert change.beyond_noise
    few = Counts(answers=100, ces_answers=20, ces_easy=20, ces_sum=140)
    none_easy = Counts(answers=100, ces_answers=20, ces_easy=0, ces_sum=40)
    assert not ces_change(few, none_easy).enough  # 20 < 30 each: never beyond noise
    assert not ces_change(few, none_easy).beyond_noise
    assert ces_change(few, Counts(answers=5)).difference is None  # no CES before


# --- Moment ---------------------------------------------------------------------------------


def test_moment_shares_and_score_by_hand():
    # 12 glory, 9 neutral, 9 pain of 30: 40%, 30%, 30%; score = 40 - 30 = 10
    result = moment(Counts(answers=30, glory=12, neutral=9, pain=9))
    assert result == Moment(40.0, 30.0, 30.0, 10.0, 30, True)


def test_moment_min_sample_at_29():
    result = moment(Counts(answers=29, glory=10, neutral=10, pain=9))
    assert result.n == 29
    assert result.enough is False
    assert result.score == pytest.approx(100 / 29)  # (10 - 9) / 29 * 100 = 3.448...


def test_all_zero_counts_give_none_and_not_enough():
    zero = Counts()
    assert nps(zero) == Nps(None, 0, 0, 0, 0, None, False)
    assert csat(zero) == Csat(None, None, 0, False)
    assert ces(zero) == Ces(None, None, 0, False)
    assert moment(zero) == Moment(None, None, None, None, 0, False)
    # A minimum sample of 0 still never calls "no answers" enough.
    assert nps(zero, min_sample=0).enough is False
    assert moment(zero, min_sample=0).enough is False


# --- Weakest and forgettable moments -------------------------------------------------------


def _m(score: float, *, neutral: float = 0.0, n: int = 30) -> Moment:
    return Moment(None, neutral, None, score, n, n >= DEFAULT_MIN_SAMPLE)


def test_weakest_is_lowest_score_among_enough():
    moments = {"site": _m(20), "delivery": _m(-15), "tiny": _m(-90, n=5), "support": _m(5)}
    assert weakest(moments) == "delivery"  # "tiny" is lower but has too few answers


def test_weakest_tie_goes_to_first_key_in_order():
    assert weakest({"store": _m(-10), "call": _m(-10), "app": _m(0)}) == "store"
    assert weakest({"call": _m(-10), "store": _m(-10)}) == "call"


def test_weakest_is_none_when_nobody_has_enough():
    assert weakest({"a": _m(-50, n=29), "b": _m(10, n=3)}) is None
    assert weakest({}) is None
    assert weakest({"empty": moment(Counts())}) is None


def test_forgettable_at_exactly_fifty_percent():
    half = moment(Counts(answers=30, glory=8, neutral=15, pain=7))  # 15 / 30 = 50.00%
    below = moment(Counts(answers=30, glory=8, neutral=14, pain=8))  # 46.67%
    small = moment(Counts(answers=20, glory=0, neutral=20, pain=0))  # 100%, n 20
    most = moment(Counts(answers=40, glory=5, neutral=30, pain=5))  # 75%
    moments = {"z": half, "y": below, "x": small, "w": most}
    assert half.neutral_share == 50.0
    assert forgettable(moments) == ["z", "w"]  # iteration order, not sorted


# --- Difference of proportions (Newcombe method 10) ----------------------------------------

# Newcombe RG (1998) "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Stat Med 17:873-890, Table II, method 10 (hybrid score, no
# continuity correction), limits as proportions to 4 dp. Examples (a) and (b) are also pinned,
# as "the results reported in Newcombe 1998", by the test suite of the R package propint
# (m-Py/propint, tests/testthat/test_Two_Independent_Props_CI.R); the formula matches the
# Newcombe_hybrid_score_CI_2x2 function of the R package contingencytables. The Wilson limits
# behind (a), worked by hand: 56/70 -> (0.69183, 0.87695), 48/80 -> (0.49045, 0.70038);
# low = 0.2 - sqrt(0.10817**2 + 0.10038**2) = 0.2 - 0.14757 = 0.0524,
# high = 0.2 + sqrt(0.07695**2 + 0.10955**2) = 0.2 + 0.13387 = 0.3339.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
]


@pytest.mark.parametrize(("counts", "limits"), NEWCOMBE_TABLE_II)
def test_difference_ci_matches_newcombe_1998_method_10(counts, limits):
    x1, n1, x2, n2 = counts
    difference, low, high = difference_ci(x1, n1, x2, n2)
    assert difference == pytest.approx(100 * (x1 / n1 - x2 / n2))
    # Published limits are rounded to 4 dp of a proportion: 0.005 points.
    assert low == pytest.approx(100 * limits[0], abs=0.005)
    assert high == pytest.approx(100 * limits[1], abs=0.005)


def test_difference_ci_point_is_exact_in_points():
    assert difference_ci(56, 70, 48, 80)[0] == 20.0  # not 20.000000000000007


def test_difference_ci_none_for_an_empty_group():
    assert difference_ci(0, 0, 3, 10) is None
    assert difference_ci(3, 10, 0, 0) is None


def test_difference_ci_rejects_more_successes_than_trials():
    with pytest.raises(ValueError, match="0 <= x <= n"):
        difference_ci(11, 10, 3, 10)


# --- Impact ---------------------------------------------------------------------------------


def test_impact_glory_minus_pain_retention():
    # glory: 30 of 40 retained = 75%; pain: 15 of 30 = 50%; difference 25 points.
    result = impact(40, 30, 30, 15)
    assert (result.glory_rate, result.pain_rate, result.difference) == (75.0, 50.0, 25.0)
    assert (result.low, result.high) == pytest.approx(difference_ci(30, 40, 15, 30)[1:])
    # Wilson: glory 59.81..85.81%, pain 33.15..66.85% -> Newcombe
    # low = 25 - 100 * sqrt(0.15194**2 + 0.16846**2) = 25 - 22.69 = 2.31,
    # high = 25 + 100 * sqrt(0.10813**2 + 0.16846**2) = 25 + 20.02 = 45.02.
    # The two rates' intervals overlap, yet the difference's excludes 0: overlap is no test.
    assert (round(result.low, 2), round(result.high, 2)) == (2.31, 45.02)
    assert result.enough is True


def test_impact_needs_both_groups_at_min_sample():
    assert impact(40, 30, 29, 15).enough is False
    assert impact(29, 20, 40, 15).enough is False
    assert impact(10, 5, 10, 2, min_sample=10).enough is True


def test_impact_without_pain_answers_has_no_difference():
    result = impact(40, 30, 0, 0)
    assert (result.difference, result.low, result.high, result.enough) == (None, None, None, False)
    assert (result.glory_rate, result.pain_rate) == (75.0, None)


# --- Retention cohorts ----------------------------------------------------------------------

# Data months Jan-Apr 2024.
#   a: Jan, Feb, Apr   b: Jan, Apr   c: Jan (twice)        -> cohort Jan, 3 customers
#   d: Feb, Mar        e: Feb                              -> cohort Feb, 2 customers
#   f: Apr                                                 -> cohort Apr, 1 customer
# Jan cohort: Jan 3/3, Feb 1/3 (a), Mar 0/3 (nobody: a zero, not a gap), Apr 2/3 (a, b).
# Feb cohort: Feb 2/2, Mar 1/2 (d), Apr 0/2.   Apr cohort: Apr 1/1.
ACTIVE = [
    ("a", "2024-01"),
    ("a", "2024-02"),
    ("a", "2024-04"),
    ("b", "2024-01"),
    ("b", "2024-04"),
    ("c", "2024-01"),
    ("c", "2024-01"),
    ("d", "2024-02"),
    ("d", "2024-03"),
    ("e", "2024-02"),
    ("f", "2024-04"),
]
EXPECTED_COHORTS = [
    ("2024-01", 0, 3, 3, 100.0),
    ("2024-01", 1, 3, 1, 100 / 3),
    ("2024-01", 2, 3, 0, 0.0),
    ("2024-01", 3, 3, 2, 200 / 3),
    ("2024-02", 0, 2, 2, 100.0),
    ("2024-02", 1, 2, 1, 50.0),
    ("2024-02", 2, 2, 0, 0.0),
    ("2024-04", 0, 1, 1, 100.0),
]


def _expected_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        EXPECTED_COHORTS, columns=["cohort", "offset", "customers", "active", "share"]
    )
    frame["cohort"] = pd.PeriodIndex(frame["cohort"], freq="M")
    return frame.astype({"offset": "int64", "customers": "int64", "active": "int64"})


@pytest.mark.parametrize(
    "to_month",
    [
        pytest.param(lambda m: pd.Period(m, freq="M"), id="period"),
        pytest.param(lambda m: pd.Timestamp(f"{m}-01"), id="timestamp"),
        pytest.param(lambda m: date.fromisoformat(f"{m}-01"), id="date"),
        pytest.param(lambda m: date.fromisoformat(f"{m}-17"), id="mid-month-date"),
    ],
)
def test_retention_cohorts_by_hand(to_month):
    activity = pd.DataFrame(
        [(customer, to_month(month)) for customer, month in ACTIVE], columns=["customer", "month"]
    )
    result = retention_cohorts(activity.sample(frac=1, random_state=7))  # order must not matter
    pd.testing.assert_frame_equal(result, _expected_frame())


def test_retention_cohorts_of_nothing_is_an_empty_table():
    empty = pd.DataFrame({"customer": [], "month": []})
    result = retention_cohorts(empty)
    assert list(result.columns) == ["cohort", "offset", "customers", "active", "share"]
    assert result.empty
    assert str(result["cohort"].dtype) == "period[M]"


def test_retention_cohorts_needs_its_columns():
    with pytest.raises(ValueError, match="month"):
        retention_cohorts(pd.DataFrame({"customer": ["a"]}))


# --- Churn and repurchase -------------------------------------------------------------------

# as_of 2024-06-30, 30-day window: W = Jun 1..Jun 30, previous window P = May 2..May 31.
#   a: May 10, Jun 5                 -> in P, back in W (1 day in W)
#   b: May 20                        -> in P, churned
#   c: May 2 (first day of P)        -> in P, churned
#   g: May 1 (just before P)         -> in neither
#   h: May 31 23:30 (a datetime)     -> in P (last day), churned
#   d: Jun 1, Jun 30 (W's edges)     -> 2 days in W: repurchased
#   e: Jun 10 09:00 and 18:00        -> 1 distinct day in W: not repurchased
#   f: May 31, Jun 15, Jul 1         -> in P, back in W; Jul 1 is after as_of and ignored
# churn: base {a, b, c, h, f} = 5, churned {b, c, h} = 3 -> 60%
# repurchase: active in W {a, d, e, f} = 4, on >= 2 days {d} = 1 -> 25%
TIMELINE = [
    ("a", date(2024, 5, 10)),
    ("a", date(2024, 6, 5)),
    ("b", date(2024, 5, 20)),
    ("c", date(2024, 5, 2)),
    ("g", date(2024, 5, 1)),
    ("h", datetime(2024, 5, 31, 23, 30)),
    ("d", date(2024, 6, 1)),
    ("d", date(2024, 6, 30)),
    ("e", datetime(2024, 6, 10, 9, 0)),
    ("e", datetime(2024, 6, 10, 18, 0)),
    ("f", date(2024, 5, 31)),
    ("f", date(2024, 6, 15)),
    ("f", date(2024, 7, 1)),
]


def test_churn_and_repurchase_on_a_hand_made_timeline():
    activity = pd.DataFrame(TIMELINE, columns=["customer", "occurred_at"])
    result = churn_and_repurchase(activity, as_of=date(2024, 6, 30), window_days=30)
    assert result == {
        "as_of": date(2024, 6, 30),
        "window_days": 30,
        "window_start": date(2024, 6, 1),
        "churn_base": 5,
        "churned": 3,
        "churn": 60.0,
        "repurchase_base": 4,
        "repurchased": 1,
        "repurchase": 25.0,
    }


def test_churn_and_repurchase_with_aware_timestamps_uses_their_wall_clock_date():
    activity = pd.DataFrame(
        {
            "customer": ["a", "a"],
            "occurred_at": pd.to_datetime(
                ["2024-06-29T23:30:00+02:00", "2024-06-30T00:30:00+02:00"]
            ),
        }
    )
    result = churn_and_repurchase(activity, as_of=date(2024, 6, 30), window_days=30)
    assert (result["repurchase_base"], result["repurchased"]) == (1, 1)


def test_churn_and_repurchase_with_empty_bases_are_none():
    activity = pd.DataFrame({"customer": ["a"], "occurred_at": [date(2024, 1, 1)]})
    result = churn_and_repurchase(activity, as_of=date(2024, 6, 30), window_days=30)
    assert (result["churn_base"], result["churn"]) == (0, None)
    assert (result["repurchase_base"], result["repurchase"]) == (0, None)
    empty = pd.DataFrame({"customer": [], "occurred_at": []})
    assert churn_and_repurchase(empty, as_of=date(2024, 6, 30))["churn"] is None


def test_churn_and_repurchase_default_window_is_90_days():
    activity = pd.DataFrame({"customer": ["a"], "occurred_at": [date(2024, 4, 2)]})
    result = churn_and_repurchase(activity, as_of=date(2024, 6, 30))
    # W = Apr 2..Jun 30 (90 days): a is in W, so not in the base of P = Jan 3..Apr 1.
    assert result["window_start"] == date(2024, 4, 2)
    assert (result["repurchase_base"], result["churn_base"]) == (1, 0)


def test_churn_and_repurchase_rejects_an_empty_window():
    activity = pd.DataFrame({"customer": [], "occurred_at": []})
    with pytest.raises(ValueError, match="window_days"):
        churn_and_repurchase(activity, as_of=date(2024, 6, 30), window_days=0)


# --- Change between two periods -----------------------------------------------------------


def test_nps_change_beyond_noise_by_the_combined_standard_errors():
    # Current: 60 promoters, 20 passives, 20 detractors: NPS 40; p=.6, d=.2,
    #   variance (p + d - (p - d)^2) / n = (.8 - .16) / 100 = .0064.
    # Previous: 30 / 30 / 40: NPS -10; (.7 - .01) / 100 = .0069.
    # Margin of the difference: 1.96 * sqrt(.0064 + .0069) * 100 = 1.96 * .115326 * 100 = 22.60.
    current = Counts(answers=100, promoters=60, passives=20, detractors=20)
    previous = Counts(answers=100, promoters=30, passives=30, detractors=40)
    change = nps_change(current, previous, min_sample=30)
    assert change.current == 40
    assert change.previous == -10
    assert change.difference == 50
    assert change.low == pytest.approx(50 - 22.60, abs=0.01)
    assert change.high == pytest.approx(50 + 22.60, abs=0.01)
    assert change.enough
    assert change.beyond_noise


def test_nps_change_inside_the_margin_is_noise():
    # Current 40 / 30 / 30: NPS 10, variance (.7 - .01) / 100 = .0069; previous 35 / 30 / 35:
    # NPS 0, (.7 - 0) / 100 = .007. Margin 1.96 * sqrt(.0139) * 100 = 23.11 > 10.
    change = nps_change(
        Counts(answers=100, promoters=40, passives=30, detractors=30),
        Counts(answers=100, promoters=35, passives=30, detractors=35),
    )
    assert change.difference == 10
    assert change.high - change.difference == pytest.approx(23.11, abs=0.01)
    assert change.enough
    assert not change.beyond_noise


def test_a_change_with_too_few_answers_is_never_beyond_noise():
    # 20 answers each: 20 promoters now, 20 detractors before: +200 points, but 20 < 30.
    change = net_score_change((20, 0, 20), (0, 20, 20), min_sample=30)
    assert change.difference == 200
    assert not change.enough
    assert not change.beyond_noise
    assert net_score_change((20, 0, 20), (0, 20, 20), min_sample=20).beyond_noise


def test_a_change_without_a_previous_period_has_no_difference():
    change = net_score_change((5, 1, 10), (0, 0, 0))
    assert change == Change(40.0, None, None, None, None, False, False)


def test_moment_change_counts_glory_and_pain_over_every_answer():
    # Glory 50, neutral 30, pain 20 of 100: score 30; before 20 / 30 / 50: score -30.
    # Variances (.7 - .09) / 100 = .0061 each; margin 1.96 * sqrt(.0122) * 100 = 21.65.
    change = moment_change(
        Counts(answers=100, glory=50, neutral=30, pain=20),
        Counts(answers=100, glory=20, neutral=30, pain=50),
    )
    assert change.difference == 60
    assert change.low == pytest.approx(60 - 21.65, abs=0.01)
    assert change.beyond_noise


def test_csat_change_uses_newcombes_interval_of_the_top2_shares():
    # 80 of 100 now, 50 of 100 before. Wilson limits: .8 -> (.7112, .8666); .5 -> (.4038, .5962).
    # low = .3 - sqrt(.0889^2 + .0962^2) = .1691; high = .3 + sqrt(.0666^2 + .0962^2) = .4170.
    change = csat_change(
        Counts(answers=100, csat_answers=100, csat_top2=80, csat_sum=420),
        Counts(answers=100, csat_answers=100, csat_top2=50, csat_sum=350),
    )
    assert (change.current, change.previous) == (80, 50)
    assert change.difference == pytest.approx(30)
    assert change.low == pytest.approx(16.91, abs=0.02)
    assert change.high == pytest.approx(41.70, abs=0.02)
    assert change.beyond_noise
    same = Counts(answers=100, csat_answers=100, csat_top2=50, csat_sum=350)
    assert not csat_change(same, same).beyond_noise
