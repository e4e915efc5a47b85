"""Tests of the metric maths; ``counts_from_answers`` tallies answers the way the engine does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from feedback.experience import experience_of
from metrics.compute import Counts


def counts_from_answers(answers: Iterable[tuple[int | None, ...]]) -> Counts:
    """Counts of (nps, csat) or (nps, csat, ces) answers.

    NPS groups use the product's literal bands (9-10, 7-8, 0-6) while the experience comes from
    ``feedback.experience``, so a test comparing the two also catches them drifting apart.
    """
    tally = dict.fromkeys((f.name for f in fields(Counts)), 0)
    for nps_value, csat_value, *rest in answers:
        ces_value = rest[0] if rest else None
        experience = experience_of(nps_value, csat_value)
        if experience is None:
            continue  # the engine's invariant: every counted answer has an NPS or a CSAT value
        tally["answers"] += 1
        tally[experience.value] += 1  # "glory", "neutral" or "pain": the Counts field names
        if nps_value is not None:
            band = "promoters" if nps_value >= 9 else "passives" if nps_value >= 7 else "detractors"
            tally[band] += 1
        if csat_value is not None:
            tally["csat_answers"] += 1
            tally["csat_top2"] += int(csat_value >= 4)
            tally["csat_sum"] += csat_value
        if ces_value is not None:
            tally["ces_answers"] += 1
            tally["ces_easy"] += int(ces_value >= 5)  # 5-7: the agree side of 1-7
            tally["ces_sum"] += ces_value
    return Counts(**tally)
