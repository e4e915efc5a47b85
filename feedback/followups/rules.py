"""Which answers open a follow-up, and opening them in bulk.

Every path an answer arrives by (survey link, API, file import, re-import) opens its follow-ups
through this module: surveys and the API test the rule here and add :func:`opening_insert` to
their own INSERT (feedback.services), imports call :func:`followups_open` per chunk. Opening is
idempotent: the database holds one follow-up per answer and
the insert skips those that exist (ON CONFLICT DO NOTHING), so an answer sent again, or two
requests racing, never open a second one. A batch costs one query whatever its size. The rule
is written twice, as a WHERE clause (:func:`rule_condition`, for the import's INSERT … SELECT over
a chunk of 50,000 stored answers) and as a test of one answer held in Python
(:func:`rule_selects`, for answers just stored by a survey or the API: most open nothing and
then cost no query); ``tests/feedback/followups/test_rule_agreement.py`` keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from feedback.experience import Experience, experience_of
from feedback.followups.alerts import new_followups_alert
from feedback.followups.models import FollowUp, FollowUpSettings, Status, Trigger
from feedback.models import Response
from mot.sql import Identifiers, Sql, Template, compiled, execute, sql

NAMES = Identifiers(FollowUp._meta.db_table)


def settings_of(workspace_id: int) -> FollowUpSettings:
    """The workspace's rule, or the defaults (not saved) when an admin never set one."""
    found = FollowUpSettings.objects.filter(workspace_id=workspace_id).first()
    return found or FollowUpSettings(workspace_id=workspace_id)


def working_days_after(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def rule_condition(rule: FollowUpSettings) -> Q | None:
    """The rule as a filter on answers; None when it opens nothing."""
    pain = Q(experience=Experience.PAIN)
    if rule.trigger == Trigger.NEVER:
        return None
    if rule.trigger == Trigger.PAIN_WITH_TEXT:
        condition = pain & (~Q(comment="") | ~Q(contact=""))
    elif rule.trigger == Trigger.ANY_PAIN:
        condition = pain
    else:
        condition = Q(nps__isnull=False, nps__lte=rule.nps_max)
    if rule.journey_id is not None:
        condition &= Q(touchpoint__journey_id=rule.journey_id)
    if rule.mot_stage:
        condition &= Q(touchpoint__mot_stage=rule.mot_stage)
    return condition


def rule_selects(rule: FollowUpSettings, answer: AnswerFacts) -> bool:
    """:func:`rule_condition` for one answer held in Python (a test keeps the two equal)."""
    if rule.trigger == Trigger.NEVER:
        return False
    pain = (answer.noted or experience_of(answer.nps, answer.csat)) == Experience.PAIN
    if rule.trigger == Trigger.PAIN_WITH_TEXT:
        selected = pain and bool(answer.comment or answer.contact)
    elif rule.trigger == Trigger.ANY_PAIN:
        selected = pain
    else:
        selected = answer.nps is not None and answer.nps <= rule.nps_max
    if rule.journey_id is not None and answer.journey_id != rule.journey_id:
        return False
    if rule.mot_stage and answer.mot_stage != rule.mot_stage:
        return False
    return selected


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    """What the rule reads of an answer: its scores and texts, its touchpoint's place."""

    nps: int | None
    csat: int | None
    comment: str
    contact: str
    journey_id: int
    mot_stage: str
    noted: str = ""  # a record's noted experience (its experience column), blank for an answer


@dataclass(frozen=True, slots=True)
class Opening:
    """What every follow-up opened by one call shares: its due date and opening time (by
    which the new-follow-up alert finds them)."""

    due_on: date
    opened_at: datetime

    @classmethod
    def now(cls, rule: FollowUpSettings) -> Opening:
        return cls(working_days_after(timezone.localdate(), rule.response_days), timezone.now())

    def announce(self, *, workspace_id: int, opened: int) -> None:
        """Their assignees (or the queue's managers) hear of the follow-ups opened: a few
        queries whatever the batch, and one e-mail task per recipient after the commit."""
        if opened:
            new_followups_alert(
                workspace_id=workspace_id, opened_at=self.opened_at, due_on=self.due_on
            )


_OPENING = """
    INSERT INTO {followup} (workspace_id, response_id, touchpoint_id, assignee_id,
        due_on, status, root_cause, version, created_at, updated_at)
    SELECT %s, c.rid, c.tid, c.oid, %s, %s, '', 1, %s, %s
    FROM ({candidates}) c
    WHERE true
    ON CONFLICT (response_id) DO NOTHING
    """


def opening_insert(*, workspace_id: int, opening: Opening, candidates: Sql) -> Sql:
    """An INSERT that opens a follow-up for each row of ``candidates``, a SELECT of the columns
    ``rid`` (the answer), ``tid`` (its touchpoint) and ``oid`` (the assignee, or NULL for the
    workspace's queue). ON CONFLICT skips an answer that has one already, a concurrent
    request's included; the statement's row count is of follow-ups really opened.

    The due date, status and opening time are raw parameters written the way the ORM would
    write them (SQLite keeps text). (WHERE true: SQLite would otherwise read ON CONFLICT as a
    join's ON.)"""
    return sql(_OPENING, *opening_values(workspace_id, opening), **_opening_parts(candidates))


def opening_template(candidates: Callable[[], Sql]) -> Template:
    """:func:`opening_insert` for candidates whose text never changes (one answer's), as a
    template: its values are :func:`opening_values`, then the candidates' own."""
    return Template(_OPENING, lambda: _opening_parts(candidates()))


def opening_values(workspace_id: int, opening: Opening) -> tuple:
    ops = connection.ops
    now = ops.adapt_datetimefield_value(opening.opened_at)
    return (workspace_id, ops.adapt_datefield_value(opening.due_on), Status.OPEN.value, now, now)


def _opening_parts(candidates: Sql) -> dict[str, Sql]:
    return {"followup": NAMES[FollowUp._meta.db_table], "candidates": candidates}


def followups_open(
    *,
    workspace_id: int,
    response_ids: Collection[int] = (),
    answers: QuerySet[Response] | None = None,
    rule: FollowUpSettings | None = None,
) -> int:
    """Open a follow-up for each of these answers the rule selects and that has none yet;
    returns how many were opened. The answers are ``response_ids``, or ``answers`` for a
    caller that can name a large batch more cheaply than by 50,000 ids (the import names its
    chunk by an id range). ``rule`` lets a caller with many batches load it once."""
    if answers is None:
        if not response_ids:
            return 0
        answers = Response.objects.filter(pk__in=list(response_ids))
    rule = rule if rule is not None else settings_of(workspace_id)
    condition = rule_condition(rule)
    if condition is None:
        return 0
    candidates = (
        answers.filter(condition, workspace_id=workspace_id)
        .filter(followup__isnull=True)
        .values(rid=F("pk"), tid=F("touchpoint_id"), oid=F("touchpoint__owner_id"))
    )
    opening = Opening.now(rule)
    # One INSERT … SELECT: the rows never come to Python (a 50,000-answer chunk of an import
    # opens its follow-ups in the database alone).
    opened = execute(
        opening_insert(workspace_id=workspace_id, opening=opening, candidates=compiled(candidates))
    )
    opening.announce(workspace_id=workspace_id, opened=opened)
    return opened
