"""The demo's follow-ups: every state, spread over the months, worked by the demo team.

The demo answers open their follow-ups through the workspace's rule like any others (all open,
due from today); this module then gives each one a past consistent with its answer's date: opened
when the answer came, due two working days later, taken in hand, noted, and (for those older than
a fortnight) closed as recovered, not recovered or no action needed, some after their due date,
with a root cause. The recent ones stay open or in progress, some of them overdue.

Each follow-up's story is a pure function of its answer (a generator seeded by the answer's id),
so :mod:`feedback.demo_data` can make a recovered customer more likely to come back before any
follow-up exists, and loading the demo gives the same story every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from feedback.followups.models import (
    RESPONSE_KINDS,
    EventKind,
    FollowUp,
    FollowUpEvent,
    RootCause,
    Status,
)
from feedback.followups.rules import working_days_after
from feedback.models import Source
from mot.models import Membership, Role
from mot.sql import Identifiers, execute_many, row_placeholders, sql

NAMES = Identifiers(FollowUp._meta.db_table, FollowUpEvent._meta.db_table)
SEED = 20261206
ACTIVE_DAYS = 14  # answers younger than this have follow-ups still being worked
RESPONSE_DAYS = 2  # the default response target

# What a CX agent writes on the timeline, in the customer's language: on taking it in hand, and
# on closing it, by outcome.
NOTES: dict[str, dict[str, list[str]]] = {
    "pt": {
        "start": [
            "Liguei ao cliente, não atendeu. Deixei mensagem.",
            "Enviei e-mail a pedir desculpa e o número da encomenda.",
            "Falei com o armazém, a encomenda estava parada.",
            "Cliente atendeu, vou verificar com a equipa e retorno amanhã.",
        ],
        Status.RECOVERED: [
            "Reembolsámos os portes e o cliente agradeceu.",
            "Enviamos um cupom de desconto, cliente ficou satisfeito.",
            "Problema resolvido, cliente disse que volta a comprar.",
        ],
        Status.NOT_RECOVERED: [
            "Cliente não quis a compensação e pediu o cancelamento.",
            "Sem resposta depois de três tentativas.",
        ],
        Status.NO_ACTION: [
            "Já tinha sido resolvido pela loja antes do contacto.",
            "Comentário sobre o preço, nada a fazer.",
        ],
    },
    "es": {
        "start": [
            "Llamé al cliente, no contestó. Le dejé un mensaje.",
            "Escribí para disculparme y pedir el número de pedido.",
            "Hablé con el almacén: el pedido estaba retenido.",
        ],
        Status.RECOVERED: [
            "Devolvimos los gastos de envío, el cliente lo agradeció.",
            "Le enviamos un cupón; dice que volverá a comprar.",
        ],
        Status.NOT_RECOVERED: [
            "El cliente rechazó la compensación y canceló.",
            "Sin respuesta tras tres intentos.",
        ],
        Status.NO_ACTION: [
            "Ya estaba resuelto por la tienda.",
            "Queja sobre el precio, nada que hacer.",
        ],
    },
    "ro": {
        "start": [
            "Am sunat clientul, nu a răspuns. Am lăsat mesaj.",
            "I-am scris să ne cerem scuze și să aflăm numărul comenzii.",
            "Am vorbit cu depozitul: comanda era blocată.",
        ],
        Status.RECOVERED: [
            "Am rambursat transportul, clientul a mulțumit.",
            "I-am trimis un voucher; spune că revine.",
        ],
        Status.NOT_RECOVERED: [
            "Clientul a refuzat compensația și a anulat.",
            "Niciun răspuns după trei încercări.",
        ],
        Status.NO_ACTION: [
            "Fusese deja rezolvat de magazin.",
            "Reclamație despre preț, nimic de făcut.",
        ],
    },
    "en": {
        "start": [
            "Called the customer, no answer. Left a voicemail.",
            "Emailed an apology and asked for the order number.",
            "Checked with the warehouse: the parcel was stuck.",
        ],
        Status.RECOVERED: [
            "Refunded the shipping; the customer thanked us.",
            "Sent a voucher; they said they will order again.",
        ],
        Status.NOT_RECOVERED: [
            "Customer declined the offer and cancelled.",
            "No reply after three attempts.",
        ],
        Status.NO_ACTION: [
            "Already sorted out by the store.",
            "Comment about the price, nothing to do.",
        ],
    },
}
OUTCOMES = [Status.RECOVERED] * 5 + [Status.NOT_RECOVERED] * 3 + [Status.NO_ACTION] * 2
# Hours from taking a follow-up in hand to closing it: most within the two working days, about
# one in four after them (the SLA breaches a team queue should show, not the rule).
CLOSING_HOURS = [2, 3, 4, 6, 8, 12, 18, 24, 72, 150]
ROOT_CAUSES = [c for c in RootCause.values if c != RootCause.OTHER] * 3 + [RootCause.OTHER]


@dataclass(frozen=True)
class Plan:
    """One follow-up's past: when it opened, was taken in hand and closed, and how."""

    opened: datetime
    due_on: object  # a date
    status: str
    started: datetime | None  # taken in hand (open → in progress)
    closed: datetime | None
    root_cause: str
    notes: tuple[str, ...]  # the note on taking it in hand, and the closing note


