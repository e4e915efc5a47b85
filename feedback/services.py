"""Storing survey answers: one ingestion path for survey links, the API and file imports.

Callers authorize first (a survey link's token, a workspace API token, a member's role through
mot.policy) and pass the workspace that authorization names; this module then checks that every
touchpoint belongs to that workspace, so an answer can never land in another workspace's map.

Idempotent: an answer is stored once per (workspace, source, external id). Re-sending it, also in
the same batch, counts it as a duplicate and writes nothing. A batch is written in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from feedback.followups.models import FollowUpSettings
from feedback.followups.rules import followups_open
from feedback.models import Customer, Response
from journeys.models import Touchpoint
from metrics.services import metrics_request_on_commit

RATINGS = ("respect", "solutions", "simplicity", "responsibility")


@dataclass(frozen=True)
class AnswerIn:
    """One validated answer (types and ranges already checked by the caller's schema or form)."""

    touchpoint_id: int
    external_id: str
    submitted_at: datetime
    nps: int | None = None
    csat: int | None = None
    respect: int | None = None
    solutions: int | None = None
    simplicity: int | None = None
    responsibility: int | None = None
    comment: str = ""
    language: str = ""
    customer: str | None = None  # the customer's external id
    contact: str = ""  # an e-mail or phone the customer agreed to be reached at (checked)


@dataclass(frozen=True)
class Problem:
    index: int  # the answer's place in the batch, from 0
    field: str
    message: str


class AnswersRefused(ValidationError):
    """Some answers cannot be stored; ``problems`` says which and why. Nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            [
                _("Answer %(n)d, %(field)s: %(message)s")
                % {"n": p.index + 1, "field": p.field, "message": p.message}
                for p in problems
            ]
        )


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    created_ids: list[int] = field(default_factory=list)
    followups: int = 0  # follow-ups the stored answers opened


def customers_get_or_create(workspace_id: int, external_ids: set[str]) -> dict[str, int]:
    """The workspace's customers with these external ids, created where missing."""
    if not external_ids:
        return {}
    existing = dict(
        Customer.objects.filter(
            workspace_id=workspace_id, external_id__in=external_ids
        ).values_list("external_id", "pk")
    )
    missing = external_ids - existing.keys()
    if missing:
        Customer.objects.bulk_create(
            [Customer(workspace_id=workspace_id, external_id=e) for e in sorted(missing)],
            ignore_conflicts=True,  # another request may create the same customer meanwhile
        )
        existing = dict(
            Customer.objects.filter(
                workspace_id=workspace_id, external_id__in=external_ids
            ).values_list("external_id", "pk")
        )
    return existing


@transaction.atomic
def responses_ingest(
    *,
    workspace_id: int,
    source: str,
    answers: Sequence[AnswerIn],
    request_metrics: bool = True,
    open_followups: bool = True,
    rule: FollowUpSettings | None = None,
) -> IngestResult:
    """Store answers, and open the follow-ups the workspace's rule asks for (in the same
    transaction). ``request_metrics=False`` is for callers that ask for one recompute after
    many batches themselves (the file import); ``rule`` for those that load the rule once."""
    result = IngestResult()
    if not answers:
        return result
    # Another workspace's touchpoint reads exactly like one that does not exist.
    journey_of = dict(
        Touchpoint.objects.filter(
            pk__in={a.touchpoint_id for a in answers}, journey__workspace_id=workspace_id
        ).values_list("pk", "journey_id")
    )
    known = journey_of.keys()
    problems = []
    for i, answer in enumerate(answers):
        if answer.nps is None and answer.csat is None:
            problems.append(Problem(i, "nps", _("an answer needs nps or csat")))
        if answer.touchpoint_id not in known:
            problems.append(Problem(i, "touchpoint", _("unknown touchpoint")))
    if problems:
        raise AnswersRefused(problems)

    already = set(
        Response.objects.filter(
            workspace_id=workspace_id,
            source=source,
            external_id__in={a.external_id for a in answers},
        ).values_list("external_id", flat=True)
    )
    fresh: dict[str, AnswerIn] = {}
    for answer in answers:
        if answer.external_id in already or answer.external_id in fresh:
            result.duplicates += 1
        else:
            fresh[answer.external_id] = answer
    customers = customers_get_or_create(
        workspace_id, {a.customer for a in fresh.values() if a.customer}
    )
    rows = [
        Response(
            workspace_id=workspace_id,
            touchpoint_id=a.touchpoint_id,
            customer_id=customers.get(a.customer) if a.customer else None,
            source=source,
            external_id=a.external_id,
            submitted_at=a.submitted_at,
            nps=a.nps,
            csat=a.csat,
            respect=a.respect,
            solutions=a.solutions,
            simplicity=a.simplicity,
            responsibility=a.responsibility,
            comment=a.comment,
            language=a.language,
            contact=a.contact,
        )
        for a in fresh.values()
    ]
    # ON CONFLICT DO NOTHING: a concurrent request storing the same answer wins quietly.
    Response.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    stored = dict(
        Response.objects.filter(
            workspace_id=workspace_id, source=source, external_id__in=fresh.keys()
        ).values_list("external_id", "pk")
    )
    result.created = len(stored)
    result.duplicates += len(fresh) - len(stored)
    result.created_ids = sorted(stored.values())
    if open_followups:
        result.followups = followups_open(
            workspace_id=workspace_id, response_ids=result.created_ids, rule=rule
        )
    if request_metrics and result.created:
        metrics_request_on_commit(
            workspace_id=workspace_id,
            journey_ids={journey_of[a.touchpoint_id] for a in fresh.values()},
        )
    return result
