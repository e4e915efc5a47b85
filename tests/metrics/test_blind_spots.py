"""Blind spots and coverage: hand-computed on plain moments, then on the dashboard (a touchpoint
without answers is named, never silently skipped) and the journey map's header."""

from __future__ import annotations

from datetime import date

import pytest

from metrics import compute
from metrics.expectations import (
    MOSTLY_NEUTRAL_KIND,
    NOT_MEASURED,
    TOO_FEW,
    blind_spot_kind,
    blind_spots,
)
from metrics.models import MomentCounts
from tests.conftest import login
from tests.metrics.test_dashboard import URL, add_day, march, tps


def moment(glory: int, neutral: int, pain: int, min_sample: int = 30) -> compute.Moment:
    return compute.moment(
        compute.Counts(
            answers=glory + neutral + pain,
            promoters=glory,
            passives=neutral,
            detractors=pain,
            glory=glory,
            neutral=neutral,
            pain=pain,
        ),
        min_sample=min_sample,
    )


def test_blind_spots_and_coverage_by_hand():
    moments = {
        "silent": moment(0, 0, 0),
        "few": moment(3, 1, 1),  # 5 of 30
        "neutral": moment(5, 25, 10),  # 25 of 40 neutral: 62.5% > 60%
        "sixty": moment(10, 30, 10),  # exactly 60% neutral: measured, not mostly neutral
        "hurts": moment(5, 10, 25),  # score (5 - 25) / 40 = -50
    }
    coverage = blind_spots(moments)
    assert [(b.key, b.kind) for b in coverage.blind_spots] == [
        ("silent", NOT_MEASURED),
        ("few", TOO_FEW),
        ("neutral", MOSTLY_NEUTRAL_KIND),
    ]
    assert (coverage.touchpoints, coverage.covered) == (5, 3)  # neutral, sixty, hurts
    assert coverage.share == 60.0
    assert coverage.unmeasured == 2
    assert coverage.weakest == "hurts"
    assert blind_spot_kind(moment(10, 30, 10)) is None
    empty = blind_spots({})
    assert (empty.share, empty.weakest, empty.blind_spots) == (None, None, [])


def test_a_journey_with_no_measured_moment_has_no_weakest_but_names_them_all():
    coverage = blind_spots({"a": moment(0, 0, 0), "b": moment(2, 0, 0)})
    assert coverage.weakest is None
    assert coverage.share == 0.0
    assert [b.kind for b in coverage.blind_spots] == [NOT_MEASURED, TOO_FEW]


@pytest.fixture
def measured(journey):
    """Checkout measured and weakest, Product page with too few answers, Reviews silent."""
    t = tps(journey)
    add_day(t["Checkout"], date(2026, 3, 5), promoters=10, passives=5, detractors=15)
    add_day(t["Product page"], date(2026, 3, 5), promoters=2, detractors=3)
    return t


def test_the_dashboard_names_unmeasured_moments_beside_the_weakest(measured, journey):
    data = march(journey)
    coverage = data.coverage[journey.pk]
    assert data.journey_moments[0].weakest.touchpoint.pk == measured["Checkout"].pk
    assert [(b.key, b.kind) for b in coverage.blind_spots] == [
        (measured["Reviews"].pk, NOT_MEASURED),
        (measured["Product page"].pk, TOO_FEW),
    ]
    assert coverage.share == pytest.approx(100 / 3)


def test_the_dashboard_page_shows_coverage_and_blind_spots(client, manager, measured, journey):
    login(client, manager)
    query = {"journey": journey.pk, "period": "custom", "date_from": "2026-03-02",
             "date_to": "2026-03-31"}  # fmt: skip
    html = client.get(URL, query).content.decode()
    section = html.split('id="weakest-moments"')[1].split("</section>")[0]
    assert "2 moments not measured enough to compare" in section
    assert '33% <span class="sub">(1 of 3)</span>' in section
    spots = section.split('class="blind-spots"')[1].split("</td>")[0]
    assert f'#tp-{measured["Reviews"].pk}">Reviews</a> <span class="sub">(no answers)' in spots
    assert 'Product page</a> <span class="sub">(too few answers)' in spots
    assert "Checkout" not in spots


def test_the_map_header_names_blind_spots_and_coverage(client, staff, journey):
    from django.utils import timezone

    t = tps(journey)
    today = timezone.localdate()
    add_day(t["Checkout"], today, promoters=10, passives=5, detractors=15)
    add_day(t["Checkout"], None, promoters=10, passives=5, detractors=15)
    add_day(t["Product page"], None, promoters=2, detractors=3)
    # The score the engine derives on all-time rows (add_day stores counts only).
    MomentCounts.objects.filter(day__isnull=True, key=str(t["Checkout"].pk)).update(
        moment_score=100 * (10 - 15) / 30
    )
    login(client, staff)
    html = client.get(f"/w/acme/journeys/{journey.pk}/").content.decode()
    header = html.split('id="map-coverage">')[1].split("</p>")[0]
    assert header == (
        "Weakest measured moment: Checkout. 2 moments not measured enough to compare: "
        "Reviews, Product page. Coverage: 33% (1 of 3 touchpoints with enough answers)."
    )
