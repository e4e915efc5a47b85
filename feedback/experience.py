"""The experience of one answer — glory, neutral or pain — defined in this one place.

With an NPS answer: 9-10 glory, 7-8 neutral, 0-6 pain (promoters, passives, detractors).
With only a CSAT answer: 5 glory, 3-4 neutral, 1-2 pain. NPS wins when both are given, because
it is the question every touchpoint's survey asks and the one the moment score is compared with.

A record that is not a survey answer (a complaint, an interview note…: ``feedback.models.Kind``)
has no score: its experience is the one the person who logged it chose, or "unknown".

The same thresholds exist twice on purpose: as a plain function (for Python code and tests) and
as a database expression (for the stored ``Response.experience`` column that filters and metric
queries group by). ``tests/feedback/test_experience.py`` checks the two agree on every input.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _


class Experience(models.TextChoices):
    GLORY = "glory", _("Glory")
    NEUTRAL = "neutral", _("Neutral")
    PAIN = "pain", _("Pain")


class NotedExperience(models.TextChoices):
    """The experience a person gives a record they log; "unknown" when they cannot tell."""

    GLORY = "glory", _("Glory")
    NEUTRAL = "neutral", _("Neutral")
    PAIN = "pain", _("Pain")
    UNKNOWN = "unknown", _("Unknown")


NPS_GLORY_MIN = 9  # 9-10
NPS_NEUTRAL_MIN = 7  # 7-8; 0-6 is pain
CSAT_GLORY_MIN = 5  # 5
CSAT_NEUTRAL_MIN = 3  # 3-4; 1-2 is pain


def experience_of(nps: int | None, csat: int | None) -> Experience | None:
    if nps is not None:
        if nps >= NPS_GLORY_MIN:
            return Experience.GLORY
        return Experience.NEUTRAL if nps >= NPS_NEUTRAL_MIN else Experience.PAIN
    if csat is not None:
        if csat >= CSAT_GLORY_MIN:
            return Experience.GLORY
        return Experience.NEUTRAL if csat >= CSAT_NEUTRAL_MIN else Experience.PAIN
    return None


def experience_expression() -> Case:
    # A record's experience is the noted one: it has no score (a constraint makes sure).
    return Case(
        When(~Q(kind="survey_answer"), then=F("noted_experience")),
        When(nps__gte=NPS_GLORY_MIN, then=Value(Experience.GLORY.value)),
        When(nps__gte=NPS_NEUTRAL_MIN, then=Value(Experience.NEUTRAL.value)),
        When(nps__isnull=False, then=Value(Experience.PAIN.value)),
        When(csat__gte=CSAT_GLORY_MIN, then=Value(Experience.GLORY.value)),
        When(csat__gte=CSAT_NEUTRAL_MIN, then=Value(Experience.NEUTRAL.value)),
        When(Q(csat__isnull=False), then=Value(Experience.PAIN.value)),
        default=Value(""),
        output_field=models.CharField(max_length=8),
    )
