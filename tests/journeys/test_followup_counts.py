"""Each touchpoint's active follow-ups on its map card and on My touchpoints (issue 14), read
through metrics' read side (journeys never imports feedback)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from feedback.followups.models import FollowUp, Status
from metrics.read.followups import journey_followup_counts, touchpoint_followup_counts
from mot.models import Role
from tests.conftest import login
from tests.feedback.followups.conftest import answer, ingest
from tests.feedback.followups.conftest import reviews as reviews  # the staff persona's touchpoint

HX = {"HX-Request": "true"}


@pytest.fixture
def followups(workspace, reviews, journey):
    """Reviews: three follow-ups, two active. Checkout: one active. Product page: none."""
    checkout = journey.touchpoints.get(title="Checkout")
    ingest(
        workspace,
        *[answer(reviews, f"r{i}", comment="Slow") for i in range(3)],
        answer(checkout, "c0", comment="Broken"),
    )
    FollowUp.objects.filter(response__external_id="r2").update(status=Status.RECOVERED)
    return {"reviews": reviews, "checkout": checkout}


def _card(page: str, pk: int) -> str:
    start = page.index(f'id="tp-{pk}"')
    return page[start : page.index("</li>", start)]


def test_counts_are_active_follow_ups_per_touchpoint_in_one_query(
    journey, followups, django_assert_num_queries
):
    reviews, checkout = followups["reviews"], followups["checkout"]
    product = journey.touchpoints.get(title="Product page")

    with django_assert_num_queries(1):
        counts = journey_followup_counts(journey_id=journey.pk)
    with django_assert_num_queries(1):
        some = touchpoint_followup_counts(touchpoint_ids=[reviews.pk, product.pk])

    assert counts == {reviews.pk: 2, checkout.pk: 1}
    assert some == {reviews.pk: 2}
    assert touchpoint_followup_counts(touchpoint_ids=[]) == {}


@pytest.mark.parametrize("role", Role.values)
def test_map_cards_show_their_active_follow_ups(client, personas, journey, followups, role):
    login(client, personas[role])

    page = client.get(reverse("journeys:map", kwargs={"ws": "acme", "pk": journey.pk}))

    html = page.content.decode()
    reviews = _card(html, followups["reviews"].pk)
    product = _card(html, journey.touchpoints.get(title="Product page").pk)
    assert "2 open follow-ups" in reviews
    assert 'data-followups="1"' in _card(html, followups["checkout"].pk)
    assert "open follow-up" not in product
    team = reverse("followups:team", kwargs={"ws": "acme"})
    # A link to the touchpoint's follow-ups for the roles that read the team queue.
    assert (f'href="{team}?touchpoint={followups["reviews"].pk}"' in reviews) is (
        role != Role.STAFF
    )


def test_a_card_drawn_alone_keeps_its_count(client, editor, followups):
    login(client, editor)
    tp = followups["reviews"]

    response = client.get(
        reverse("journeys:touchpoint_card", kwargs={"ws": "acme", "pk": tp.pk}), headers=HX
    )

    assert re.search(r'data-followups="2"', response.content.decode())


def test_my_touchpoints_shows_each_ones_active_follow_ups(client, staff, followups):
    login(client, staff)

    page = client.get(reverse("journeys:my_touchpoints", kwargs={"ws": "acme"})).content.decode()

    assert 'data-followups="2"' in page
    assert "2 open follow-ups" in page
    assert reverse("followups:list", kwargs={"ws": "acme"}) in page
