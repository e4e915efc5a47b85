"""The weighted log-odds ratio with an informative Dirichlet prior (defined in
:mod:`metrics.themes`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from metrics.themes import MIN_COUNT, PRIOR_WEIGHT, Z_MIN

# A bigram hides a word of it ranked below when the word has at most this many times its count.
SUBSUME_RATIO = 1.5


@dataclass(frozen=True)
class Scored:
    term: str
    pain: int  # pain comments containing the term
    rest: int  # other comments containing it
    z: float


def log_odds(
    pain: Mapping[str, int],
    rest: Mapping[str, int],
    *,
    prior_weight: float = PRIOR_WEIGHT,
    n_pain: int | None = None,
    n_rest: int | None = None,
) -> dict[str, Scored]:
    """Every term's z-score of pain against the rest (terms of either group). ``n_pain`` and
    ``n_rest``: the groups' sizes when the counts given are not all of them (rows pruned)."""
    n_p = max(n_pain or 0, sum(pain.values()))
    n_r = max(n_rest or 0, sum(rest.values()))
    total = n_p + n_r
    scored = {}
    if not n_p or not n_r:
        return scored
    for term in pain.keys() | rest.keys():
        y_p, y_r = pain.get(term, 0), rest.get(term, 0)
        a = prior_weight * (y_p + y_r) / total
        delta = math.log((y_p + a) / (n_p + prior_weight - y_p - a)) - math.log(
            (y_r + a) / (n_r + prior_weight - y_r - a)
        )
        z = delta / math.sqrt(1 / (y_p + a) + 1 / (y_r + a))
        scored[term] = Scored(term, y_p, y_r, z)
    return scored


def themes(
    pain: Mapping[str, int],
    rest: Mapping[str, int],
    *,
    z_min: float = Z_MIN,
    min_count: int = MIN_COUNT,
    n_pain: int | None = None,
    n_rest: int | None = None,
) -> list[Scored]:
    """The themes: terms with z > ``z_min`` and at least ``min_count`` pain comments, highest z
    first (ties: more pain comments, then the term). A bigram theme stands for its words when
    they have at most ``SUBSUME_RATIO`` times its pain comments ("entrega atrasada" rather
    than "entrega" and "atrasada" apart), and ranks where the best of them would."""
    candidates = {
        s.term: s for s in log_odds(pain, rest).values() if s.z > z_min and s.pain >= min_count
    }
    rank_z = {term: s.z for term, s in candidates.items()}
    hidden: set[str] = set()
    # Strongest bigrams first: a word goes to the best pair that contains it.
    for s in sorted(candidates.values(), key=lambda s: (-s.z, -s.pain, s.term)):
        if " " not in s.term or s.term in hidden:
            continue
        for word in s.term.split(" "):
            if (
                word in candidates
                and word not in hidden
                and pain.get(word, 0) <= SUBSUME_RATIO * s.pain
            ):
                hidden.add(word)
                rank_z[s.term] = max(rank_z[s.term], candidates[word].z)
    return sorted(
        (s for term, s in candidates.items() if term not in hidden),
        key=lambda s: (-rank_z[s.term], -s.pain, s.term),
    )
