"""Realistic demo feedback for "Demo Retail": answers over the last 12 months, comments in
Portuguese, Spanish, Romanian and English, customers who answer more than once, and purchases.

Deterministic (a seeded generator; the same external ids every run) and stored through
feedback.services.responses_ingest, so loading twice stores everything once. Each touchpoint gets
a character (mostly delighting, mostly painful, or forgettable) so the numbers have a story: the
wait for delivery hurts, the product page delights, the order confirmation is forgettable. A
customer's later purchases depend on how their answers went, and pain at a journey's critical wait
(delivery, account provisioning, the food) drives customers away, so retention and moment impact
show something true: each wait is the moment that loses the most customers. A pain customer
whose follow-up was recovered comes back more than one whose was not (feedback.demo_followups
gives those follow-ups their past), so the recovery effect shows something true as well.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from feedback.customers import Profile
from feedback.demo_followups import demo_followups_apply, plan_for
from feedback.followups.models import Status
from feedback.models import Activity, Customer, Response, Source
from feedback.services import AnswerIn, responses_ingest
from journeys.models import Touchpoint
from metrics.services import metrics_request_on_commit
from mot.models import Workspace

SEED = 20261122
CUSTOMERS = 1500
# Chance of glory / pain per touchpoint character; the rest is neutral.
CHARACTERS = {"glory": (0.62, 0.12), "pain": (0.25, 0.5), "neutral": (0.2, 0.15)}
PAINFUL = {
    gettext_noop("Waiting for delivery"),
    gettext_noop("Waiting for the food"),
    gettext_noop("Waiting for account provisioning"),
    gettext_noop("Returns and refunds"),
    gettext_noop("Bill and payment"),
    gettext_noop("Support ticket"),
}
DELIGHTING = {
    gettext_noop("Product page"),
    gettext_noop("Dish served"),
    gettext_noop("Kick-off call"),
    gettext_noop("Unboxing and first use"),
    gettext_noop("Welcome at the door"),
    gettext_noop("Reading customer reviews"),
}
# The moments surveyed most (a survey goes out after them): they get this many times the answers.
KEY_MOMENT_WEIGHT = 3
# Pain at one of these makes a customer leave: each journey's wait, the moment that loses the most.
CRITICAL = {
    gettext_noop("Waiting for delivery"),
    gettext_noop("Waiting for account provisioning"),
    gettext_noop("Waiting for the food"),
}
# A pain customer whose follow-up was recovered comes back more often from then on; one not
# recovered less (the recovery effect the dashboard measures: issue 14).
RECOVERY_EFFECT = {Status.RECOVERED: 0.2, Status.NOT_RECOVERED: -0.15}
FORGETTABLE = {
    gettext_noop("Order confirmation e-mail"),
    gettext_noop("Contract signature"),
    gettext_noop("Goodbye"),
    gettext_noop("Product update announcement"),
}

COMMENTS = {
    "glory": {
        "en": [
            "Fast and friendly, better than I expected.",
            "Everything was simple and clear.",
            "They solved my problem on the spot.",
            "Loved it, I will recommend you.",
        ],
        "pt": [
            "Atendimento rápido e simpático, superou as expectativas.",
            "Tudo muito simples e claro.",
            "Resolveram o meu problema na hora.",
            "Adorei, vou recomendar aos amigos.",
        ],
        "es": [
            "Rápido y amable, mejor de lo que esperaba.",
            "Todo fue sencillo y claro.",
            "Resolvieron mi problema al momento.",
            "Me encantó, lo recomendaré.",
        ],
        "ro": [
            "Rapid și amabil, peste așteptări.",
            "Totul a fost simplu și clar.",
            "Mi-au rezolvat problema imediat.",
            "Mi-a plăcut mult, vă recomand.",
        ],
    },
    "neutral": {
        "en": ["It was fine.", "Nothing special.", "OK, as expected."],
        "pt": ["Foi normal.", "Nada de especial.", "Correu como esperado."],
        "es": ["Estuvo bien.", "Nada especial.", "Como esperaba."],
        "ro": ["A fost în regulă.", "Nimic deosebit.", "Cum mă așteptam."],
    },
    "pain": {
        "en": [
            "Late delivery and nobody told me.",
            "I waited far too long.",
            "Nobody answered my complaint.",
            "Too complicated, I gave up twice.",
        ],
        "pt": [
            "Entrega atrasada e ninguém me avisou.",
            "Esperei demasiado tempo.",
            "Ninguém respondeu à minha reclamação.",
            "Muito complicado, desisti duas vezes.",
        ],
        "es": [
            "Entrega retrasada y nadie me avisó.",
            "Esperé demasiado tiempo.",
            "Nadie respondió a mi queja.",
            "Demasiado complicado, me rendí dos veces.",
        ],
        "ro": [
            "Livrare întârziată și nimeni nu m-a anunțat.",
            "Am așteptat mult prea mult.",
            "Nimeni nu mi-a răspuns la reclamație.",
            "Prea complicat, am renunțat de două ori.",
        ],
    },
}
LANGUAGES = ["pt", "pt", "es", "ro", "en"]  # the seeds' readers: mostly Portuguese
# Each demo customer's segment, plan and country, drawn from its number (not from the random
# generator, so the answers stay as they were): the segments are those of the demo personas
# (feedback.demo), so a persona's curve and the segment filters have answers to show.
SEGMENTS = ("Families", "Students", "Business")
PLANS = ("Free", "Plus", "Premium")
COUNTRIES = {"pt": "PT", "es": "ES", "ro": "RO", "en": "GB"}


def demo_profile(n: int, language: str) -> Profile:
    """Demo customer number ``n``'s attributes (e-mail and name are made up, at example.com)."""
    return Profile(
        email=f"customer{n:04d}@example.com",
        name=f"Customer {n:04d}",
        segment=SEGMENTS[n % len(SEGMENTS)],
        country=COUNTRIES[language],
        plan=PLANS[(n // 3) % len(PLANS)],
    )


def _character(title: str) -> str:
    if title in PAINFUL:
        return "pain"
    if title in DELIGHTING:
        return "glory"
    if title in FORGETTABLE:
        return "neutral"
    return "mixed"


def _scores(rng: random.Random, experience: str) -> tuple[int, int]:
    if experience == "glory":
        return rng.choice([9, 10, 10]), rng.choice([5, 5, 4])
    if experience == "pain":
        return rng.randint(0, 6), rng.choice([1, 2, 2, 3])
    return rng.choice([7, 8]), rng.choice([3, 4])


# CES ("the company made it easy", 1-7) is asked by some surveys only, so some answers carry it.
CES_SHARE = 0.45
CES_BY_EXPERIENCE = {
    "glory": [7, 7, 6, 6, 5],
    "neutral": [3, 4, 4, 5, 5, 6],
    "pain": [1, 2, 2, 3, 4],
}


def _ces(rng: random.Random, experience: str) -> int | None:
    """A CES consistent with the answer's experience, for a share of the answers: an effortless
    moment is mostly easy (5-7), a painful one mostly hard (1-3)."""
    if rng.random() >= CES_SHARE:
        return None
    return rng.choice(CES_BY_EXPERIENCE[experience])


def _experience(rng: random.Random, character: str) -> str:
    if character == "mixed":
        character = rng.choice(["glory", "neutral", "pain", "glory"])
    glory, pain = CHARACTERS[character]
    roll = rng.random()
    return "glory" if roll < glory else "pain" if roll < glory + pain else "neutral"


@dataclass(frozen=True)
class Purchase:
    customer: str  # the customer's external id
    occurred_at: datetime
    value: float
    external_id: str


def build(workspace: Workspace, *, now: datetime) -> tuple[list[AnswerIn], list[Purchase]]:
    """The demo answers and purchases for the workspace's touchpoints (nothing is written)."""
    rng = random.Random(SEED)
    # CES draws from their own generator, so the other answers stay the same as before CES.
    ces_rng = random.Random(SEED + 1)
    # The journeys were created in the active language: each title back to the template's
    # English one, so a touchpoint keeps its character whatever the demo's language.
    english = {gettext(t): t for t in PAINFUL | DELIGHTING | FORGETTABLE}
    touchpoints = [
        (pk, english.get(title, title))
        for pk, title in Touchpoint.objects.filter(
            journey__workspace=workspace, journey__archived=False
        )
        .order_by("journey__name", "stage__position", "position")
        .values_list("pk", "title")
    ]
    if not touchpoints:
        return [], []
    weights = [KEY_MOMENT_WEIGHT if t in PAINFUL | DELIGHTING else 1 for _pk, t in touchpoints]
    answers: list[AnswerIn] = []
    feelings: dict[str, list[str]] = {}
    hurt_at_critical: set[str] = set()
    first_answer: dict[str, datetime] = {}
    closures: dict[str, list[tuple[datetime, str]]] = {}  # customer -> follow-ups closed
    for n in range(CUSTOMERS):
        customer = f"demo-customer-{n:04d}"
        language = rng.choice(LANGUAGES)
        first_seen = now - timedelta(days=rng.randint(0, 364))
        for k in range(rng.choice([1, 1, 2, 3, 4, 6, 8])):
            ((tp_id, title),) = rng.choices(touchpoints, weights=weights)
            when = first_seen + timedelta(days=rng.randint(0, 60) * k, hours=rng.randint(8, 21))
            if when > now:
                break
            experience = _experience(rng, _character(title))
            nps, csat = _scores(rng, experience)
            with_comment = rng.random() < (0.7 if experience == "pain" else 0.4)
            answers.append(
                AnswerIn(
                    touchpoint_id=tp_id,
                    external_id=f"demo-{n:04d}-{k}",
                    submitted_at=when,
                    nps=nps if rng.random() < 0.9 else None,
                    csat=csat,
                    respect=rng.randint(3, 5) if experience != "pain" else rng.randint(1, 3),
                    solutions=rng.randint(1, 5) if rng.random() < 0.6 else None,
                    simplicity=rng.randint(1, 5) if rng.random() < 0.6 else None,
                    responsibility=rng.randint(1, 5) if rng.random() < 0.5 else None,
                    ces=_ces(ces_rng, experience),
                    comment=rng.choice(COMMENTS[experience][language]) if with_comment else "",
                    language=language,
                    customer=customer,
                    profile=demo_profile(n, language) if k == 0 else None,
                )
            )
            if experience == "pain" and with_comment:  # the default rule opens a follow-up
                plan = plan_for(
                    external_id=answers[-1].external_id,
                    submitted_at=when,
                    language=language,
                    now=now,
                )
                if plan.closed is not None:
                    closures.setdefault(customer, []).append((plan.closed, plan.status))
            feelings.setdefault(customer, []).append(experience)
            if experience == "pain" and title in CRITICAL:
                hurt_at_critical.add(customer)
            first_answer.setdefault(customer, when)
    purchases = []
    for customer, seen in feelings.items():
        # Customers who met a moment of pain come back less, and pain at a critical wait drives
        # them away: the story moment impact tells.
        monthly = (
            0.5 - 0.15 * seen.count("pain") / len(seen) + 0.15 * seen.count("glory") / len(seen)
        )
        if customer in hurt_at_critical:
            monthly -= 0.3
        start = first_answer[customer] - timedelta(days=20)
        month = 0
        while start + timedelta(days=30 * month) <= now:
            chance = monthly + _recovery(closures.get(customer, []), start + timedelta(30 * month))
            if month == 0 or rng.random() < chance:
                purchases.append(
                    Purchase(
                        customer=customer,
                        occurred_at=start + timedelta(days=30 * month + rng.randint(0, 25)),
                        value=round(rng.uniform(12, 180), 2),
                        external_id=f"{customer}/purchase/{month}",
                    )
                )
            month += 1
    return answers, purchases


def _recovery(closures: list[tuple[datetime, str]], when: datetime) -> float:
    """How the customer's latest follow-up closed before ``when`` changes their coming back."""
    before = [status for closed, status in sorted(closures) if closed < when]
    return RECOVERY_EFFECT.get(before[-1], 0.0) if before else 0.0


@transaction.atomic
def load_demo_feedback(workspace: Workspace) -> int:
    """Store the demo feedback once; returns how many answers were new (0 on a second run)."""
    demo = Response.objects.filter(workspace=workspace, source=Source.DEMO)
    if demo.exists():
        return 0  # loaded already: a later "now" would add answers, so never top up
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    answers, purchases = build(workspace, now=now)
    created = 0
    for start in range(0, len(answers), 1000):
        result = responses_ingest(
            workspace_id=workspace.pk,
            source=Source.DEMO,
            answers=answers[start : start + 1000],
            request_metrics=False,
        )
        created += result.created
    customers = dict(Customer.objects.filter(workspace=workspace).values_list("external_id", "pk"))
    Activity.objects.bulk_create(
        [
            Activity(
                workspace=workspace,
                customer_id=customers[p.customer],
                occurred_at=p.occurred_at,
                kind="purchase",
                value=p.value,
                external_id=p.external_id,
            )
            for p in purchases
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    demo_followups_apply(workspace_id=workspace.pk, now=now)
    # One full recompute once everything is in (answers and purchases: retention needs both).
    metrics_request_on_commit(workspace_id=workspace.pk, full=True)
    return created