def plan_for(*, external_id: str, submitted_at: datetime, language: str, now: datetime) -> Plan:
    """The follow-up story of the demo answer ``external_id``; the same every time."""
    rng = random.Random(f"{SEED}/{external_id}")
    notes = NOTES.get(language, NOTES["en"])
    opened = submitted_at + timedelta(minutes=rng.randint(1, 30))
    due_on = working_days_after(opened.date(), RESPONSE_DAYS)
    started = opened + timedelta(hours=rng.randint(1, 20))
    start_note = rng.choice(notes["start"])
    if (now - submitted_at).days < ACTIVE_DAYS:
        if started >= now or rng.random() < 0.45:
            return Plan(opened, due_on, Status.OPEN, None, None, "", ())
        return Plan(opened, due_on, Status.IN_PROGRESS, started, None, "", (start_note,))
    status = rng.choice(OUTCOMES)
    closed = started + timedelta(hours=rng.choice(CLOSING_HOURS), minutes=rng.randint(1, 59))
    root_cause = rng.choice(ROOT_CAUSES) if status != Status.NO_ACTION else ""
    return Plan(
        opened, due_on, status, started, closed, root_cause, (start_note, rng.choice(notes[status]))
    )


def demo_followups_apply(*, workspace_id: int, now: datetime) -> int:
    """Give the demo answers' follow-ups their past (see the module's docstring). Unowned
    touchpoints' follow-ups that were worked went to the demo staff member; the recent ones
    partly stay in the workspace's queue. Returns how many follow-ups were written."""
    members = Membership.objects.filter(workspace_id=workspace_id).order_by("pk")
    staff = members.filter(role=Role.STAFF).first()
    # Editors read follow-ups but do not work them: those of the editor's touchpoints go to the
    # staff member too.
    readers = set(members.filter(role=Role.EDITOR).values_list("pk", flat=True))
    followups = list(
        FollowUp.objects.filter(workspace_id=workspace_id, response__source=Source.DEMO)
        .select_related("response")
        .order_by("response__external_id")
    )
    events: list[tuple[FollowUpEvent, datetime]] = []
    for followup in followups:
        answer = followup.response
        plan = plan_for(
            external_id=answer.external_id,
            submitted_at=answer.submitted_at,
            language=answer.language,
            now=now,
        )
        queued = followup.assignee_id is None
        # The queue's worked follow-ups were taken by the staff member; of the untouched recent
        # ones every other stays in the queue for the team to hand out.
        keep_queued = queued and plan.started is None and answer.pk % 2 == 0
        if staff is not None and (followup.assignee_id in readers or queued) and not keep_queued:
            followup.assignee_id = staff.pk
        followup.status = plan.status
        followup.due_on = plan.due_on
        followup.root_cause = plan.root_cause
        followup.created_at = plan.opened
        followup.closed_at = plan.closed
        followup.closed_late = (
            plan.closed is not None and timezone.localtime(plan.closed).date() > plan.due_on
        )
        followup.updated_at = plan.closed or plan.started or plan.opened
        timeline = _timeline(followup, followup.assignee_id or getattr(staff, "pk", None), plan)
        followup.version = 1 + sum(e.kind != EventKind.NOTE for e, _at in timeline)
        followup.first_response_at = min(
            (at for e, at in timeline if e.kind in RESPONSE_KINDS), default=None
        )
        events.extend(timeline)
    # Written as plain statements, row by row in one round trip each: the ORM's bulk_update
    # spends seconds building CASE expressions, and its inserts would stamp every event now
    # (auto_now_add), not when it happened.
    dt, day = connection.ops.adapt_datetimefield_value, connection.ops.adapt_datefield_value
    execute_many(
        sql(
            """UPDATE {followup} SET assignee_id = {v}, status = {v}, due_on = {v},
            root_cause = {v}, created_at = {v}, closed_at = {v}, closed_late = {v},
            updated_at = {v}, version = {v}, first_response_at = {v} WHERE id = {v}""",
            followup=NAMES[FollowUp._meta.db_table],
            v=row_placeholders(1),  # each value comes with its row
        ),
        [
            (f.assignee_id, f.status, day(f.due_on), f.root_cause, dt(f.created_at),
             dt(f.closed_at), f.closed_late, dt(f.updated_at), f.version,
             dt(f.first_response_at), f.pk)
            for f in followups
        ],
    )  # fmt: skip
    execute_many(
        sql(
            """INSERT INTO {event} (followup_id, kind, actor_id, note, from_status, to_status,
            root_cause, created_at) VALUES ({row})""",
            event=NAMES[FollowUpEvent._meta.db_table],
            row=row_placeholders(8),
        ),
        [
            (e.followup_id, e.kind, e.actor_id, e.note, e.from_status, e.to_status,
             e.root_cause, dt(at))
            for e, at in events
        ],
    )  # fmt: skip
    return len(followups)


def _timeline(
    followup: FollowUp, actor_id: int | None, plan: Plan
) -> list[tuple[FollowUpEvent, datetime]]:
    """The events of the plan, each with when it happened: taken in hand with a note, then
    closed with a note and a root cause."""

    def event(kind: str, **fields) -> FollowUpEvent:
        return FollowUpEvent(followup=followup, kind=kind, actor_id=actor_id, **fields)

    found = []
    if plan.started is not None:
        moved = event(EventKind.STATUS, from_status=Status.OPEN, to_status=Status.IN_PROGRESS)
        found += [(moved, plan.started)]
        found += [(event(EventKind.NOTE, note=plan.notes[0]), plan.started + timedelta(minutes=5))]
    if plan.closed is not None:
        closed = event(EventKind.STATUS, from_status=Status.IN_PROGRESS, to_status=plan.status)
        found += [(event(EventKind.NOTE, note=plan.notes[1]), plan.closed), (closed, plan.closed)]
        if plan.root_cause:
            found += [(event(EventKind.ROOT_CAUSE, root_cause=plan.root_cause), plan.closed)]
    return found
