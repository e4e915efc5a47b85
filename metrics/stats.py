"""The statistics behind the metrics' numbers (no Django, no database): a share in %, the
minimum-sample rule, Wilson's score interval, Newcombe's interval of a difference of two
proportions, the t interval of a mean (from a count, sum and sum of squares), and the change of
a net score between two periods with its margin.

What each metric makes of them, and why these methods: the definitions in :mod:`metrics.compute`,
which uses them and exports the public ones under its own name too (``compute.Z95``,
``compute.difference_ci``, ``compute.Change``, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_MIN_SAMPLE = 30
Z95 = 1.959963984540054  # the 97.5% standard normal quantile


def is_enough(n: int, min_sample: int) -> bool:
    """The minimum-sample rule; a ``min_sample`` below 1 counts as 1 (no answers is never
    enough)."""
    return n >= max(min_sample, 1)


def percent(part: int, n: int) -> float:
    # 100 * part is an exact integer, so the share is a single correctly rounded division.
    return float(100 * part / n)


def _wilson(x: int, n: int) -> tuple[float, float]:
    z2 = Z95 * Z95
    centre = (x + z2 / 2) / (n + z2)
    half = Z95 * math.sqrt(x * (n - x) / n + z2 / 4) / (n + z2)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def wilson_ci(x: int, n: int) -> tuple[float, float] | None:
    """Wilson's score 95% interval of the share x/n, in %; ``None`` when n is 0."""
    x, n = int(x), int(n)
    if not 0 <= x <= n:
        raise ValueError("need 0 <= x <= n")
    if n == 0:
        return None
    low, high = _wilson(x, n)
    # Mathematically around x/n; the clamps only absorb float error at x = 0 or x = n.
    return float(100 * min(low, x / n)), float(100 * max(high, x / n))


# Student's t 97.5% quantiles where the expansion below is least exact (df 1 to 9).
_T975_SMALL = {
    1: 12.706204736,
    2: 4.302652730,
    3: 3.182446305,
    4: 2.776445105,
    5: 2.570581836,
    6: 2.446911851,
    7: 2.364624252,
    8: 2.306004135,
    9: 2.262157163,
}


def t975(df: int) -> float:
    """Student's t 97.5% quantile for ``df`` degrees of freedom (no scipy): exact values for
    df <= 9, else the Cornish-Fisher expansion around Z95 to the 1/df**4 term (within 1e-5 of
    the exact quantile from df 10 on, and tending to Z95)."""
    if df < 1:
        raise ValueError("need at least one degree of freedom")
    if df in _T975_SMALL:
        return _T975_SMALL[df]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


def mean_ci(n: int, total: float, squares: float) -> tuple[float, float, float] | None:
    """The mean of n values from their sum and sum of squares, with the t 95% interval
    ``mean ± t975(n - 1) * s / sqrt(n)`` (s the sample standard deviation). Returns
    ``(mean, low, high)``; ``None`` when n is 0; the interval is the mean itself when n is 1
    (no spread to measure)."""
    n = int(n)
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return mean, mean, mean
    # (squares - total**2 / n) is the sum of squared deviations; exact integers in, one rounding.
    variance = max((n * squares - total * total) / (n * (n - 1)), 0.0)
    half = t975(n - 1) * math.sqrt(variance / n)
    return float(mean), float(mean - half), float(mean + half)


def difference_ci(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float] | None:
    """p1 - p2 in points (x/n as %) with Newcombe's hybrid score 95% interval (method 10).

    Returns ``(difference, low, high)``, all in [-100, 100]; ``None`` when a group is empty.
    """
    x1, n1, x2, n2 = int(x1), int(n1), int(x2), int(n2)  # numpy ints could overflow below
    if not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        raise ValueError("need 0 <= x <= n for both groups")
    if n1 == 0 or n2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1)
    l2, u2 = _wilson(x2, n2)
    d = (x1 * n2 - x2 * n1) / (n1 * n2)  # exact numerator: one rounding, 56/70 - 48/80 is 0.2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    # Mathematically inside [-1, 1] and around d; the clamps only absorb float error.
    return (
        float(100 * d),
        float(100 * min(max(low, -1.0), d)),
        float(100 * max(min(high, 1.0), d)),
    )


# --- Change between two periods (dashboards: "did it move beyond noise?") -------------------


@dataclass(frozen=True)
class Change:
    """A score in the current period against the previous one, with the 95% interval of the
    difference. ``beyond_noise`` only when both periods have enough answers and the interval
    leaves out 0: a change inside the interval could be sampling noise."""

    current: float | None
    previous: float | None
    difference: float | None  # current - previous, in points
    low: float | None
    high: float | None
    enough: bool  # both periods have at least min_sample answers
    beyond_noise: bool


def net_score_change(
    current: tuple[int, int, int],
    previous: tuple[int, int, int],
    *,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> Change:
    """Change of a net score (positive% - negative%, as NPS and the moment score) between two
    independent periods, each given as ``(positive, negative, n)``.

    Each period's score is the mean of +1/0/-1 answers, so its standard error is
    ``se = sqrt((p + d - (p - d)**2) / n)`` (p, d the positive and negative shares; the same
    variance as the NPS margin of product.md). The two periods hold different answers, so the
    standard error of the difference is ``sqrt(se1**2 + se2**2)`` and its 95% margin
    ``Z95 * sqrt(se1**2 + se2**2) * 100`` points; the change is beyond noise when
    ``|difference| > margin``.
    """
    (pos1, neg1, n1), (pos2, neg2, n2) = current, previous
    score1 = percent(pos1 - neg1, n1) if n1 else None
    score2 = percent(pos2 - neg2, n2) if n2 else None
    enough = is_enough(n1, min_sample) and is_enough(n2, min_sample)
    if score1 is None or score2 is None:
        return Change(score1, score2, None, None, None, enough, False)
    variance = sum(
        max(pos / n + neg / n - ((pos - neg) / n) ** 2, 0.0) / n
        for pos, neg, n in ((pos1, neg1, n1), (pos2, neg2, n2))
    )
    margin = float(Z95 * math.sqrt(variance) * 100)
    difference = score1 - score2
    return Change(
        score1,
        score2,
        difference,
        difference - margin,
        difference + margin,
        enough,
        enough and abs(difference) > margin,
    )
