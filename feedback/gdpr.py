"""A customer's personal data on request (GDPR articles 15 and 17): an admin exports it as JSON,
or erases it.

Erasing keeps the answers, so that metrics do not move and nothing is counted twice:

- the customer's e-mail, name and free attributes are blanked; its segment, country and plan
  (coarse categories the metrics and personas group by) are kept;
- its external id is replaced by a random pseudonym ("erased-…"), so its answers stay linked to
  one anonymous customer; their comments are kept, the contact each answer left is blanked;
- follow-up notes lose every mention of the customer's id, e-mail and name;
- an ``ErasedCustomer`` row records who erased it and when, with a keyed digest of the old id:
  re-importing the same file adds no answer (each answer keeps its own id, the idempotency key
  of ``(workspace, source, external id)``) and does not create the customer again (ingestion
  finds the digest: feedback.customers).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from feedback.customers import FIELDS, erased_digest
from feedback.followups.models import FollowUp, FollowUpEvent
from feedback.models import Activity, Customer, ErasedCustomer, Response
from mot.models import Membership
from mot.policy import Action, require

ERASED = "[erased]"  # what a note says where it named the customer


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def customer_export(*, actor: Membership, customer: Customer) -> dict:
    """Everything MOT holds on the customer, as a JSON-ready dict (a few queries, whatever the
    number of answers: one per kind of row)."""
    require(actor, Action.ERASE_CUSTOMER, customer)
    answers = list(
        Response.objects.filter(workspace_id=customer.workspace_id, customer=customer)
        .select_related("touchpoint__journey")
        .order_by("submitted_at", "pk")
    )
    followups = list(
        FollowUp.objects.filter(workspace_id=customer.workspace_id, response__customer=customer)
        .select_related("assignee__user")
        .order_by("pk")
    )
    events = list(
        FollowUpEvent.objects.filter(followup__in=followups)
        .select_related("actor__user")
        .order_by("created_at", "pk")
    )
    activities = list(
        Activity.objects.filter(workspace_id=customer.workspace_id, customer=customer).order_by(
            "occurred_at", "pk"
        )
    )
    notes: dict[int, list[dict]] = {}
    for event in events:
        notes.setdefault(event.followup_id, []).append(
            {
                "at": _when(event.created_at),
                "kind": event.kind,
                "by": event.actor.user.get_full_name() if event.actor else None,
                "note": event.note,
            }
        )
    return {
        "customer": {
            "id": customer.external_id,
            **{f: getattr(customer, f) for f in FIELDS},
            "attributes": customer.attributes,
            "created_at": _when(customer.created_at),
            "erased_at": _when(customer.erased_at),
        },
        "answers": [
            {
                "id": a.external_id,
                "submitted_at": _when(a.submitted_at),
                "received_at": _when(a.created_at),
                "journey": a.touchpoint.journey.name,
                "touchpoint": a.touchpoint.title,
                "source": a.source,
                "kind": a.kind,
                "nps": a.nps,
                "csat": a.csat,
                "respect": a.respect,
                "solutions": a.solutions,
                "simplicity": a.simplicity,
                "responsibility": a.responsibility,
                "comment": a.comment,
                "language": a.language,
                "contact": a.contact,
            }
            for a in answers
        ],
        "followups": [
            {
                "answer": next(a.external_id for a in answers if a.pk == f.response_id),
                "status": f.status,
                "opened_at": _when(f.created_at),
                "events": notes.get(f.pk, []),
            }
            for f in followups
        ],
        "activities": [
            {
                "id": a.external_id,
                "occurred_at": _when(a.occurred_at),
                "kind": a.kind,
                "value": str(a.value) if a.value is not None else None,
            }
            for a in activities
        ],
    }


@transaction.atomic
def customer_erase(*, actor: Membership, customer: Customer) -> ErasedCustomer:
    """Erase the customer's personal data, keep its answers anonymous (see the module)."""
    require(actor, Action.ERASE_CUSTOMER, customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return ErasedCustomer.objects.get(
            workspace_id=customer.workspace_id, pseudonym=customer.external_id
        )
    mentions = [m for m in (customer.external_id, customer.email, customer.name) if len(m) >= 3]
    pseudonym = f"erased-{secrets.token_hex(8)}"
    erasure = ErasedCustomer.objects.create(
        workspace_id=customer.workspace_id,
        digest=erased_digest(customer.workspace_id, customer.external_id),
        pseudonym=pseudonym,
        erased_by=actor.user,
    )
    Response.objects.filter(workspace_id=customer.workspace_id, customer=customer).exclude(
        contact=""
    ).update(contact="")
    if mentions:
        pattern = re.compile("|".join(re.escape(m) for m in mentions), re.IGNORECASE)
        mention = Q()
        for m in mentions:
            mention |= Q(note__icontains=m)
        events = list(
            FollowUpEvent.objects.filter(
                mention,
                followup__workspace_id=customer.workspace_id,
                followup__response__customer=customer,
            )
        )
        for event in events:
            event.note = pattern.sub(ERASED, event.note)
        FollowUpEvent.objects.bulk_update(events, ["note"])
    customer.external_id = pseudonym
    customer.email = ""
    customer.name = ""
    customer.attributes = {}
    customer.erased_at = timezone.now()
    customer.save(update_fields=["external_id", "email", "name", "attributes", "erased_at"])
    return erasure


def customer_find(*, actor: Membership, text: str) -> list[Customer]:
    """The workspace's customers whose id or e-mail is ``text`` (case aside), for the page an
    admin answers a request from."""
    require(actor, Action.ERASE_CUSTOMER, actor.workspace)
    text = text.strip()
    if not text:
        return []
    return list(
        Customer.objects.filter(workspace_id=actor.workspace_id)
        .filter(Q(external_id__iexact=text) | Q(email__iexact=text))
        .order_by("pk")[:20]
    )


def erasures_of(*, actor: Membership, limit: int = 50) -> list[ErasedCustomer]:
    """The workspace's latest erasures: who erased which pseudonym, when (the audit)."""
    require(actor, Action.ERASE_CUSTOMER, actor.workspace)
    return list(
        ErasedCustomer.objects.filter(workspace_id=actor.workspace_id)
        .select_related("erased_by")
        .order_by("-erased_at", "-pk")[:limit]
    )
