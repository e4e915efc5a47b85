"""Templates: each creates a journey whose moments of truth are the seed articles' examples."""

from __future__ import annotations

import pytest
from django.utils import translation

from journeys.blueprints import BLUEPRINTS, blueprint_document
from journeys.exchange import Document
from journeys.models import MotStage, Touchpoint
from journeys.services import journey_create_from_blueprint


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# The seeds: reviews = ZMOT, product page = FMOT, delivery wait = AMOT, onboarding and support =
# SMOT, sharing a review = LMOT.
EXPECTED_MOMENTS = {
    "online_shop": {
        "Reading customer reviews": MotStage.ZMOT,
        "Search engine results": MotStage.ZMOT,
        "Product page": MotStage.FMOT,
        "Cart and checkout": MotStage.FMOT,
        "Waiting for delivery": MotStage.AMOT,
        "Unboxing and first use": MotStage.SMOT,
        "Support chat": MotStage.SMOT,
        "Writing a review": MotStage.LMOT,
        "Social media post": MotStage.LMOT,
    },
    "saas_onboarding": {
        "Peer recommendations and review sites": MotStage.ZMOT,
        "Free trial sign-up": MotStage.FMOT,
        "Waiting for account provisioning": MotStage.AMOT,
        "Kick-off call": MotStage.SMOT,
        "Team training": MotStage.SMOT,
        "Support ticket": MotStage.SMOT,
        "Case study or review": MotStage.LMOT,
    },
    "restaurant": {
        "Online reviews and photos": MotStage.ZMOT,
        "Menu": MotStage.FMOT,
        "Waiting for the food": MotStage.AMOT,
        "Dish served": MotStage.SMOT,
        "Review on a review site": MotStage.LMOT,
    },
}


def test_there_are_the_three_templates_of_the_seeds():
    assert set(BLUEPRINTS) == {"online_shop", "saas_onboarding", "restaurant"}
    assert [str(bp.label) for bp in BLUEPRINTS.values()] == [
        "B2C online shop",
        "B2B SaaS onboarding",
        "Restaurant",
    ]


@pytest.mark.parametrize("key", list(EXPECTED_MOMENTS))
def test_template_tags_touchpoints_with_the_seeds_moments(editor, key):
    journey = journey_create_from_blueprint(actor=editor, key=key)
    moments = dict(Touchpoint.objects.filter(journey=journey).values_list("title", "mot_stage"))
    for title, moment in EXPECTED_MOMENTS[key].items():
        assert moments[title] == moment, title


@pytest.mark.parametrize("key", list(BLUEPRINTS))
def test_template_covers_every_moment_of_truth_in_order(editor, key):
    journey = journey_create_from_blueprint(actor=editor, key=key)
    touchpoints = Touchpoint.objects.filter(journey=journey).order_by("stage__position", "position")
    tagged = [tp.mot_stage for tp in touchpoints if tp.mot_stage]
    assert set(tagged) == set(MotStage.values)
    # The journey reads left to right: research before the first contact, sharing last.
    assert tagged[0] == MotStage.ZMOT
    assert tagged[-1] == MotStage.LMOT


def test_online_shop_map_has_the_seed_stages_in_order(editor):
    journey = journey_create_from_blueprint(actor=editor, key="online_shop")
    assert journey.name == "B2C online shop"
    assert list(journey.stages.order_by("position").values_list("name", flat=True)) == [
        "Research",
        "Choose and buy",
        "Delivery",
        "Use",
        "Share",
    ]
    delivery = journey.stages.get(name="Delivery")
    assert list(delivery.touchpoints.order_by("position").values_list("title", "position")) == [
        ("Waiting for delivery", 0),
        ("Parcel arrives", 1),
    ]


def test_template_journey_can_be_given_another_name(editor):
    journey = journey_create_from_blueprint(actor=editor, key="restaurant", name="Lunch")
    assert journey.name == "Lunch"
    assert journey.workspace_id == editor.workspace_id


@pytest.mark.parametrize("key", list(BLUEPRINTS))
def test_template_is_a_valid_journey_document(key):
    document = Document.model_validate(blueprint_document(key))
    assert document.journey.stages
