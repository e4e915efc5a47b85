"""Expectation diagnostics and blind spots: why a moment hurts, and where nobody can tell.

Every survey asks four expectations, each rated 1-5: **respect**, **solutions**, **simplicity**,
**responsibility** (``metrics.models.EXPECTATIONS``). The engine stores, per touchpoint and day,
for each expectation and each experience class of the answer (glory, neutral, pain: decided in
``feedback.experience``) the number of answers rating it (n), the sum of their ratings and how
many rated it low; and per expectation the sum of the squared ratings
(``metrics.models.ExpectationCounts``). A period, a stage, a journey or the workspace is the sum
of those rows; everything below is derived from the sums (:class:`Sums`), so any period costs a
sum on read. An answer that leaves an expectation blank does not count in that expectation's n.

Definitions, per scope and period, for each expectation:

- **n**: the answers rating it (all three experience classes).
- **Mean** rating, with its 95% interval ``mean ± t(0.975, n - 1) * s / sqrt(n)``, s the sample
  standard deviation (from the sum and the sum of squares); Student's t quantile from
  ``metrics.stats.t975`` (exact for n - 1 <= 9, a Cornish-Fisher expansion beyond, which tends
  to the normal 1.96). With one answer the interval is the value itself.
- **Low-rating share**: the share of n rating it 1 or 2 (``LOW_MAX``), in %, with Wilson's score
  95% interval (``metrics.stats.wilson_ci``), which stays inside 0-100 and keeps its coverage
  near 0 and 100%, where the normal interval collapses.
- **Enough**: n >= the workspace's minimum sample (``metrics.stats.is_enough``); below it the
  pages say "not enough data" and never show the value as a finding.
- **Separation** of pain from glory: the low-rating share among the pain answers minus that
  among the glory answers, in points, with Newcombe's hybrid score 95% interval
  (``metrics.stats.difference_ci``, as moment impact). Positive: customers in pain are let down
  on this expectation more than delighted ones. Enough when the pain group and the glory group
  each reach the minimum sample.
- **What separates pain from glory most**: the expectation with the largest separation among
  those with enough answers; a tie goes to the first in ``EXPECTATIONS`` order. None when no
  expectation has enough answers in both groups.
- **Weakest expectation** (My touchpoints: what to train the team on): the highest low-rating
  share among the expectations with enough answers; ties as above.

Blind spots of a journey in a period (:func:`blind_spots`), each touchpoint in map order:

- **not measured**: no answers in the period;
- **too few answers**: some, but fewer than the minimum sample;
- **mostly neutral**: enough answers, but more than ``MOSTLY_NEUTRAL`` (60%) of them neutral
  (strictly more: 60% exactly is not "mostly"): customers neither delighted nor hurt, so the
  moment tells nothing ("no news is good news" is the threat);
- **coverage**: the share, in %, of the journey's touchpoints with enough answers (mostly
  neutral ones count as covered: they are measured); None for a journey without touchpoints;
- the **weakest measured moment** is :func:`metrics.compute.weakest` over the touchpoints with
  enough answers; the others are named as blind spots instead of being skipped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.utils.translation import gettext_lazy

from metrics import compute
from metrics.models import EXPECTATION_FIELDS, EXPECTATIONS, EXPERIENCES
from metrics.stats import difference_ci, is_enough, mean_ci, percent, wilson_ci

EXPECTATION_LABELS = {
    "respect": gettext_lazy("Respect"),
    "solutions": gettext_lazy("Solutions"),
    "simplicity": gettext_lazy("Simplicity"),
    "responsibility": gettext_lazy("Responsibility"),
}
LOW_MAX = 2  # a rating of 1 or 2 is low
MOSTLY_NEUTRAL = 60.0  # % of the answers; strictly more is "mostly neutral"

K = TypeVar("K")


@dataclass(frozen=True)
class Sums:
    """The additive sums of one scope and period, by ``EXPECTATION_FIELDS`` name."""

    values: Mapping[str, int] = field(default_factory=dict)

    def get(self, name: str) -> int:
        return int(self.values.get(name, 0) or 0)

    def __add__(self, other: Sums) -> Sums:
        return Sums({name: self.get(name) + other.get(name) for name in EXPECTATION_FIELDS})

    @classmethod
    def total(cls, items: Iterable[Sums]) -> Sums:
        result = cls()
        for item in items:
            result = result + item
        return result

    def part(self, expectation: str, experience: str, part: str) -> int:
        return self.get(f"{expectation}_{experience}_{part}")

    def n(self, expectation: str, experience: str | None = None) -> int:
        classes = EXPERIENCES if experience is None else (experience,)
        return sum(self.part(expectation, c, "n") for c in classes)

    def low(self, expectation: str, experience: str | None = None) -> int:
        classes = EXPERIENCES if experience is None else (experience,)
        return sum(self.part(expectation, c, "low") for c in classes)

    def rating_sum(self, expectation: str) -> int:
        return sum(self.part(expectation, c, "sum") for c in EXPERIENCES)

    @property
    def rated(self) -> int:
        """The largest n of the four (an answer usually rates all four or none)."""
        return max(self.n(e) for e in EXPECTATIONS)


@dataclass(frozen=True)
class Rating:
    """One expectation of a scope and period."""

    expectation: str
    n: int
    mean: float | None
    mean_low: float | None
    mean_high: float | None
    low_share: float | None  # % rating 1-2
    low_share_low: float | None
    low_share_high: float | None
    enough: bool


@dataclass(frozen=True)
class Separation:
    """The low-rating share of one expectation among pain answers minus among glory ones."""

    expectation: str
    pain_n: int
    pain_low_share: float | None
    glory_n: int
    glory_low_share: float | None
    difference: float | None  # points
    low: float | None
    high: float | None
    enough: bool


@dataclass(frozen=True)
class Diagnosis:
    """The four expectations of a scope and period, and what separates pain from glory."""

    ratings: list[Rating]
    separations: list[Separation]

    @property
    def separator(self) -> Separation | None:
        """The expectation separating pain from glory most (see the module docstring)."""
        return _first_max(
            [s for s in self.separations if s.enough], key=lambda s: s.difference or 0.0
        )

    @property
    def weakest(self) -> Rating | None:
        """The expectation with the highest low-rating share, among those with enough."""
        return _first_max([r for r in self.ratings if r.enough], key=lambda r: r.low_share or 0.0)

    @property
    def rated(self) -> int:
        return max((r.n for r in self.ratings), default=0)

    def rating(self, expectation: str) -> Rating:
        return next(r for r in self.ratings if r.expectation == expectation)


def _first_max(items: Sequence, key) -> object | None:
    best = None
    for item in items:  # strictly greater: a tie keeps the earlier expectation
        if best is None or key(item) > key(best):
            best = item
    return best


def rating(sums: Sums, expectation: str, *, min_sample: int) -> Rating:
    n = sums.n(expectation)
    mean = mean_ci(n, sums.rating_sum(expectation), sums.get(f"{expectation}_squares"))
    low = sums.low(expectation)
    share = wilson_ci(low, n)
    return Rating(
        expectation=expectation,
        n=n,
        mean=mean[0] if mean else None,
        mean_low=mean[1] if mean else None,
        mean_high=mean[2] if mean else None,
        low_share=percent(low, n) if n else None,
        low_share_low=share[0] if share else None,
        low_share_high=share[1] if share else None,
        enough=is_enough(n, min_sample),
    )


def separation(sums: Sums, expectation: str, *, min_sample: int) -> Separation:
    pain_n, glory_n = sums.n(expectation, "pain"), sums.n(expectation, "glory")
    pain_low, glory_low = sums.low(expectation, "pain"), sums.low(expectation, "glory")
    diff = difference_ci(pain_low, pain_n, glory_low, glory_n)
    return Separation(
        expectation=expectation,
        pain_n=pain_n,
        pain_low_share=percent(pain_low, pain_n) if pain_n else None,
        glory_n=glory_n,
        glory_low_share=percent(glory_low, glory_n) if glory_n else None,
        difference=diff[0] if diff else None,
        low=diff[1] if diff else None,
        high=diff[2] if diff else None,
        enough=is_enough(pain_n, min_sample) and is_enough(glory_n, min_sample),
    )


def diagnose(sums: Sums, *, min_sample: int) -> Diagnosis:
    return Diagnosis(
        ratings=[rating(sums, e, min_sample=min_sample) for e in EXPECTATIONS],
        separations=[separation(sums, e, min_sample=min_sample) for e in EXPECTATIONS],
    )


# --- blind spots -------------------------------------------------------------------------------

NOT_MEASURED, TOO_FEW, MOSTLY_NEUTRAL_KIND = "not_measured", "too_few", "mostly_neutral"


@dataclass(frozen=True)
class BlindSpot(Generic[K]):
    key: K
    kind: str  # NOT_MEASURED, TOO_FEW or MOSTLY_NEUTRAL_KIND
    moment: compute.Moment


@dataclass(frozen=True)
class Coverage(Generic[K]):
    """A journey's blind spots in a period, beside its weakest measured moment."""

    touchpoints: int
    covered: int  # with enough answers
    blind_spots: list[BlindSpot[K]]
    weakest: K | None  # the weakest measured moment

    @property
    def share(self) -> float | None:
        return percent(self.covered, self.touchpoints) if self.touchpoints else None

    @property
    def unmeasured(self) -> int:
        """Moments not measured enough to compare (no answers or too few)."""
        return sum(1 for b in self.blind_spots if b.kind != MOSTLY_NEUTRAL_KIND)


def blind_spot_kind(moment: compute.Moment) -> str | None:
    if moment.n == 0:
        return NOT_MEASURED
    if not moment.enough:
        return TOO_FEW
    if moment.neutral_share is not None and moment.neutral_share > MOSTLY_NEUTRAL:
        return MOSTLY_NEUTRAL_KIND
    return None


def blind_spots(moments: Mapping[K, compute.Moment]) -> Coverage[K]:
    """The blind spots and coverage of a journey's touchpoints (``moments`` in map order, every
    touchpoint of the journey, those without answers too)."""
    spots = []
    for key, moment in moments.items():
        kind = blind_spot_kind(moment)
        if kind is not None:
            spots.append(BlindSpot(key, kind, moment))
    return Coverage(
        touchpoints=len(moments),
        covered=sum(1 for m in moments.values() if m.enough),
        blind_spots=spots,
        weakest=compute.weakest(moments),
    )
