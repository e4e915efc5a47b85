"""Built-in journey templates, drawn from the seed articles' own examples.

Each is a journey document in the export format (journeys/exchange.py), so a template goes through
the same validation and creation code as an imported file. Names and descriptions are marked for
translation and resolved when the journey is created, in the creator's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from journeys.exchange_format import FORMAT, VERSION


@dataclass(frozen=True)
class Blueprint:
    key: str
    label: Any
    summary: Any
    build: Any  # () -> journey dict, strings translated at call time


def _tp(title: str, channel: str, mot: str, phase: str, description: str = "") -> dict[str, str]:
    return {
        "title": title,
        "channel": channel,
        "mot_stage": mot,
        "phase": phase,
        "description": description,
    }


def _online_shop() -> dict[str, Any]:
    return {
        "name": _("B2C online shop"),
        "persona": _("Online shopper"),
        "description": _(
            "From the first search to sharing a review: the moments where a shopper decides "
            "whether to buy, to wait patiently and to come back."
        ),
        "state": "current",
        "stages": [
            {
                "name": _("Research"),
                "touchpoints": [
                    _tp(_("Search engine results"), "search", "zmot", "purchase"),
                    _tp(
                        _("Reading customer reviews"),
                        "review_site",
                        "zmot",
                        "purchase",
                        _("Ratings and reviews other customers left: someone else's LMOT."),
                    ),
                    _tp(_("Price comparison"), "website", "zmot", "purchase"),
                ],
            },
            {
                "name": _("Choose and buy"),
                "touchpoints": [
                    _tp(
                        _("Product page"),
                        "website",
                        "fmot",
                        "purchase",
                        _("Photos, description, price and stock: the buy/no-buy decision."),
                    ),
                    _tp(_("Cart and checkout"), "website", "fmot", "purchase"),
                    _tp(_("Order confirmation e-mail"), "email", "", "purchase"),
                ],
            },
            {
                "name": _("Delivery"),
                "touchpoints": [
                    _tp(
                        _("Waiting for delivery"),
                        "delivery",
                        "amot",
                        "post_sale",
                        _("The gap between paying and receiving; tracking updates matter here."),
                    ),
                    _tp(_("Parcel arrives"), "delivery", "amot", "post_sale"),
                ],
            },
            {
                "name": _("Use"),
                "touchpoints": [
                    _tp(_("Unboxing and first use"), "product", "smot", "use"),
                    _tp(_("Support chat"), "chat", "smot", "use"),
                    _tp(_("Returns and refunds"), "website", "smot", "post_sale"),
                ],
            },
            {
                "name": _("Share"),
                "touchpoints": [
                    _tp(
                        _("Writing a review"),
                        "review_site",
                        "lmot",
                        "post_sale",
                        _("The customer shares the experience; it becomes the next buyer's ZMOT."),
                    ),
                    _tp(_("Social media post"), "social", "lmot", "post_sale"),
                ],
            },
        ],
    }


def _saas_onboarding() -> dict[str, Any]:
    return {
        "name": _("B2B SaaS onboarding"),
        "persona": _("Operations lead at a customer company"),
        "description": _(
            "From evaluating the product to renewing the contract: in B2B the second moment of "
            "truth is onboarding and support."
        ),
        "state": "current",
        "stages": [
            {
                "name": _("Evaluate"),
                "touchpoints": [
                    _tp(
                        _("Peer recommendations and review sites"),
                        "review_site",
                        "zmot",
                        "purchase",
                    ),
                    _tp(_("Website and pricing page"), "website", "zmot", "purchase"),
                ],
            },
            {
                "name": _("Trial and purchase"),
                "touchpoints": [
                    _tp(_("Sales demo"), "phone", "fmot", "purchase"),
                    _tp(_("Free trial sign-up"), "website", "fmot", "purchase"),
                    _tp(_("Contract signature"), "email", "", "purchase"),
                ],
            },
            {
                "name": _("Onboarding"),
                "touchpoints": [
                    _tp(
                        _("Waiting for account provisioning"),
                        "email",
                        "amot",
                        "use",
                        _("Paid, not yet live: the actual moment of truth in B2B."),
                    ),
                    _tp(_("Kick-off call"), "phone", "smot", "use"),
                    _tp(_("Data import and set-up"), "product", "smot", "use"),
                    _tp(_("Team training"), "in_person", "smot", "use"),
                ],
            },
            {
                "name": _("Everyday use"),
                "touchpoints": [
                    _tp(_("Support ticket"), "email", "smot", "use"),
                    _tp(_("Product update announcement"), "email", "", "use"),
                    _tp(_("Quarterly business review"), "phone", "smot", "post_sale"),
                ],
            },
            {
                "name": _("Renew and advocate"),
                "touchpoints": [
                    _tp(_("Renewal"), "email", "", "post_sale"),
                    _tp(_("Case study or review"), "review_site", "lmot", "post_sale"),
                ],
            },
        ],
    }


def _restaurant() -> dict[str, Any]:
    return {
        "name": _("Restaurant"),
        "persona": _("Diner in a hurry at lunch"),
        "description": _(
            "A magic moment is the dish arriving quickly, hot and delicious when the guest is in "
            "a hurry; a bad moment is the wait that never ends."
        ),
        "state": "current",
        "stages": [
            {
                "name": _("Discover"),
                "touchpoints": [
                    _tp(_("Online reviews and photos"), "review_site", "zmot", "purchase"),
                    _tp(_("Table reservation"), "phone", "zmot", "purchase"),
                ],
            },
            {
                "name": _("Arrive"),
                "touchpoints": [
                    _tp(_("Welcome at the door"), "in_person", "fmot", "purchase"),
                    _tp(_("Menu"), "in_person", "fmot", "purchase"),
                ],
            },
            {
                "name": _("Eat"),
                "touchpoints": [
                    _tp(_("Waiting for the food"), "in_person", "amot", "use"),
                    _tp(
                        _("Dish served"),
                        "in_person",
                        "smot",
                        "use",
                        _("Taste, temperature, presentation: all the senses judge."),
                    ),
                    _tp(_("Service at the table"), "in_person", "smot", "use"),
                ],
            },
            {
                "name": _("Pay and leave"),
                "touchpoints": [
                    _tp(_("Bill and payment"), "in_person", "", "post_sale"),
                    _tp(_("Goodbye"), "in_person", "", "post_sale"),
                ],
            },
            {
                "name": _("Share"),
                "touchpoints": [
                    _tp(_("Review on a review site"), "review_site", "lmot", "post_sale"),
                    _tp(_("Photo on social media"), "social", "lmot", "post_sale"),
                ],
            },
        ],
    }


BLUEPRINTS: dict[str, Blueprint] = {
    bp.key: bp
    for bp in [
        Blueprint(
            "online_shop",
            gettext_lazy("B2C online shop"),
            gettext_lazy(
                "Reviews, product page, checkout, the wait for delivery, sharing a review."
            ),
            _online_shop,
        ),
        Blueprint(
            "saas_onboarding",
            gettext_lazy("B2B SaaS onboarding"),
            gettext_lazy("Evaluation, trial, onboarding and support, renewal."),
            _saas_onboarding,
        ),
        Blueprint(
            "restaurant",
            gettext_lazy("Restaurant"),
            gettext_lazy("Reviews, welcome, the wait for food, the dish, the bill, the review."),
            _restaurant,
        ),
    ]
}


def blueprint_document(key: str) -> dict[str, Any]:
    """The blueprint as a journey export document (KeyError for an unknown key)."""
    journey = BLUEPRINTS[key].build()
    kinds, items = _LANES[key]()
    journey["lanes"] = [{"kind": kind} for kind in kinds]
    for stage_index, stage in enumerate(journey["stages"]):
        stage["items"] = [
            {"lane": kinds.index(kind), "text": text} for kind, text in items.get(stage_index, [])
        ]
    return {"format": FORMAT, "version": VERSION, "journey": journey}


# Each template's lanes, top to bottom, and a few items per stage (stage index -> (kind, text)),
# so a new map shows what the lanes are for.
def _online_shop_lanes() -> tuple[list[str], dict[int, list[tuple[str, str]]]]:
    kinds = ["emotion", "actions", "touchpoints", "thoughts", "pains", "opportunities", "backstage"]
    return kinds, {
        0: [
            ("actions", _("Searches for the product and compares prices")),
            ("thoughts", _("Can I trust this shop?")),
        ],
        1: [
            ("pains", _("Shipping costs appear only at checkout")),
            ("opportunities", _("Show the delivery price on the product page")),
        ],
        2: [
            ("thoughts", _("Where is my parcel?")),
            ("pains", _("No tracking link in the confirmation")),
            ("backstage", _("Warehouse picks and packs the order")),
        ],
        4: [("opportunities", _("Ask for a review when the parcel arrives"))],
    }


def _saas_onboarding_lanes() -> tuple[list[str], dict[int, list[tuple[str, str]]]]:
    kinds = ["emotion", "actions", "touchpoints", "pains", "opportunities", "support", "metrics"]
    return kinds, {
        1: [("pains", _("Trial data is lost when the trial ends"))],
        2: [
            ("actions", _("Invites the team and imports data")),
            ("support", _("Customer success call in the first week")),
            ("opportunities", _("Guided setup checklist")),
        ],
    }


def _restaurant_lanes() -> tuple[list[str], dict[int, list[tuple[str, str]]]]:
    kinds = ["emotion", "actions", "touchpoints", "thoughts", "pains", "backstage"]
    return kinds, {
        2: [
            ("thoughts", _("Will I be back at work on time?")),
            ("pains", _("The food takes longer than promised")),
            ("backstage", _("Kitchen prepares the lunch menu in advance")),
        ],
        3: [("pains", _("Waiting for the bill"))],
    }


_LANES = {
    "online_shop": _online_shop_lanes,
    "saas_onboarding": _saas_onboarding_lanes,
    "restaurant": _restaurant_lanes,
}
