"""The metric maths: plain, typed functions over additive counts (no Django, no database).

The engine counts answers in SQL per scope (touchpoint, stage, MOT stage, journey, workspace)
and per day, stores those ``Counts`` and derives every number here; dashboards sum the stored
daily ``Counts`` over any date range and call the same functions. Every metric therefore uses
exactly the answers inside its scope and period, and a range total equals the per-day sums.

Definitions (product.md, "Metrics") and the choices made here:

- **NPS** = % promoters (9-10) - % detractors (0-6) over the answers that carry an NPS value,
  in [-100, 100]. ``n`` is the number of NPS answers. 95% margin of error, the product formula
  ``Z95 * sqrt((p + d - (p - d)**2) / n) * 100`` with p, d the promoter and detractor shares:
  the normal (Wald) margin of a mean of +1/0/-1 scores. It is 0 when every answer is alike
  (e.g. all promoters), which is why small samples are flagged rather than trusted (below).
- **CSAT** = % of CSAT answers that are 4 or 5 (top-2 box) on the 1-5 scale; the mean of the
  values (``csat_sum / csat_answers``) is given too. ``n`` is the number of CSAT answers.
- **CES** (Customer Effort Score, "The company made it easy to handle my issue", 1 = strongly
  disagree to 7 = strongly agree): the **mean** of the CES values (``ces_sum / ces_answers``) on
  the 1-7 scale, and the **easy share** = % of CES answers that are 5, 6 or 7 (the agree side of
  the scale; 4 is the neutral midpoint and counts as not easy). ``n`` is the number of CES
  answers, and the minimum sample applies to it exactly as to CSAT's. CES is asked alongside NPS
  or CSAT, never alone, so it never adds an answer and never decides an answer's experience.
- **Experience** of one answer (glory / neutral / pain) is decided in ``feedback.experience``
  (the one place for the thresholds); here we only count it.
- **Moment** of a scope: glory, neutral and pain shares in % of the answers with an experience
  (``glory + neutral + pain``, equal to ``answers`` by the engine's invariant) and the **moment
  score** = glory% - pain% in [-100, 100]. Every share and score is ``100 * count / n``: one
  rounding, so the three shares sum to 100 within float error, and the moment score equals the
  NPS score exactly when every answer has an NPS value.
- **Minimum sample**: ``enough = n >= min_sample`` (default ``DEFAULT_MIN_SAMPLE`` = 30). A
  number below it is shown as "not enough answers", never as a value; values are still returned
  so a tooltip can explain them. A ``min_sample`` below 1 counts as 1: no answers is never enough.
- **Weakest moment**: the lowest moment score among moments with enough answers; a tie goes to
  the first key in the mapping's iteration order (so callers pass touchpoints in map order and
  the earlier touchpoint in the journey wins); ``None`` when no moment has enough answers.
- **Forgettable moments**: neutral share >= 50% (exactly 50 counts) with enough answers, in the
  mapping's iteration order.
- **Difference of two proportions** (moment impact): p1 - p2 in points with Newcombe's hybrid
  score interval (Newcombe 1998, Stat Med 17:873-890, method 10): Wilson score limits for each
  proportion, combined as ``D - sqrt((p1-l1)^2 + (u2-p2)^2)``, ``D + sqrt((u1-p1)^2 + (p2-l2)^2)``.
  Chosen because impact groups are often small and rates near 0 or 100%, where the Wald interval
  collapses to zero width or leaves [-1, 1]; method 10 keeps close to nominal coverage there,
  never overshoots [-100, 100], always contains the estimate, and is closed-form (no scipy).
- **Moment impact**: difference = retention rate of customers whose answer at the touchpoint was
  glory minus that of customers whose answer was pain; positive means the moment costs customers
  when it goes wrong. ``enough`` needs both groups at the minimum sample.
- **Change between two periods** (dashboards): NPS and moment score by the standard errors of
  the two periods combined, ``Z95 * sqrt(se1**2 + se2**2) * 100`` with each
  ``se = sqrt((p + d - (p - d)**2) / n)``; the CSAT top-2 share and the CES easy share by
  Newcombe's interval. A change
  is "beyond noise" only when both periods have enough answers and the interval leaves out 0.
- **Retention cohorts**: a customer's cohort is the month of their first activity in the data
  given; for every cohort and every month from it to the last month present in the data, the
  share of the cohort active in that month. A month with no activity is a 0, not a gap.
- **Churn and repurchase** over a window of w days ending on ``as_of`` (included); activity
  after ``as_of`` is ignored, so a past ``as_of`` reproduces a past figure. See
  ``churn_and_repurchase`` for the exact definitions and why.
- **Statistics**: shares, the minimum-sample rule and the intervals above are computed in
  :mod:`metrics.stats` and exported here too (``Z95``, ``difference_ci``, ``net_score_change``,
  ``Change``, ``DEFAULT_MIN_SAMPLE``).
- **Rounding**: none here or in the engine; floats are returned at full precision and rounded
  only for display.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import reduce
from operator import add
from typing import TypedDict, TypeVar

import numpy as np
import pandas as pd

from metrics.stats import (
    DEFAULT_MIN_SAMPLE,
    Z95,
    Change,
    difference_ci,
    is_enough,
    net_score_change,
    percent,
)

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Counts:
    """Additive answer counts of one scope over one period (a day, or a sum of days)."""

    answers: int = 0  # all answers in the scope
    promoters: int = 0  # NPS 9-10
    passives: int = 0  # NPS 7-8
    detractors: int = 0  # NPS 0-6
    csat_answers: int = 0
    csat_top2: int = 0  # CSAT 4-5
    csat_sum: int = 0  # sum of CSAT values, for the mean
    ces_answers: int = 0
    ces_easy: int = 0  # CES 5-7
    ces_sum: int = 0  # sum of CES values, for the mean
    glory: int = 0
    neutral: int = 0
    pain: int = 0  # glory + neutral + pain == answers (every answer has nps or csat)

    def __post_init__(self) -> None:
        # Written out: dashboards build and add thousands of these per page.
        if (
            self.answers < 0
            or self.promoters < 0
            or self.passives < 0
            or self.detractors < 0
            or self.csat_answers < 0
            or self.csat_top2 < 0
            or self.csat_sum < 0
            or self.ces_answers < 0
            or self.ces_easy < 0
            or self.ces_sum < 0
            or self.glory < 0
            or self.neutral < 0
            or self.pain < 0
        ):
            negative = next(n for n in COUNT_FIELDS if getattr(self, n) < 0)
            raise ValueError(f"Counts.{negative} cannot be negative")

    def __add__(self, other: Counts) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(
            self.answers + other.answers,
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
            self.csat_answers + other.csat_answers,
            self.csat_top2 + other.csat_top2,
            self.csat_sum + other.csat_sum,
            self.ces_answers + other.ces_answers,
            self.ces_easy + other.ces_easy,
            self.ces_sum + other.ces_sum,
            self.glory + other.glory,
            self.neutral + other.neutral,
            self.pain + other.pain,
        )

    @property
    def nps_answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @classmethod
    def total(cls, items: Iterable[Counts]) -> Counts:
        return reduce(add, items, cls())


COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass(frozen=True)
class Nps:
    score: float | None
    promoters: int
    passives: int
    detractors: int
    n: int
    margin: float | None
    enough: bool


def nps(c: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Nps:
    n = c.nps_answers
    score = margin = None
    if n:
        score = percent(c.promoters - c.detractors, n)
        p, d = c.promoters / n, c.detractors / n
        # max(): p + d - (p - d)^2 is a variance, >= 0; float error may push it a hair below.
        margin = float(Z95 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n) * 100)
    return Nps(score, c.promoters, c.passives, c.detractors, n, margin, is_enough(n, min_sample))


@dataclass(frozen=True)
class Csat:
    top2_share: float | None  # % of answers that are 4 or 5
    mean: float | None  # on the 1-5 scale
    n: int
    enough: bool


def csat(c: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Csat:
    n = c.csat_answers
    if not n:
        return Csat(None, None, 0, False)
    return Csat(percent(c.csat_top2, n), float(c.csat_sum / n), n, is_enough(n, min_sample))


CES_EASY_MIN = 5  # 5, 6 and 7 agree that the company made it easy


@dataclass(frozen=True)
class Ces:
    easy_share: float | None  # % of answers that are 5, 6 or 7
    mean: float | None  # on the 1-7 scale
    n: int
    enough: bool


def ces(c: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Ces:
    n = c.ces_answers
    if not n:
        return Ces(None, None, 0, False)
    return Ces(percent(c.ces_easy, n), float(c.ces_sum / n), n, is_enough(n, min_sample))


@dataclass(frozen=True)
class Moment:
    glory_share: float | None
    neutral_share: float | None
    pain_share: float | None
    score: float | None  # glory% - pain%
    n: int
    enough: bool


def moment(c: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE) -> Moment:
    n = c.glory + c.neutral + c.pain
    if not n:
        return Moment(None, None, None, None, 0, False)
    return Moment(
        glory_share=percent(c.glory, n),
        neutral_share=percent(c.neutral, n),
        pain_share=percent(c.pain, n),
        score=percent(c.glory - c.pain, n),
        n=n,
        enough=is_enough(n, min_sample),
    )


def weakest(moments: Mapping[K, Moment]) -> K | None:
    """The key of the lowest moment score among moments with enough answers.

    Ties go to the first key in iteration order (``min`` keeps the first minimum); ``None`` when
    no moment has enough answers.
    """
    candidates = [(k, m.score) for k, m in moments.items() if m.enough and m.score is not None]
    if not candidates:
        return None
    return min(candidates, key=lambda item: item[1])[0]


def forgettable(moments: Mapping[K, Moment]) -> list[K]:
    """Keys of moments with enough answers whose neutral share is at least 50%, in order."""
    return [
        k
        for k, m in moments.items()
        if m.enough and m.neutral_share is not None and m.neutral_share >= 50
    ]


@dataclass(frozen=True)
class Impact:
    glory_n: int
    glory_retained: int
    pain_n: int
    pain_retained: int
    difference: float | None  # glory retention % - pain retention %, in points
    low: float | None
    high: float | None
    enough: bool  # both groups >= min_sample

    @property
    def glory_rate(self) -> float | None:
        return percent(self.glory_retained, self.glory_n) if self.glory_n else None

    @property
    def pain_rate(self) -> float | None:
        return percent(self.pain_retained, self.pain_n) if self.pain_n else None


def impact(
    glory_n: int,
    glory_retained: int,
    pain_n: int,
    pain_retained: int,
    *,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Impact:
    ci = difference_ci(glory_retained, glory_n, pain_retained, pain_n)
    difference, low, high = ci if ci is not None else (None, None, None)
    enough = is_enough(glory_n, min_sample) and is_enough(pain_n, min_sample)
    return Impact(glory_n, glory_retained, pain_n, pain_retained, difference, low, high, enough)


# --- Change between two periods (dashboards: "did it move beyond noise?") -------------------


def nps_change(
    current: Counts, previous: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE
) -> Change:
    return net_score_change(
        (current.promoters, current.detractors, current.nps_answers),
        (previous.promoters, previous.detractors, previous.nps_answers),
        min_sample=min_sample,
    )


def moment_change(
    current: Counts, previous: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE
) -> Change:
    def triple(c: Counts) -> tuple[int, int, int]:
        return (c.glory, c.pain, c.glory + c.neutral + c.pain)

    return net_score_change(triple(current), triple(previous), min_sample=min_sample)


def _share_change(hits1: int, n1: int, hits2: int, n2: int, *, min_sample: int) -> Change:
    """Change of a share (hits over n): a difference of two proportions, so Newcombe's interval
    (:func:`difference_ci`, as for moment impact); beyond noise when it leaves out 0."""
    share1 = percent(hits1, n1) if n1 else None
    share2 = percent(hits2, n2) if n2 else None
    enough = is_enough(n1, min_sample) and is_enough(n2, min_sample)
    ci = difference_ci(hits1, n1, hits2, n2)
    if ci is None:
        return Change(share1, share2, None, None, None, enough, False)
    difference, low, high = ci
    return Change(share1, share2, difference, low, high, enough, enough and (low > 0 or high < 0))


def csat_change(
    current: Counts, previous: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE
) -> Change:
    """Change of the CSAT top-2 share (see :func:`_share_change`)."""
    return _share_change(
        current.csat_top2,
        current.csat_answers,
        previous.csat_top2,
        previous.csat_answers,
        min_sample=min_sample,
    )


def ces_change(
    current: Counts, previous: Counts, *, min_sample: int = DEFAULT_MIN_SAMPLE
) -> Change:
    """Change of the CES easy share (see :func:`_share_change`)."""
    return _share_change(
        current.ces_easy,
        current.ces_answers,
        previous.ces_easy,
        previous.ces_answers,
        min_sample=min_sample,
    )


def _require(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"activity needs columns {columns}; missing {missing}")
    return frame[list(columns)].dropna()


def _month_ordinals(months: pd.Series) -> np.ndarray:
    """Monthly Period ordinals (months since 1970-01) of Periods, Timestamps or dates."""
    if not isinstance(months.dtype, pd.PeriodDtype):
        if pd.api.types.infer_dtype(months, skipna=True) == "period":
            months = pd.Series(pd.PeriodIndex(months), index=months.index)
        else:
            stamps = pd.to_datetime(months)
            if stamps.dt.tz is not None:
                stamps = stamps.dt.tz_localize(None)  # keep the wall-clock month
            months = stamps.dt.to_period("M")
    return np.asarray(months.dt.asfreq("M").array.asi8, dtype=np.int64)


_COHORT_COLUMNS = ("cohort", "offset", "customers", "active", "share")


def retention_cohorts(activity: pd.DataFrame) -> pd.DataFrame:
    """Monthly retention cohorts, one row per (cohort, offset), sorted by both.

    Input: columns ``customer`` and ``month`` (Period, or any Timestamp/date in the month), one
    row per customer and active month; duplicates are ignored, rows missing either are dropped.
    Output columns: ``cohort`` (Period[M], the customer's first active month), ``offset`` (months
    since the cohort, 0 up to the last month present in the data), ``customers`` (cohort size),
    ``active`` (cohort members active in that month; 0 when none) and ``share`` (% of the cohort).
    """
    data = _require(activity, "customer", "month")
    if data.empty:
        return pd.DataFrame(
            {
                "cohort": pd.Series([], dtype="period[M]"),
                "offset": pd.Series([], dtype="int64"),
                "customers": pd.Series([], dtype="int64"),
                "active": pd.Series([], dtype="int64"),
                "share": pd.Series([], dtype="float64"),
            }
        )
    rows = pd.DataFrame(
        {"customer": data["customer"].to_numpy(), "month": _month_ordinals(data["month"])}
    ).drop_duplicates()
    first = rows.groupby("customer")["month"].transform("min")
    active = rows.groupby([first.to_numpy(), (rows["month"] - first).to_numpy()]).size()
    cohorts = np.sort(first.unique())
    sizes = active.xs(0, level=1).reindex(cohorts).to_numpy()  # everyone is active at offset 0
    lengths = rows["month"].max() - cohorts + 1
    cohort_col = np.repeat(cohorts, lengths)
    offset_col = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = pd.MultiIndex.from_arrays([cohort_col, offset_col])
    active_col = active.reindex(grid, fill_value=0).to_numpy(dtype=np.int64)
    customers_col = np.repeat(sizes, lengths).astype(np.int64)
    return pd.DataFrame(
        {
            "cohort": pd.PeriodIndex.from_ordinals(cohort_col, freq="M"),
            "offset": offset_col.astype(np.int64),
            "customers": customers_col,
            "active": active_col,
            "share": 100 * active_col / customers_col,
        }
    )


class ChurnRepurchase(TypedDict):
    as_of: date
    window_days: int
    window_start: date  # first day of the window (as_of - window_days + 1)
    churn_base: int  # customers active in the previous window
    churned: int  # ... of whom none was active in the window
    churn: float | None  # % of churn_base; None when the base is empty
    repurchase_base: int  # customers active in the window
    repurchased: int  # ... of whom active on two or more distinct days in the window
    repurchase: float | None  # % of repurchase_base; None when the base is empty


def churn_and_repurchase(
    activity: pd.DataFrame, *, as_of: date, window_days: int = 90
) -> ChurnRepurchase:
    """Churn and repurchase over the ``window_days`` days ending on ``as_of`` (included).

    Days are the calendar days of ``occurred_at`` (wall-clock date when time-zone aware; convert
    to the workspace's zone first if that matters). With w = ``window_days``:

    - window W = days in (as_of - w, as_of]; previous window P = (as_of - 2w, as_of - w].
    - **churn** = share of the customers active in P with no activity in W. The base is a
      recent, fixed-length window and every base customer gets the same w days to come back,
      so the rate is not inflated by long-lost customers nor biased by when each one joined.
    - **repurchase** = share of the customers active in W who were active on at least two
      distinct days within W. It uses only data inside W, so it does not depend on how much
      history the workspace has imported (the "had an earlier activity" variant reads near 0
      right after a first import and mixes acquisition into loyalty: a good acquisition month
      would lower it). Same-day rows count once (line items of one order, repeated imports).

    Activity after ``as_of`` is ignored. Counts and shares (%) are returned; a share is ``None``
    when its base is empty.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    data = _require(activity, "customer", "occurred_at")
    stamps = pd.to_datetime(data["occurred_at"])
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    days = stamps.dt.normalize()
    end = pd.Timestamp(as_of.year, as_of.month, as_of.day)
    width = pd.Timedelta(days=window_days)
    in_window = (days > end - width) & (days <= end)
    in_previous = (days > end - 2 * width) & (days <= end - width)
    customers = data["customer"]

    base = pd.Index(customers[in_previous].unique())
    churned = int((~base.isin(customers[in_window].unique())).sum())
    seen = pd.DataFrame({"customer": customers[in_window], "day": days[in_window]})
    per_customer = seen.drop_duplicates().groupby("customer").size()
    repurchase_base = len(per_customer)
    repurchased = int((per_customer >= 2).sum())
    return ChurnRepurchase(
        as_of=as_of,
        window_days=window_days,
        window_start=as_of - timedelta(days=window_days - 1),
        churn_base=len(base),
        churned=churned,
        churn=percent(churned, len(base)) if len(base) else None,
        repurchase_base=repurchase_base,
        repurchased=repurchased,
        repurchase=percent(repurchased, repurchase_base) if repurchase_base else None,
    )
