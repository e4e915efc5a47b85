"""Properties of the metric maths that must hold for any counts (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.compute import (
    Counts,
    difference_ci,
    moment,
    nps,
    retention_cohorts,
)
from tests.metrics import counts_from_answers

# Modest and reproducible: no example database written into the working tree.
SETTINGS = settings(max_examples=60, deadline=None, database=None)

small = st.integers(min_value=0, max_value=10_000)
counts = st.builds(
    Counts,
    answers=small,
    promoters=small,
    passives=small,
    detractors=small,
    csat_answers=small,
    csat_top2=small,
    csat_sum=small,
    ces_answers=small,
    ces_easy=small,
    ces_sum=small,
    glory=small,
    neutral=small,
    pain=small,
)


@st.composite
def proportion(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=5_000))
    return draw(st.integers(min_value=0, max_value=n)), n


@SETTINGS
@given(counts)
def test_nps_is_between_minus_and_plus_hundred(c):
    result = nps(c)
    if c.nps_answers == 0:
        assert (result.score, result.margin, result.enough) == (None, None, False)
    else:
        assert -100 <= result.score <= 100
        assert result.margin >= 0


@SETTINGS
@given(counts)
def test_moment_shares_sum_to_hundred(c):
    result = moment(c)
    if c.glory + c.neutral + c.pain == 0:
        assert result.score is None
    else:
        total = result.glory_share + result.neutral_share + result.pain_share
        assert abs(total - 100) <= 1e-9
        assert -100 <= result.score <= 100
        assert abs(result.score - (result.glory_share - result.pain_share)) <= 1e-9


@SETTINGS
@given(counts.filter(lambda c: c.nps_answers > 0))
def test_margin_halves_when_the_sample_quadruples(c):
    four_times = Counts.total([c, c, c, c])
    narrow, wide = nps(four_times), nps(c)
    assert narrow.score == wide.score  # same proportions
    assert narrow.margin <= wide.margin
    assert abs(narrow.margin - wide.margin / 2) <= 1e-9 * max(wide.margin, 1)


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(0, 10), st.none() | st.integers(1, 5)), min_size=1, max_size=200)
)
def test_moment_score_equals_nps_when_every_answer_has_nps(answers):
    c = counts_from_answers(answers)
    # feedback.experience puts promoters in glory, passives in neutral, detractors in pain.
    assert (c.glory, c.neutral, c.pain) == (c.promoters, c.passives, c.detractors)
    assert moment(c).score == nps(c).score
    assert moment(c).n == nps(c).n == len(answers)


@SETTINGS
@given(counts, counts, counts)
def test_counts_addition_is_associative_and_commutative(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a + Counts() == a


@SETTINGS
@given(st.lists(counts, max_size=10))
def test_total_equals_folding(items):
    folded = Counts()
    for item in items:
        folded = folded + item
    assert Counts.total(items) == folded


@SETTINGS
@given(proportion(), proportion())
def test_ci_contains_the_difference_and_stays_in_range(first, second):
    (x1, n1), (x2, n2) = first, second
    difference, low, high = difference_ci(x1, n1, x2, n2)
    assert -100 <= low <= difference <= high <= 100
    assert abs(difference - 100 * (x1 / n1 - x2 / n2)) <= 1e-9


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 24)), min_size=1, max_size=80))
def test_cohort_shares_are_percentages_and_start_at_hundred(rows):
    activity = pd.DataFrame(
        {
            "customer": [customer for customer, _ in rows],
            "month": pd.PeriodIndex.from_ordinals([648 + m for _, m in rows], freq="M"),
        }
    )
    result = retention_cohorts(activity)
    assert result["share"].between(0, 100).all()
    assert (result.loc[result["offset"] == 0, "share"] == 100).all()
    assert (result["active"] <= result["customers"]).all()
    # Every cohort runs to the last month of the data, with no gaps in its offsets.
    last = activity["month"].max()
    for cohort, group in result.groupby("cohort"):
        assert group["offset"].tolist() == list(range((last - cohort).n + 1))
    # Cohort sizes add up to the number of distinct customers.
    sizes = result.loc[result["offset"] == 0, "customers"]
    assert sizes.sum() == activity["customer"].nunique()
